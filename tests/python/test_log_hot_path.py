"""The log() hot path (issue 18): one append per call, tags validated once, columns at flush.

Real torch tensors and real stores; no mocks.
"""

from __future__ import annotations

import gc
import sqlite3
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

import nbviz
from nbviz.record.pending import FIELDS, PendingScalars, record
from nbviz.record.values import DeferredTensor
from nbviz.store.chunks import build_chunks, build_coded_chunks, decode_floats, decode_ints
from nbviz.store.sqlite import DB_FILENAME, StoreReader, StoreWriter

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from _stats import median_ci  # benchmarks/ is not a package


def _stored(run_dir: Path) -> tuple[np.ndarray, ...]:
    """(seq, tag, step, wall, value) of every stored scalar, in seq order."""
    reader = StoreReader(run_dir)
    try:
        columns = reader.scalars_between(0)
    finally:
        reader.close()
    tags = np.array(columns.tags, dtype=object)[columns.tag_index]
    return columns.seq, tags, columns.step, columns.wall_time, columns.value


def test_a_logged_dict_is_copied_so_later_changes_do_not_leak(logdir: Path) -> None:
    run = nbviz.init("copy", logdir=logdir)
    data = {"loss": 1.0, "acc": 0.5}
    run.log(data, step=0)
    data["loss"] = 99.0  # the caller reuses its dict
    data["new"] = 3.0
    run.log({"loss": 2.0}, step=1)
    run.finish()
    frame = nbviz.read(logdir)
    assert sorted(zip(frame.tag, frame.step, frame.value, strict=True)) == [
        ("acc", 0, 0.5), ("loss", 0, 1.0), ("loss", 1, 2.0)]


def test_a_tag_is_validated_once_and_a_bad_one_still_writes_nothing(logdir: Path) -> None:
    run = nbviz.init("tags", logdir=logdir)
    run.log({"loss": 1.0}, step=0)
    assert "loss" in run._valid_tags
    with pytest.raises(ValueError, match=r"metric name 'bad\\x01' contains control"):
        run.log({"loss": 2.0, "bad\x01": 1.0}, step=1)
    assert "bad\x01" not in run._valid_tags
    with pytest.raises(TypeError, match=r"value for 'loss' is str"):
        run.log({"loss": "x"}, step=2)  # a cached tag's value is still checked
    run.finish()
    frame = nbviz.read(logdir)
    assert frame.step.tolist() == [0]


@pytest.mark.parametrize(
    ("value", "expected"),
    [(torch.tensor(0.25), 0.25), (torch.tensor([0.5]), 0.5), (torch.tensor(3), 3.0),
     (torch.tensor(True), 1.0), (torch.tensor(0.75, requires_grad=True) * 1, 0.75),
     (np.float32(0.5), 0.5), (np.int64(7), 7.0), (True, 1.0), (2**60, float(2**60))],
)
def test_values_of_every_kind_become_floats(logdir: Path, value: object,
                                            expected: float) -> None:
    run = nbviz.init("kinds", logdir=logdir)
    run.log({"v": value}, step=0)
    run.finish()
    assert nbviz.read(logdir).value.tolist() == [expected]


def test_the_0d_tensor_fast_path_reads_each_dtype_and_view_exactly(logdir: Path) -> None:
    """Once a first tensor is seen, 0-d CPU tensors take log()'s one-``item()`` path: it
    must read what the checked path reads (float64 bits, views, negated views, integer
    and bool dtypes) and still refuse a tensor of several elements, naming the tag."""
    run = nbviz.init("fast0d", logdir=logdir)
    run.log({"v": torch.tensor(1.0)}, step=0)  # the first tensor: the checked path
    big = torch.arange(10, dtype=torch.float64) / 3
    values = [torch.tensor(0.1, dtype=torch.float64), big[7], torch.tensor(1.5)._neg_view(),
              torch.tensor(0.3, dtype=torch.float16), torch.tensor(-4, dtype=torch.int8),
              torch.tensor(False), torch.nn.Parameter(torch.tensor(2.5))]
    for step, value in enumerate(values, start=1):
        run.log({"v": value}, step=step)
    with pytest.raises(ValueError, match=r"'v' is a tensor with 2 elements"):
        run.log({"v": torch.zeros(2)}, step=99)
    run.finish()
    expected = [1.0, 0.1, 7 / 3, -1.5, float(np.float16(0.3)), -4.0, 0.0, 2.5]
    assert nbviz.read(logdir).value.tolist() == expected


def test_a_cpu_only_torch_skips_the_device_check_and_a_device_tensor_is_deferred(
        logdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The flag that lets log() skip ``is_cpu`` says what this torch build is; and with it
    off (a torch with an accelerator), a tensor that is not on the CPU is kept, not read."""
    from nbviz.record import values

    values.coerce_scalar("v", torch.tensor(1.0), where="log()")  # sets the flag
    assert values.CPU_ONLY is (torch.accelerator.current_accelerator() is None)

    class OnDevice(torch.Tensor):  # a tensor that says it is on an accelerator
        @property
        def is_cpu(self) -> bool:  # type: ignore[override]
            return False

    monkeypatch.setattr(values, "CPU_ONLY", False)
    run = nbviz.init("device", logdir=logdir)
    run.log({"v": torch.tensor(0.5)}, step=0)
    run.log({"v": torch.tensor(1.5).as_subclass(OnDevice)}, step=1)
    assert run._scalars.deferred  # kept for the flusher, not read in log()
    run.finish()
    assert nbviz.read(logdir).value.tolist() == [0.5, 1.5]


def test_a_deferred_tensor_is_read_as_it_was_when_logged() -> None:
    """A device tensor is read at flush: the value is the one at log() time even if the
    caller changes the tensor in place meanwhile (a running sum zeroed each epoch)."""
    from nbviz.record.values import coerce_scalar, materialize

    class OnDevice(torch.Tensor):
        @property
        def is_cpu(self) -> bool:  # type: ignore[override]
            return False

    running = torch.tensor(1.5).as_subclass(OnDevice)
    deferred = coerce_scalar("loss", running, where="log()")
    assert type(deferred) is DeferredTensor
    running.zero_()
    assert materialize([deferred]) == [1.5]


def test_a_two_element_or_complex_tensor_is_refused_naming_the_tag(logdir: Path) -> None:
    run = nbviz.init("refuse", logdir=logdir)
    with pytest.raises(ValueError, match=r"'w' is a tensor with 2 elements"):
        run.log({"w": torch.zeros(2)})
    with pytest.raises(TypeError, match=r"'c' is a complex tensor"):
        run.log({"c": torch.tensor(1 + 2j)})
    with pytest.raises(ValueError, match=r"'big' is int .*too large for a float64"):
        run.log({"big": 10**400})
    run.finish()
    assert len(nbviz.read(logdir)) == 0


def test_threads_logging_at_once_store_every_value_once_with_unique_seqs(logdir: Path) -> None:
    run = nbviz.init("threads", logdir=logdir, flush_secs=0.01)
    per_thread, threads = 3000, 4

    def work(index: int) -> None:
        for step in range(per_thread):
            run.log({f"t{index}/a": float(step), f"t{index}/b": -float(step)}, step=step)
            if step % 7 == 0:
                run._log_floats({f"t{index}/meter": 1.0}, step, 1.7e9)

    workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    run.finish()
    with sqlite3.connect(run.dir / DB_FILENAME) as db:
        chunks = db.execute("SELECT COUNT(*) FROM scalar_chunks").fetchone()[0]
    seq = _stored(run.dir)[0]
    meters = len(range(0, per_thread, 7))
    assert len(seq) == threads * (2 * per_thread + meters)
    assert np.array_equal(np.sort(seq), np.arange(len(seq)))  # each seq once, none missing
    assert chunks > threads * 3  # several flushes happened while the threads logged
    frame = nbviz.read(logdir)
    for index in range(threads):
        series = frame[frame.tag == f"t{index}/a"].sort_values("step")
        assert series.value.tolist() == [float(s) for s in range(per_thread)]


def test_a_reader_tailing_by_seq_sees_each_pending_value_once() -> None:
    pending = PendingScalars(base_seq=10)
    pending.calls.extend(record(("a", "b"), 0, 1.0, (1.0, 2.0)))
    pending.calls.extend(record(("a",), 1, 2.0, (3.0,)))
    pending.calls.extend(record((), 2, 3.0, ()))
    pending.calls.extend(record(("a", "b"), 3, 4.0, (5.0, 6.0)))
    base, rows = pending.rows_since(0)
    assert base == 10 and [row[3] for row in rows] == [1.0, 2.0, 3.0, 5.0, 6.0]
    assert pending.rows_since(12)[1] == [("a", 1, 2.0, 3.0), ("a", 3, 4.0, 5.0),
                                         ("b", 3, 4.0, 6.0)]
    assert pending.rows_since(15)[1] == []
    batch = pending.batch()
    assert batch.seqs.tolist() == [10, 11, 12, 13, 14]
    assert batch.steps.tolist() == [0, 0, 1, 3, 3] and batch.tags == ["a", "b", "a", "a", "b"]
    pending.calls.extend(record(("c",), 4, 5.0, (7.0,)))  # logged while the batch is written
    pending.drop(batch)
    assert pending.rows_since(0) == (15, [("c", 4, 5.0, 7.0)])


def test_bound_drops_exactly_the_oldest_values_even_inside_a_call() -> None:
    pending = PendingScalars(base_seq=0)
    for step in range(4):
        pending.calls.extend(record(("a", "b"), step, 0.0, (float(step), float(-step))))
    assert pending.bound(5) == 3  # 8 values, keep 5: the first call and 'a' of the second
    base, rows = pending.rows_since(0)
    assert base == 3 and rows[0] == ("b", 1, 0.0, -1.0) and len(rows) == 5
    assert pending.bound(5) == 0 and pending.count() == 5


def test_deferred_tensors_are_converted_before_anything_reads_them() -> None:
    pending = PendingScalars(base_seq=0)
    pending.calls.extend(record(("a",), 0, 0.0, (1.0,)))
    pending.deferred = True
    pending.calls.extend(record(("a", "b"), 1, 0.0, (
        DeferredTensor(torch.tensor(2.5)), DeferredTensor(torch.tensor(3, dtype=torch.int32)))))
    pending.calls.extend(record(("c",), 2, 0.0, (DeferredTensor(torch.tensor(-1.0)),)))
    assert [row[3] for row in pending.rows_since(0)[1]] == [1.0, 2.5, 3.0, -1.0]
    assert pending.batch().values.tolist() == [1.0, 2.5, 3.0, -1.0]


def test_columns_and_rows_write_the_same_store(tmp_path: Path) -> None:
    rows = [("a", 0, 1.5, 0.1), ("b", 0, 1.5, float("nan")), ("a", 1, 2.5, float("inf"))]
    by_rows, by_columns = StoreWriter(tmp_path / "r"), StoreWriter(tmp_path / "c")
    by_rows.write_scalars(0, rows)
    by_columns.write_scalar_columns(np.arange(3), ["a", "b", "a"], np.array([0, 0, 1]),
                                    np.array([1.5, 1.5, 2.5]),
                                    np.array([0.1, float("nan"), float("inf")]))
    with pytest.raises(ValueError, match="steps must be in"):
        by_columns.write_scalar_columns(np.arange(3, 4), ["a"], np.array([-1]),
                                        np.array([1.0]), np.array([1.0]))
    by_rows.close()
    by_columns.close()
    left, right = _stored(tmp_path / "r"), _stored(tmp_path / "c")
    assert left[1].tolist() == right[1].tolist() == ["a", "b", "a"]
    for index in (0, 2, 3, 4):
        assert np.array_equal(left[index], right[index], equal_nan=True)


def test_pending_calls_give_the_garbage_collector_nothing_to_follow(logdir: Path) -> None:
    """A pending call holds only numbers and strings (and, for several values, one tuple
    of floats): after a collection no pending item stays tracked (a tracked entry per
    call made full collections walk the whole pending list); a one-value call leaves no
    tracked object behind at all (it adds nothing to the young generation's count), and
    calls repeating a combination of tags share one tags tuple."""
    run = nbviz.init("gc", logdir=logdir, flush_secs=3600)
    run.log({"loss": 1.0}, step=0)  # the tag is validated (and cached) by this call
    gc.disable()
    try:
        before = gc.get_count()[0]
        for step in range(1, 2001):
            run.log({"loss": 1.0 / (step + 1)}, step=step)
        grown = gc.get_count()[0] - before
    finally:
        gc.enable()
    assert grown < 100  # two tracked survivors per call (4000) in the previous layout
    for step in range(2000):
        run.log({"a": float(step), "b": 2, "c": torch.tensor(0.5)}, step=step)
    run._log_floats({"system/cpu": 3.0}, 5, 1.7e9)
    gc.collect()
    gc.collect()  # a tuple is untracked at the latest by the collection after its values'
    calls = list(run._calls)
    assert len(calls) == FIELDS * (1 + 2000 + 2000 + 1)
    assert [item for item in calls if gc.is_tracked(item)] == []
    assert calls[FIELDS * 2001] is calls[FIELDS * 2002] == ("a", "b", "c")
    assert calls[FIELDS * 2001 + 3] == (0.0, 2.0, 0.5) and calls[4:8] == ["loss", 1, calls[6], 0.5]
    assert calls[-FIELDS:] == ["system/cpu", 5, 1.7e9, 3.0]
    run.finish()
    assert len(nbviz.read(logdir)) == 1 + 2000 + 2000 * 3 + 1


def test_a_batch_groups_equal_tags_whatever_the_tuple_objects() -> None:
    """Calls are grouped by their tags tuple's identity; equal tuples that are distinct
    objects (past the cache of combinations) still give one code per tag name."""
    pending = PendingScalars(base_seq=0)
    pending.calls.extend(record(("a", "b"), 0, 1.0, (1.0, 2.0)))
    pending.calls.extend(record(tuple(["b"]), 1, 2.0, (3.0,)))
    pending.calls.extend(record((), 2, 3.0, ()))
    pending.calls.extend(record(tuple(["a", "b"]), 3, 4.0, (5.0, 6.0)))
    pending.calls.extend(record(("c",), 4, 5.0, (7.0,)))
    batch = pending.batch()
    assert batch.names == ["a", "b", "c"]
    assert batch.tags == ["a", "b", "b", "a", "b", "c"]
    assert batch.steps.tolist() == [0, 0, 1, 3, 3, 4]
    assert batch.walls.tolist() == [1.0, 1.0, 2.0, 4.0, 4.0, 5.0]
    assert batch.values.tolist() == [1.0, 2.0, 3.0, 5.0, 6.0, 7.0]
    single = PendingScalars(base_seq=7)
    for step in range(5):
        single.calls.extend(record(("x",) if step % 2 else ("y",), step, 0.5, (float(step),)))
    batch = single.batch()
    assert batch.tags == ["y", "x", "y", "x", "y"] and batch.seqs.tolist() == [7, 8, 9, 10, 11]


def test_coded_chunks_are_the_chunks_of_the_named_rows() -> None:
    rng = np.random.default_rng(5)
    names = ["loss", "acc", "lr"]
    codes = rng.integers(0, 3, 500)
    seqs, steps = np.arange(500), np.arange(500) // 3
    walls, values = 1.7e9 + rng.random(500), rng.standard_normal(500)
    values[7] = np.nan
    named = build_chunks([names[c] for c in codes], seqs, steps, walls, values)
    coded = build_coded_chunks(codes, names, seqs, steps, walls, values)  # names' order
    assert sorted(named, key=lambda chunk: chunk.tag) == sorted(coded, key=lambda c: c.tag)
    assert build_coded_chunks(np.zeros(3, np.int64), ["only", "unused"], seqs[:3], steps[:3],
                              walls[:3], values[:3])[0].count == 3


@pytest.mark.parametrize("pattern", [[1, 0, 2], [0, 1, 2], [2, 1]])
def test_coded_chunks_of_a_repeated_dict_are_those_of_shuffled_codes(pattern: list[int]
                                                                     ) -> None:
    """Codes repeating one ordering (every call logs the same dict) take strided slices
    instead of a sort: the chunks must be the same as those of the sorting path, which a
    single code out of pattern forces."""
    calls = 200
    codes = np.tile(pattern, calls)
    rows = codes.size
    seqs, steps = np.arange(rows), np.repeat(np.arange(calls), len(pattern))
    walls, values = 1.7e9 + np.arange(rows) * 1e-3, np.sin(np.arange(rows))
    names = ["loss", "acc", "lr"][: max(pattern) + 1]
    periodic = build_coded_chunks(codes, names, seqs, steps, walls, values)
    broken = codes.copy()
    broken[-1] = broken[0] if broken[-1] != broken[0] else broken[1]
    sorted_path = build_coded_chunks(broken, names, seqs, steps, walls, values)
    for chunk in periodic:
        rows_of_tag = np.flatnonzero(codes == names.index(chunk.tag))
        assert chunk.count == rows_of_tag.size
        assert decode_floats(chunk.values, chunk.count).tolist() == values[rows_of_tag].tolist()
        assert decode_ints(chunk.steps, chunk.count).tolist() == steps[rows_of_tag].tolist()
    # identical apart from the one moved row: the same tags, counts within one
    assert [c.tag for c in periodic] == [c.tag for c in sorted_path if c.count]
    assert sum(c.count for c in periodic) == sum(c.count for c in sorted_path) == rows


def test_write_scalar_columns_refuses_bad_codes_and_ragged_columns(tmp_path: Path) -> None:
    writer = StoreWriter(tmp_path / "w")
    column = np.arange(2)
    with pytest.raises(ValueError, match="'codes' must index the 1 tag name"):
        writer.write_scalar_columns(column, ["a"], column, np.ones(2), np.ones(2),
                                    codes=np.array([0, 1]))
    with pytest.raises(ValueError, match="'codes' must be 2 integers"):
        writer.write_scalar_columns(column, ["a"], column, np.ones(2), np.ones(2),
                                    codes=np.zeros(2))
    with pytest.raises(ValueError, match="must be equally long, got 2 seqs, 2 tags, 2 steps"
                                         ", 1 wall times"):
        writer.write_scalar_columns(column, ["a", "a"], column, np.ones(1), np.ones(2))
    writer.write_scalar_columns(column, ["a"], column, np.ones(2), np.array([0.5, 0.25]),
                                codes=np.zeros(2, np.int64))
    writer.close()
    stored = _stored(tmp_path / "w")
    assert stored[1].tolist() == ["a", "a"] and stored[4].tolist() == [0.5, 0.25]


def test_median_ci_brackets_the_median_and_judges_a_goal() -> None:
    rng = np.random.default_rng(1)
    samples = 1.0 + 0.01 * rng.standard_normal(200)
    estimate = median_ci(samples)
    assert estimate.low <= estimate.median <= estimate.high and estimate.n == 200
    assert estimate.high - estimate.low < 0.01
    assert estimate.verdict(1.05) == "met" and estimate.verdict(0.9) == "missed"
    assert estimate.verdict(estimate.median) == "inconclusive"
    with pytest.raises(ValueError, match="at least 2 numbers"):
        median_ci([1.0])


def test_mixed_calls_are_stored_in_call_and_tag_order_with_their_own_steps(
        logdir: Path) -> None:
    """One-value calls, several values, empty dicts, tags built anew per call (f-strings:
    equal tags, distinct objects), 0-d tensors, ints, the meters' floats, auto steps and
    explicit wall times, interleaved at random and committed across several flushes:
    every value is stored once, in call then tag order, with its step and wall time, and
    an in-process reader sees the same rows while they are pending."""
    rng = np.random.default_rng(18)
    run = nbviz.init("mixed", logdir=logdir, flush_secs=3600)
    expected: list[tuple[str, int, float]] = []
    walls: dict[int, float] = {}
    for call in range(3000):
        kind = int(rng.integers(0, 7))
        step = call
        if kind == 0:
            run.log({"loss": float(call)}, step=call)
            expected.append(("loss", call, float(call)))
        elif kind == 1:
            run.log({f"val/{'acc'}": call, "loss": torch.tensor(-call, dtype=torch.float64),
                     "lr": 0.5}, step=call)
            expected += [("val/acc", call, float(call)), ("loss", call, -float(call)),
                         ("lr", call, 0.5)]
        elif kind == 2:
            run.log({}, step=call)
        elif kind == 3:
            run.log({"".join(["g", "rad"]): torch.tensor(0.25)})  # auto step: the next one
            step = run._next_step - 1
            expected.append(("grad", step, 0.25))
        elif kind == 4:
            run.log({"loss": float(call)}, step=call, wall_time=1.5e9 + call)
            walls[len(expected)] = 1.5e9 + call
            expected.append(("loss", call, float(call)))
        elif kind == 5:
            run._log_floats({"system/cpu": 1.0 * call}, call, 1.7e9)
            walls[len(expected)] = 1.7e9
            expected.append(("system/cpu", call, float(call)))
        else:
            run._log_floats({"a": 1.0, "b": 2.0}, call, 1.7e9)
            expected += [("a", call, 1.0), ("b", call, 2.0)]
        if call % 1000 == 999:
            base, rows = run._pending_since(0)
            assert [(tag, step, value) for tag, step, _, value in rows] == expected[base:]
            run.flush()
    run.finish()
    seq, tags, steps, wall, values = _stored(run.dir)
    assert np.array_equal(seq, np.arange(len(expected)))
    assert list(zip(tags.tolist(), steps.tolist(), values.tolist(), strict=True)) == expected
    assert all(wall[index] == value for index, value in walls.items())


def test_a_finishing_writer_checkpoints_once_at_close(tmp_path: Path) -> None:
    """checkpoint_at_close_only(): a commit past SQLite's 1000-page autocheckpoint leaves
    the database file alone; close() folds everything in and leaves no WAL (what
    is_settled wants of a finished run)."""
    from nbviz.store.settled import is_settled, locked_inodes

    writer = StoreWriter(tmp_path)
    with pytest.raises(TypeError, match="'defer' must be True or False, got 'yes'"):
        writer.checkpoint_at_close_only("yes")  # type: ignore[arg-type]
    before = (tmp_path / DB_FILENAME).stat().st_size
    writer.checkpoint_at_close_only()
    rng = np.random.default_rng(0)
    count = 600_000  # ~5 MB of random values: well past 1000 pages of WAL
    writer.write_scalar_columns(np.arange(count), ["x"], np.arange(count), np.full(count, 1.7e9),
                                rng.standard_normal(count), codes=np.zeros(count, np.int64))
    assert (tmp_path / DB_FILENAME).stat().st_size == before  # not checkpointed on the way
    assert (tmp_path / f"{DB_FILENAME}-wal").stat().st_size > 1000 * 4096
    writer.close()
    assert not (tmp_path / f"{DB_FILENAME}-wal").exists()
    assert is_settled(tmp_path, locked_inodes())
    assert StoreReader(tmp_path).scalar_arrays()[0].size == count
