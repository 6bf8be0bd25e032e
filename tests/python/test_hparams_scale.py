"""HParams at scale (issue 18): the bulk path — every TensorBoard run of a sweep read in one
pass (nbviz/store/tfevents_bulk.py), every run's scalars summarised at once
(MetricTable.update_many), the panel's EventRunsFollower — gives exactly the table, rows and
records of the run-by-run path it replaces, on a sweep written by torch itself."""

from __future__ import annotations

import math
import os
import struct
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import nbviz
import nbviz.panels.hparams.events as events_module
import nbviz.store.tfevents_bulk as bulk
from nbviz.panels.hparams.summaries import MetricSummary, MetricTable
from nbviz.store.sqlite import ScalarColumns
from nbviz.store.tfevents import EventRun, find_event_runs, shared_event_run

torch_tb = pytest.importorskip("torch.utils.tensorboard")

TRIALS = 56


def _torch_sweep(logdir: Path) -> None:
    """56 trials as torch writes them: curves at several steps (so "last value" matters),
    some files over the vectorised-scalar threshold and some under, tags in different
    orders, a NaN, ``add_hparams`` into the trial's own directory or torch's stray
    sub-run, a trial with a second writer (two event files with curves)."""
    rng = np.random.default_rng(3)
    for trial in range(TRIALS):
        writer = torch_tb.SummaryWriter(str(logdir / "torch" / f"trial{trial:02d}"))
        steps = 3 if trial % 3 == 0 else 14  # 6 or 28+ records in the file
        tags = ["val/acc", "train/loss"] if trial % 4 == 1 else ["train/loss", "val/acc"]
        for step in range(steps):
            for tag in tags:
                value = float(rng.random())
                if trial == 5 and step == 2 and tag == "val/acc":
                    value = math.nan
                writer.add_scalar(tag, value, step * 10)
        hparams = {"lr": float(10 ** rng.uniform(-4, -1)), "opt": ["adam", "sgd"][trial % 2],
                   "bn": bool(trial % 3), "width": float(32 * (1 + trial % 4))}
        metrics = {"hparam/acc": float(rng.random())}
        writer.add_hparams(hparams, metrics, run_name="." if trial % 2 else None)
        writer.close()
        if trial == 7:
            second = torch_tb.SummaryWriter(str(logdir / "torch" / f"trial{trial:02d}"),
                                            filename_suffix=".b")
            second.add_scalar("extra/late", 1.5, 100)
            second.close()


def _nbviz_sweep(logdir: Path) -> None:
    for k, lr in enumerate((0.1, 0.01, 0.001)):
        with nbviz.init(f"lr={lr}", logdir=logdir / "nbviz",
                        config={"lr": lr, "net": {"width": 16 * (k + 1)}}) as run:
            for step in range(9):
                run.log({"loss": lr * (9 - step), "acc": 0.1 * k + 0.01 * step}, step=step)
            run.log_hparams({"seed": k}, {"final/acc": 0.5 + k / 10})


def _one_by_one(run_dirs: Mapping[str, str | os.PathLike[str]],
                wanted: frozenset[str] | None = None) -> dict[str, EventRun]:
    """The path the bulk reader replaces: EventRun(...).refresh() per run."""
    out = {}
    for name, run_dir in run_dirs.items():
        run = EventRun(Path(run_dir), wanted)
        run.refresh()
        out[name] = run
    return out


def _shared_one_by_one(run_dirs: Mapping[str, str | os.PathLike[str]]) -> list[EventRun]:
    runs = [shared_event_run(Path(run_dir)) for run_dir in run_dirs.values()]
    for run in runs:
        run.refresh()
    return runs


def _old_update(table: MetricTable, run: str, columns: ScalarColumns) -> None:
    """MetricTable.update as it was: one batch, a NaN-aware extreme per tag slice."""
    def extreme(values: np.ndarray, current: float, use_max: bool) -> float:
        finite = values[~np.isnan(values)]
        if not finite.size:
            return current
        best = float(finite.max() if use_max else finite.min())
        if np.isnan(current):
            return best
        return max(current, best) if use_max else min(current, best)

    order = np.argsort(columns.tag_index, kind="stable")
    sorted_tags = columns.tag_index[order]
    starts = np.flatnonzero(np.r_[True, sorted_tags[1:] != sorted_tags[:-1]])
    ends = np.r_[starts[1:], sorted_tags.size]
    per_run = table.runs.setdefault(run, {})
    values, steps, walls = (np.asarray(a, np.float64)[order]
                            for a in (columns.value, columns.step, columns.wall_time))
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        tag = columns.tags[int(sorted_tags[start])]
        chunk = values[start:end]
        summary = per_run.setdefault(tag, MetricSummary())
        summary.final = float(chunk[-1])
        summary.min = extreme(chunk, summary.min, use_max=False)
        summary.max = extreme(chunk, summary.max, use_max=True)
        summary.last_step = float(steps[end - 1])
        summary.last_wall_time = float(walls[end - 1])
        summary.count += int(chunk.size)
        summary.tail = np.concatenate([summary.tail, chunk[-table.last_n:]])[-table.last_n:]


def _frames_equal(new: pd.DataFrame, old: pd.DataFrame) -> None:
    assert list(new.columns) == list(old.columns)
    pd.testing.assert_frame_equal(new, old, check_exact=True)
    keys = ("hparams", "hparam_kinds", "metrics", "metric_summaries", "metric_tags")
    assert {k: new.attrs[k] for k in keys} == {k: old.attrs[k] for k in keys}


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    logdir = tmp_path_factory.mktemp("hp_scale") / "sweep"
    _torch_sweep(logdir)
    _nbviz_sweep(logdir)
    return logdir


def _same_run(new: EventRun, old: EventRun) -> None:
    a, b = new.scalars_since(0)[0], old.scalars_since(0)[0]
    assert a.tags == b.tags and new._scalars.tags == old._scalars.tags
    for name in ("seq", "tag_index", "step", "wall_time", "value"):
        assert np.array_equal(getattr(a, name), getattr(b, name), equal_nan=True), name
    assert len(new._tensors) == len(old._tensors)
    for x, y in zip(new._tensors, old._tensors, strict=True):
        assert (x.kind, x.tag, x.step, x.wall_time, x.extra, x.seq) == (
            y.kind, y.tag, y.step, y.wall_time, y.extra, y.seq)
        assert np.array_equal(x.array, y.array, equal_nan=True)
    assert new.meta == old.meta and new.purges == old.purges
    assert [str(p) for p in new.problems] == [str(p) for p in old.problems]
    assert {k: (s.offset, s.size) for k, s in new._files.items()} == {
        k: (s.offset, s.size) for k, s in old._files.items()}


@pytest.mark.parametrize("wanted", [frozenset({"scalar", "hparams"}), None])
def test_bulk_reader_builds_the_runs_refresh_builds(sweep: Path,
                                                    wanted: frozenset[str] | None) -> None:
    dirs = find_event_runs(sweep)
    assert len(dirs) >= TRIALS
    new, old = bulk.read_event_runs(dirs, wanted), _one_by_one(dirs, wanted)
    assert list(new) == list(old)
    for name in dirs:
        _same_run(new[name], old[name])
    # file offsets are where refresh() stops: a later refresh reads only new bytes
    run = new["torch/trial03"]
    assert run.refresh() is False


def test_bulk_reader_leaves_damaged_and_unusual_runs_to_the_careful_reader(
        sweep: Path, tmp_path: Path) -> None:
    import shutil

    logdir = tmp_path / "odd"
    for name in ("trial01", "trial02", "trial03", "trial04"):
        shutil.copytree(sweep / "torch" / name, logdir / name)
    files = sorted((logdir / "trial02").glob("*tfevents*"), key=lambda p: p.stat().st_size)
    data = bytearray(files[-1].read_bytes())
    data[40] ^= 0xFF  # a bad data CRC in the middle
    files[-1].write_bytes(bytes(data))
    with open(sorted((logdir / "trial03").glob("*tfevents*"))[-1], "ab") as handle:
        handle.write(struct.pack("<Q", 100) + b"\0\0")  # a record cut short (still writing)
    writer = torch_tb.SummaryWriter(str(logdir / "trial04"), purge_step=5)  # a session log
    writer.add_scalar("train/loss", 0.25, 6)
    writer.close()
    dirs = find_event_runs(logdir)
    new, old = bulk.read_event_runs(dirs), _one_by_one(dirs)
    for name in dirs:
        _same_run(new[name], old[name])
    assert new["trial02"].problems  # the damage is reported, as refresh() reports it
    assert new["trial04"].purges


def test_update_many_equals_update_batch_by_batch() -> None:
    rng = np.random.default_rng(0)
    batches = []
    for k in range(40):
        n = int(rng.integers(1, 30))
        tags = ["a", "b", "c"][: 1 + k % 3]
        value = rng.normal(size=n)
        value[rng.random(n) < 0.2] = np.nan
        if k % 7 == 0:
            value[:] = np.nan  # all-NaN batch: min / max unchanged
        batches.append((f"run{k % 9}", ScalarColumns(
            seq=np.arange(n), tag_index=rng.integers(0, len(tags), n).astype(np.int32),
            step=np.arange(n, dtype=np.float64) + k, wall_time=rng.random(n), value=value,
            tags=tags)))
    many, old = MetricTable(last_n=4), MetricTable(last_n=4)
    many.update_many(batches[:17])
    many.update_many(batches[17:])
    for run, columns in batches:
        _old_update(old, run, columns)
    assert list(many.runs) == list(old.runs)
    for run, tags in old.runs.items():
        assert list(many.runs[run]) == list(tags)
        for tag, want in tags.items():
            got = many.runs[run][tag]
            for field in ("final", "min", "max", "last_step", "last_wall_time", "count",
                          "mean_last"):
                assert np.array_equal(getattr(got, field), getattr(want, field),
                                      equal_nan=True), (run, tag, field)
            assert np.array_equal(got.tail, want.tail, equal_nan=True)


def _panel_frame(logdir: Path) -> pd.DataFrame:
    panel = nbviz.HParams(logdir)
    try:
        return panel.frame
    finally:
        panel.close()


def test_read_and_panel_tables_equal_the_run_by_run_path(
        sweep: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    new, panel_new = nbviz.read(sweep, kind="hparams"), _panel_frame(sweep)
    assert len(new) == TRIALS + 3
    assert set(new["hparams_from"]) >= {"config+nbviz/lr=0.1"}
    curve = nbviz.read(sweep, runs=["torch/trial02"], tags=["train/loss"])  # 14 steps
    trial = new.set_index("run").loc["torch/trial02"]
    assert trial["train/loss"] == curve["value"].iloc[-1] != curve["value"].iloc[0]
    assert trial["train/loss (max)"] == curve["value"].max()
    assert trial["hparam/acc"] == pytest.approx(new.set_index("run").loc[
        "torch/trial02", "hparam/acc"])
    monkeypatch.setattr(bulk, "read_event_runs", _one_by_one)
    monkeypatch.setattr(events_module, "preload_shared", _shared_one_by_one)
    monkeypatch.setattr(MetricTable, "update_many", lambda self, batches: [
        _old_update(self, run, columns) for run, columns in batches])
    old, panel_old = nbviz.read(sweep, kind="hparams"), _panel_frame(sweep)
    _frames_equal(new, old)
    _frames_equal(panel_new, panel_old)
    # the panel shows what read() reads (metric columns may come in another order: the
    # panel meets tags run by run, read() all runs' at once)
    assert sorted(panel_new.columns) == sorted(new.columns)
    pd.testing.assert_frame_equal(panel_new, new[list(panel_new.columns)], check_exact=True)
