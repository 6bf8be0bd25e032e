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
        assert panel.wait_importance(timeout=60)
        assert [row["hparam"] for row in panel.importance] and panel.importance_message == ""
        assert "best val/acc (max) = 0.84 by lr=0.0001" in panel.summary()
    finally:
        panel.close()


def test_importance_is_computed_off_the_main_thread_and_follows_the_metric(
        logdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    from nbviz.panels.hparams import widget
    from nbviz.panels.hparams.importance import hparam_importance

    _sweep(logdir)
    release = threading.Event()
    threads: list[str] = []

    def slow(*args: object, **kwargs: object) -> object:
        threads.append(threading.current_thread().name)
        release.wait(10)  # a forest that takes long: the constructor must not wait for it
        return hparam_importance(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(widget, "hparam_importance", slow)
    started = time.perf_counter()
    panel = HParams(logdir, metric="val/acc")
    try:
        assert time.perf_counter() - started < 8
        assert panel.importance == [] and "computing" in panel.importance_message
        assert not panel.wait_importance(timeout=0.05)
        release.set()
        assert panel.wait_importance(timeout=30)
        assert threads and all(name.startswith("nbviz-importance") for name in threads)
        expected = hparam_importance(panel.frame, "val/acc")
        assert [r["hparam"] for r in panel.importance] == expected["hparam"].tolist()
        panel.metric = "loss"  # a new metric: recomputed for it, the old result not shown
        assert panel.wait_importance(timeout=30)
        expected = hparam_importance(panel.frame, "loss")
        assert [r["importance"] for r in panel.importance] == pytest.approx(
            expected["importance"].tolist())
        with pytest.raises(ValueError, match="'timeout' must be a number of seconds"):
            panel.wait_importance(timeout=-1)
    finally:
        release.set()
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
