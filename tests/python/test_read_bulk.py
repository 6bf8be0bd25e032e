"""nbviz.read at scale (issue 18): every healthy store's chunks decoded together, the rest
read carefully — and the result is what each store's own reader gives, run by run."""

from __future__ import annotations

import shutil
import sqlite3
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from torch.utils.tensorboard import SummaryWriter as TorchWriter

import nbviz
from nbviz.store import bulk, settled
from nbviz.store.chunks import (
    count_groups,
    decode_block,
    decode_floats,
    decode_ints,
    decode_many,
    encode_floats,
    encode_ints,
    encode_walls,
)
from nbviz.store.discover import find_runs
from nbviz.store.query import SUMMARY_COLUMNS, tag_summaries, tag_summaries_many
from nbviz.store.sqlite import DB_FILENAME, StoreReader
from nbviz.store.subset import Subset

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
EVERYTHING = Subset(None, None, None)


def _read(logdir: Path, **kwargs: object) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return nbviz.read(logdir, **kwargs)  # type: ignore[arg-type]


def _rows(frame: pd.DataFrame) -> list[tuple[str, str, int, int, int]]:
    """Rows as (run, tag, step, wall bits, value bits): NaN and -0.0 compared exactly."""
    return list(zip(frame["run"].astype(str), frame["tag"].astype(str),
                    frame["step"].tolist(),
                    frame["wall_time"].to_numpy(np.float64).view(np.uint64).tolist(),
                    frame["value"].to_numpy(np.float64).view(np.uint64).tolist(),
                    strict=True))


def _store_rows(run: str, run_dir: Path) -> list[tuple[str, str, int, int, int]]:
    """One store's rows as its own reader (StoreReader, seq order) returns them."""
    reader = StoreReader(run_dir)
    try:
        columns = reader.scalars_between(0)
    finally:
        reader.close()
    return [(run, columns.tags[index], int(step), wall, value) for index, step, wall, value in
            zip(columns.tag_index.tolist(), columns.step.tolist(),
                columns.wall_time.view(np.uint64).tolist(),
                columns.value.view(np.uint64).tolist(), strict=True)]


def _mixed_logdir(logdir: Path) -> None:
    """Runs whose chunks differ in length and codec, whose tags interleave and differ, with
    odd values; written in an order unlike their names."""
    rng = np.random.default_rng(18)
    for name, steps in (("zeta", 130), ("alpha", 75), ("mid/nested", 40), ("empty", 0)):
        with nbviz.init(name, logdir=logdir) as run:
            for step in range(steps):
                values = {"loss": float(rng.standard_normal()), "acc/val": step / 7}
                if step % 3 == 0:
                    values["sparse"] = [np.nan, np.inf, -0.0][step % 9 // 3]
                if name == "zeta":
                    values[f"only-{name}"] = 1e300 * step
                run.log(values, step=step * 2 if name == "alpha" else step)
                if step % 25 == 24:
                    run.flush()  # several chunks per tag, of different lengths
    with nbviz.init("wall-irregular", logdir=logdir) as run:  # 'D' and 'X' codecs
        for step in (5, 3, 11, 2, 40, 41):
            run.log({"loss": step * 0.5}, step=step)


def test_read_equals_each_store_read_alone_in_order(logdir: Path) -> None:
    _mixed_logdir(logdir)
    frame = _read(logdir)
    runs = find_runs(logdir)
    expected = [row for name, run_dir in runs.items() for row in _store_rows(name, run_dir)]
    assert _rows(frame) == expected
    assert list(frame.columns) == ["run", "tag", "step", "wall_time", "value"]
    assert isinstance(frame["run"].dtype, pd.CategoricalDtype)
    assert isinstance(frame["tag"].dtype, pd.CategoricalDtype)
    assert list(frame["run"].cat.categories) == sorted(set(frame["run"].astype(str)))
    assert list(frame["tag"].cat.categories) == sorted(set(frame["tag"].astype(str)))
    assert frame["step"].dtype == np.int64
    assert frame.attrs["problems"] == []
    # grouping and filtering behave as on strings
    assert frame.groupby("run").size().to_dict() == {
        "alpha": 75 * 2 + 25, "mid/nested": 40 * 2 + 14, "wall-irregular": 6,
        "zeta": 130 * 3 + 44}


def test_one_thread_and_two_give_the_same_table(logdir: Path) -> None:
    _mixed_logdir(logdir)
    runs = find_runs(logdir)
    one = bulk.read_stores(runs, EVERYTHING, [], threads=1).frame()
    two = bulk.read_stores(runs, EVERYTHING, [], threads=2).frame()
    five = bulk.read_stores(runs, EVERYTHING, [], threads=5).frame()
    assert _rows(one) == _rows(two) == _rows(five)
    with pytest.raises(ValueError, match="'threads' must be an int >= 1, got 0"):
        bulk.read_stores(runs, EVERYTHING, [], threads=0)


def test_the_bulk_read_takes_its_own_thread_count(logdir: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """nbviz.read's value read defaults to BULK_READ_THREADS, not the summary readers'
    SUMMARY_READ_THREADS (two constants that once shared the name READ_THREADS)."""
    _mixed_logdir(logdir)
    runs = find_runs(logdir)
    assert bulk.BULK_READ_THREADS == 1 and not hasattr(bulk, "READ_THREADS")
    assert not hasattr(settled, "READ_THREADS")
    monkeypatch.setattr(settled, "SUMMARY_READ_THREADS", 0)  # not the bulk read's
    assert len(bulk.read_stores(runs, EVERYTHING, []).frame()) == 175 + 94 + 6 + 434
    monkeypatch.setattr(bulk, "BULK_READ_THREADS", 0)
    with pytest.raises(ValueError, match="'threads' must be an int >= 1, got 0"):
        bulk.read_stores(runs, EVERYTHING, [])


def test_subset_reads_cut_chunks_at_the_step_range(logdir: Path) -> None:
    _mixed_logdir(logdir)
    full = _read(logdir)
    part = _read(logdir, runs=["zeta", "alpha"], tags=r"^(loss|sparse)$", steps=(30, 61))
    keep = (full["run"].isin(["zeta", "alpha"]) & full["tag"].isin(["loss", "sparse"])
            & full["step"].between(30, 61))
    assert _rows(part) == _rows(full[keep])
    assert list(part["tag"].cat.categories) == ["loss", "sparse"]
    assert len(_read(logdir, tags=["no such tag"])) == 0


def test_damaged_v1_live_and_event_runs_beside_healthy_ones(logdir: Path) -> None:
    _mixed_logdir(logdir)
    shutil.copytree(FIXTURES / "v1_store" / "old", logdir / "old")  # schema version 1
    with TorchWriter(str(logdir / "tb")) as writer:  # a TensorBoard run
        for step in range(4):
            writer.add_scalar("loss", step / 4, step)
    with TorchWriter(str(logdir / "alpha")) as writer:  # event files beside a store
        writer.add_scalar("from-tb", 9.0, 1)
    damaged = logdir / "zeta" / DB_FILENAME
    with sqlite3.connect(damaged) as connection:  # one chunk's values flipped: CRC fails
        connection.execute("UPDATE scalar_chunks SET vals = CAST(zeroblob(length(vals)) AS "
                           "BLOB) WHERE id = (SELECT MIN(id) FROM scalar_chunks)")
        lost = connection.execute("SELECT count FROM scalar_chunks WHERE id = "
                                  "(SELECT MIN(id) FROM scalar_chunks)").fetchone()[0]
    connection.close()
    live = nbviz.init("live", logdir=logdir)
    try:
        live.log({"x": 1.0}, step=0)
        live.flush()
        live.log({"x": 2.0, "y": 3.0}, step=1)  # not flushed yet: read from the run itself
        frame = _read(logdir)
    finally:
        live.finish()
    by_run = frame.groupby("run", observed=True)
    assert by_run.size()["zeta"] == 130 * 3 + 44 - lost
    assert any(str(damaged) in problem and "left out" in problem
               for problem in frame.attrs["problems"])
    old = frame[frame["run"] == "old"]
    assert len(old) == len(_store_rows("old", logdir / "old")) > 0
    assert frame[frame["run"] == "live"][["tag", "step", "value"]].astype(
        {"tag": str}).values.tolist() == [["x", 0, 1.0], ["x", 1, 2.0], ["y", 1, 3.0]]
    assert frame[frame["run"] == "tb"]["value"].tolist() == [0.0, 0.25, 0.5, 0.75]
    alpha = frame[frame["run"] == "alpha"]
    assert alpha["tag"].astype(str).tolist()[-1] == "from-tb"  # the store's rows first
    assert _rows(alpha)[:-1] == _store_rows("alpha", logdir / "alpha")
    runs = frame["run"].astype(str).tolist()
    assert runs == sorted(runs)


def test_decode_block_and_decode_many_match_the_single_chunk_decoders() -> None:
    rng = np.random.default_rng(3)
    ints = [np.arange(6) * 3 + 1, np.array([4, 1, 9, 9, 0, 2]), np.arange(6)[::-1],
            np.array([2**40, 5, 7, 7, 7, -3])]
    floats = [rng.standard_normal(6), 1.7e9 + np.arange(6) * 0.5, np.full(6, np.nan),
              np.array([np.inf, -np.inf, -0.0, 5e-324, 1.0, 2.0])]
    int_blobs = [encode_ints(v) for v in ints]
    float_blobs = [encode_floats(v) for v in floats]
    float_blobs.append(b"R" + floats[0].astype("<f8").tobytes())  # both float codecs
    floats.append(floats[0])
    float_blobs.append(encode_walls(floats[1]))  # and a wall-time offset codec among them
    floats.append(floats[1])
    assert {blob[:1] for blob in int_blobs} == {b"L", b"D"}
    assert {blob[:1] for blob in float_blobs} == {b"X", b"R", b"4"}
    assert decode_block(int_blobs, 6, floats=False).tolist() == [v.tolist() for v in ints]
    block = decode_block(float_blobs, 6, floats=True)
    assert block.view(np.uint64).tolist() == [v.view(np.uint64).tolist() for v in floats]
    counts = np.array([3, 1, 5, 3, 2])
    chunks = [rng.integers(-50, 50, size=n) for n in counts]
    many = decode_many([encode_ints(c) for c in chunks], counts, floats=False)
    assert many.tolist() == np.concatenate(chunks).tolist()
    assert decode_ints(encode_ints(chunks[2]), 5).tolist() == chunks[2].tolist()
    assert decode_floats(float_blobs[1], 6).tolist() == floats[1].tolist()
    assert [(c, rows.tolist()) for c, rows in count_groups(counts)] == [
        (1, [1]), (2, [4]), (3, [0, 3]), (5, [2])]
    with pytest.raises(ValueError, match="as many values"):
        decode_block([b"R" + bytes(8)], 2, floats=True)
    with pytest.raises(ValueError, match="as many values"):
        decode_block([encode_floats(floats[1])], 5, floats=True)
    with pytest.raises(ValueError, match="codec"):
        decode_block([b"Q" + bytes(16)], 2, floats=False)
    with pytest.raises(ValueError, match="empty"):
        decode_block([b""], 2, floats=False)


def test_log_order_handles_sparse_and_repeated_seqs() -> None:
    dense = [np.array([[0, 2, 4]]), np.array([[1, 3, 5]])]
    assert [p.tolist() for p in bulk._positions(dense, 6, 6)] == [[[0, 2, 4]], [[1, 3, 5]]]
    gaps = [np.array([[0, 10]]), np.array([[4, 7]])]
    assert [p.tolist() for p in bulk._positions(gaps, 11, 4)] == [[[0, 3]], [[1, 2]]]
    sparse = [np.array([[0, 10**9]]), np.array([[5, 6]])]
    assert [p.tolist() for p in bulk._positions(sparse, 10**9 + 1, 4)] == [[[0, 3]], [[1, 2]]]
    twice = [np.array([[0, 1]]), np.array([[1, 2]])]  # stable: the earlier block first
    assert [p.tolist() for p in bulk._positions(twice, 3, 4)] == [[[0, 1]], [[2, 3]]]


@pytest.mark.parametrize("threads", [1, 2])
def test_tag_summaries_many_equals_tag_summaries_run_by_run(
        logdir: Path, threads: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settled, "SUMMARY_READ_THREADS", threads)  # one by one, side by side
    _mixed_logdir(logdir)
    shutil.copytree(FIXTURES / "v1_store" / "old", logdir / "old")
    with TorchWriter(str(logdir / "tb")) as writer:
        writer.add_scalar("loss", 0.5, 3)
    runs = {name: logdir / name for name in ("zeta", "old", "tb", "alpha", "empty")}
    many = tag_summaries_many(runs)
    assert list(many.columns) == ["run", *SUMMARY_COLUMNS]
    assert many.attrs["problems"] == []
    for name, run_dir in runs.items():
        one = tag_summaries(run_dir)
        part = many[many["run"] == name].drop(columns="run").reset_index(drop=True)
        pd.testing.assert_frame_equal(part, one, check_dtype=True)
    assert many["run"].tolist() == ["zeta"] * 4 + ["old"] * 3 + ["tb"] + ["alpha"] * 3
    assert len(tag_summaries_many({})) == 0
    with pytest.raises(TypeError, match="'run_dirs' must map run names"):
        tag_summaries_many([logdir / "zeta"])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="run names must be str"):
        tag_summaries_many({1: logdir})  # type: ignore[dict-item]


def test_interleaved_flushes_are_copied_in_place_and_equal_the_store(
        logdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tags logged together each step (flushes of k chunks, stride k) take the strided
    copy; irregular ones the scatter; both give each store's own rows in log order."""
    rng = np.random.default_rng(7)
    for name, tags in (("b-wide", 5), ("a-narrow", 2), ("c-one", 1)):
        with nbviz.init(name, logdir=logdir) as run:
            for step in range(60):
                run.log({f"t{i}": float(rng.standard_normal()) for i in range(tags)},
                        step=step)
                if step in (19, 39):
                    run.flush()  # three flushes: three pieces per run, all of one length
    with nbviz.init("d-irregular", logdir=logdir) as run:
        for step in range(30):
            run.log({"x": step * 1.5} if step % 4 else {"x": 0.0, "y": -1.0}, step=step)
    kinds: list[str] = []
    put = bulk._Target.put

    def spy(self: bulk._Target, column: np.ndarray, block: np.ndarray) -> None:
        kinds.append("scatter" if self.positions is not None else "copy")
        put(self, column, block)

    monkeypatch.setattr(bulk._Target, "put", spy)
    monkeypatch.setattr(bulk, "_TILE", 64)  # several tiles per group, cut between runs
    frame = _read(logdir)
    runs = find_runs(logdir)
    assert _rows(frame) == [row for name, run_dir in runs.items()
                            for row in _store_rows(name, run_dir)]
    assert {"copy", "scatter"} <= set(kinds)
    assert bulk._tiles(np.array([0, 0, 1, 1, 1, 2, 3]), 32) == [
        slice(0, 2), slice(2, 5), slice(5, 6), slice(6, 7)]


def test_a_store_is_settled_only_without_a_writer_and_with_an_empty_wal(logdir: Path) -> None:
    from nbviz.store.lock import WriterLock
    from nbviz.store.settled import is_settled, locked_inodes

    if locked_inodes() is None:
        pytest.skip("this system does not list file locks (/proc/locks)")
    run = nbviz.init("w", logdir=logdir)
    try:
        run.log({"x": 1.0}, step=0)
        run.flush()
        assert not is_settled(logdir / "w", locked_inodes())  # a writer at work
    finally:
        run.finish()
    assert is_settled(logdir / "w", locked_inodes())
    assert not is_settled(logdir / "w", None)  # locks unknown: never settled
    lock = WriterLock.try_acquire(logdir / "w")  # a writer starting: locked, WAL still empty
    assert lock is not None
    try:
        assert not is_settled(logdir / "w", locked_inodes())
    finally:
        lock.release()
    connection = sqlite3.connect(logdir / "w" / DB_FILENAME)  # a commit waiting in the WAL
    try:
        connection.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('k', '1')")
        connection.commit()
        assert (logdir / "w" / f"{DB_FILENAME}-wal").stat().st_size > 0
        assert not is_settled(logdir / "w", locked_inodes())
        assert _rows(_read(logdir)) == _store_rows("w", logdir / "w")  # read through mode=ro
    finally:
        connection.close()
    assert is_settled(logdir / "w", locked_inodes())  # the last connection folded the WAL in
    assert _rows(_read(logdir)) == _store_rows("w", logdir / "w")  # read immutable
