"""The paths that let Scalars and the Dashboard open 500 runs: one overview query per
store (shared by the Dashboard's catalog and its Scalars tab), series infos packed on
the wire, a screen's histories read in one bulk pass — each checked against the store."""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from wire import MessageRecorder

import nbviz
from nbviz import run_overview
from nbviz.panels.scalars.infos import pack_infos, unpack_infos
from nbviz.panels.scalars.widget import Scalars
from nbviz.store.query import tag_summaries
from nbviz.widgets import _ticker

pytestmark = pytest.mark.usefixtures("built_js")

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
REPO = Path(__file__).resolve().parents[2]


def write_runs(logdir: Path, runs: int, tags: int, steps: int, first: int = 0,
               mode: str = "new") -> None:
    for r in range(runs):
        with nbviz.init(f"run{r}", logdir=logdir, if_exists=mode,
                        config={"lr": 0.1 * (r + 1)}) as run:
            for step in range(first, first + steps):
                run.log({f"t{t}": math.sin(step / 10 + r + t) for t in range(tags)}, step=step)


def test_the_overview_matches_the_stores_summaries_kinds_and_config(logdir: Path) -> None:
    write_runs(logdir, runs=1, tags=3, steps=30)
    with nbviz.init("run0", logdir=logdir, if_exists="append", config={"lr": 0.1}) as run:
        run.log({"t1": math.nan}, step=30)
        run.log_histogram("w", np.arange(10.0), step=30)
    found = run_overview.overview(logdir / "run0")
    assert found is not None
    expected = tag_summaries(logdir / "run0")
    assert found.tags == expected["tag"].tolist() == ["t0", "t1", "t2"]
    assert found.count.tolist() == expected["count"].tolist() == [30, 31, 30]
    np.testing.assert_allclose(found.low, expected["min"])
    np.testing.assert_allclose(found.last_value, expected["last_value"])  # NaN == NaN
    assert math.isnan(found.last_value[1]) and found.last_step.tolist() == [29, 30, 29]
    assert {"scalar", "histogram"} <= found.kinds and '"lr"' in (found.config_json or "")
    assert run_overview.overview(logdir / "run0") is found  # unchanged store: kept
    write_runs(logdir, runs=1, tags=3, steps=5, first=31, mode="append")
    again = run_overview.overview(logdir / "run0")
    assert again is not found and again is not None and again.count.tolist() == [35, 36, 35]


def test_the_overview_puts_summary_rows_in_tag_order_whatever_order_they_come_in(
        logdir: Path) -> None:
    from nbviz.store.settled import select_read_only

    write_runs(logdir, runs=1, tags=6, steps=5)
    rows = select_read_only(logdir / "run0" / "nbviz.sqlite", run_overview._QUERY)
    assert rows is not None
    stamp = (1, 2, 3, 4)
    ordered = run_overview._parse(rows, stamp)
    shuffled = run_overview._parse(rows[::-1], stamp)  # no ORDER BY: SQLite may reorder
    assert ordered is not None and shuffled is not None
    assert shuffled.tags == ordered.tags == [f"t{t}" for t in range(6)]
    for name in ("tag_ids", "count", "first_step", "last_step", "low", "high", "last_value",
                 "last_wall_time", "last_seq"):
        np.testing.assert_array_equal(getattr(shuffled, name), getattr(ordered, name))
    assert shuffled.config_json == ordered.config_json and shuffled.kinds == ordered.kinds


def test_stores_the_overview_cannot_read_go_to_the_careful_reader(tmp_path: Path) -> None:
    logdir = tmp_path / "runs"
    shutil.copytree(FIXTURES / "v1_store", logdir)
    runs = [path for path in logdir.iterdir() if path.is_dir()]
    assert runs and all(run_overview.overview(path) is None for path in runs)  # version 1
    assert run_overview.overview(tmp_path / "nothing here") is None
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "nbviz.sqlite").write_bytes(b"not a database at all" * 100)
    assert run_overview.overview(broken) is None
    with pytest.raises(TypeError, match="'run_dir' must be a run directory path, got int"):
        run_overview.overview(3)  # type: ignore[arg-type]


def test_packed_infos_round_trip_and_are_what_the_page_is_sent(logdir: Path) -> None:
    write_runs(logdir, runs=3, tags=2, steps=10)
    panel = Scalars(logdir, lazy=True)
    wire = panel.get_state(["series"])["series"]
    assert wire["packed"] == 1 and wire["runs"] == ["run0", "run1", "run2"]
    assert len(wire["columns"]) == 6 * 9 * 8  # 6 series x 9 float64 fields
    assert unpack_infos(wire) == panel.series
    infos = [dict(panel.series[0], last=None, last_step=None, decimated=True)]
    assert unpack_infos(pack_infos(infos)) == infos
    with pytest.raises(TypeError, match="'infos' must be a list"):
        pack_infos({"id": 0})  # type: ignore[arg-type]
    panel.close()


def test_a_screen_request_reads_every_run_at_once_and_joins_rows_tailed_since(
        logdir: Path) -> None:
    """Runs written by another process: after the panel started from summaries, more rows
    arrive (tailed, not held: the store keeps them); a request then gets each step once."""
    write_runs(logdir, runs=4, tags=3, steps=50)
    panel = Scalars(logdir, lazy=True)
    MessageRecorder(panel)
    panel._source.rescan_interval = 0.0
    code = ("import math, sys, nbviz\n"
            "for r in range(4):\n"
            "    with nbviz.init(f'run{r}', logdir=sys.argv[1], if_exists='append') as run:\n"
            "        for step in range(50, 80):\n"
            "            run.log({f't{t}': math.sin(step / 10 + r + t) for t in range(3)},"
            " step=step)\n")
    subprocess.run([sys.executable, "-c", code, str(logdir)], check=True, timeout=120,
                   env={**os.environ, "PYTHONPATH": str(REPO)})
    for tail in panel._source._tails.values():
        tail._last_store_poll = tail._last_query = -1e9  # poll the stores now
    panel.sync()
    asked = [s for s in panel._index.by_id if s.tag == "t1"]
    assert all(s.total == 80 and s.columns.count == 0 for s in asked)
    panel.request([s.id for s in asked], 4000)
    for series in asked:
        r = int(series.run[3:])
        assert series.columns.step.tolist() == list(range(80))
        np.testing.assert_allclose(series.columns.value, np.sin(np.arange(80) / 10 + r + 1))
    assert all(s.columns.count == 0 for s in panel._index.by_id if s.tag != "t1")
    panel.close()


def test_the_dashboard_and_its_scalars_tab_share_one_overview_per_store(
        logdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_runs(logdir, runs=5, tags=2, steps=10)
    reads: list[Path] = []
    original = run_overview._read

    def counting(run_dir: Path, stamp: tuple[int, ...], immutable: bool = False
                 ) -> run_overview.StoreOverview | None:
        reads.append(run_dir)
        return original(run_dir, stamp, immutable)

    monkeypatch.setattr(run_overview, "_read", counting)
    monkeypatch.setattr(run_overview, "_cache", {})
    board = nbviz.Dashboard(logdir)
    scalars = board.panels["scalars"]
    assert sorted(p.name for p in reads) == [f"run{r}" for r in range(5)]  # once each
    assert {s["run"] for s in scalars.series} == {f"run{r}" for r in range(5)}
    assert [r["config"] for r in board.runs] == [{"lr": 0.1 * (r + 1)} for r in range(5)]
    board.close()


def test_the_first_screen_is_read_ahead_and_its_request_answered_from_memory(
        logdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_runs(logdir, runs=3, tags=8, steps=20)
    panel = Scalars(logdir, lazy=True, tag_filter="t[1-7]")
    recorder = MessageRecorder(panel)
    assert panel.prefetch() == 3 * 6  # t1 … t6 of every run (t0 filtered out, t7 off screen)
    ahead = [s for s in panel._index.by_id if s.prefetched]
    assert {s.tag for s in ahead} == {f"t{t}" for t in range(1, 7)}
    assert all(s.columns.count == 0 for s in panel._index.by_id if not s.prefetched)
    import nbviz.panels.scalars.index as index_module

    def no_read(*_: object) -> None:
        raise AssertionError("the first screen's request read the store")

    monkeypatch.setattr(index_module, "read_histories", no_read)
    panel.request([s.id for s in ahead], 400)
    panel._send_append()
    (append,) = recorder.of("append")
    assert {(i["run"], i["tag"]) for i in append["series"]} == {(s.run, s.tag) for s in ahead}
    for series in ahead:
        r, t = int(series.run[3:]), int(series.tag[1:])
        np.testing.assert_allclose(series.columns.value, np.sin(np.arange(20) / 10 + r + t))
    assert panel.prefetch() == 0  # once
    panel.close()


def test_the_idle_read_ahead_goes_a_few_runs_per_tick(
        logdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import nbviz.panels.scalars.widget as widget_module

    write_runs(logdir, runs=7, tags=3, steps=10)
    monkeypatch.setattr(widget_module, "PREFETCH_DELAY_SECS", 0.0)
    monkeypatch.setattr(_ticker, "register", lambda panel: None)  # ticked by hand below
    panel = Scalars(logdir, lazy=True)
    panel._prefetch_runs = 2
    monkeypatch.setattr(widget_module, "PREFETCH_SLICE_SECS", 1e-9)  # every slice "too long"
    panel._tick()
    read = {s.run for s in panel._index.by_id if s.prefetched}
    assert len(read) == 2  # the first slice: two runs, not all seven
    assert all(s.columns.count == 10 for s in panel._index.by_id if s.prefetched)
    assert panel._prefetch_runs == 1  # the next slices are made smaller
    ticks = 1
    while panel._prefetch_left:
        before = {s.run for s in panel._index.by_id if s.prefetched}
        panel._tick()
        ticks += 1
        assert len({s.run for s in panel._index.by_id if s.prefetched} - before) == 1
    assert ticks == 6
    assert {s.run for s in panel._index.by_id if s.prefetched} == {f"run{r}" for r in range(7)}
    for series in panel._index.by_id:
        r, t = int(series.run[3:]), int(series.tag[1:])
        expected = np.sin(np.arange(10) / 10 + r + t) if series.prefetched else np.empty(0)
        np.testing.assert_allclose(series.columns.value, expected)
    assert panel.prefetch() == 0  # nothing left to read ahead
    panel.close()


def test_unchanged_stores_are_rechecked_spread_over_the_period_not_all_in_one_tick(
        logdir: Path) -> None:
    import time

    from nbviz.sources import UNCHANGED_RECHECK_SECS, LogdirSource

    write_runs(logdir, runs=12, tags=1, steps=2)
    source = LogdirSource(logdir, summaries=True)
    started = time.monotonic()
    assert len(source.poll()) == 12  # every summary at once: the build needs them all
    due = [tail._last_query + UNCHANGED_RECHECK_SECS for tail in source._tails.values()]
    assert all(started <= at <= time.monotonic() + UNCHANGED_RECHECK_SECS for at in due)
    assert len({round(at, 3) for at in due}) == 12  # twelve different ticks
    assert max(due) - min(due) > UNCHANGED_RECHECK_SECS / 2
    tail = next(iter(source._tails.values()))
    tail._last_store_poll = -1e9
    tail._stamp = ()  # as if its files changed: queried now, next recheck a full period on
    before = time.monotonic()
    assert tail._store_poll_due()
    assert tail._last_query >= before
    source.close()


def test_overviews_read_many_stores_like_overview_reads_one(logdir: Path) -> None:
    write_runs(logdir, runs=4, tags=3, steps=6)
    dirs = [logdir / f"run{r}" for r in range(4)] + [logdir / "no such run"]
    run_overview._cache.clear()
    many = run_overview.overviews(dirs)
    assert many[-1] is None
    run_overview._cache.clear()
    for found, one in zip(many[:-1], [run_overview.overview(d) for d in dirs[:-1]],
                          strict=True):
        assert found is not None and one is not None
        assert found.tags == one.tags and found.config_json == one.config_json
        np.testing.assert_array_equal(found.last_value, one.last_value)
    assert run_overview.overviews(dirs[:2])[0] is run_overview.overview(dirs[0])  # kept
    with pytest.raises(TypeError, match="'run_dirs' must be a list of run directory paths"):
        run_overview.overviews(logdir)  # type: ignore[arg-type]


def test_a_panels_first_scan_takes_the_catalogs_scan_of_a_moment_ago(
        logdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import nbviz.sources as sources

    write_runs(logdir, runs=2, tags=1, steps=2)
    runs, _ = sources.scan_logdir(logdir)  # the catalog's walk
    write_runs(logdir.parent / logdir.name, runs=3, tags=1, steps=2, mode="overwrite")
    assert sorted(sources.scan_logdir(logdir, reuse=True)[0]) == sorted(runs)  # taken
    assert sorted(sources.scan_logdir(logdir)[0]) == ["run0", "run1", "run2"]  # walked
    monkeypatch.setattr(sources, "SHARED_SCAN_SECS", 0.0)
    (logdir / "run1").rename(logdir / "renamed")
    assert "renamed" in sources.scan_logdir(logdir, reuse=True)[0]  # too old: walked
    with pytest.raises(TypeError, match="'logdir' must be a path, got int"):
        sources.scan_logdir(3)  # type: ignore[arg-type]


def test_first_screen_tags_follow_the_pages_order_and_filter() -> None:
    from nbviz.panels.scalars.prefetch import first_screen_tags

    tags = ["loss(val)", "layer10/w", "layer2/w", "layer2/b", "Acc", "layer1/w"]
    assert first_screen_tags(tags, charts=4) == ["Acc", "layer1/w", "layer2/b", "layer2/w"]
    assert first_screen_tags(tags, charts=9, tag_filter="W$") == [
        "layer1/w", "layer2/w", "layer10/w"]
    assert first_screen_tags(tags, tag_filter="S(V") == ["loss(val)"]  # not a regex
    with pytest.raises(ValueError, match="'charts' must be an int >= 0, got -1"):
        first_screen_tags(tags, charts=-1)
