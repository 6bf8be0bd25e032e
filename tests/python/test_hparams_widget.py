"""HParams kernel side: the table on the wire, metric checks, live rows, brushes,
importance, the picture, and the Dashboard tab (docs/wire.md, "HParams")."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

import nbviz
from nbviz.panels.hparams.widget import HParams
from nbviz.widgets._bundle import STATIC


@pytest.fixture(autouse=True)
def _bundle() -> None:
    if not (STATIC / "hparams.js").exists():
        pytest.skip("JS not built (run `make js`)")


def _sweep(logdir: Path, lrs: tuple[float, ...] = (1e-1, 1e-2, 1e-3, 1e-4)) -> None:
    for i, lr in enumerate(lrs):
        config = {"lr": lr, "opt": "adam" if i % 2 else "sgd", "net": {"width": 32 * (i + 1)}}
        with nbviz.init(f"lr={lr}", logdir=logdir, config=config) as run:
            for step in range(5):
                run.log({"val/acc": 0.5 + 0.1 * i + 0.01 * step, "loss": 1.0 / (step + 1 + i)},
                        step=step)


def _decode(panel: HParams) -> dict[str, np.ndarray]:
    data = np.frombuffer(panel.table, dtype="<f8")
    n = len(panel.runs)
    assert data.size == len(panel.columns) * n
    return {info["name"]: data[k * n:(k + 1) * n] for k, info in enumerate(panel.columns)}


def test_table_on_the_wire(logdir: Path) -> None:
    _sweep(logdir)
    panel = HParams(logdir, metric="val/acc")
    try:
        assert panel.runs == ["lr=0.0001", "lr=0.001", "lr=0.01", "lr=0.1"]
        kinds = {c["name"]: (c["role"], c["kind"]) for c in panel.columns}
        assert kinds["lr"] == ("hparam", "log")  # spans decades: log axis by default
        assert kinds["opt"] == ("hparam", "categorical")
        assert kinds["net.width"] == ("hparam", "numeric")
        assert kinds["val/acc"] == ("metric", "numeric")
        assert kinds["val/acc (max)"] == ("summary", "numeric")
        assert "val/acc (max)" in panel.hidden_axes  # summaries start hidden
        columns = _decode(panel)
        np.testing.assert_allclose(columns["lr"], [1e-4, 1e-3, 1e-2, 1e-1])
        categories = next(c for c in panel.columns if c["name"] == "opt")["categories"]
        assert categories == ["adam", "sgd"]
        assert [categories[int(v)] for v in columns["opt"]] == ["adam", "sgd", "adam", "sgd"]
        np.testing.assert_allclose(columns["val/acc"], [0.84, 0.74, 0.64, 0.54])
        assert panel.goal == "max" and panel.scatter_x == "lr"
        assert [row["hparam"] for row in panel.importance] and panel.importance_message == ""
        assert "best val/acc (max) = 0.84 by lr=0.0001" in panel.summary()
    finally:
        panel.close()


def test_metric_that_does_not_exist_is_a_clear_error(logdir: Path) -> None:
    _sweep(logdir)
    with pytest.raises(ValueError, match=r"metric 'val/accuracy' is not logged.*'val/acc'"):
        HParams(logdir, metric="val/accuracy")
    with pytest.raises(ValueError, match="'goal' must be 'max' or 'min'"):
        HParams(logdir, goal="up")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        HParams(logdir / "nope")
    with pytest.raises(TypeError, match="expected a logdir path"):
        HParams(42)


def test_a_new_run_appears_live_and_loss_goal_defaults_to_min(logdir: Path) -> None:
    _sweep(logdir, (0.1, 0.01))
    panel = HParams(logdir, metric="loss")
    try:
        assert panel.goal == "min" and len(panel.runs) == 2
        seq = panel.table_seq
        with nbviz.init("late", logdir=logdir, config={"lr": 0.5, "opt": "sgd"}) as run:
            run.log({"loss": 0.01, "val/acc": 0.9}, step=0)
        deadline = time.monotonic() + 10
        while "late" not in panel.runs and time.monotonic() < deadline:
            panel._tick()
            time.sleep(0.1)
        assert "late" in panel.runs and panel.table_seq > seq
        assert _decode(panel)["loss"][panel.runs.index("late")] == pytest.approx(0.01)
    finally:
        panel.close()


def test_selected_runs_follow_brushes_and_hidden_runs(logdir: Path) -> None:
    _sweep(logdir)
    panel = HParams(logdir)
    try:
        panel.brushes = {"lr": [5e-4, 5e-2]}
        assert panel.selected_runs == ["lr=0.001", "lr=0.01"]
        panel.brushes = {"lr": [5e-4, 5e-2], "opt": [1, 1]}  # code 1 = "sgd"
        assert panel.selected_runs == ["lr=0.001"]
        panel.hidden_runs = ["lr=0.001"]
        assert panel.selected_runs == []
    finally:
        panel.close()


def test_picture_and_dashboard_tab(logdir: Path) -> None:
    _sweep(logdir)
    panel = HParams(logdir, metric="val/acc")
    try:
        png = panel._render_png()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    finally:
        panel.close()
    dash = nbviz.Dashboard(logdir)
    try:
        assert [tab["name"] for tab in dash.tabs] == ["scalars", "hparams"]
        assert isinstance(dash.panels["hparams"], HParams)
    finally:
        dash.close()
