"""nbviz.export_html and the panels' offline snapshots (issue 17): argument checks, every
registered panel kind snapshots with its data, user strings stay inert, the scalar
budget holds, and the page is one file that names nothing remote. The page itself is
exercised in Chromium by tests/browser/test_export.py."""

from __future__ import annotations

import base64
import gzip
import html.parser
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from export_data import XSS_RUN, write_every_kind, write_logdir

import nbviz
from nbviz.export.collect import collect
from nbviz.export.html import fragment, state_json
from nbviz.panels import PANELS
from nbviz.widgets._base import LivePanel
from nbviz.widgets.dashboard import Dashboard


class _Page(html.parser.HTMLParser):
    """The tags, attributes and script bodies of an exported page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._open: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._open = dict(attrs)
            self.scripts.append((self._open, ""))

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._open = None


def _parse(text: str) -> _Page:
    page = _Page()
    page.feed(text)
    return page


def _state(page: _Page) -> dict[str, Any]:
    (doc,) = [json.loads(body) for attrs, body in page.scripts
              if attrs.get("type") == "application/json"]
    return dict(doc)


def _blobs(page: _Page) -> dict[int, bytes]:
    """The page's data scripts (``data-nbviz-data="<mount>/<index>"``), decoded, by index."""
    return {int(str(attrs["data-nbviz-data"]).rsplit("/", 1)[1]):
            gzip.decompress(base64.b64decode(body))
            for attrs, body in page.scripts if attrs.get("data-nbviz-data")}


def _buffers(page: _Page, entry: dict[str, Any]) -> list[bytes]:
    """One widget's buffers, as its entry in the page's state splits its data script."""
    blob = _blobs(page)[entry["data"]] if entry["data"] >= 0 else b""
    out, at = [], 0
    for size in entry["sizes"]:
        out.append(blob[at:at + size])
        at += size
    assert at == len(blob)
    return out


@pytest.fixture(scope="module")
def small_logdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_logdir(tmp_path_factory.mktemp("export") / "runs", steps=60)


# -- arguments -----------------------------------------------------------------------------


def test_export_html_checks_its_arguments(small_logdir: Path, tmp_path: Path,
                                          built_js: None) -> None:
    out = tmp_path / "r.html"
    with pytest.raises(FileNotFoundError, match=r"'source' .*nope.* is not a folder"):
        nbviz.export_html(tmp_path / "nope", out)
    with pytest.raises(TypeError, match=r"'source' must be a logdir path.*got int"):
        nbviz.export_html(3, out)
    with pytest.raises(TypeError, match=r"'source' as a list .*it is empty"):
        nbviz.export_html([], out)
    with pytest.raises(TypeError, match=r"'source' as a list .*#1: str"):
        nbviz.export_html([nbviz.Scalars(small_logdir), "x"], out)
    with pytest.raises(TypeError, match=r"'path' must be a file path.*got NoneType"):
        nbviz.export_html(small_logdir, None)  # type: ignore[arg-type]
    with pytest.raises(IsADirectoryError, match="is a directory"):
        nbviz.export_html(small_logdir, tmp_path)
    with pytest.raises(FileNotFoundError, match=r"folder of 'path'.*does not exist"):
        nbviz.export_html(small_logdir, tmp_path / "missing" / "r.html")
    for bad in (True, 8, 2_000_000, 100.0, "100"):
        with pytest.raises(ValueError, match="'max_points' must be an int between 16"):
            nbviz.export_html(small_logdir, out, max_points=bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="'title' must be a string"):
        nbviz.export_html(small_logdir, out, title=3)  # type: ignore[arg-type]
    assert not out.exists()


# -- every registered panel kind -----------------------------------------------------------


def test_every_registered_panel_kind_provides_a_snapshot(tmp_path: Path,
                                                         built_js: None) -> None:
    """A Dashboard over a run holding every kind shows every registry row as a tab, and
    each tab's snapshot holds its panel's bundle and data. A new panel kind must be a
    LivePanel (the snapshot hook) and get data in export_data.write_every_kind."""
    for spec in PANELS:
        cls = spec.resolve()
        assert isinstance(cls, type) and issubclass(cls, LivePanel), spec.name
        assert callable(cls._snapshot_state) and callable(cls._snapshot_messages)
    logdir = write_every_kind(tmp_path / "runs")
    dashboard = Dashboard(logdir)
    try:
        snapshots = collect(dashboard, 200)
        tabs = [tab["name"] for tab in snapshots[0].state["tabs"]]
    finally:
        dashboard.close()
    assert snapshots[0].bundle == "dashboard"
    assert sorted(tabs) == sorted(spec.name for spec in PANELS), snapshots[0].state["unavailable"]
    assert [s.bundle for s in snapshots[1:]] == [
        next(spec.bundle for spec in PANELS if spec.name == tab) for tab in tabs]
    for tab, snap in zip(tabs, snapshots[1:], strict=True):
        assert snap.ref == next(t["ref"] for t in snapshots[0].state["tabs"] if t["name"] == tab)
        data = [v for v in snap.state.values() if isinstance(v, bytes) and v]
        lists = [v for v in snap.state.values() if isinstance(v, list) and v]
        assert data or lists, f"the {tab} snapshot holds no data: {sorted(snap.state)}"
        assert "_esm" not in snap.state and "layout" not in snap.state
    media = {s.bundle: s.messages for s in snapshots[1:]}
    assert media["images"] and media["audio"], "image and audio bytes travel as messages"
    assert all(m[0]["type"] == "blobs" and m[1] for m in media["images"] + media["audio"])


def test_dashboard_tab_without_snapshot_is_listed_unavailable(small_logdir: Path,
                                                              built_js: None) -> None:
    from nbviz.panels import PanelSpec

    class Plain:  # a panel from outside nbviz: an object with no snapshot hook
        model_id = "plain"

        def close(self) -> None:
            """Nothing to release."""

    specs = [spec for spec in PANELS if spec.name == "scalars"]
    specs.append(PanelSpec("plain", "Plain", frozenset({"scalar"}), lambda _: Plain(), 5))
    dashboard = Dashboard(small_logdir, panels=specs)
    try:
        snapshots = collect(dashboard, 100)
    finally:
        dashboard.close()
    state = snapshots[0].state
    assert [t["name"] for t in state["tabs"]] == ["scalars"]
    assert {"name": "plain", "label": "Plain",
            "reason": "this panel cannot be shown in an offline page"} in state["unavailable"]


# -- budget --------------------------------------------------------------------------------


def test_scalar_snapshot_respects_max_points_with_minmax_decimation(logdir: Path,
                                                                    built_js: None) -> None:
    run = nbviz.init("long", logdir=logdir)
    values = np.sin(np.arange(20_000) / 300.0)
    values[7_777] = 50.0  # a spike decimation must keep
    for step, value in enumerate(values):
        run.log({"wave": float(value), "short": 1.0} if step < 10 else {"wave": float(value)},
                step=step)
    run.finish()
    panel = nbviz.Scalars(logdir)
    try:
        state = panel._snapshot_state(128)
    finally:
        panel.close()
    counts = {s["tag"]: s["count"] for s in state["series"]}
    assert counts["short"] == 10 and 100 <= counts["wave"] <= 128
    assert {s["tag"]: s["decimated"] for s in state["series"]} == {"wave": True, "short": False}
    assert len(state["snapshot"]) == 24 * sum(counts.values()) and state["max_points"] == 128
    order = [s["tag"] for s in state["series"]]
    at = 24 * sum(counts[t] for t in order[:order.index("wave")])
    wave = np.frombuffer(state["snapshot"][at:at + 24 * counts["wave"]],
                         dtype="<f8").reshape(3, -1)
    assert wave[0, 0] == 0 and wave[0, -1] == 19_999 and 7_777 in wave[0]
    assert wave[2].max() == 50.0 and np.all(np.diff(wave[0]) > 0)


def test_export_file_size_follows_max_points(logdir: Path, tmp_path: Path,
                                             built_js: None) -> None:
    run = nbviz.init("r", logdir=logdir)
    rng = np.random.default_rng(1)
    for step in range(5_000):
        run.log({f"t{i}": float(rng.normal()) for i in range(4)}, step=step)
    run.finish()
    small = nbviz.export_html(logdir, tmp_path / "small.html", max_points=100)
    large = nbviz.export_html(logdir, tmp_path / "large.html", max_points=4_000)
    sizes = sum(len(blob) for blob in _blobs(_parse(small.read_text(encoding="utf-8"))).values())
    assert sizes <= 4 * 100 * 24 + 10_000  # 4 series of ≤ 100 points, plus other panels' state
    assert large.stat().st_size > small.stat().st_size + 4 * 3_000 * 8


# -- inert user strings, one file ----------------------------------------------------------


def test_state_json_cannot_end_its_script() -> None:
    nasty = "</script><!--<script>alert(1)</script>&amp;\u2028"
    text = state_json({"name": nasty})
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == {"name": nasty}


def test_export_is_one_inert_file_naming_nothing_remote(small_logdir: Path, tmp_path: Path,
                                                        built_js: None) -> None:
    path = nbviz.export_html(small_logdir, tmp_path / "report.html",
                             title="</title><script>alert(1)</script>")
    text = path.read_text(encoding="utf-8")
    assert XSS_RUN not in text and "<script>alert(1)" not in text
    assert "&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in text
    page = _parse(text)
    assert not re.search(r"https?://", text)
    for tag, attrs in page.tags:
        assert tag not in ("link", "iframe", "object", "embed", "img"), tag
        assert "src" not in attrs and "href" not in attrs, (tag, attrs)
    kinds = [attrs.get("type") for attrs, _ in page.scripts]
    assert kinds.count("application/json") == 1 and kinds.count("module") == 1
    keys = [str(attrs["data-nbviz-bundle"]) for attrs, _ in page.scripts
            if attrs.get("data-nbviz-bundle")]
    bundles = set(keys)
    assert len(bundles) == len(keys)  # each bundle once
    assert kinds.count("application/octet-stream") == len(keys) + len(_blobs(page))
    doc = _state(page)
    widgets = doc["widgets"]
    assert set(doc["roots"]) <= set(widgets) and {w["bundle"] for w in widgets.values()} == bundles
    names = json.dumps([w["state"].get("runs") for w in widgets.values()])
    assert "onerror=alert(1)" in names  # the run name is there, as JSON data
    sizes = [size for entry in widgets.values() for size in entry["sizes"]]
    assert [len(b) for e in widgets.values() for b in _buffers(page, e)] == sizes
    assert max(sizes) > 0


def test_panel_display_carries_the_snapshot_next_to_png_and_widget(small_logdir: Path,
                                                                   built_js: None) -> None:
    panel = nbviz.PRCurves(small_logdir)
    model_id = panel.model_id
    try:
        data, _ = panel._repr_mimebundle_()
    finally:
        panel.close()
    assert {"application/vnd.jupyter.widget-view+json", "image/png", "text/html",
            "text/plain"} <= set(data)
    page = _parse(data["text/html"])
    fallback = [attrs for tag, attrs in page.tags if tag == "img"]
    assert fallback and fallback[0]["src"] == f"data:image/png;base64,{data['image/png']}"
    doc = _state(page)
    (widget,) = doc["widgets"].values()
    assert doc["roots"] == [f"anywidget:{model_id}"] and widget["bundle"].startswith("pr-")
    assert widget["state"]["curves"]


def test_fragment_of_a_list_of_panels_dedupes_bundles(small_logdir: Path,
                                                      built_js: None) -> None:
    panels = [nbviz.Scalars(small_logdir), nbviz.Scalars(small_logdir, title="again"),
              nbviz.Histograms(small_logdir)]
    try:
        snapshots = [s for p in panels for s in collect(p, 64)]
        text = fragment([s.ref for s in snapshots], snapshots)
    finally:
        for p in panels:
            p.close()
    page = _parse(text)
    keys = [str(attrs["data-nbviz-bundle"]) for attrs, _ in page.scripts
            if attrs.get("data-nbviz-bundle")]
    assert len(keys) == 2 and {k.split("-")[0] for k in keys} == {"scalars", "histograms"}
    assert len(_state(page)["roots"]) == 3


# -- first paint: lazy series, bytes per widget ----------------------------------------------


def test_scalars_points_travel_in_chunks_the_page_answers_requests_from(
        small_logdir: Path, built_js: None) -> None:
    """The Scalars state announces every series (count 0, its summary kept) and its points
    sit in one chunk per tag, byte for byte what the panel's snapshot holds."""
    panel = nbviz.Scalars(small_logdir)
    try:
        (snapshot,) = collect(panel, 64)
        page = _parse(fragment([snapshot.ref], [snapshot]))
    finally:
        panel.close()
    entry = _state(page)["widgets"][snapshot.ref]
    announced, lazy, blobs = entry["state"]["series"], entry["lazy"], _blobs(page)
    assert announced and all(s["count"] == 0 and s["total"] > 0 for s in announced)
    assert entry["state"]["snapshot"] == {"$nbviz_buffer": 0}
    assert lazy["seq"] == entry["state"]["snapshot_seq"]
    tags = sorted({s["tag"] for s in snapshot.state["series"]})
    assert len(lazy["chunks"]) == len(tags) == 2
    data, at = snapshot.state["snapshot"], 0
    for info in snapshot.state["series"]:
        size = 24 * info["count"]
        item = lazy["items"][str(info["id"])]
        assert item["info"]["count"] == info["count"] > 0
        chunk = blobs[lazy["chunks"][item["chunk"]]]
        assert chunk[item["offset"]:item["offset"] + size] == data[at:at + size]
        at += size
    assert at == len(data)


def test_split_series_checks_the_snapshot_it_splits() -> None:
    from nbviz.export.lazy import split_series

    state = {"series": [{"id": 0, "tag": "a", "count": 2}], "snapshot": b"", "snapshot_seq": 1}
    assert split_series("histograms", state) == (state, None)
    with pytest.raises(ValueError, match="need 48 bytes, the snapshot holds 0"):
        split_series("scalars", state)
    with pytest.raises(TypeError, match="'snapshot_seq' \\(int\\)"):
        split_series("scalars", {**state, "snapshot_seq": "1"})


def test_projector_snapshot_carries_every_step_for_the_offline_slider(
        small_logdir: Path, built_js: None) -> None:
    from export_data import embedding_steps

    panel = nbviz.Projector(small_logdir)
    try:
        (snapshot,) = collect(panel, 64)
    finally:
        panel.close()
    datasets = snapshot.state["datasets"]
    shown = snapshot.state["snapshot_info"]["dataset"]
    by_group: dict[int, list[int]] = {}
    for info in datasets:
        by_group.setdefault(info["group"], []).append(info["step"])
    steps = list(embedding_steps(60))  # small_logdir: 60 steps
    assert len(by_group) == 2 and all(sorted(v) == steps for v in by_group.values())
    carried = {content["dataset"]: (content, buffers) for content, buffers in snapshot.messages}
    assert set(carried) == {d["id"] for d in datasets} - {shown}
    for content, buffers in carried.values():
        roles = [part["role"] for part in content["parts"]]
        assert content["type"] == "data" and "positions" in roles and "vectors" in roles
        (positions,) = [p for p in content["parts"] if p["role"] == "positions"]
        assert positions["method"] == "pca" and positions["length"] == 300 * 3 * 4
        assert len(buffers) == 1 and len(buffers[0]) >= positions["offset"] + positions["length"]


def test_projector_snapshot_spreads_the_steps_that_fit_its_budget(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, built_js: None) -> None:
    from nbviz.panels.projector import widget as projector_widget

    run = nbviz.init("emb", logdir=tmp_path / "runs")
    rng = np.random.default_rng(2)
    for step in range(9):
        run.log_embedding("e", rng.normal(size=(100, 8)), step=step * 10)
    run.finish()
    one_step = 100 * 3 * 4 + 100 * 8 * 4  # positions (float32 × 3) + vectors (float32 × 8)
    monkeypatch.setattr(projector_widget, "SNAPSHOT_STEPS_BYTES", 3 * one_step + 10)
    panel = nbviz.Projector(tmp_path / "runs")
    try:
        (snapshot,) = collect(panel, 64)
    finally:
        panel.close()
    steps = sorted(info["step"] for info in snapshot.state["datasets"])
    assert steps == [0, 30, 70, 80]  # the shown (latest), then the last, first and middle others
    assert sorted(c["dataset"] for c, _ in snapshot.messages) == sorted(
        info["id"] for info in snapshot.state["datasets"]
        if info["id"] != snapshot.state["snapshot_info"]["dataset"])
