from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from wire import MessageRecorder, decode

import nbviz
from nbviz.panels.scalars.widget import Scalars

pytestmark = pytest.mark.usefixtures("built_js")


def manual(panel: Scalars) -> MessageRecorder:
    return MessageRecorder(panel)


def test_initial_snapshot_holds_existing_data(logdir: Path) -> None:
    for lr in (0.1, 0.01):
        with nbviz.init(f"lr={lr}", logdir=logdir) as run:
            for step in range(100):
                run.log({"loss/train": lr * step, "acc": step / 100}, step=step)
    panel = Scalars(logdir)
    data = decode(panel.series, panel.snapshot)
    assert set(data) == {("lr=0.1", "loss/train"), ("lr=0.1", "acc"),
                         ("lr=0.01", "loss/train"), ("lr=0.01", "acc")}
    np.testing.assert_array_equal(data[("lr=0.1", "loss/train")][0], np.arange(100))
    np.testing.assert_allclose(data[("lr=0.1", "loss/train")][2], 0.1 * np.arange(100))
    colors = {info["run"]: info["color"] for info in panel.series}
    from nbviz.widgets._palette import run_color

    # stable per run, and the same in every panel of this kernel
    assert colors == {"lr=0.01": run_color("lr=0.01"), "lr=0.1": run_color("lr=0.1")}
    assert colors["lr=0.01"] != colors["lr=0.1"]
    assert panel.snapshot_seq == 1
    panel.close()


def test_appends_carry_only_new_points_with_increasing_seq(logdir: Path) -> None:
    run = nbviz.init("live", logdir=logdir)
    panel = Scalars(run)
    recorder = manual(panel)
    run.log({"loss": 1.0}, step=0)
    panel._send_budget.reset()
    panel._tick()
    run.log({"loss": 2.0, "acc": 0.5}, step=1)
    panel._send_budget.reset()
    panel._tick()
    assert [m["seq"] for m in recorder.of("append")] == [2, 3]
    first, second = (decode(m["series"], m["payload"]) for m in recorder.of("append"))
    assert first[("live", "loss")].tolist()[0] == [0.0] and first[("live", "loss")][2][0] == 1.0
    assert second[("live", "loss")][2].tolist() == [2.0]
    assert second[("live", "acc")][2].tolist() == [0.5]
    panel.close()


def test_snapshot_after_sync_equals_everything_logged(logdir: Path) -> None:
    run = nbviz.init("live", logdir=logdir)
    panel = Scalars(run)
    manual(panel)
    for step in range(500):
        run.log({"x": math.sin(step)}, step=step)
        if step % 50 == 0:
            panel._send_budget.reset()
            panel._tick()
    panel.sync()
    data = decode(panel.series, panel.snapshot)
    np.testing.assert_allclose(data[("live", "x")][2], np.sin(np.arange(500)))
    panel.close()


def test_decimation_bounds_points_and_resends_snapshot(logdir: Path) -> None:
    run = nbviz.init("big", logdir=logdir)
    panel = Scalars(run, max_points=1000)
    manual(panel)
    values = np.random.default_rng(0).standard_normal(50_000)
    values[12_345] = np.nan
    for step, value in enumerate(values):
        run.log({"x": float(value)}, step=step)
        if step % 5000 == 0:
            panel._send_budget.reset()
            panel._tick()
    panel.sync()
    (info,) = panel.series
    assert info["decimated"] is True
    assert info["count"] <= 2 * 1000
    data = decode(panel.series, panel.snapshot)[("big", "x")]
    assert data[0][0] == 0 and data[0][-1] == 49_999
    assert 12_345 in data[0].tolist()  # the NaN stays visible
    assert np.nanmax(data[2]) == np.nanmax(values) and np.nanmin(data[2]) == np.nanmin(values)
    panel.close()


def test_live_rate_is_bounded_and_last_value_arrives(logdir: Path) -> None:
    run = nbviz.init("fast", logdir=logdir)
    panel = Scalars(run)
    recorder = MessageRecorder(panel, stop_ticking=False)  # the real ticker drives it
    started = time.monotonic()
    step = 0
    while time.monotonic() - started < 1.5:  # ~20,000 values/s, twice the benchmark's rate
        run.log({"x": float(step)}, step=step)
        step += 1
        if step % 100 == 0:
            time.sleep(0.005)
    stopped = time.monotonic()
    deadline = stopped + 2
    arrival = math.inf
    while time.monotonic() < deadline:
        with recorder.lock:
            last = recorder.messages[-1] if recorder.messages else None
        if last is not None and last.get("payload"):
            points = decode(last["series"], last["payload"]).get(("fast", "x"))
            if points is not None and points.shape[1] and points[0][-1] == step - 1:
                arrival = recorder.times[-1] - stopped
                break
        time.sleep(0.005)
    panel.close()
    assert step > 5_000, "the loop should log fast"
    assert arrival < 0.25, f"last value took {arrival:.3f} s to be sent"
    with recorder.lock:
        times = np.array(recorder.times)
        messages = list(recorder.messages)
    assert len(times) >= 10, f"only {len(times)} messages in {stopped - started:.1f} s"
    per_second = np.histogram(times, bins=np.arange(times[0], times[-1] + 1, 1.0))[0]
    assert per_second.max() <= 20, f"too many messages per second: {per_second}"
    assert panel.messages_sent == len(messages) + 1  # + the snapshot sent on creation
    # replay the messages as the page does: the result is every point, exactly once, in order
    held = np.empty(0)
    seq = 0
    for message in messages:
        if message.get("seq", 0) <= seq or message.get("payload") is None:
            continue
        seq = message["seq"]
        points = decode(message["series"], message["payload"]).get(("fast", "x"))
        new = points[0] if points is not None else np.empty(0)
        held = new if message["type"] == "snapshot" else np.concatenate([held, new])
    np.testing.assert_array_equal(held, np.arange(step))


def test_follows_logdir_written_by_another_writer(logdir: Path) -> None:
    panel = Scalars(logdir)
    manual(panel)
    panel._source.rescan_interval = 0.0  # type: ignore[attr-defined]  # default: every 2 s
    with nbviz.init("later", logdir=logdir) as run:
        run.log({"x": 1.0}, step=0)
    time.sleep(0.6)  # store polling interval of non-live runs
    panel._tick()
    panel.sync()
    assert [(s["run"], s["count"]) for s in panel.series] == [("later", 1)]
    panel.close()


def test_picture_and_text_fallback(logdir: Path) -> None:
    with nbviz.init("a", logdir=logdir) as run:
        for step in range(50):
            run.log({"loss": 1 / (step + 1), "bad": math.nan if step == 10 else 1.0}, step=step)
    panel = Scalars(logdir)
    bundle, _ = panel._repr_mimebundle_()
    assert bundle["image/png"].startswith("iVBORw0KGgo")  # base64 PNG signature
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "1 run(s) [a], 2 tag(s), 100 point(s)" in bundle["text/plain"]
    assert not panel._picture_is_stale()
    panel.close()


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"max_points": 3}, "'max_points' must be an int >= 16"),
        ({"smoothing": 1.5}, "'smoothing' must be between 0 and 0.99"),
        ({"x_axis": "time"}, "'x_axis' must be"),
    ],
)
def test_panel_validates_arguments(logdir: Path, kwargs: dict[str, Any], pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        Scalars(logdir, **kwargs)


def test_panel_rejects_bad_sources(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        Scalars(tmp_path / "nope")
    with pytest.raises(TypeError, match="expected a logdir path, an nbviz Run"):
        Scalars(42)
    with pytest.raises(ValueError, match="empty list"):
        Scalars([])


def test_magic_registers_and_shows_logdir(logdir: Path) -> None:
    from IPython.testing.globalipapp import get_ipython

    shell = get_ipython()
    with nbviz.init("m", logdir=logdir) as run:
        run.log({"x": 1.0})
    shell.run_line_magic("load_ext", "nbviz")
    dashboard = shell.run_line_magic("nbviz", str(logdir))
    from nbviz.widgets.dashboard import Dashboard

    assert isinstance(dashboard, Dashboard)
    panel = dashboard.panels["scalars"]
    assert isinstance(panel, Scalars)
    assert [s["run"] for s in panel.series] == ["m"]
    with pytest.raises(ValueError, match="expected one LOGDIR"):
        shell.run_line_magic("nbviz", "")
    panel.close()
