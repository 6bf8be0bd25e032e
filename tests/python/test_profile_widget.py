"""Profile panel (kernel side): snapshot contents, findings, capture, picture, Dashboard tab."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from profile_models import fast_loader, slow_loader, small_cnn, train

import nbviz
from nbviz.panels.profile.data import STEP_COLUMNS, SYSTEM_COLUMNS, bucket_means
from nbviz.panels.profile.timer import StepTimer

pytestmark = pytest.mark.usefixtures("built_js")


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _columns(data: bytes, counts: list[int], width: int) -> list[np.ndarray]:
    values = np.frombuffer(data, "<f8")
    assert values.size == sum(counts) * width
    out, offset = [], 0
    for count in counts:
        out.append(values[offset : offset + count * width].reshape(width, count))
        offset += count * width
    return out


def test_profile_panel_snapshot(logdir: Path) -> None:
    run = nbviz.init("cnn", logdir=logdir)
    model = small_cnn()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    handle = nbviz.watch(model, optimizer, every=1000)
    handle.timer.meter.stop(timeout=2)  # replaced by a fast meter below
    timer = StepTimer(model, optimizer, run, meter_interval=0.05)
    handle.timer.remove()
    panel = nbviz.Profile(run)
    train(model, optimizer, nbviz.timed(slow_loader(16 * 12, 16)))
    with nbviz.profile(run, steps=2, wait=0, warmup=1) as capture:
        train(model, optimizer, fast_loader(16 * 4, 16))
    timer.remove()
    assert capture.result is not None
    panel.sync()
    assert [r["name"] for r in panel.runs] == ["cnn"]
    info = panel.runs[0]
    assert info["count"] == info["steps_total"] == 16 and info["capture"]
    (steps,) = _columns(panel.steps, [info["count"]], 1 + len(STEP_COLUMNS))
    assert steps[0].tolist() == list(range(16))
    np.testing.assert_allclose(steps[1:6].sum(axis=0), steps[6], rtol=1e-9)
    assert np.median(steps[1][:12]) > np.median(steps[1][12:])  # the slow loader's data wait
    (system,) = _columns(panel.system, [info["system_count"]], 2 + len(SYSTEM_COLUMNS))
    assert info["system_count"] >= 1 and np.all(system[3] > 0)  # RSS MB
    rules = {f["rule"] for f in panel.findings}
    assert "data_bound" in rules
    assert all(f["run"] == "cnn" and f["message"] for f in panel.findings)
    assert panel.capture["run"] == "cnn" and panel.capture["steps"] == capture.result.steps
    memory = panel.capture["memory_count"]
    events = panel.capture["timeline_count"]
    assert len(panel.capture_data) == 8 * (2 * memory + 6 * events) and events > 50
    assert panel.capture["operators"][0]["name"] == capture.result.operators[0]["name"]
    png = panel._render_png()
    assert png.startswith(b"\x89PNG") and len(png) > 5000
    assert "16 steps" in panel.summary() and "finding" in panel.summary()
    panel.close()


def test_profile_panel_decimates_to_max_points(logdir: Path) -> None:
    run = nbviz.init("long", logdir=logdir)
    rows = np.arange(5000, dtype=np.float64)
    for step in rows.astype(int):  # what the step timer records, one row set per step
        run._log_floats({f"profile/{name}": 1.0 for name in STEP_COLUMNS[:-2]}
                        | {"profile/step_ms": 5.0, "profile/samples_per_s": 3200.0},
                        int(step), 1.0 + step)
    panel = nbviz.Profile(run, max_points=100)
    panel.sync()
    info = panel.runs[0]
    assert info["count"] == 100 and info["steps_total"] == 5000
    (steps,) = _columns(panel.steps, [100], 1 + len(STEP_COLUMNS))
    np.testing.assert_allclose(steps[1:6].sum(axis=0), steps[6])  # totals kept by means
    assert steps[0][0] == pytest.approx(24.5) and steps[0][-1] == pytest.approx(4974.5)
    panel.close()


def test_bucket_means_handles_nan() -> None:
    table = np.array([[1.0, np.nan], [3.0, 4.0], [5.0, 6.0], [7.0, np.nan]])
    out = bucket_means(table, 2)
    assert out.tolist() == [[2.0, 4.0], [6.0, 6.0]]


def test_profile_rejects_bad_arguments(logdir: Path) -> None:
    run = nbviz.init("args", logdir=logdir)
    with pytest.raises(ValueError, match="'max_points' must be an int >= 16"):
        nbviz.Profile(run, max_points=3)
    with pytest.raises(TypeError, match="'title' must be a string"):
        nbviz.Profile(run, title=5)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        nbviz.Profile(str(logdir / "missing"))


def test_dashboard_gets_a_profile_tab(logdir: Path) -> None:
    run = nbviz.init("dash", logdir=logdir)
    model = small_cnn()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    handle = nbviz.watch(model, optimizer, every=1000)
    train(model, optimizer, fast_loader(32, 16))
    handle.remove()
    run.flush()
    dashboard = nbviz.Dashboard(logdir)
    assert "profile" in dashboard.panels
    assert isinstance(dashboard.panels["profile"], nbviz.Profile)
    dashboard.close()
