"""The columnar run store: chunk codecs, the summary table, subset reads, old (v1) stores."""

from __future__ import annotations

import math
import shutil
import sqlite3
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import nbviz
from nbviz.store import chunks
from nbviz.store.chunks import (
    decode_block,
    decode_floats,
    decode_ints,
    encode_floats,
    encode_ints,
    encode_walls,
)
from nbviz.store.query import scalar_series, tag_summaries
from nbviz.store.sqlite import DB_FILENAME, StoreReader

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
sys.path.insert(0, str(FIXTURES))

from make_v1_store import expected_v1_values  # noqa: E402
from make_xor_walls_store import expected_xor_walls_rows  # noqa: E402


def _bits(values: np.ndarray) -> list[int]:
    return np.asarray(values, dtype=np.float64).view(np.uint64).tolist()


@pytest.mark.parametrize("values", [
    np.array([math.nan, math.inf, -math.inf, -0.0, 0.0, 5e-324, 1.5]),
    np.random.default_rng(0).standard_normal(1000),
    np.full(300, 0.25),
    1.7e9 + np.arange(500) * 0.013,
])
def test_float_columns_round_trip_bit_exact(values: np.ndarray) -> None:
    assert _bits(decode_floats(encode_floats(values), values.size)) == _bits(values)


@pytest.mark.parametrize(("walls", "codec"), [
    (1.79e9 + np.cumsum(np.full(400, 0.0021)), b"4"),  # 0.84 s: 4-byte offsets
    (1.79e9 + np.arange(50) * 1e-5, b"2"),
    (np.full(3, 1.79e9), b"1"),
    (np.array([1.79e9]), b"1"),
    (np.array([-1.5, -1.5000001, -1.4999999]), b"4"),  # negative: offsets wrap, still exact
    (np.array([math.nan, math.nan]), b"1"),  # the same bits
    (np.r_[1.79e9 + np.arange(99) * 0.1, 1.79e9 + 3 * 86_400.0], b"X"),  # resumed days later
    (np.random.default_rng(5).uniform(1e9, 2e9, 50), b"R"),  # random stamps
])
def test_wall_columns_take_the_narrowest_offset_codec_and_round_trip(
        walls: np.ndarray, codec: bytes) -> None:
    blob = encode_walls(walls)
    assert blob[:1] == codec
    assert _bits(decode_floats(blob, walls.size)) == _bits(walls)
    block = decode_block([blob, blob], walls.size, floats=True)
    assert [_bits(row) for row in block] == [_bits(walls)] * 2
    if codec in b"124":
        assert len(blob) == 9 + int(codec) * walls.size


def test_large_tiles_are_copied_per_blob_and_decode_the_same(
        monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(7)
    walls = [1.79e9 + np.cumsum(rng.uniform(0, 0.01, 300)) for _ in range(4)]
    values = [rng.standard_normal(300) for _ in range(4)]
    blobs = [encode_walls(w) for w in walls] + [encode_floats(v) for v in values]
    assert {blob[:1] for blob in blobs} == {b"4", b"R"}
    joined = decode_block(blobs, 300, floats=True)
    monkeypatch.setattr(chunks, "_JOINED", 0)  # every tile over the join limit
    copied = decode_block(blobs, 300, floats=True)
    assert [_bits(row) for row in copied] == [_bits(row) for row in joined] == [
        _bits(column) for column in walls + values]


def test_offset_columns_of_the_wrong_length_raise_value_error() -> None:
    blob = encode_walls(1.79e9 + np.arange(4) * 0.5)
    with pytest.raises(ValueError, match="as many values"):
        decode_floats(blob, 5)
    with pytest.raises(ValueError, match="as many values"):
        decode_block([blob, blob[:-1]], 4, floats=True)


@pytest.mark.parametrize("values", [
    np.arange(1000) * 3 + 7, np.array([5]), np.array([0, 10, 11, 500, 2**53]),
    np.array([9, 3, 3, 0]),
])
def test_int_columns_round_trip(values: np.ndarray) -> None:
    assert decode_ints(encode_ints(values), values.size).tolist() == values.tolist()


def test_regular_steps_and_smooth_wall_times_cost_almost_nothing() -> None:
    assert len(encode_ints(np.arange(100_000))) == 17  # (first, stride)
    walls = 1.79e9 + np.cumsum(np.full(10_000, 0.0021))
    assert len(encode_floats(walls)) < 3 * walls.size


def test_undecodable_blobs_raise_value_error() -> None:
    with pytest.raises(ValueError, match="codec"):
        decode_floats(b"Q123", 1)
    with pytest.raises(ValueError, match="expected 16"):
        decode_floats(b"R" + bytes(8), 2)


def _frame_rows(frame: pd.DataFrame) -> list[tuple[str, int, float]]:
    return list(zip(frame["tag"], frame["step"].tolist(), frame["value"].tolist(), strict=True))


def _same(a: list[tuple[str, int, float]], b: list[tuple[str, int, float]]) -> bool:
    return len(a) == len(b) and all(
        x[:2] == y[:2] and (x[2] == y[2] or (math.isnan(x[2]) and math.isnan(y[2])))
        for x, y in zip(a, b, strict=True))


@pytest.fixture
def v1_logdir(tmp_path: Path) -> Path:
    """A copy of the store written by the nbviz of commit 8ed766e (schema version 1)."""
    logdir = tmp_path / "runs"
    shutil.copytree(FIXTURES / "v1_store", logdir)
    return logdir


def test_a_v1_store_reads_identically(v1_logdir: Path) -> None:
    db = v1_logdir / "old" / DB_FILENAME
    with sqlite3.connect(db) as connection:  # the legacy rows, as the old reader saw them
        legacy = connection.execute(
            "SELECT g.name, s.step, s.wall_time, s.value FROM scalars s "
            "JOIN tags g ON g.id = s.tag_id ORDER BY s.seq").fetchall()
        assert connection.execute("SELECT value FROM meta WHERE key = 'schema_version'"
                                  ).fetchone()[0] == "1"
    frame = nbviz.read(v1_logdir)
    assert frame.attrs["problems"] == []
    assert _same(_frame_rows(frame), expected_v1_values())
    assert frame["wall_time"].tolist() == [wall for _, _, wall, _ in legacy]
    assert frame["run"].unique().tolist() == ["old"]
    histograms = nbviz.read(v1_logdir, kind="histograms")
    assert histograms["tag"].tolist() == ["weights"] and histograms["num"].tolist() == [20.0]
    summary = tag_summaries(v1_logdir / "old").set_index("tag")
    assert summary.loc["loss", "count"] == 40 and summary.loc["loss", "last_step"] == 39
    assert summary.loc["loss", "min"] == 1 / 40 and summary.loc["acc", "max"] == 39 / 40
    assert summary.loc["odd", "count"] == 3 and math.isnan(summary.loc["odd", "min"])
    assert summary.loc["odd", "last_value"] == -math.inf
    series = scalar_series(v1_logdir / "old", ["acc"], (10, 12))
    assert list(series) == ["acc"]
    assert series["acc"].step.tolist() == [10, 11, 12]
    assert series["acc"].value.tolist() == [0.25, 11 / 40, 0.3]
    with sqlite3.connect(db) as connection:  # reading changed nothing
        assert connection.execute("SELECT COUNT(*) FROM scalars").fetchone()[0] == len(legacy)
        assert connection.execute("SELECT name FROM sqlite_master WHERE name = "
                                  "'scalar_chunks'").fetchone() is None


def _wall_value_rows(frame: pd.DataFrame) -> list[tuple[str, int, int, int]]:
    return list(zip(frame["tag"].astype(str), frame["step"].tolist(),
                    _bits(frame["wall_time"]), _bits(frame["value"]), strict=True))


def _wall_codecs(db: Path) -> dict[str, bytes]:
    with sqlite3.connect(db) as connection:
        codecs = dict(connection.execute(
            "SELECT g.name, substr(c.walls, 1, 1) FROM scalar_chunks c "
            "JOIN tags g ON g.id = c.tag_id"))
    connection.close()
    return codecs


def test_a_store_with_zlib_wall_columns_reads_bit_exactly(tmp_path: Path) -> None:
    # written by the nbviz of 3b8f6dd (tests/fixtures/make_xor_walls_store.py): wall
    # times in the X / R codecs, read now by the bulk reader and by StoreReader
    logdir = tmp_path / "runs"
    shutil.copytree(FIXTURES / "xor_walls_store", logdir)
    assert _wall_codecs(logdir / "xor" / DB_FILENAME) == {
        "loss": b"X", "lr": b"X", "odd": b"X", "stamped": b"R"}
    expected = [(tag, step, *_bits(np.array([wall, value])))
                for tag, step, wall, value in expected_xor_walls_rows()]
    frame = nbviz.read(logdir)
    assert frame.attrs["problems"] == []
    assert _wall_value_rows(frame) == expected
    reader = StoreReader(logdir / "xor")
    try:
        columns = reader.scalars_between(0)
    finally:
        reader.close()
    assert list(zip([columns.tags[i] for i in columns.tag_index.tolist()],
                    columns.step.astype(np.int64).tolist(), _bits(columns.wall_time),
                    _bits(columns.value), strict=True)) == expected
    summary = tag_summaries(logdir / "xor").set_index("tag")
    assert summary.loc["stamped", "last_wall_time"] == expected_xor_walls_rows()[-1][2]
    # the same rows logged now: offset codecs where a chunk's span fits, the old ones
    # where it does not (the jump of days, random stamps); read back the same bits
    with nbviz.init("now", logdir=logdir) as run:
        for tag, step, wall, value in expected_xor_walls_rows():
            run.log({tag: value}, step=step, wall_time=wall)
    assert _wall_codecs(logdir / "now" / DB_FILENAME) == {
        "loss": b"X", "lr": b"4", "odd": b"4", "stamped": b"R"}
    both = nbviz.read(logdir)
    assert _wall_value_rows(both[both["run"] == "now"]) == expected
    assert _wall_value_rows(both[both["run"] == "xor"]) == expected


def test_appending_to_a_v1_store_keeps_its_rows_and_adds_chunks(v1_logdir: Path) -> None:
    with nbviz.init("old", logdir=v1_logdir, if_exists="append") as run:
        run.log({"loss": 0.01})  # auto step: continues after the last stored step
        run.log({"new": 7.0}, step=100)
    frame = nbviz.read(v1_logdir)
    expected = [*expected_v1_values(), ("loss", 40, 0.01), ("new", 100, 7.0)]
    assert _same(_frame_rows(frame), expected)
    summary = tag_summaries(v1_logdir / "old").set_index("tag")
    assert summary.loc["loss", "count"] == 41 and summary.loc["loss", "last_value"] == 0.01
    assert summary.loc["loss", "first_step"] == 0 and summary.loc["new", "count"] == 1
    assert summary.loc["acc", "count"] == 40
    with sqlite3.connect(v1_logdir / "old" / DB_FILENAME) as connection:
        assert connection.execute("SELECT COUNT(*) FROM scalars").fetchone()[0] == 83
        assert connection.execute("SELECT SUM(count) FROM scalar_chunks").fetchone()[0] == 2


def _many_flushes(logdir: Path) -> None:
    for name, scale in (("lr=0.1", 1.0), ("lr=0.01", 2.0), ("other", 3.0)):
        with nbviz.init(name, logdir=logdir) as run:
            for step in range(300):
                run.log({"loss": scale / (step + 1), "acc/train": step * scale,
                         "acc/val": -step * scale}, step=step)
                if step % 50 == 49:
                    run.flush()  # several chunks per tag


def test_summary_table_and_series_match_the_values(logdir: Path) -> None:
    _many_flushes(logdir)
    run_dir = logdir / "lr=0.1"
    frame = nbviz.read(logdir, runs=["lr=0.1"])
    summary = tag_summaries(run_dir)
    assert summary["tag"].tolist() == ["loss", "acc/train", "acc/val"]
    for row in summary.itertuples():
        values = frame[frame["tag"] == row.tag]
        assert row.count == len(values) == 300
        assert (row.first_step, row.last_step) == (0, 299)
        assert row.min == values["value"].min() and row.max == values["value"].max()
        assert row.last_value == values["value"].iloc[-1]
        assert row.last_wall_time == values["wall_time"].iloc[-1]
    series = scalar_series(run_dir, r"^acc/", (95, 104))
    assert list(series) == ["acc/train", "acc/val"]
    assert series["acc/train"].step.tolist() == list(range(95, 105))
    assert series["acc/val"].value.tolist() == [-float(s) for s in range(95, 105)]
    assert series["acc/train"].step.dtype == np.int64
    assert scalar_series(run_dir, ["nope"]) == {}
    assert scalar_series(run_dir, None, (1000, None)) == {}
    with pytest.raises(ValueError, match="'tags'"):
        scalar_series(run_dir, "(")
    with pytest.raises(TypeError, match="step range"):
        scalar_series(run_dir, None, (1.5, 2))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="'run_dir'"):
        tag_summaries(3)  # type: ignore[arg-type]
    empty = tag_summaries(logdir / "missing")
    assert len(empty) == 0 and list(empty.columns)[:3] == ["tag", "count", "first_step"]


def test_a_subset_read_equals_the_filtered_full_read(logdir: Path) -> None:
    _many_flushes(logdir)
    full = nbviz.read(logdir)
    part = nbviz.read(logdir, runs=r"^lr=", tags=["loss", "acc/val"], steps=(40, 120))
    chosen = full[full["run"].str.match(r"^lr=") & full["tag"].isin(["loss", "acc/val"])
                  & full["step"].between(40, 120)]
    as_text = {"run": str, "tag": str}  # categories differ: only the chosen ones are read
    pd.testing.assert_frame_equal(part.astype(as_text).reset_index(drop=True),
                                  chosen.astype(as_text).reset_index(drop=True))
    assert list(part["run"].cat.categories) == ["lr=0.01", "lr=0.1"]
    assert len(part) == 2 * 2 * 81
    only_tail = nbviz.read(logdir, tags="train", steps=(290, None))
    assert set(only_tail["tag"]) == {"acc/train"} and len(only_tail) == 3 * 10
    with pytest.raises(ValueError, match="kind='scalars'"):
        nbviz.read(logdir, kind="histograms", tags="x")
    with pytest.raises(TypeError, match="'runs'"):
        nbviz.read(logdir, runs=3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="lo > hi"):
        nbviz.read(logdir, steps=(5, 1))


def test_a_subset_of_a_live_run_includes_its_unflushed_values(logdir: Path) -> None:
    run = nbviz.init("live", logdir=logdir, flush_secs=3600)
    try:
        for step in range(10):
            run.log({"a": float(step), "b": -float(step)}, step=step)
        part = nbviz.read(logdir, tags=["b"], steps=(3, 5))
        assert part["value"].tolist() == [-3.0, -4.0, -5.0]
    finally:
        run.finish()


def test_tensorboard_run_directories_are_summarised_too(tmp_path: Path) -> None:
    from torch.utils.tensorboard import SummaryWriter

    with SummaryWriter(str(tmp_path / "tb")) as writer:
        for step in range(20):
            writer.add_scalar("loss", 1.0 / (step + 1), step)
        writer.add_scalar("single", 5.0, 3)
    summary = tag_summaries(tmp_path / "tb").set_index("tag")
    assert summary.loc["loss", "count"] == 20 and summary.loc["single", "count"] == 1
    assert summary.loc["loss", "last_value"] == pytest.approx(1 / 20)
    series = scalar_series(tmp_path / "tb", "loss", (18, None))
    assert series["loss"].step.tolist() == [18, 19]


def test_a_damaged_chunk_is_left_out_and_reported(logdir: Path) -> None:
    _many_flushes(logdir)
    db = logdir / "other" / DB_FILENAME
    with sqlite3.connect(db) as connection:
        chunks = connection.execute("SELECT id, count FROM scalar_chunks").fetchall()
        assert [count for _, count in chunks] == [300, 300, 300]  # merged by finish()
        connection.execute("UPDATE scalar_chunks SET vals = X'5800' WHERE id = ?",
                           (chunks[1][0],))
    reader = StoreReader(logdir / "other")
    columns = reader.scalars_between(0)
    assert len(columns) == 900 - 300  # one chunk (one tag) lost, the rest kept
    assert columns.tags == ["loss", "acc/val"]
    assert any("cannot be decoded" in str(problem) for problem in reader.problems())
    reader.close()


def test_a_value_costs_few_bytes(logdir: Path) -> None:
    rng = np.random.default_rng(3)
    values = rng.standard_normal((20_000, 5)).cumsum(axis=0).tolist()  # random walks
    with nbviz.init("bytes", logdir=logdir) as run:
        for step, row in enumerate(values):
            run.log(dict(zip(("a", "b", "c", "d", "e"), row, strict=True)), step=step)
    with sqlite3.connect(logdir / "bytes" / DB_FILENAME) as connection:
        used = connection.execute(
            "SELECT SUM(length(seqs) + length(steps) + length(walls) + length(vals) + 48) "
            "FROM scalar_chunks").fetchone()[0]
    # values raw (8 B: random walks do not compress), wall times as 4-byte offsets (read
    # by one add, see nbviz/store/chunks.py), seqs and steps (first, stride): ~free
    assert used / 100_000 < 12.5, f"{used / 100_000:.1f} bytes per value"


def test_finish_merges_the_small_chunks_of_a_slow_logger(logdir: Path) -> None:
    run = nbviz.init("slow", logdir=logdir, flush_secs=3600)
    tail = StoreReader(run.dir)
    seen: list[float] = []
    for step in range(60):
        run.log({"a": float(step), "b": -float(step)}, step=step)
        run.flush()  # one chunk per tag per flush, as a slow loop with 1 s flushes makes
        if step == 29:
            seen.extend(tail.scalars_between(0).value.tolist())  # a reader mid-way
    db = run.dir / DB_FILENAME
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT COUNT(*) FROM scalar_chunks").fetchone()[0] == 120
    run.finish()
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT COUNT(*) FROM scalar_chunks").fetchone()[0] == 2
    # The reader's cursor (a seq) stays valid: it gets the rest exactly once.
    seen.extend(tail.scalars_between(60).value.tolist())
    tail.close()
    expected = [v for step in range(60) for v in (float(step), -float(step))]
    assert seen == expected
    assert nbviz.read(logdir)["value"].tolist() == expected
    summary = tag_summaries(run.dir).set_index("tag")
    assert summary.loc["a", "count"] == 60 and summary.loc["b", "last_value"] == -59.0


def test_a_chunk_whose_bytes_changed_is_caught_by_its_checksum(logdir: Path) -> None:
    with nbviz.init("crc", logdir=logdir) as run:
        for step in range(600):  # values that do not compress: stored raw ("R")
            run.log({"a": float(np.sin(step * 1.3)), "b": float(np.cos(step))}, step=step)
    db = logdir / "crc" / DB_FILENAME
    with sqlite3.connect(db) as connection:
        (blob,) = connection.execute("SELECT vals FROM scalar_chunks WHERE id = 1").fetchone()
        assert blob[:1] == b"R"
        damaged = blob[:100] + bytes([blob[100] ^ 0x40]) + blob[101:]  # one bit, same length
        connection.execute("UPDATE scalar_chunks SET vals = ? WHERE id = 1", (damaged,))
    reader = StoreReader(logdir / "crc")
    columns = reader.scalars_between(0)
    assert columns.tags == ["b"] and len(columns) == 600  # never a silently wrong number
    assert any("cannot be decoded" in str(problem) for problem in reader.problems())
    reader.close()
