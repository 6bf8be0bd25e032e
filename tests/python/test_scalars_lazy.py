"""The Scalars panel at scale: summaries first, points only for the charts the page draws."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from wire import MessageRecorder, decode

import nbviz
from nbviz.panels.scalars import index as index_module
from nbviz.panels.scalars.index import group_rows
from nbviz.panels.scalars.widget import EAGER_SERIES, Scalars
from nbviz.store.sqlite import ScalarColumns

pytestmark = pytest.mark.usefixtures("built_js")


def write_runs(logdir: Path, runs: int, tags: int, steps: int) -> None:
    for r in range(runs):
        with nbviz.init(f"run{r}", logdir=logdir) as run:
            for step in range(steps):
                run.log({f"t{t}": math.sin(step / 10 + r + t) for t in range(tags)}, step=step)


def ids_of(panel: Scalars, tag: str) -> list[int]:
    return [info["id"] for info in panel.series if info["tag"] == tag]


def test_lazy_snapshot_sends_summaries_without_points(logdir: Path) -> None:
    write_runs(logdir, runs=3, tags=4, steps=200)
    panel = Scalars(logdir, lazy=True)
    assert len(panel.series) == 12
    assert bytes(panel.snapshot) == b""
    info = next(i for i in panel.series if (i["run"], i["tag"]) == ("run1", "t2"))
    values = np.sin(np.arange(200) / 10 + 3)
    assert info["count"] == 0 and info["total"] == 200
    assert info["last_step"] == 199 and info["last"] == pytest.approx(values[-1])
    held = panel._index.by_key[("run1", "t2")]  # the rest of the summary, kernel-side
    assert (held.first_step, held.total) == (0, 200)
    assert held.low == pytest.approx(values.min()) and held.high == pytest.approx(values.max())
    panel.close()


def test_request_sends_only_those_series_decimated_to_width(logdir: Path) -> None:
    write_runs(logdir, runs=3, tags=4, steps=1000)
    panel = Scalars(logdir, lazy=True)
    recorder = MessageRecorder(panel)
    wanted = ids_of(panel, "t1")
    panel._on_page_message(panel, {"type": "request", "ids": wanted, "width": 100}, [])
    panel._send_budget.reset()
    panel._tick()
    (message,) = recorder.of("append")
    assert sorted(info["id"] for info in message["series"]) == sorted(wanted)
    data = decode(message["series"], message["payload"])
    assert {tag for _, tag in data} == {"t1"}
    for (run, _), points in data.items():
        r = int(run[3:])
        values = np.sin(np.arange(1000) / 10 + r + 1)
        assert points.shape[1] <= 2 * 100
        assert points[0][0] == 0 and points[0][-1] == 999  # first and last kept
        assert points[2].min() == values.min() and points[2].max() == values.max()
    assert all(info["decimated"] for info in message["series"])
    panel.close()


def test_live_appends_only_for_requested_series(logdir: Path) -> None:
    run = nbviz.init("live", logdir=logdir)
    panel = Scalars(run, lazy=True)
    recorder = MessageRecorder(panel)
    run.log({"a": 1.0, "b": 2.0}, step=0)
    panel._send_budget.reset()
    panel._tick()
    (announce,) = recorder.of("append")  # the new series' summaries, no points
    assert [(i["tag"], i["count"], i["total"]) for i in announce["series"]] == [
        ("a", 0, 1), ("b", 0, 1)]
    assert bytes(announce["payload"]) == b""
    panel.sync()
    (a_id,) = ids_of(panel, "a")
    panel.request([a_id], width=400)
    run.log({"a": 3.0, "b": 4.0}, step=1)
    panel._send_budget.reset()
    panel._tick()
    message = recorder.of("append")[-1]
    data = decode(message["series"], message["payload"])
    assert list(data) == [("live", "a")]
    assert data[("live", "a")][2].tolist() == [1.0, 3.0]
    run.log({"a": 5.0, "b": 6.0}, step=2)
    panel._send_budget.reset()
    panel._tick()
    last = decode(recorder.of("append")[-1]["series"], recorder.of("append")[-1]["payload"])
    assert list(last) == [("live", "a")] and last[("live", "a")][2].tolist() == [5.0]
    panel.close()


def test_default_sends_the_first_series_up_front_and_the_rest_on_request(logdir: Path) -> None:
    tags = EAGER_SERIES // 2 + 10
    write_runs(logdir, runs=2, tags=tags, steps=3)
    panel = Scalars(logdir)
    counts = [info["count"] for info in panel.series]
    assert len(counts) == 2 * tags
    assert counts[:EAGER_SERIES] == [3] * EAGER_SERIES
    assert set(counts[EAGER_SERIES:]) == {0}
    assert len(bytes(panel.snapshot)) == EAGER_SERIES * 3 * 24
    panel.close()


def test_unrequested_series_are_held_within_the_lite_budget(
        logdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(index_module, "LITE_POINT_BUDGET", 40 * 128)
    run = nbviz.init("many", logdir=logdir)
    panel = Scalars(run, lazy=True)
    MessageRecorder(panel)
    values = np.random.default_rng(1).standard_normal((3000, 40))
    for step in range(3000):
        run.log({f"t{t}": float(values[step, t]) for t in range(40)}, step=step)
        if step % 500 == 0:
            panel._tick()
    panel.sync()
    cap = panel._index.lite_cap()
    assert cap == 128
    for series in panel._index.by_id:
        assert series.columns.count <= 2 * cap
        assert series.total == 3000
        column = values[:, int(series.tag[1:])]
        assert series.columns.value.min() == column.min()  # extremes survive decimation
        assert series.columns.value.max() == column.max()
    panel.close()


def test_group_rows_summarises_each_tag_ignoring_non_finite() -> None:
    values = np.array([3.0, np.nan, -1.0, np.inf, 7.0, 2.0])
    columns = ScalarColumns(seq=np.arange(6), tag_index=np.array([0, 1, 0, 1, 2, 0], np.int32),
                            step=np.arange(6.0), wall_time=np.arange(6.0), value=values,
                            tags=["a", "b", "c"])
    groups = {g.tag: g for g in group_rows(columns)}
    assert groups["a"].rows[0].tolist() == [0.0, 2.0, 5.0]
    assert groups["a"].rows[2].tolist() == [3.0, -1.0, 2.0]
    assert (groups["a"].low, groups["a"].high) == (-1.0, 3.0)
    assert (groups["b"].low, groups["b"].high) == (math.inf, -math.inf)  # no finite value
    assert (groups["c"].low, groups["c"].high) == (7.0, 7.0)


def test_bad_requests_are_ignored_and_widths_clamped(logdir: Path) -> None:
    write_runs(logdir, runs=1, tags=2, steps=50)
    panel = Scalars(logdir, lazy=True)
    for content in ("x", {"type": "request", "ids": "0", "width": 10},
                    {"type": "request", "ids": [0], "width": "wide"},
                    {"type": "other", "ids": [0], "width": 10}):
        panel._on_page_message(panel, content, [])
    assert not any(s.wanted for s in panel._index.by_id)
    panel.request([0, 99], width=10**9)
    assert panel._index.by_id[0].wanted and panel._index.by_id[0].width == 16_384
    with pytest.raises(TypeError, match="'lazy'"):
        Scalars(logdir, lazy="yes")  # type: ignore[arg-type]
    panel.close()
