"""The Scalars panel starts each nbviz store from its tag summaries: no value is read
until the page draws a series, then its history joins the rows tailed since, exactly."""

from __future__ import annotations

import math
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from wire import MessageRecorder, decode

import nbviz
from nbviz.panels.scalars.widget import Scalars
from nbviz.sources import LogdirSource, RunSummary

pytestmark = pytest.mark.usefixtures("built_js")

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def write_runs(logdir: Path, runs: int, tags: int, steps: int) -> None:
    for r in range(runs):
        with nbviz.init(f"run{r}", logdir=logdir) as run:
            for step in range(steps):
                run.log({f"t{t}": math.sin(step / 10 + r + t) for t in range(tags)}, step=step)


def held(panel: Scalars, run: str, tag: str) -> np.ndarray:
    series = panel._index.by_key[(run, tag)]
    return np.stack([series.columns.step, series.columns.value])


def ask(panel: Scalars, run: str, tag: str, width: int = 4000) -> None:
    panel.request([panel._index.by_key[(run, tag)].id], width)


def test_the_source_announces_summaries_then_tails_from_the_stores_end(logdir: Path) -> None:
    write_runs(logdir, runs=2, tags=3, steps=50)
    source = LogdirSource(logdir, summaries=True)
    first = source.poll()
    assert all(isinstance(batch, RunSummary) for batch in first) and len(first) == 2
    summary = next(batch for batch in first if batch.run == "run1")
    assert summary.tags == ["t0", "t1", "t2"]
    assert summary.count.tolist() == [50, 50, 50]
    assert summary.last_step.tolist() == [49.0] * 3
    expected = np.sin(np.arange(50) / 10 + 1 + 2)
    assert summary.last_value[2] == pytest.approx(expected[-1])
    assert summary.low[2] == pytest.approx(expected.min())
    history = summary.history.history(["t2"])
    assert history.tags == ["t2"] and history.value.tolist() == pytest.approx(expected.tolist())
    source.close()


def test_no_value_is_held_until_the_page_asks_then_exactly_the_stored_ones(
        logdir: Path) -> None:
    write_runs(logdir, runs=3, tags=3, steps=300)
    panel = Scalars(logdir, lazy=True)
    MessageRecorder(panel)
    assert all(s.columns.count == 0 and s.total == 300 for s in panel._index.by_id)
    ask(panel, "run2", "t1")
    points = held(panel, "run2", "t1")
    assert points[0].tolist() == list(range(300))
    np.testing.assert_allclose(points[1], np.sin(np.arange(300) / 10 + 3))
    others = [s for s in panel._index.by_id if (s.run, s.tag) != ("run2", "t1")]
    assert all(s.columns.count == 0 for s in others)
    panel.close()


def test_history_and_live_tail_join_without_gaps_or_repeats(logdir: Path) -> None:
    """A run of this kernel: some values committed, some pending when the panel starts,
    more logged after; the asked series holds each step once, in order, and grows."""
    run = nbviz.init("live", logdir=logdir)
    for step in range(100):
        run.log({"loss": float(step), "acc": -float(step)}, step=step)
    run.flush()  # committed: summarised, not read
    for step in range(100, 140):
        run.log({"loss": float(step), "acc": -float(step)}, step=step)  # pending
    panel = Scalars(logdir, lazy=True)
    panel._prefetch_due = False  # the ticks below read only what is asked
    recorder = MessageRecorder(panel)
    series = panel._index.by_key[("live", "loss")]
    assert series.total == 140 and series.columns.count <= 40  # pending rows only, tailed
    for step in range(140, 180):
        run.log({"loss": float(step), "acc": -float(step)}, step=step)
    run.flush()
    panel.sync()
    ask(panel, "live", "loss")
    assert held(panel, "live", "loss")[0].tolist() == list(range(180))
    panel._send_budget.reset()
    panel._tick()
    for step in range(180, 200):  # the curve grows while the cell runs
        run.log({"loss": float(step), "acc": -float(step)}, step=step)
    panel._send_budget.reset()
    panel._tick()
    sent = [decode(m["series"], m["payload"]) for m in recorder.of("append")]
    steps = np.concatenate([d[("live", "loss")][0] for d in sent if ("live", "loss") in d])
    assert steps.tolist() == list(range(200))
    assert panel._index.by_key[("live", "acc")].columns.count < 200  # never asked: not read
    run.finish()
    panel.close()


def test_eager_series_are_read_at_build(logdir: Path) -> None:
    write_runs(logdir, runs=2, tags=2, steps=40)
    panel = Scalars(logdir)  # lazy=None: the first 100 series up front
    data = decode(panel.series, bytes(panel.snapshot))
    assert len(data) == 4
    for (run, tag), points in data.items():
        r, t = int(run[3:]), int(tag[1:])
        np.testing.assert_allclose(points[2], np.sin(np.arange(40) / 10 + r + t))
    panel.close()


def test_an_export_snapshot_reads_series_no_chart_asked_for(logdir: Path) -> None:
    write_runs(logdir, runs=2, tags=2, steps=500)
    panel = Scalars(logdir, lazy=True)
    MessageRecorder(panel)  # off the ticker: no tick reads the first screen ahead
    state = panel._snapshot_state(100)
    data = decode(state["series"], state["snapshot"])
    assert len(data) == 4
    for points in data.values():
        assert 2 <= points.shape[1] <= 100 and points[0, 0] == 0 and points[0, -1] == 499
    assert all(s.columns.count == 0 for s in panel._index.by_id)  # read, not kept
    png = panel._render_png()
    assert png.startswith(b"\x89PNG")
    panel.close()


def test_a_version_1_store_is_summarised_and_read(tmp_path: Path) -> None:
    logdir = tmp_path / "runs"
    shutil.copytree(FIXTURES / "v1_store", logdir)
    frame = nbviz.read(logdir, kind="scalars")
    panel = Scalars(logdir, lazy=True)
    assert {(s.run, s.tag): s.total for s in panel._index.by_id} == {
        key: len(rows) for key, rows in frame.groupby(["run", "tag"])}
    panel.request([s.id for s in panel._index.by_id], 4000)
    for (run, tag), rows in frame.groupby(["run", "tag"]):
        points = held(panel, str(run), str(tag))
        assert points[0].tolist() == rows["step"].tolist()
        np.testing.assert_array_equal(points[1], rows["value"].to_numpy())
    panel.close()


def test_series_nobody_draws_hold_no_points_however_many_steps(logdir: Path) -> None:
    """Runs written elsewhere (here: finished before each poll) keep their rows in the
    store: a series the page does not draw only counts them, and reads them when asked."""
    write_runs(logdir, runs=2, tags=2, steps=50)
    panel = Scalars(logdir, lazy=True)
    MessageRecorder(panel)
    for start in (50, 150):
        for r in range(2):
            with nbviz.init(f"run{r}", logdir=logdir, if_exists="append") as run:
                for step in range(start, start + 100):
                    run.log({f"t{t}": math.sin(step / 10 + r + t) for t in range(2)},
                            step=step)
        time.sleep(0.6)  # the store-poll interval
        panel.sync()
    assert all(s.total == 250 and s.columns.count == 0 for s in panel._index.by_id)
    ask(panel, "run1", "t0")
    points = held(panel, "run1", "t0")
    assert points[0].tolist() == list(range(250))
    np.testing.assert_allclose(points[1], np.sin(np.arange(250) / 10 + 1))
    assert panel._index.by_key[("run0", "t0")].columns.count == 0
    panel.close()
