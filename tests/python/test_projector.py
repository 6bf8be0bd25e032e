"""Run.log_embedding (store contract, bad input) and the Projector panel's kernel side
(snapshot layout, page requests, binary wire, SummaryWriter.add_embedding records)."""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import nbviz
from nbviz import reduce as R
from nbviz.panels.projector.data import encode_columns, pack_parts
from nbviz.store.sqlite import StoreReader


def _records(run_dir: Path, kinds: set[str]) -> list[Any]:
    reader = StoreReader(run_dir)
    try:
        return reader.tensors_between(0, None, frozenset(kinds))
    finally:
        reader.close()


def _parts(info: dict[str, Any], buffer: bytes) -> dict[str, Any]:
    """Decode a snapshot / message buffer as the page does (docs/wire.md)."""
    out: dict[str, Any] = {}
    for part in info["parts"]:
        raw = buffer[part["offset"]: part["offset"] + part["length"]]
        assert part["offset"] % 8 == 0
        array = np.frombuffer(raw, dtype=np.dtype(part["dtype"]).newbyteorder("<"))
        key = part["role"] if part["role"] != "column" else f"column:{part['name']}"
        out[key] = (part, array)
    return out


class _Sent:
    def __init__(self, panel: Any) -> None:
        self.messages: list[tuple[dict[str, Any], list[bytes]]] = []
        panel.send = lambda content, buffers=None: self.messages.append((content, buffers or []))

    def of(self, kind: str) -> list[tuple[dict[str, Any], list[bytes]]]:
        return [m for m in self.messages if m[0].get("type") == kind]


def _pump(panel: Any, sent: _Sent, kind: str, timeout: float = 120.0) -> tuple[dict[str, Any],
                                                                                list[bytes]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        panel._send_budget.reset()
        panel._tick()
        found = sent.of(kind)
        if found:
            return found[-1]
        time.sleep(0.05)
    raise AssertionError(f"no {kind!r} message within {timeout} s: {sent.messages[-3:]}")


# -- recording -------------------------------------------------------------------------------


def test_log_embedding_writes_the_store_contract(logdir: Path) -> None:
    run = nbviz.init("emb", logdir=logdir)
    rng = np.random.default_rng(0)
    feats = rng.normal(size=(50, 6))
    images = rng.random((50, 1, 8, 8))
    run.log_embedding("penultimate", feats, metadata={"label": np.arange(50) % 3,
                                                      "split": ["train"] * 40 + ["val"] * 10},
                      images=images, step=4)
    run.finish()
    emb, = _records(run.dir, {"embedding"})
    sprite, = _records(run.dir, {"sprite"})
    assert emb.array.dtype == np.float32 and emb.array.shape == (50, 6) and emb.step == 4
    np.testing.assert_array_equal(emb.array, feats.astype(np.float32))
    assert emb.extra["metadata"]["label"] == (np.arange(50) % 3).tolist()
    assert emb.extra["metadata_header"] == ["label", "split"]
    assert sprite.tag == "penultimate" and sprite.step == 4
    assert sprite.array.dtype == np.uint8 and sprite.array.shape == (50, 8, 8, 3)
    np.testing.assert_array_equal(sprite.array[..., 0], np.rint(images[:, 0] * 255))


def test_log_embedding_drops_nonfinite_rows_with_their_metadata(logdir: Path) -> None:
    run = nbviz.init("nan", logdir=logdir)
    feats = np.ones((6, 3), np.float32) * np.arange(6)[:, None]
    feats[1, 0], feats[4, 2] = np.nan, np.inf
    with pytest.warns(RuntimeWarning, match=r"dropped 2 of 6 rows of 'features'"):
        run.log_embedding("e", feats, metadata=list("abcdef"), images=np.zeros((6, 4, 4)))
    run.finish()
    emb, = _records(run.dir, {"embedding"})
    sprite, = _records(run.dir, {"sprite"})
    assert emb.array.shape == (4, 3) and emb.extra["metadata"]["label"] == list("acdf")
    assert emb.extra["dropped_nonfinite"] == 2 and sprite.array.shape[0] == 4


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"features": np.arange(10.0)}, ValueError, r"'features' must be 2-D .*shape \(10,\)"),
        ({"metadata": {"label": [1, 2]}}, ValueError, r"column 'label' has 2 values but "
                                                      r"'features' has 5 rows"),
        ({"metadata": [1, 2, 3]}, ValueError, "has 3 values but 'features' has 5 rows"),
        ({"metadata": "abcde"}, TypeError, "'metadata' must be a dict"),
        ({"images": np.zeros((5, 2, 8, 8))}, ValueError, r"'images' must have shape"),
        ({"images": np.zeros((4, 8, 8))}, ValueError, "4 images but 'features' has 5 rows"),
        ({"images": np.zeros((5, 8))}, ValueError, "'images' must have shape"),
        ({"features": np.full((5, 2), np.nan)}, ValueError, "every row of 'features'"),
        ({"features": [["a", "b"]] * 5}, TypeError, "'features' must be numeric"),
        ({"step": -1}, ValueError, "'step' must be >= 0"),
    ],
)
def test_log_embedding_bad_input(logdir: Path, kwargs: dict[str, Any], error: type,
                                 match: str) -> None:
    run = nbviz.init("bad", logdir=logdir)
    args: dict[str, Any] = {"features": np.ones((5, 3)), **kwargs}
    with pytest.raises(error, match=match):
        run.log_embedding("e", args.pop("features"), **args)
    run.flush()
    assert _records(run.dir, {"embedding", "sprite"}) == []  # nothing written


def test_too_few_points_for_a_method_is_reported_to_the_page(built_js: None) -> None:
    panel = nbviz.Projector(np.random.default_rng(0).normal(size=(20, 4)))
    sent = _Sent(panel)
    panel._on_page_message(None, {"type": "reduce", "dataset": 1, "method": "tsne", "dims": 2,
                                  "params": {}, "request": 3}, [])
    content, _ = _pump(panel, sent, "error")
    assert content["request"] == 3 and "needs at least 92 points, got 20" in content["message"]
    panel.close()


# -- encoding ----------------------------------------------------------------------------------


def test_encode_columns_kinds() -> None:
    n = 600
    extra = {"metadata": {
        "label": list(np.arange(n) % 10), "score": list(np.linspace(0, 1, n)),
        "name": [f"item {i}" for i in range(n)], "split": ["train", "val", ""] * 200,
        "tsv": [str(i % 4) for i in range(n)]}}
    columns = {c.name: c for c in encode_columns(extra, n)}
    assert columns["label"].kind == "category" and columns["label"].categories == [
        str(i) for i in range(10)]
    assert columns["score"].kind == "number" and columns["score"].data.dtype == np.float32
    assert columns["name"].kind == "text"
    assert columns["name"].data.tobytes().decode().split("\n")[7] == "item 7"
    split = columns["split"]
    assert split.kind == "category" and split.categories == ["train", "val"]
    assert split.data[:3].tolist() == [0, 1, -1]  # "" is missing, not a category
    assert columns["tsv"].kind == "category" and columns["tsv"].categories == ["0", "1", "2", "3"]
    # the list layout of SummaryWriter.add_embedding / TensorBoard metadata.tsv
    only, = encode_columns({"metadata": ["a", "b", "a"]}, 3)
    assert only.name == "label" and only.data.tolist() == [0, 1, 0]


def test_pack_parts_aligned() -> None:
    heads, buf = pack_parts([({"role": "a"}, np.arange(3, dtype=np.uint8)),
                             ({"role": "b"}, np.arange(2, dtype=np.float32))])
    assert [h["offset"] for h in heads] == [0, 8] and len(buf) == 16
    assert np.frombuffer(buf[8:16], np.float32).tolist() == [0.0, 1.0]


# -- the panel -------------------------------------------------------------------------------


def test_panel_snapshot_holds_pca_metadata_images_vectors(logdir: Path, built_js: None) -> None:
    run = nbviz.init("digits", logdir=logdir)
    rng = np.random.default_rng(1)
    base = rng.normal(size=(300, 12)).astype(np.float32) * np.linspace(3, 0.1, 12)
    labels = np.arange(300) % 4
    for step in range(3):
        run.log_embedding("emb", base + rng.normal(0, 0.05, base.shape).astype(np.float32),
                          metadata={"label": labels}, images=rng.random((300, 6, 6, 3)),
                          step=step)
    run.flush()
    panel = nbviz.Projector(run)
    assert panel.wait_idle(30)
    panel.sync()
    info = panel.snapshot_info
    assert info["n"] == 300 and [d["step"] for d in panel.datasets] == [0, 1, 2]
    assert info["dataset"] == panel.datasets[-1]["id"]  # follows the latest step
    parts = _parts(info, panel.snapshot)
    head, positions = parts["positions"]
    assert head["method"] == "pca" and head["dims"] == 3
    latest = _records(run.dir, {"embedding"})[-1].array
    expected = R.pca(latest, 3).positions
    got = positions.reshape(300, 3)
    for axis in range(3):  # equal up to the sign kept from the previous step
        assert abs(np.corrcoef(got[:, axis], expected[:, axis])[0, 1]) > 0.9999
    _, codes = parts["column:label"]
    assert codes.dtype == np.int32 and codes.tolist() == labels.tolist()
    image_head, pixels = parts["images"]
    assert (image_head["width"], image_head["height"]) == (6, 6) and pixels.size == 300 * 108
    _, vectors = parts["vectors"]
    np.testing.assert_array_equal(vectors.reshape(300, 12), latest)
    # axis signs stay put from step to step (no flipping during the animation)
    first = panel._pca[panel.datasets[0]["id"]].positions
    last = panel._pca[panel.datasets[-1]["id"]].positions
    assert all(np.dot(first[:, a], last[:, a]) > 0 for a in range(3))
    assert "3 embedding(s)" in panel.summary()
    assert panel._render_png()[:8] == b"\x89PNG\r\n\x1a\n"
    panel.close()


def test_page_requests_data_positions_neighbours(logdir: Path, built_js: None) -> None:
    run = nbviz.init("req", logdir=logdir)
    x = np.random.default_rng(2).normal(size=(400, 8)).astype(np.float32)
    run.log_embedding("e", x, metadata={"label": np.arange(400) % 5}, step=0)
    run.log_embedding("e", x * 2, metadata={"label": np.arange(400) % 5}, step=1)
    panel = nbviz.Projector(run, max_vector_bytes=0)  # vectors stay in the kernel
    assert panel.wait_idle(30)
    sent = _Sent(panel)
    first = panel.datasets[0]["id"]
    panel._on_page_message(None, {"type": "need", "datasets": [first], "data": True,
                                  "projection": {"method": "pca", "dims": 2, "params": {}},
                                  "request": 1}, [])
    data, (data_buffer,) = _pump(panel, sent, "data")
    assert len(data_buffer) >= 400 * 4  # the label codes, binary
    assert data["dataset"] == first and data["n"] == 400
    assert "vectors" not in {p["role"] for p in data["parts"]}
    positions, buffers = _pump(panel, sent, "positions")
    assert positions["dataset"] == first and len(buffers) == 1
    assert len(buffers[0]) == 400 * 3 * 4
    # nothing per point in the JSON part of a message
    assert len(json.dumps(positions)) < 600 and len(json.dumps(data)) < 600
    panel._on_page_message(None, {"type": "neighbors", "dataset": first, "index": 7, "k": 5,
                                  "metric": "euclidean", "request": 9}, [])
    reply, (indices, distances) = _pump(panel, sent, "neighbors")
    expected, expected_d = R.nearest_neighbors(x, 7, k=5, metric="euclidean")
    assert reply["request"] == 9 and reply["k"] == 5
    assert np.frombuffer(indices, "<i4").tolist() == expected.tolist()
    np.testing.assert_allclose(np.frombuffer(distances, "<f4"), expected_d, rtol=1e-6)
    # malformed requests answer with an error, never raise in the kernel
    panel._on_page_message(None, {"type": "neighbors", "dataset": first, "index": 999, "k": 5,
                                  "request": 10}, [])
    error, _ = _pump(panel, sent, "error")
    assert error["request"] == 10 and "'index' must be in 0..399" in error["message"]
    panel.close()


@pytest.mark.skipif(not __import__("importlib").util.find_spec("umap"), reason="no umap-learn")
def test_umap_request_progress_and_alignment(logdir: Path, built_js: None) -> None:
    run = nbviz.init("umap", logdir=logdir)
    rng = np.random.default_rng(3)
    centers = rng.normal(size=(4, 10)) * 6
    labels = np.arange(500) % 4
    x = (centers[labels] + rng.normal(size=(500, 10))).astype(np.float32)
    run.log_embedding("e", x, metadata={"label": labels}, step=0)
    run.log_embedding("e", x + rng.normal(0, 0.1, x.shape).astype(np.float32),
                      metadata={"label": labels}, step=1)
    panel = nbviz.Projector(run)
    assert panel.wait_idle(30)
    sent = _Sent(panel)
    ids = [d["id"] for d in panel.datasets]
    results = []
    for dataset in ids:
        sent.messages.clear()
        panel._on_page_message(None, {"type": "reduce", "dataset": dataset, "method": "umap",
                                      "dims": 2, "params": {"n_neighbors": 10},
                                      "request": dataset}, [])
        content, buffers = _pump(panel, sent, "positions", timeout=240)
        assert content["parts"][0]["params"]["n_neighbors"] == 10
        results.append(np.frombuffer(buffers[0], "<f4").reshape(500, 2))
        assert any(m[0]["stage"] == "optimizing" for m in sent.of("progress"))
    # step 1 started from step 0's layout and was aligned to it: points barely move
    moved = np.linalg.norm(results[1] - results[0], axis=1)
    spread = np.linalg.norm(results[0] - results[0].mean(0), axis=1).mean()
    assert np.median(moved) < 0.5 * spread
    panel.close()


def test_panel_reads_summary_writer_embeddings(logdir: Path, built_js: None) -> None:
    torch = pytest.importorskip("torch")
    writer = nbviz.SummaryWriter(str(logdir / "tb"))
    mat = torch.randn(60, 5)
    writer.add_embedding(mat, metadata=[f"c{i % 3}" for i in range(60)],
                         label_img=torch.rand(60, 3, 10, 10), global_step=2, tag="feats")
    writer.add_embedding(mat * 2, metadata=[[i % 2, f"n{i}"] for i in range(60)],
                         metadata_header=["parity", "name"], global_step=3, tag="pairs")
    writer.close()
    panel = nbviz.Projector(str(logdir))
    deadline = time.monotonic() + 20
    while len(panel.datasets) < 2 and time.monotonic() < deadline:
        panel._tick()
        time.sleep(0.1)
    assert {(d["tag"], d["step"]) for d in panel.datasets} == {("feats", 2), ("pairs", 3)}
    feats = next(d for d in panel.datasets if d["tag"] == "feats")
    pairs = next(d for d in panel.datasets if d["tag"] == "pairs")
    assert feats["images"] and feats["columns"] == [{"name": "label", "kind": "category"}]
    assert [c["name"] for c in pairs["columns"]] == ["parity", "name"]
    panel.close()


def test_projector_of_a_matrix_and_bad_arguments(built_js: None) -> None:
    x = np.random.default_rng(4).normal(size=(100, 3))
    x[5] = np.nan
    with pytest.warns(RuntimeWarning, match="dropped 1 of 100 rows"):
        panel = nbviz.Projector(x, metadata={"label": np.arange(100) % 2},
                                images=np.zeros((100, 4, 4)))
    assert panel.datasets[0]["n"] == 99 and panel.datasets[0]["images"]
    panel.close()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for kwargs, error, match in [
            ({"method": "lda"}, ValueError, "'method' must be one of"),
            ({"dims": 4}, ValueError, "'dims' must be 2 or 3"),
            ({"metric": "l1"}, ValueError, "'metric'"),
            ({"neighbors": 0}, ValueError, "'neighbors'"),
            ({"params": {"tsne": {"perplexity": 10, "bogus": 1}}}, ValueError,
             "unknown tsne parameter"),
            ({"params": {"lda": {}}}, ValueError, "'params' keys must be methods"),
            ({"metadata": [1, 2]}, ValueError, "has 2 values but 'features' has 100 rows"),
        ]:
            with pytest.raises(error, match=match):
                nbviz.Projector(x[:, :], **kwargs)
    with pytest.raises(ValueError, match=r"'features' must be 2-D"):
        nbviz.Projector(np.arange(5.0)[None, :][0][None, None, :])
    with pytest.raises(TypeError, match="'metadata' and 'images' go with a matrix"):
        nbviz.Projector("runs", metadata=[1])
