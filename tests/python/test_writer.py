"""nbviz.SummaryWriter: torch's signatures, what every add_* stores, and the round trip
against torch.utils.tensorboard (the torch side read back through nbviz's tfevents reader)."""

from __future__ import annotations

import inspect
import os
import re
import socket
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import nbviz
from nbviz import SummaryWriter
from nbviz.store.sqlite import StoreReader

torch = pytest.importorskip("torch")
tb = pytest.importorskip("torch.utils.tensorboard")
TorchWriter = tb.SummaryWriter

PUBLIC = sorted(name for name, member in inspect.getmembers(TorchWriter, inspect.isfunction)
                if not name.startswith("_") or name in ("__init__", "__enter__", "__exit__"))


def read(logdir: Path, kind: str = "scalars") -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return nbviz.read(logdir, kind=kind)


def records(run_dir: Path, kind: str) -> list[Any]:
    reader = StoreReader(run_dir)
    try:
        return reader.tensors_between(0, None, frozenset({kind}))
    finally:
        reader.close()


# -- signatures ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", PUBLIC)
def test_signature_matches_torch(name: str) -> None:
    theirs = inspect.signature(getattr(TorchWriter, name))
    ours = inspect.signature(getattr(SummaryWriter, name))
    assert [(p.name, p.default, p.kind) for p in ours.parameters.values()] == [
        (p.name, p.default, p.kind) for p in theirs.parameters.values()
    ], f"{name}{ours} != torch's {name}{theirs}"


def test_every_issue_method_exists() -> None:
    for name in ("add_scalar", "add_scalars", "add_histogram", "add_histogram_raw", "add_image",
                 "add_images", "add_image_with_boxes", "add_figure", "add_video", "add_audio",
                 "add_text", "add_graph", "add_embedding", "add_pr_curve", "add_pr_curve_raw",
                 "add_custom_scalars", "add_custom_scalars_multilinechart",
                 "add_custom_scalars_marginchart", "add_mesh", "add_hparams", "get_logdir",
                 "flush", "close", "__enter__", "__exit__"):
        assert callable(getattr(SummaryWriter, name)), name


# -- round trip against torch --------------------------------------------------------------------


def _sequence(writer: Any) -> None:
    """The same add_* calls, through either writer."""
    rng = np.random.default_rng(7)
    values = rng.standard_normal(2000)
    labels = rng.integers(0, 2, 300)
    predictions = rng.random(300)
    for step in range(25):
        writer.add_scalar("loss/train", 1.0 / (step + 1), step)
        writer.add_scalar("lr", torch.tensor(0.1 * 0.9**step, dtype=torch.float64), step)
        writer.add_scalars("acc", {"train": step / 25, "val": step / 30}, step)
    writer.add_scalar("numpy", np.float64(np.pi), 30)
    writer.add_scalar("no_step", 3.0)
    writer.add_histogram("weights", values, 3)
    writer.add_histogram("weights", torch.tensor(values * 2), 4)
    writer.add_histogram("auto_bins", values, 5, bins="auto", max_bins=16)
    writer.add_histogram("int_bins", values, 6, bins=10)
    writer.add_histogram_raw("raw", 0, 2, 3, 3.5, 4.75, [1, 2], [1, 2], 7)
    writer.add_pr_curve("pr", labels, predictions, 1)
    writer.add_pr_curve("pr", torch.tensor(labels), torch.tensor(predictions), 2,
                        num_thresholds=33, weights=rng.random(300))
    curve = rng.random((6, 5))
    writer.add_pr_curve_raw("pr_raw", *curve, global_step=3, num_thresholds=5)
    writer.add_text("notes", "héllo **markdown** <b>not html</b>", 8)
    writer.add_text("notes", "second", 9)
    writer.add_hparams({"lr": 0.1, "optimizer": "adam", "batch": 32, "amp": True},
                       {"hparam/accuracy": 0.875, "hparam/loss": 0.3}, run_name="trial-1")
    writer.add_hparams({"lr": 0.01, "optimizer": "sgd", "batch": 64, "amp": False},
                       {"hparam/accuracy": 0.75, "hparam/loss": 0.5}, run_name="trial-2",
                       hparam_domain_discrete={"optimizer": ["adam", "sgd"]})
    writer.add_custom_scalars_multilinechart(["loss/train", "lr"], category="c", title="both")


def _same(a: pd.DataFrame, b: pd.DataFrame, kind: str) -> None:
    assert list(a.columns) == list(b.columns), kind
    assert len(a) == len(b), kind
    for column in a.columns:
        if column == "wall_time":
            continue
        for left, right in zip(a[column].tolist(), b[column].tolist(), strict=True):
            if isinstance(left, np.ndarray) or isinstance(right, np.ndarray):
                np.testing.assert_array_equal(left, right, err_msg=f"{kind}.{column}")
            elif isinstance(left, float) and np.isnan(left):
                assert isinstance(right, float) and np.isnan(right), (kind, column)
            else:
                assert left == right, (kind, column, left, right)


def test_round_trip_equals_torch(tmp_path: Path) -> None:
    with TorchWriter(str(tmp_path / "tb" / "exp")) as writer:
        _sequence(writer)
    with SummaryWriter(str(tmp_path / "nb" / "exp")) as writer:
        _sequence(writer)
    for kind in ("scalars", "histograms", "pr_curves", "text", "hparams", "custom_scalars"):
        theirs = read(tmp_path / "tb", kind)
        ours = read(tmp_path / "nb", kind)
        assert len(ours) > 0, kind
        _same(ours, theirs, kind)
    hparams = read(tmp_path / "nb", "hparams")
    assert hparams.attrs["hparams"] == ["lr", "optimizer", "batch", "amp"]
    assert hparams.attrs["metrics"] == ["hparam/accuracy", "hparam/loss"]
    assert sorted(read(tmp_path / "nb").run.unique()) == [
        "exp", "exp/acc_train", "exp/acc_val", "exp/trial-1", "exp/trial-2"]


def test_wall_times_and_steps(tmp_path: Path) -> None:
    with SummaryWriter(str(tmp_path / "r")) as writer:
        writer.add_scalar("x", 1.0, 5, walltime=1234.5)
        writer.add_scalar("x", 2.0, np.int64(6))
        writer.add_scalar("x", 3.0, torch.tensor(7))
        writer.add_text("t", "a", 2, walltime=99.0)
    frame = read(tmp_path)
    assert frame.step.tolist() == [5, 6, 7]
    assert frame.wall_time.iloc[0] == 1234.5 and frame.wall_time.iloc[1] > 1.5e9
    assert read(tmp_path, "text").wall_time.tolist() == [99.0]


def test_default_log_dir_is_named_like_torch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                             ) -> None:
    monkeypatch.chdir(tmp_path)
    writer = SummaryWriter(comment="_lr0.1")
    try:
        logdir = writer.get_logdir()
        pattern = r"runs/[A-Z][a-z]{2}\d{2}_\d{2}-\d{2}-\d{2}_" + re.escape(socket.gethostname())
        assert re.fullmatch(pattern + "_lr0.1", logdir.replace(os.sep, "/")), logdir
        writer.add_scalar("x", 1.0, 0)
    finally:
        writer.close()
    assert read(tmp_path / "runs").run.tolist() == [Path(logdir).name]


def test_writer_reopens_after_close_and_shares_runs(tmp_path: Path) -> None:
    first = SummaryWriter(str(tmp_path / "r"))
    second = SummaryWriter(str(tmp_path / "r"))  # two writers on one directory share its run
    first.add_scalar("x", 1.0, 0)
    second.add_scalar("y", 2.0, 0)
    first.close()
    second.add_scalar("y", 3.0, 1)
    second.close()
    first.add_scalar("x", 4.0, 1)  # like torch, a closed writer reopens on the next add_*
    first.flush()
    frame = read(tmp_path)
    assert sorted(zip(frame.tag, frame.value, strict=True)) == [
        ("x", 1.0), ("x", 4.0), ("y", 2.0), ("y", 3.0)]
    first.close()
    first.close()  # idempotent


def test_writer_logs_into_an_init_run(tmp_path: Path) -> None:
    run = nbviz.init("exp", logdir=tmp_path)
    with SummaryWriter(str(tmp_path / "exp")) as writer:
        assert writer.run is run
        writer.add_scalar("x", 1.0, 0)
    assert not run.finished  # the writer does not finish a run it did not create
    run.log({"y": 2.0}, step=0)
    run.finish()
    assert sorted(read(tmp_path).tag) == ["x", "y"]


def test_images_match_torch_pixels(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    chw = rng.random((3, 9, 11))
    calls = [
        ("add_image", ("chw", chw), {}),
        ("add_image", ("hwc", chw.transpose(1, 2, 0)), {"dataformats": "HWC"}),
        ("add_image", ("hw", chw[0]), {"dataformats": "HW"}),
        ("add_image", ("uint8", (chw * 255).astype(np.uint8)), {}),
        ("add_image", ("gray", chw[:1]), {}),
        ("add_image", ("rgba", rng.random((4, 5, 6))), {}),
        ("add_images", ("batch", rng.random((10, 3, 4, 5))), {}),
        ("add_images", ("nhwc", rng.random((3, 4, 5, 1))), {"dataformats": "NHWC"}),
        ("add_image_with_boxes", ("boxes", chw, np.array([[1, 1, 6, 7], [2, 3, 9, 8]])),
         {"labels": ["a", "b"]}),
    ]
    with TorchWriter(str(tmp_path / "tb")) as theirs, SummaryWriter(str(tmp_path / "nb")) as ours:
        for method, args, kwargs in calls:
            getattr(theirs, method)(*args, **kwargs)
            getattr(ours, method)(*args, **kwargs)
    a, b = read(tmp_path / "tb", "images"), read(tmp_path / "nb", "images")
    assert a.tag.tolist() == b.tag.tolist() == [c[1][0] for c in calls]
    for tag, left, right in zip(a.tag, a.image, b.image, strict=True):
        np.testing.assert_array_equal(right, left, err_msg=tag)
    boxes = b[b.tag == "boxes"].iloc[0]
    assert boxes.boxes == [[1, 1, 6, 7], [2, 3, 9, 8]] and boxes.labels == ["a", "b"]


def test_figure_video_audio_mesh_embedding_graph(tmp_path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, ax = plt.subplots(figsize=(2, 1.5), dpi=50)
    ax.plot([0, 1], [1, 0])
    video = np.random.default_rng(2).random((3, 4, 3, 8, 6)).astype(np.float32)
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    with SummaryWriter(str(tmp_path / "r")) as writer:
        writer.add_figure("fig", figure, 1)
        writer.add_video("vid", video, 2, fps=8)
        writer.add_audio("snd", torch.linspace(-2, 2, 100).reshape(1, -1), 3, sample_rate=16000)
        writer.add_mesh("mesh", torch.rand(1, 5, 3), colors=torch.randint(0, 255, (1, 5, 3)),
                        faces=torch.tensor([[[0, 1, 2]]]), config_dict={"camera": {"fov": 60}})
        writer.add_embedding(torch.randn(6, 4), metadata=[[i, f"n{i}"] for i in range(6)],
                             metadata_header=["index", "name"], label_img=torch.rand(6, 1, 3, 3),
                             global_step=2, tag="feat")
        writer.add_graph(model, torch.zeros(2, 4))
        writer.add_graph(model)
        writer.add_tensor("t", torch.arange(6).reshape(2, 3))
    assert not plt.fignum_exists(figure.number)  # close=True closes the figure
    image = read(tmp_path, "images").iloc[0]
    assert image.image.shape == (75, 100, 3) and image.tag == "fig"
    vid = read(tmp_path, "videos").iloc[0]
    # torch tiles a batch of 3 (padded to 4) on 1 row x 4 columns: [T, H, 4 W, C]
    assert vid.video.shape == (4, 8, 4 * 6, 3) and vid.fps == 8.0 and vid.video.dtype == np.uint8
    from torch.utils.tensorboard._utils import _prepare_video

    expected = np.clip(_prepare_video(video.copy()) * 255, 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(vid.video, expected)
    snd = read(tmp_path, "audio").iloc[0]
    # ±1.0 stored as torch writes it (±32767), read as TensorFlow reads it (PCM / 32768)
    assert snd.sample_rate == 16000
    assert snd.audio.min() == -32767 / 32768 and snd.audio.max() == 32767 / 32768
    mesh = read(tmp_path, "meshes")
    assert mesh.component.tolist() == ["vertices", "faces", "colors"]
    assert mesh.config.iloc[0] == {"camera": {"fov": 60}} and mesh.components.iloc[0] == 14
    emb = read(tmp_path, "embeddings").iloc[0]
    assert emb.step == 2 and emb.embedding.shape == (6, 4)
    assert emb.metadata == {"index": [str(i) for i in range(6)],
                            "name": [f"n{i}" for i in range(6)]}
    sprite = records(tmp_path / "r", "sprite")[0]
    assert sprite.array.shape == (6, 3, 3, 3) and sprite.tag == "feat"
    graphs = read(tmp_path, "graphs")
    assert graphs.format.tolist() == ["torch.jit", "torch.nn.Module"]
    traced_ops = [node["op"] for node in graphs.graph.iloc[0]["nodes"]]
    assert "aten::linear" in traced_ops and "aten::relu" in traced_ops
    assert [n["op"] for n in graphs.graph.iloc[1]["nodes"]] == [
        "Sequential", "Linear", "ReLU", "Linear"]
    tensor = read(tmp_path, "tensors").iloc[0]
    np.testing.assert_array_equal(tensor.tensor, np.arange(6).reshape(2, 3))


def test_purge_step_deletes_later_steps(tmp_path: Path) -> None:
    with SummaryWriter(str(tmp_path / "r")) as writer:
        for step in range(10):
            writer.add_scalar("x", float(step), step)
        writer.add_text("t", "late", 8)
    with SummaryWriter(str(tmp_path / "r"), purge_step=5) as writer:
        writer.add_scalar("x", 50.0, 5)
    frame = read(tmp_path)
    assert frame.step.tolist() == [0, 1, 2, 3, 4, 5] and frame.value.iloc[-1] == 50.0
    assert read(tmp_path, "text").empty


def test_bad_input_names_the_argument(tmp_path: Path) -> None:
    with SummaryWriter(str(tmp_path / "r")) as writer:
        with pytest.raises(ValueError, match="'scalar_value' must hold one number"):
            writer.add_scalar("x", torch.ones(3))
        with pytest.raises(TypeError, match="'scalar_value' must be a number"):
            writer.add_scalar("x", "blobname")
        with pytest.raises(TypeError, match="'tag' must be a string"):
            writer.add_scalar(3, 1.0)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="'step' must be >= 0"):
            writer.add_scalar("x", 1.0, -1)
        with pytest.raises(ValueError, match="dataformats='CHW' describes 3"):
            writer.add_image("img", np.zeros((4, 4)))
        with pytest.raises(ValueError, match="'box_tensor' must have shape"):
            writer.add_image_with_boxes("img", np.zeros((3, 4, 4)), np.zeros(4))
        with pytest.raises(ValueError, match="'vid_tensor' must have shape"):
            writer.add_video("v", np.zeros((2, 3, 4)))
        with pytest.raises(ValueError, match="'snd_tensor' must be one channel"):
            writer.add_audio("a", np.zeros((2, 10)))
        with pytest.raises(TypeError, match="'text_string' must be a string"):
            writer.add_text("t", 42)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="'hparam_dict' and 'metric_dict' must be dicts"):
            writer.add_hparams([("lr", 1)], {})  # type: ignore[arg-type]
        with pytest.raises(ValueError, match=r"hparam_dict\['f'\] must be"):
            writer.add_hparams({"f": [1, 2]}, {"m": 1.0})
        with pytest.raises(ValueError, match="'metadata' has 2 entries"):
            writer.add_embedding(np.zeros((3, 2)), metadata=["a", "b"])
        with pytest.raises(ValueError, match="'mat' must be 2-D"):
            writer.add_embedding(np.zeros(3))
        with pytest.raises(ValueError, match="needs 3 tags"):
            writer.add_custom_scalars({"c": {"m": ["Margin", ["a", "b"]]}})
        with pytest.raises(ValueError, match="exactly 3"):
            writer.add_custom_scalars_marginchart(["a"])
        with pytest.raises(ValueError, match="'vertices' must have shape"):
            writer.add_mesh("m", np.zeros((5, 3)))
        with pytest.raises(TypeError, match=r"'model' must be a torch\.nn\.Module"):
            writer.add_graph("not a model")
        with pytest.raises(TypeError, match="'figure' must be a matplotlib Figure"):
            writer.add_figure("f", np.zeros((3, 3)))
        with pytest.raises(ValueError, match="'labels' must lie in"):
            writer.add_pr_curve("pr", np.array([0, 2]), np.array([0.1, 0.2]))
    with pytest.raises(ValueError, match="'flush_secs' must be a positive number"):
        SummaryWriter(str(tmp_path / "q"), flush_secs=0)
    with pytest.raises(TypeError, match="'log_dir' must be a path"):
        SummaryWriter(123)  # type: ignore[arg-type]
    assert read(tmp_path).empty  # nothing half-written by the failed calls


def test_add_scalar_is_much_faster_than_torch(tmp_path: Path) -> None:
    import time

    count = 5000
    with TorchWriter(str(tmp_path / "tb")) as writer:
        started = time.perf_counter()
        for step in range(count):
            writer.add_scalar("loss", 0.5, step)
        torch_time = time.perf_counter() - started
    with SummaryWriter(str(tmp_path / "nb")) as writer:
        started = time.perf_counter()
        for step in range(count):
            writer.add_scalar("loss", 0.5, step)
        our_time = time.perf_counter() - started
    assert len(read(tmp_path / "nb")) == count
    assert our_time * 5 < torch_time, (our_time, torch_time)
