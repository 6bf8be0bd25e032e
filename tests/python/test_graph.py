"""Graph panel: capture with fallbacks, hierarchy, recording, overlay, picture (issue 11).

Models come from ``graph_models`` (built from torch.nn); every torchvision classification
model is captured in test_graph_torchvision.py.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import Any

import graph_models as gm
import numpy as np
import pytest
import torch

import nbviz
from nbviz.panels.graph.capture import capture_graph
from nbviz.panels.graph.hierarchy import collapsed, view
from nbviz.panels.graph.picture import graph_png


def _covered(drawable: dict[str, Any]) -> set[str]:
    """Module paths the drawable graph accounts for: a node's module or a group."""
    return {n["key"] for n in drawable["nodes"]} | {g["path"] for g in drawable["groups"]}


def _missing_parameterised(model: torch.nn.Module, drawable: dict[str, Any]) -> list[str]:
    """Parameterised modules with neither a node / group of their own nor one of their
    parent (MultiheadAttention reads its ``out_proj`` weights directly)."""
    covered = _covered(drawable)
    return sorted(path for path in gm.parameterised_modules(model)
                  if path not in covered and path.rsplit(".", 1)[0] not in covered)


def _top(drawable: dict[str, Any]) -> list[str]:
    items, _ = collapsed(drawable)
    return [drawable["groups"][i]["path"] if kind == "group" else drawable["nodes"][i]["label"]
            for kind, i in items]


def test_resnet50_every_parameterised_module_fx_and_hooks_agree() -> None:
    model = gm.resnet50()
    x = torch.zeros(1, 3, 32, 32)
    fx = capture_graph(model, x, methods=("torch.fx",))
    hooks = capture_graph(model, x, methods=("hooks",))
    assert fx["capture"]["method"] == "torch.fx" and hooks["capture"]["method"] == "hooks"
    for graph in (fx, hooks):
        drawable = view(graph)
        assert len(gm.parameterised_modules(model)) == 107  # 53 conv + 53 batch norm + fc
        assert _missing_parameterised(model, drawable) == []
        assert drawable["params"] == 25_557_032
        assert _top(drawable)[:5] == ["x", "conv1: Conv2d", "bn1: BatchNorm2d", "relu: ReLU",
                                      "maxpool: MaxPool2d"]
        groups = {g["path"]: g for g in drawable["groups"]}
        assert groups["layer3"]["params"] == sum(
            p.numel() for p in model.layer3.parameters())
        # layer3.1 … layer3.5 are identical blocks, layer3.0 (downsample) differs
        assert [groups[f"layer3.{i}"]["repeat"] for i in range(6)] == [1, 5, 5, 5, 5, 5]
    conv = next(n for n in fx["nodes"] if n["name"] == "layer1.0.conv2")
    assert conv["attrs"]["kernel_size"] == [3, 3] and conv["attrs"]["parameters"] == 64 * 64 * 9
    assert conv["outputs"] == [{"shape": [1, 64, 8, 8], "dtype": "float32"}]
    # the residual add reads the block input (identity) and bn3's output
    add = next(n for n in fx["nodes"] if n["scope"] == "layer1.1" and n["op"] == "add")
    assert len(add["inputs"]) == 2 and add["inputs"][0] == "layer1.1.bn3"
    assert add["inputs"][1] == "layer1.0.relu#3"  # the shared ReLU's 3rd call ends layer1.0


def test_small_resnet_through_torch_export() -> None:
    model = gm.ResNet((1, 1, 1, 1), num_classes=10)
    graph = capture_graph(model, torch.zeros(1, 3, 32, 32), methods=("torch.export", "hooks"))
    assert graph["capture"]["method"] == "torch.export" and graph["capture"]["fallbacks"] == []
    drawable = view(graph)
    assert _missing_parameterised(model, drawable) == []
    ops = {n["op"] for n in graph["nodes"]}
    assert {"conv2d", "add", "linear"} <= ops
    # a leaf module's single op is shown as that module
    assert "conv1: Conv2d" in _top(drawable)


def test_default_order_tries_fx_first_and_never_pays_for_export() -> None:
    """torch.export costs 3-4x an fx trace on CPU (capture.py's docstring): a model fx
    traces completely is captured by fx alone, export never attempted."""
    model = gm.ResNet((1, 1, 1, 1), num_classes=10)
    graph = capture_graph(model, torch.zeros(1, 3, 32, 32))
    assert graph["capture"]["method"] == "torch.fx" and graph["capture"]["fallbacks"] == []
    assert _missing_parameterised(model, view(graph)) == []


def test_transformer_encoder_layers_repeat() -> None:
    model = gm.encoder(layers=6)
    graph = capture_graph(model, torch.zeros(2, 5, 8))
    # fx keeps nn.TransformerEncoder as one node: the hook trace looks inside, not export
    assert graph["capture"]["method"] == "hooks"
    [fx] = graph["capture"]["fallbacks"]
    assert fx["method"] == "torch.fx" and "encoder" in fx["reason"]
    assert "looking inside" in fx["reason"]
    drawable = view(graph)
    assert _missing_parameterised(model, drawable) == []
    layers = [g for g in drawable["groups"] if g["path"].startswith("encoder.layers.")
              and g["depth"] == 2]
    assert len(layers) == 6 and {g["repeat"] for g in layers} == {6}
    assert _top(drawable) == ["x", "embed: Linear", "encoder", "mean", "head: Linear", "output"]


def test_gpt_24_layers_collapse_to_one_group() -> None:
    model = gm.GPT(layers=24)
    graph = capture_graph(model, torch.zeros(1, 16, dtype=torch.long), methods=("torch.fx",))
    drawable = view(graph)
    assert _missing_parameterised(model, drawable) == []
    blocks = [g for g in drawable["groups"] if g["depth"] == 1 and g["path"].startswith("h.")]
    assert len(blocks) == 24 and {g["repeat"] for g in blocks} == {24}
    assert "h" in _top(drawable) and "lm_head: Linear" in _top(drawable)


def test_transformers_gpt2_config_random_weights_12_blocks_repeat() -> None:
    """A real transformers GPT-2 (built from a config: random weights, no download). fx
    cannot trace it (export and jit would fail on its output types, a DynamicCache and a
    ModelOutput dataclass, after seconds each): the hook trace draws it, fx's reason named."""
    transformers = pytest.importorskip("transformers")
    torch.manual_seed(0)
    config = transformers.GPT2Config(n_layer=12, n_embd=64, n_head=4, vocab_size=500,
                                     n_positions=64, bos_token_id=0, eos_token_id=0)
    model = transformers.GPT2LMHeadModel(config).eval()
    graph = capture_graph(model, torch.zeros(1, 16, dtype=torch.long))
    capture = graph["capture"]
    assert capture["method"] == "hooks" and not capture["partial"]
    assert [f["method"] for f in capture["fallbacks"]] == ["torch.fx"]
    assert capture["fallbacks"][0]["reason"]
    drawable = view(graph)
    # wte, wpe, 12 x (ln_1, attn.c_attn, attn.c_proj, ln_2, mlp.c_fc, mlp.c_proj), ln_f, lm_head
    assert len(gm.parameterised_modules(model)) == 2 + 12 * 6 + 2
    assert _missing_parameterised(model, drawable) == []
    assert drawable["params"] == sum(p.numel() for p in model.parameters()) + (
        model.lm_head.weight.numel())  # lm_head's weight is wte's, counted once per module
    blocks = [g for g in drawable["groups"] if g["path"].startswith("transformer.h.")
              and g["path"].count(".") == 2]
    assert len(blocks) == 12 and {g["repeat"] for g in blocks} == {12}
    assert {g["type"] for g in blocks} == {"GPT2Block"}


def test_skip_connection_edge_bypasses_the_body() -> None:
    drawable = view(capture_graph(gm.SkipNet(), torch.zeros(2, 8)))
    items, edges = collapsed(drawable)
    names = _top(drawable)
    pairs = {(names[a], names[b]) for a, b in edges}
    assert ("stem: Linear", "add") in pairs  # the skip
    assert ("stem: Linear", "body") in pairs and ("body", "add") in pairs
    assert ("add", "head: Linear") in pairs
    body = next(i for i, g in enumerate(drawable["groups"]) if g["path"] == "body")
    items_open, _ = collapsed(drawable, frozenset({body}))
    assert len(items_open) == len(items) - 1 + 3  # body opens into its three layers


def test_if_on_a_tensor_value_falls_back_to_the_hook_trace_with_reasons() -> None:
    graph = capture_graph(gm.Branchy(), torch.ones(2, 8))
    capture = graph["capture"]
    assert capture["method"] == "hooks" and not capture["partial"]
    assert [f["method"] for f in capture["fallbacks"]] == ["torch.fx"]
    assert "control flow" in capture["fallbacks"][0]["reason"]
    scopes = {n["scope"] for n in graph["nodes"]}
    assert "a" in scopes and "b" not in scopes  # the branch that ran
    jit = capture_graph(gm.Branchy(), torch.ones(2, 8), methods=("torch.fx", "torch.jit"))
    assert jit["capture"]["method"] == "torch.jit"
    scopes = {n["scope"] for n in graph["nodes"]}
    assert "a" in scopes and "b" not in scopes  # the branch that ran


def test_dict_output_renders_both_outputs() -> None:
    graph = capture_graph(gm.DictOut(), torch.zeros(2, 8))
    assert graph["capture"]["method"] == "torch.fx"
    out = next(n for n in graph["nodes"] if n["kind"] == "output")
    assert len(out["inputs"]) == 2


def test_dataclass_input_captured_by_fx_where_export_fails() -> None:
    batch = gm.Batch(torch.zeros(2, 8), torch.ones(2, 8))
    graph = capture_graph(gm.DataclassIn(), batch)
    assert graph["capture"]["method"] == "torch.fx" and graph["capture"]["fallbacks"] == []
    exported = capture_graph(gm.DataclassIn(), batch, methods=("torch.export", "torch.fx"))
    assert exported["capture"]["method"] == "torch.fx"
    assert exported["capture"]["fallbacks"][0]["method"] == "torch.export"
    hooks = capture_graph(gm.DataclassIn(), batch, methods=("hooks",))
    assert {n["name"] for n in hooks["nodes"] if n["kind"] == "input"} == {"batch.x",
                                                                           "batch.mask"}
    mul = next(n for n in hooks["nodes"] if n["op"] == "mul")
    assert set(mul["inputs"]) == {"proj", "batch.mask"}


def test_forward_raising_midway_keeps_the_part_that_ran() -> None:
    graph = capture_graph(gm.RaisesMidway(), torch.zeros(2, 8))
    capture = graph["capture"]
    assert capture["method"] == "hooks" and capture["partial"]
    assert "mat1 and mat2" in capture["error"]
    assert [f["method"] for f in capture["fallbacks"]] == ["torch.fx"]
    # export and jit run the same forward: not tried, and said so
    assert any(w.startswith("torch.export, torch.jit: not tried") for w in capture["warnings"])
    ran = [n["name"] for n in graph["nodes"]]
    assert ran == ["x", "first", "act"]  # `second` raised: not in the graph
    assert next(n for n in graph["nodes"] if n["name"] == "act")["inputs"] == ["first"]
    png = graph_png(view(graph))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_coarse_fx_graph_kept_when_nothing_sees_inside() -> None:
    """fx's graph with an opaque nn.TransformerEncoder is held back; when the hook trace
    does not complete (here: a forward that only runs once), it is the answer."""
    model = gm.OnceEncoder()
    graph = capture_graph(model, torch.zeros(2, 5, 8))
    capture = graph["capture"]
    assert capture["method"] == "torch.fx" and capture["fallbacks"] == []
    assert not capture["partial"] and capture["error"] is None
    kept = [w for w in capture["warnings"] if "torch.fx's graph kept" in w]
    assert [w.split(":")[0] for w in kept] == ["hooks"]
    assert any(n["op"] == "TransformerEncoder" for n in graph["nodes"])


def test_bad_arguments_name_the_argument() -> None:
    with pytest.raises(TypeError, match=r"'model' must be a torch\.nn\.Module"):
        capture_graph("resnet", torch.zeros(1))
    with pytest.raises(TypeError, match="'inputs' holds no tensor"):
        capture_graph(gm.SkipNet(), "pixels")
    with pytest.raises(TypeError, match=r"'inputs' do not match SkipNet.forward"):
        capture_graph(gm.SkipNet(), (torch.zeros(2, 8), torch.zeros(2, 8)))
    with pytest.raises(TypeError, match="raised on 'example_inputs' before any operation ran"):
        nbviz.Graph(gm.SkipNet(), {"y": torch.zeros(2, 8), "z": torch.zeros(1)})
    with pytest.raises(ValueError, match="'methods' must be"):
        capture_graph(gm.SkipNet(), torch.zeros(2, 8), methods=("onnx",))
    with pytest.raises(ValueError, match="'statistic' must be one of"):
        nbviz.Graph(gm.SkipNet(), torch.zeros(2, 8), statistic="loss")


def test_model_left_in_its_training_mode() -> None:
    model = gm.SkipNet().train()
    capture_graph(model, torch.zeros(2, 8), methods=("torch.fx",))
    assert model.training


def test_log_graph_once_per_run_and_warns_on_partial(tmp_path: Path) -> None:
    run = nbviz.init("g", logdir=tmp_path)
    first = run.log_graph(gm.SkipNet(), torch.zeros(2, 8))
    assert first is not None and run.log_graph(gm.SkipNet(), torch.zeros(2, 8)) is None
    with pytest.warns(RuntimeWarning, match="recorded the part of the graph that ran"):
        run.log_graph(gm.RaisesMidway(), torch.zeros(2, 8), tag="broken")
    run.finish()
    graphs = nbviz.read(tmp_path, kind="graphs").sort_values("tag")
    assert graphs.tag.tolist() == ["broken", "graph"]
    assert graphs.format.tolist() == ["nbviz.graph", "nbviz.graph"]
    broken = graphs.graph.iloc[0]
    assert broken["capture"]["partial"] and [n["name"] for n in broken["nodes"]][-1] == "act"


def test_summary_writer_add_graph_falls_back_instead_of_raising(tmp_path: Path) -> None:
    from nbviz import SummaryWriter

    with SummaryWriter(str(tmp_path / "w")) as writer, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        writer.add_graph(gm.RaisesMidway(), torch.zeros(2, 8))
    graph = nbviz.read(tmp_path, kind="graphs").iloc[0]
    assert graph.format == "nbviz.graph"
    assert graph.graph["capture"]["fallbacks"][0]["method"] == "torch.jit"
    with SummaryWriter(str(tmp_path / "bad")) as writer, pytest.raises(
            TypeError, match="'input_to_model' holds no tensor"):
        writer.add_graph(gm.SkipNet(), "x")


def test_torch_jit_records_of_the_writer_render_grouped(tmp_path: Path) -> None:
    from nbviz import SummaryWriter

    with SummaryWriter(str(tmp_path / "j")) as writer:
        writer.add_graph(gm.SkipNet(), torch.zeros(2, 8))
    graph = nbviz.read(tmp_path, kind="graphs").iloc[0]
    assert graph.format == "torch.jit"
    drawable = view(graph.graph)
    assert not any(n["op"].startswith("prim::") for n in drawable["nodes"])
    assert "body" in {g["path"] for g in drawable["groups"]}
    linear = [n for n in drawable["nodes"] if n["op"] == "linear"]
    assert {n["key"] for n in linear} == {"stem", "body.0", "body.2", "head"}


def test_graphdef_names_group_by_scope() -> None:
    graph = {"nodes": [
        {"name": "input", "op": "Placeholder", "inputs": []},
        {"name": "dense/MatMul", "op": "MatMul", "inputs": ["input", "dense/kernel"]},
        {"name": "dense/kernel", "op": "VariableV2", "inputs": []},
        {"name": "dense/BiasAdd", "op": "BiasAdd", "inputs": ["dense/MatMul"]},
        {"name": "out", "op": "Softmax", "inputs": ["dense/BiasAdd:0"]},
    ]}
    drawable = view(graph)
    assert [g["path"] for g in drawable["groups"]] == ["dense"]
    assert _top(drawable) == ["input", "dense", "out"]
    _, edges = collapsed(drawable)
    assert len(edges) == 2


def test_widget_overlay_follows_watch(tmp_path: Path) -> None:
    run = nbviz.init("live", logdir=tmp_path)
    model = gm.SkipNet()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    panel = nbviz.Graph(model, torch.zeros(2, 8), run=run)
    assert panel.overlay_keys == [] and panel.view["name"] == "SkipNet"
    handle = nbviz.watch(model, optimizer, every=1, run=run)
    for step in range(4):
        loss = model(torch.randn(4, 8)).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        run.log({"loss": float(loss)}, step=step)
    handle.remove()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and panel.overlay_step < 3:
        panel.sync()
        time.sleep(0.1)
    keys = panel.overlay_keys
    assert {"stem", "body.0", "body.2", "head"} <= set(keys)
    values = np.frombuffer(panel.overlay, "<f8").reshape(len(panel.statistics), len(keys))
    grad = values[panel.statistics.index("grad_norm")]
    assert np.isfinite(grad[keys.index("stem")]) and grad[keys.index("stem")] > 0
    assert panel.overlay_step == 3
    assert "statistics of run 'live' at step 3" in panel.summary()
    panel.close()
    run.finish()
    stored = nbviz.Graph(tmp_path)  # no graph record in that run: an empty panel
    assert stored.summary() == "nbviz.Graph: no graph yet"
    stored.close()


def test_widget_from_a_logdir_shows_the_recorded_graph(tmp_path: Path) -> None:
    run = nbviz.init("rec", logdir=tmp_path)
    run.log_graph(gm.GPT(layers=2), torch.zeros(1, 8, dtype=torch.long))
    run.finish()
    panel = nbviz.Graph(tmp_path)
    assert panel.view["name"] == "GPT" and "h" in {g["path"] for g in panel.view["groups"]}
    assert panel._render_png()[:4] == b"\x89PNG"
    with pytest.raises(TypeError, match="'example_inputs' only goes with a model"):
        nbviz.Graph(tmp_path, torch.zeros(1))
    panel.close()
