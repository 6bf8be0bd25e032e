"""The Dashboard (kernel side) over mixed nbviz + TensorBoard logdirs, and %nbviz."""

from __future__ import annotations

import gc
import os
import struct
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import nbviz
from nbviz.magic import nbviz_magic
from nbviz.widgets import dashboard as dashboard_module
from nbviz.widgets.dashboard import PANELS, Dashboard, PanelSpec, register_panel


@pytest.fixture(autouse=True)
def _collect_in_main_thread() -> Iterator[None]:
    """Collect closed widgets here: a closed Scalars panel collected inside the ticker
    thread re-enters the ticker's (non-reentrant) lock from ipywidgets' ``__del__``."""
    yield
    gc.collect()


@pytest.fixture()
def dashboard_js(built_js: None) -> None:
    static = Path(nbviz.__file__).parent / "static" / "dashboard.js"
    if not static.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{static} is missing: the JS build did not run")
        pytest.skip("dashboard JS not built (run `make js`)")


def _torch_logdir(logdir: Path) -> None:
    pytest.importorskip("torch")
    from torch.utils.tensorboard import SummaryWriter as TorchWriter

    with TorchWriter(str(logdir / "tb_run")) as writer:
        for step in range(20):
            writer.add_scalar("loss", 1 / (step + 1), step)
        writer.add_pr_curve("pr", np.array([0, 1, 1, 0]), np.array([0.1, 0.9, 0.6, 0.3]), 0)


def _nbviz_run(logdir: Path) -> None:
    with nbviz.SummaryWriter(str(logdir / "nb_run")) as writer:
        for step in range(20):
            writer.add_scalar("loss", 2 / (step + 1), step)
        writer.add_histogram("w", np.random.default_rng(0).standard_normal(500), 3)


def test_dashboard_over_mixed_logdir(logdir: Path, dashboard_js: None) -> None:
    _torch_logdir(logdir)
    _nbviz_run(logdir)
    board = Dashboard(logdir)
    try:
        names = [tab["name"] for tab in board.tabs]
        assert names == ["scalars", "histograms", "distributions", "pr_curves"]
        # only the shown tab's panel is built; another is built when the page selects it
        assert [bool(tab["ref"]) for tab in board.tabs] == [True, False, False, False]
        assert board.selected_tab == "scalars"
        board.selected_tab = "pr_curves"
        assert [bool(tab["ref"]) for tab in board.tabs] == [True, False, False, True]
        assert "histograms" not in board._panels
        panels = board.panels  # builds every tab's panel
        assert all(tab["ref"] == f"anywidget:{panels[tab['name']].model_id}"
                   for tab in board.tabs)
        assert {r["name"]: r["source"] for r in board.runs} == {
            "nb_run": "nbviz", "tb_run": "tensorboard"}
        assert board.status == ""
        scalars = board.panels["scalars"]
        assert {s["run"] for s in scalars.series} == {"nb_run", "tb_run"}
        bundle = board._repr_mimebundle_()[0]
        assert "image/png" in bundle and "2 run(s)" in bundle["text/plain"]
        assert "application/vnd.jupyter.widget-view+json" in bundle
    finally:
        board.close()
    assert board.panels == {}


def test_dashboard_follows_the_logdir_live(tmp_path: Path, dashboard_js: None) -> None:
    logdir = tmp_path / "later"
    board = Dashboard(logdir, rescan_interval=0.1)
    try:
        assert board.tabs == [] and "does not exist yet" in board.status
        _nbviz_run(logdir)
        board._rescan(force=True)
        assert [t["name"] for t in board.tabs][:1] == ["scalars"]
        assert [r["name"] for r in board.runs] == ["nb_run"]
        _torch_logdir(logdir)
        board._rescan(force=True)
        assert [r["name"] for r in board.runs] == ["nb_run", "tb_run"]
        assert "pr_curves" in [t["name"] for t in board.tabs]
    finally:
        board.close()


def test_a_forced_rescan_reads_what_was_written_since_a_ticks_rescan(
        tmp_path: Path, dashboard_js: None) -> None:
    """The ticker's rescan reads a TensorBoard run, the run gets a PR curve a moment
    later, and a forced rescan (what the page's refresh and pictures use) must show it
    at once: the event run's ``min_interval`` throttle must not skip a forced read."""
    pytest.importorskip("torch")
    from torch.utils.tensorboard import SummaryWriter as TorchWriter

    logdir = tmp_path / "runs"
    with TorchWriter(str(logdir / "tb_run")) as writer:
        writer.add_scalar("loss", 1.0, 0)
    board = Dashboard(logdir, rescan_interval=0.1)
    try:
        board._last_scan = -1e9
        board._rescan(force=False)  # a tick: reads the run now
        with TorchWriter(str(logdir / "tb_run"), filename_suffix=".pr") as writer:
            writer.add_pr_curve("pr", np.array([0, 1, 1, 0]), np.array([0.1, 0.9, 0.6, 0.3]), 0)
        board._rescan(force=True)  # well within the throttle's 0.5 s
        assert "pr_curves" in [t["name"] for t in board.tabs]
    finally:
        board.close()


def test_shared_run_selection_reaches_new_panels(logdir: Path, dashboard_js: None) -> None:
    _nbviz_run(logdir)
    board = Dashboard(logdir)
    try:
        board.hidden_runs = ["nb_run"]
        _torch_logdir(logdir)
        board._rescan(force=True)
        assert board.panels["pr_curves"].hidden_runs == ["nb_run"]  # created after the choice
    finally:
        board.close()


def test_panel_registry_plugs_a_panel_in_one_line(logdir: Path, dashboard_js: None,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dashboard_module, "PANELS", list(PANELS))
    made: list[Any] = []

    def texts(target: Any) -> Any:
        panel = nbviz.Scalars(target, title="texts")
        made.append(target)
        return panel

    register_panel("texts", "Text", {"text"}, texts, order=5)
    register_panel("missing", "Not installed", {"scalar"}, "NoSuchPanel", order=90)
    with nbviz.SummaryWriter(str(logdir / "r")) as writer:
        writer.add_text("note", "hello", 0)
        writer.add_scalar("x", 1.0, 0)
    board = Dashboard(logdir)
    try:
        # the registered tab sits beside the built-in ones (nbviz.Text shows text too)
        assert [t["name"] for t in board.tabs] == ["scalars", "texts", "text"]
        assert made == []  # built when shown
        board.selected_tab = "texts"
        assert made == [logdir]
        assert board.unavailable == [{"name": "missing", "label": "Not installed", "reason":
                                      "the Not installed panel is not available in this nbviz "
                                      "install"}]
    finally:
        board.close()
    with pytest.raises(TypeError, match="'kinds' must be a collection"):
        register_panel("x", "X", "scalar", texts)
    with pytest.raises(ValueError, match="'label' must be a non-empty string"):
        register_panel("x", "", {"scalar"}, texts)
    with pytest.raises(TypeError, match="'factory' must be a callable"):
        register_panel("x", "X", {"scalar"}, 3)  # type: ignore[arg-type]


def test_dashboard_reports_skipped_data(logdir: Path, dashboard_js: None) -> None:
    run = logdir / "broken"
    run.mkdir()
    header = struct.pack("<Q", 10)
    (run / "events.out.tfevents.1").write_bytes(header + b"\x00" * 30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        board = Dashboard(logdir)
    try:
        assert board.problems and "length CRC mismatch" in board.problems[0]
        assert board.status == "1 run(s), no data yet: waiting."
    finally:
        board.close()


def test_dashboard_input_validation(tmp_path: Path, dashboard_js: None) -> None:
    with pytest.raises(TypeError, match="expected a logdir path, an nbviz Run"):
        Dashboard(42)
    with pytest.raises(ValueError, match="empty list"):
        Dashboard([])
    with pytest.raises(ValueError, match="'rescan_interval' must be between"):
        Dashboard(tmp_path, rescan_interval=0)
    with pytest.raises(TypeError, match="'panels' must be PanelSpec"):
        Dashboard(tmp_path, panels=["scalars"])  # type: ignore[list-item]
    spec = PanelSpec("s", "S", frozenset({"scalar"}), "Scalars")
    assert spec.resolve() is nbviz.Scalars


def test_nbviz_magic_shows_a_dashboard(logdir: Path, dashboard_js: None) -> None:
    _nbviz_run(logdir)
    board = nbviz_magic(str(logdir))
    try:
        assert isinstance(board, Dashboard) and board.tabs
    finally:
        board.close()
    with pytest.raises(ValueError, match="expected one LOGDIR"):
        nbviz_magic("a b")
    with pytest.raises(ValueError, match="could not parse"):
        nbviz_magic("'unclosed")
