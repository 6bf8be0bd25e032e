"""Reliability of recording and reading: crashes, tailing, bad input, special values.

* ``kill -9`` of a logging process loses at most ~1 s (one flush interval) of
  data, leaves a store that opens cleanly and holds a gap-free prefix, and the
  run can be continued (``if_exists="append"``) — also 20 times in a row with
  the kill landing mid-commit while 20,000 values/s are logged.
* Tailing a run that another process writes (``RunTail``, ``LogdirSource``)
  returns every row exactly once, in order, across flushes; so does tailing a
  live ``Run`` of this process across flush boundaries.
* Invalid ``log()`` input raises with a message naming the argument, and
  writes nothing at all (no partial rows).
* NaN and ±Inf round-trip through the store exactly.
* Readers are never blocked or failed ("database is locked") by a writer that
  is in the middle of a commit.

Child processes are short Python scripts run with this interpreter; every
child is killed in a ``finally`` so a failing test leaves nothing running.
"""

from __future__ import annotations

import itertools
import math
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import nbviz
from nbviz.sources import LogdirSource, RunTail
from nbviz.store.query import tag_summaries
from nbviz.store.sqlite import DB_FILENAME, StoreReader

pytestmark = pytest.mark.slow

FLUSH_SECS = 1.0  # nbviz's default flush interval (what kill -9 may lose)


# -- helpers ---------------------------------------------------------------------------------


class Child:
    """A Python child process whose stdout lines are collected (with arrival times)."""

    def __init__(self, script: str, *args: str, cwd: Path) -> None:
        path = cwd / f"child_{time.monotonic_ns()}.py"
        path.write_text(textwrap.dedent(script), encoding="utf-8")
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            [sys.executable, str(path), *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, cwd=cwd, env=env,
        )
        self.lines: list[tuple[float, str]] = []
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._lock:
                self.lines.append((time.monotonic(), line.rstrip("\n")))

    def snapshot(self) -> list[tuple[float, str]]:
        with self._lock:
            return list(self.lines)

    def wait_for_line(self, prefix: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for _, line in self.snapshot():
                if line.startswith(prefix):
                    return line
            if self.proc.poll() is not None:
                time.sleep(0.05)  # let the reader thread drain
                for _, line in self.snapshot():
                    if line.startswith(prefix):
                        return line
                raise AssertionError(f"child exited ({self.proc.returncode}) before printing "
                                     f"{prefix!r}: {self.stderr()}")
            time.sleep(0.01)
        raise AssertionError(f"child printed no {prefix!r} line within {timeout} s")

    def send(self, line: str) -> None:
        """Write one line to the child's stdin."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def stderr(self) -> str:
        if self.proc.poll() is None or self.proc.stderr is None:
            return ""
        return self.proc.stderr.read()

    def finish(self, timeout: float = 30) -> int:
        code = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=5)
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        self._reader.join(timeout=5)
        if self.proc.stdin is not None:
            self.proc.stdin.close()


@pytest.fixture
def children() -> Iterator[list[Child]]:
    started: list[Child] = []
    try:
        yield started
    finally:
        for child in started:
            child.kill()


def rows_of(batches: list[Any]) -> list[tuple[str, str, float, float]]:
    """Flatten polled ``RunScalars`` into (run, tag, step, value) rows, in order."""
    out = []
    for batch in batches:
        columns = batch.columns
        tags = columns.tags
        for index, step, value in zip(columns.tag_index.tolist(), columns.step.tolist(),
                                      columns.value.tolist(), strict=True):
            out.append((batch.run, tags[index], step, value))
    return out


def stored_count(run_dir: Path) -> int:
    with sqlite3.connect(run_dir / DB_FILENAME) as db:
        return int(db.execute("SELECT COALESCE(SUM(count), 0) FROM scalar_chunks").fetchone()[0])


# -- kill -9 ---------------------------------------------------------------------------------

KILL_CHILD = """
import sys, time
import nbviz
run = nbviz.init("victim", logdir=sys.argv[1])
print("START", flush=True)
step = 0
next_print = time.monotonic()
while True:
    run.log({"x": float(step), "y": -float(step)}, step=step)
    if step % 20 == 19:
        time.sleep(0.001)
    now = time.monotonic()
    if now >= next_print:
        print("STEP", step, now, flush=True)
        next_print = now + 0.1
    step += 1
"""


def test_kill_9_loses_at_most_one_flush_interval_and_can_continue(
    tmp_path: Path, children: list[Child]
) -> None:
    logdir = tmp_path / "runs"
    child = Child(KILL_CHILD, str(logdir), cwd=tmp_path)
    children.append(child)
    child.wait_for_line("START", timeout=30)
    time.sleep(2.2)
    killed_at = time.monotonic()
    os.kill(child.proc.pid, signal.SIGKILL)
    child.kill()
    assert child.proc.returncode == -signal.SIGKILL

    printed = [(float(t), int(s)) for _, line in child.snapshot() if line.startswith("STEP")
               for _, s, t in [line.split()]]
    assert printed, "the child printed no progress"
    last_printed = printed[-1][1]
    # Logged more than FLUSH_SECS (+ margin for a slow commit) before the kill → must be stored.
    must_have = max((step for t, step in printed if t <= killed_at - FLUSH_SECS - 0.5),
                    default=-1)
    assert must_have > 0, f"the child logged too little before the kill: {printed[:5]}"

    frame = nbviz.read(logdir)  # opens cleanly after the crash
    assert set(frame["run"]) == {"victim"}
    assert list(frame["tag"].iloc[:2]) == ["x", "y"]
    for tag, sign in (("x", 1.0), ("y", -1.0)):
        series = frame[frame["tag"] == tag]
        steps = series["step"].to_numpy()
        assert np.array_equal(steps, np.arange(steps.size)), f"{tag}: not a gap-free prefix"
        assert np.array_equal(series["value"].to_numpy(), sign * steps.astype(np.float64))
    k = int(frame["step"].max())
    # Both tags of a log() call are committed together.
    assert (frame["tag"] == "x").sum() == (frame["tag"] == "y").sum() == k + 1
    assert k >= must_have, (
        f"kill -9 lost too much: stored steps 0..{k}, but step {must_have} was logged more "
        f"than {FLUSH_SECS} s (+0.5 s) before the kill (last printed step {last_printed})"
    )

    # The store can be written again: continue the run after the crash.
    with nbviz.init("victim", logdir=logdir, if_exists="append") as run:
        assert run.name == "victim"
        for step in range(k + 1, k + 11):
            run.log({"x": float(step), "y": -float(step)}, step=step)
    again = nbviz.read(logdir)
    x = again[again["tag"] == "x"]
    assert np.array_equal(x["step"].to_numpy(), np.arange(k + 11))
    assert np.array_equal(x["value"].to_numpy(), np.arange(k + 11, dtype=np.float64))
    assert len(again) == 2 * (k + 11)
    # The per-tag summary survived the crash and follows the values appended after it.
    summary = tag_summaries(logdir / "victim").set_index("tag")
    assert summary["count"].tolist() == [k + 11, k + 11]
    assert summary.loc["x", "last_value"] == float(k + 10)
    assert summary.loc["y", "min"] == -float(k + 10) and summary.loc["y", "max"] == 0.0


KILL_MID_COMMIT_CHILD = """
import sqlite3, sys, time
_connect = sqlite3.connect
HOLD = float(sys.argv[4])
tx = {"hold": False, "stored": -1}

def say(*parts):  # one write per line: the flusher thread prints too
    sys.stdout.write(" ".join(map(str, parts)) + "\\n")
    sys.stdout.flush()

def traced(*args, **kwargs):
    connection = _connect(*args, **kwargs)
    def trace(sql):  # sqlite3 passes each statement with its values expanded
        if sql == "BEGIN IMMEDIATE":
            tx["hold"] = True
            say("BEGIN", time.monotonic())
        elif sql == "COMMIT":
            # the last step every tag holds once this commit is durable
            say("COMMIT", time.monotonic(), tx["stored"])
        elif sql.startswith("INSERT OR REPLACE INTO scalar_tags("):
            head, _, values = sql.partition(" VALUES (")
            column = head[head.index("(") + 1:-1].split(", ").index("last_step")
            tx["stored"] = max(tx["stored"], int(values.split(", ")[column]))
            if tx["hold"]:
                # The chunks of this flush are written, the summary is next: hold the open
                # transaction (a columnar commit takes well under a millisecond) so that
                # most kills land in the middle of a chunked flush. Once per transaction:
                # the summary has one row per tag.
                tx["hold"] = False
                time.sleep(HOLD)
    connection.set_trace_callback(trace)
    return connection

sqlite3.connect = traced  # see each transaction of the store, whatever its schema
import nbviz
say("READY")
sys.stdin.readline()  # imported while the previous victim ran; go when it is dead
run = nbviz.init(sys.argv[2], logdir=sys.argv[1], flush_secs=float(sys.argv[3]))
tags = [f"t{i:02d}" for i in range(20)]
say("START")
step = 0
next_print = start = time.monotonic()
while True:
    run.log({tag: float(step) for tag in tags}, step=step)  # 20 values per step
    now = time.monotonic()
    if now >= next_print:
        say("STEP", step, now)
        next_print = now + 0.02
    delay = start + step / 1000 - now  # ~1000 steps/s: 20,000 values/s
    if delay > 0:
        time.sleep(delay)
    step += 1
"""
# The writer's flush interval in this test, and how long each of its commits is held open.
# Half nbviz's default interval, so that 20 runs reach their 2nd-4th flush in ~20 s (the
# default interval's kill -9 is tested above); the loss is checked against the interval the
# writer achieved, in flushes, not in wall time (a loaded machine stretches every interval).
MID_COMMIT_FLUSH_SECS = 0.5
MID_COMMIT_HOLD_SECS = 0.08


def transactions_of(lines: list[str]) -> list[tuple[str, float, int]]:
    """The traced (BEGIN|COMMIT, time, last step stored once committed) of a child."""
    out = []
    for line in lines:
        if line.startswith("BEGIN "):
            out.append(("BEGIN", float(line.split()[1]), -1))
        elif line.startswith("COMMIT "):
            _, when, stored = line.split()
            out.append(("COMMIT", float(when), int(stored)))
    return out


def test_kill_9_mid_commit_under_load_20_times(tmp_path: Path, children: list[Child]) -> None:
    """20 kills, each within a few ms of a commit starting, while 20,000 values/s are
    logged: every store opens cleanly, holds a gap-free prefix, holds every value of every
    commit that completed, and so lost at most the flush in flight (one flush interval).

    What was durable is read from the child's own trace (each COMMIT names the last step it
    stores), so the check does not depend on how fast this machine is; the interval the
    writer achieved (between its BEGINs) must be at most its flush interval (median), and
    the wall-clock loss is printed."""
    logdir = tmp_path / "runs"
    rng = np.random.default_rng(19)
    args = (str(MID_COMMIT_FLUSH_SECS), str(MID_COMMIT_HOLD_SECS))
    losses: list[float] = []
    intervals: list[float] = []
    mid_transaction = 0
    victim = Child(KILL_MID_COMMIT_CHILD, str(logdir), "victim00", *args, cwd=tmp_path)
    children.append(victim)
    for kill in range(20):
        name = f"victim{kill:02d}"
        child = victim
        child.wait_for_line("READY", timeout=60)
        child.send("go")
        child.wait_for_line("START", timeout=60)
        if kill < 19:  # the next victim imports nbviz meanwhile
            victim = Child(KILL_MID_COMMIT_CHILD, str(logdir), f"victim{kill + 1:02d}", *args,
                           cwd=tmp_path)
            children.append(victim)
        wanted_begins = 2 + kill % 3  # the 2nd to 4th commit of the run
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            begins = [line for _, line in child.snapshot() if line.startswith("BEGIN")]
            if len(begins) >= wanted_begins:
                break
            time.sleep(0.001)
        time.sleep(float(rng.uniform(0.0, 0.015)))
        killed_at = time.monotonic()
        os.kill(child.proc.pid, signal.SIGKILL)
        child.kill()
        lines = [line for _, line in child.snapshot()]
        traced = transactions_of(lines)
        assert sum(kind == "BEGIN" for kind, _, _ in traced) >= wanted_begins, lines[-5:]
        mid_transaction += traced[-1][0] == "BEGIN"

        frame = nbviz.read(logdir / name)
        assert frame.attrs["problems"] == [], f"kill {kill}: {frame.attrs['problems']}"
        steps = frame.groupby("tag")["step"].agg(["count", "max"])
        # The summary table matches the values that survived the crash.
        summary = tag_summaries(logdir / name).set_index("tag").sort_index()
        assert summary["count"].tolist() == steps.sort_index()["count"].tolist()
        assert summary["last_step"].tolist() == steps.sort_index()["max"].tolist()
        assert len(steps) in (0, 20), f"kill {kill}: a commit was partly stored"
        stored = int(steps["max"].max()) if len(steps) else -1
        assert (steps["count"] == stored + 1).all(), f"kill {kill}: not a gap-free prefix"
        # The store holds exactly what one commit left (or nothing) ...
        committed = [last for kind, _, last in traced if kind == "COMMIT"]
        assert stored in [-1, *committed], f"kill {kill}: stored 0..{stored}, commits {committed}"
        # ... and at least what the last commit that returned left: a COMMIT followed by
        # the next BEGIN had returned. Only the flush in flight (and what came after its
        # snapshot) is lost, however slowly this machine ran the writer.
        durable = max((last for (kind, _, last), (after, _, _) in itertools.pairwise(traced)
                       if kind == "COMMIT" and after == "BEGIN"), default=-1)
        assert stored >= durable, (
            f"kill {kill}: stored steps 0..{stored}, but a commit that had returned stored "
            f"0..{durable}: kill -9 lost more than the flush in flight ({traced})")
        begun = [when for kind, when, _ in traced if kind == "BEGIN"]
        intervals.extend(np.diff(begun).tolist())
        printed = [(int(step), float(t)) for line in lines if line.startswith("STEP")
                   for _, step, t in [line.split()]]
        # The first value not stored was logged after the last printed step <= stored.
        logged_before = [t for step, t in printed if step <= stored]
        first_lost = logged_before[-1] if logged_before else printed[0][1]
        losses.append(killed_at - first_lost)
    interval = float(np.median(intervals))
    print(f"kill -9 mid-commit x20: {mid_transaction} inside a transaction; loss median "
          f"{np.median(losses):.3f} s, worst {max(losses):.3f} s; the writer's flush interval "
          f"median {interval:.3f} s, worst {max(intervals):.3f} s (flush_secs "
          f"{MID_COMMIT_FLUSH_SECS} s)")
    assert mid_transaction >= 5, f"only {mid_transaction} of 20 kills hit a transaction"
    assert interval <= MID_COMMIT_FLUSH_SECS, (
        f"the writer flushed every {interval:.3f} s (median), more than its flush_secs "
        f"{MID_COMMIT_FLUSH_SECS} s: {intervals}")
    frame = nbviz.read(logdir)  # all 20 stores, together
    assert frame.attrs["problems"] == [] and frame["run"].nunique() <= 20


# -- tailing a run written by another process ------------------------------------------------

TAIL_CHILD = """
import sys, time
import nbviz
logdir, total, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
run = nbviz.init("tailed", logdir=logdir)
print("START", flush=True)
rate = total / seconds
t0 = time.monotonic()
for i in range(total):
    run.log({("a" if i % 3 else "b/c"): i * 0.25 - 7.0}, step=i)
    if i % 50 == 49:
        delay = t0 + i / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
run.finish()
print("DONE", flush=True)
"""


def expected_tail_rows(total: int) -> list[tuple[str, float, float]]:
    return [("a" if i % 3 else "b/c", float(i), i * 0.25 - 7.0) for i in range(total)]


def test_tailing_another_process_returns_every_row_exactly_once(
    tmp_path: Path, children: list[Child]
) -> None:
    total = 20_000
    logdir = tmp_path / "runs"
    logdir.mkdir()
    run_dir = logdir / "tailed"
    tail = RunTail(run_dir, "tailed", poll_interval=0.02)
    whole = LogdirSource(logdir, rescan_interval=0.1)
    assert tail.poll() == []  # no store yet
    child = Child(TAIL_CHILD, str(logdir), str(total), "3.5", cwd=tmp_path)
    children.append(child)
    # Start tailing once init() has created the store (a store caught *while* it is being
    # created is test_polling_a_logdir_while_runs_are_created, below); the first
    # flush is ~1 s later, so every row is still tailed live.
    child.wait_for_line("START", timeout=30)
    from_tail: list[Any] = []
    from_logdir: list[Any] = []
    nonempty_tail_polls = 0
    deadline = time.monotonic() + 40
    while child.proc.poll() is None and time.monotonic() < deadline:
        got = tail.poll()
        nonempty_tail_polls += bool(got)
        from_tail.extend(got)
        from_logdir.extend(whole.poll())
        time.sleep(0.01)
    assert child.finish() == 0, child.stderr()
    for _ in range(3):  # rows committed by finish(); poll intervals are short
        time.sleep(0.15)
        from_tail.extend(tail.poll())
        from_logdir.extend(whole.poll())
    tail.close()
    whole.close()

    expected = expected_tail_rows(total)
    got_tail = [(tag, step, value) for _, tag, step, value in rows_of(from_tail)]
    got_logdir = rows_of(from_logdir)
    assert {run for run, *_ in got_logdir} == {"tailed"}
    got_logdir_rows = [(tag, step, value) for _, tag, step, value in got_logdir]
    for label, got in (("RunTail", got_tail), ("LogdirSource", got_logdir_rows)):
        assert len(got) == total, f"{label}: {len(got)} rows polled, expected {total}"
        assert got == expected, f"{label}: rows differ (duplicates, gaps, order or values)"
    # The tail really followed the run while it was written (one batch per flush at least).
    assert nonempty_tail_polls >= 3, f"only {nonempty_tail_polls} polls returned rows"


CREATE_CHILD = """
import sys
import nbviz
for i in range(int(sys.argv[2])):
    with nbviz.init(f"r{i:03d}", logdir=sys.argv[1]) as run:
        run.log({"x": float(i)}, step=0)
"""


def test_polling_a_logdir_while_runs_are_created(tmp_path: Path, children: list[Child]) -> None:
    """A panel on a logdir must survive a training process starting new runs under it."""
    count = 150
    logdir = tmp_path / "runs"
    logdir.mkdir()
    source = LogdirSource(logdir, rescan_interval=0.0)
    child = Child(CREATE_CHILD, str(logdir), str(count), cwd=tmp_path)
    children.append(child)
    errors: list[str] = []
    polled: list[Any] = []
    deadline = time.monotonic() + 40
    while child.proc.poll() is None and time.monotonic() < deadline:
        try:
            polled.extend(source.poll())
        except Exception as error:  # the panel's ticker would stop the panel here
            errors.append(f"{type(error).__name__}: {error}")
            source = LogdirSource(logdir, rescan_interval=0.0)
            polled = []
    assert child.finish() == 0, child.stderr()
    time.sleep(0.6)  # RunTail's store poll interval
    polled.extend(source.poll())
    source.close()
    assert not errors, f"{len(errors)} polls failed, e.g. {errors[0]}"
    assert sorted(rows_of(polled)) == [(f"r{i:03d}", "x", 0.0, float(i)) for i in range(count)]


# -- tailing a live run of this process ------------------------------------------------------


def test_live_run_is_visible_before_flush_and_exactly_once_across_flushes(
    tmp_path: Path,
) -> None:
    run = nbviz.init("live", logdir=tmp_path, flush_secs=3600)  # only explicit flushes
    try:
        tail = RunTail(run.dir, run.name)
        for step in range(100):
            run.log({"loss": step * 0.5}, step=step)
        assert stored_count(run.dir) == 0  # nothing flushed yet …
        first = rows_of(tail.poll())  # … yet every value is visible
        assert first == [("live", "loss", float(s), s * 0.5) for s in range(100)]
        assert tail.poll() == []

        for step in range(100, 150):
            run.log({"loss": step * 0.5}, step=step)
        run.flush()  # rows 0..149 committed: 100..149 were never polled
        assert stored_count(run.dir) == 150
        for step in range(150, 200):
            run.log({"loss": step * 0.5}, step=step)
        second = rows_of(tail.poll())
        assert second == [("live", "loss", float(s), s * 0.5) for s in range(100, 200)]
        assert tail.poll() == []
        run.flush()  # everything polled is committed now: nothing comes back twice
        assert tail.poll() == []
        # A tail that starts now reads store + pending once each.
        late = RunTail(run.dir, run.name)
        run.log({"loss": 100.0}, step=200)
        assert rows_of(late.poll()) == (
            [("live", "loss", float(s), s * 0.5) for s in range(201)]
        )
        late.close()
        tail.close()
    finally:
        run.finish()


def test_live_tail_exactly_once_while_a_thread_logs_and_flushes(tmp_path: Path) -> None:
    total = 30_000
    run = nbviz.init("busy", logdir=tmp_path, flush_secs=0.02)  # many flush boundaries
    try:
        tail = RunTail(run.dir, run.name)
        polled: list[Any] = []

        def writer() -> None:
            for step in range(total):
                run.log({"a": float(step), "b": -float(step)}, step=step)
                if step % 500 == 0:
                    time.sleep(0.01)  # ~0.6 s in all: dozens of background flushes

        thread = threading.Thread(target=writer)
        thread.start()
        while thread.is_alive():
            polled.extend(tail.poll())
        thread.join()
        polled.extend(tail.poll())
        rows = rows_of(polled)
        expected = [("busy", tag, float(s), sign * s) for s in range(total)
                    for tag, sign in (("a", 1.0), ("b", -1.0))]
        assert len(rows) == len(expected)
        assert rows == expected
        assert stored_count(run.dir) > 0  # flushes did happen while tailing
        tail.close()
    finally:
        run.finish()


def test_append_continues_the_auto_step(tmp_path: Path) -> None:
    with nbviz.init("resumed", logdir=tmp_path) as run:
        for _ in range(5):
            run.log({"loss": 1.0})
    with nbviz.init("resumed", logdir=tmp_path, if_exists="append") as run:
        run.log({"loss": 2.0})
    assert nbviz.read(tmp_path)["step"].tolist() == [0, 1, 2, 3, 4, 5]


def test_flush_while_the_flusher_is_mid_commit(tmp_path: Path) -> None:
    run = nbviz.init("flushes", logdir=tmp_path, flush_secs=3600)
    errors: list[BaseException] = []

    def flush() -> None:
        try:
            run.flush()
        except BaseException as error:
            errors.append(error)

    try:
        for step in range(100):
            run.log({"v": float(step)}, step=step)
        slow = _SlowCommitConnection(run._store._connection, hold=0.5)
        run._store._connection = slow  # type: ignore[assignment]
        other = threading.Thread(target=flush)  # stands in for the background flusher
        other.start()
        while slow.began is None and other.is_alive():
            time.sleep(0.005)
        for step in range(100, 200):
            run.log({"v": float(step)}, step=step)
        flush()  # the user's explicit flush, mid-commit of the other one
        other.join(timeout=30)
        run._store._connection = slow._connection  # type: ignore[assignment]
    finally:
        run.finish()
    assert nbviz.read(tmp_path)["value"].tolist() == [float(s) for s in range(200)]
    assert not errors, f"flush() raised: {errors[0]!r}"


# -- bad input writes nothing partial --------------------------------------------------------


def _bad_calls() -> list[tuple[str, Any, dict[str, Any], type[Exception], list[str]]]:
    torch = pytest.importorskip("torch")
    return [
        ("string value", {"a": 1.0, "b": "x"}, {"step": 5}, TypeError, ["'b'"]),
        ("string first", {"b": "x", "a": 1.0}, {"step": 5}, TypeError, ["'b'"]),
        ("10-element tensor", {"a": 1.0, "hist": torch.arange(10.0), "c": 2.0}, {"step": 5},
         ValueError, ["'hist'", "10 elements"]),
        ("numpy array", {"a": 1.0, "arr": np.ones(3)}, {"step": 5}, ValueError,
         ["'arr'", "3 elements"]),
        ("negative step", {"a": 1.0, "b": 2.0}, {"step": -1}, ValueError, ["'step'", "-1"]),
        ("non-integer step", {"a": 1.0}, {"step": 1.5}, TypeError, ["'step'", "1.5"]),
        ("bool step", {"a": 1.0}, {"step": True}, TypeError, ["'step'"]),
        ("string step", {"a": 1.0}, {"step": "3"}, TypeError, ["'step'"]),
        ("empty tag", {"a": 1.0, "": 2.0}, {"step": 5}, ValueError, ["''", "empty"]),
        ("blank tag", {"a": 1.0, "  ": 2.0}, {"step": 5}, ValueError, ["empty"]),
        ("non-string tag", {"a": 1.0, 3: 2.0}, {"step": 5}, TypeError, ["3"]),
        ("list instead of dict", [("a", 1.0)], {"step": 5}, TypeError, ["'data'", "dict"]),
        ("bare number", 0.5, {"step": 5}, TypeError, ["'data'", "dict"]),
        ("complex value", {"a": 1.0, "z": 1 + 2j}, {"step": 5}, TypeError, ["'z'", "complex"]),
        ("None value", {"a": 1.0, "n": None}, {"step": 5}, TypeError, ["'n'"]),
    ]


@pytest.mark.parametrize("case", range(15))
def test_bad_input_raises_naming_the_argument_and_writes_nothing(
    tmp_path: Path, case: int
) -> None:
    cases = _bad_calls()
    assert len(cases) == 15
    label, data, kwargs, error, needles = cases[case]
    run = nbviz.init("bad", logdir=tmp_path, flush_secs=3600)
    try:
        run.log({"ok": 1.0}, step=0)
        with pytest.raises(error) as raised:
            run.log(data, **kwargs)
        message = str(raised.value)
        for needle in needles:
            assert needle in message, f"{label}: {needle!r} not in error message {message!r}"
        assert "log()" in message, f"{label}: message does not say where: {message!r}"
        # Nothing of the failed call is visible live, nor stored after a flush …
        assert rows_of(RunTail(run.dir, run.name).poll()) == [("bad", "ok", 0.0, 1.0)]
        run.flush()
        assert stored_count(run.dir) == 1
        # … and the run keeps working; a failed call does not advance the auto step.
        run.log({"ok": 2.0})
    finally:
        run.finish()
    frame = nbviz.read(tmp_path)
    assert frame[["tag", "step", "value"]].values.tolist() == [["ok", 0, 1.0], ["ok", 1, 2.0]]


# -- special values --------------------------------------------------------------------------

SPECIAL = {
    "nan": math.nan,
    "pinf": math.inf,
    "ninf": -math.inf,
    "tiny": 5e-324,
    "huge": 1.7976931348623157e308,
    "neg": -123.456,
    "int": 7,
}


def _check_special(values: dict[str, float]) -> None:
    assert set(values) == set(SPECIAL)
    assert math.isnan(values["nan"])
    for tag, expected in SPECIAL.items():
        if tag != "nan":
            assert values[tag] == expected, (tag, values[tag])
            assert type(values[tag]) is float


def test_nan_and_infinities_round_trip_through_the_store(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    with nbviz.init("special", logdir=tmp_path) as run:
        run.log(SPECIAL, step=0)
        run.log({tag: torch.tensor(float(value), dtype=torch.float64)
                 for tag, value in SPECIAL.items()}, step=1)
        run.log({tag: np.float64(value) for tag, value in SPECIAL.items()}, step=2)
        live = nbviz.read(tmp_path)  # not flushed yet: the in-memory path
    stored = nbviz.read(tmp_path)  # after finish(): the store path
    reader = StoreReader(run.dir)
    raw = reader.scalars_between(0)
    reader.close()
    assert len(raw) == 3 * len(SPECIAL)
    for frame in (live, stored):
        assert len(frame) == 3 * len(SPECIAL)
        for step in (0, 1, 2):
            rows = frame[frame["step"] == step]
            _check_special({str(t): float(v) for t, v in zip(rows["tag"], rows["value"],
                                                            strict=True)})
    # NaN and ±Inf are stored bit-exact in the chunks' value blobs.
    stored_values = raw.value
    assert int(np.isnan(stored_values).sum()) == 3
    assert int(np.isinf(stored_values).sum()) == 6


# -- readers vs a writer in the middle of a commit ------------------------------------------

READER_CHILD = """
import sys, time
import nbviz
logdir, until = sys.argv[1], float(sys.argv[2])
print("READY", flush=True)
while time.monotonic() < until:
    start = time.monotonic()
    try:
        count = len(nbviz.read(logdir))
    except Exception as error:
        print("ERROR", type(error).__name__, str(error).replace("\\n", " "), flush=True)
        continue
    print("READ", count, start, time.monotonic(), flush=True)
    time.sleep(0.02)
"""


RAW_READER_CHILD = """
import sqlite3, sys, time
path, until = sys.argv[1], float(sys.argv[2])
db = sqlite3.connect(path, timeout=0)  # no busy wait: a lock shows up as an error
print("RAWREADY", flush=True)
last = None
while time.monotonic() < until:
    try:
        count = db.execute("SELECT COALESCE(SUM(count), 0) FROM scalar_chunks").fetchone()[0]
    except sqlite3.OperationalError as error:
        print("ERROR", error, time.monotonic(), flush=True)
        continue
    if count != last:
        print("COUNT", count, time.monotonic(), flush=True)
        last = count
    time.sleep(0.0005)
"""


class _SlowCommitConnection:
    """Wraps the writer's sqlite connection: holds every transaction open before COMMIT."""

    def __init__(self, connection: sqlite3.Connection, hold: float) -> None:
        self._connection = connection
        self.hold = hold
        self.began: float | None = None
        self.committing: float | None = None

    def execute(self, sql: str, *args: Any) -> Any:
        if sql == "BEGIN IMMEDIATE":
            result = self._connection.execute(sql, *args)
            self.began = time.monotonic()
            return result
        if sql == "COMMIT":
            time.sleep(self.hold)
            self.committing = time.monotonic()
        return self._connection.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)


def test_readers_are_not_blocked_by_a_writer_mid_commit(
    tmp_path: Path, children: list[Child]
) -> None:
    logdir = tmp_path / "runs"
    total = 200_000
    run = nbviz.init("writer", logdir=logdir, flush_secs=3600)
    try:
        for step in range(1000):
            run.log({"v": float(step)}, step=step)
        run.flush()
        hold = 1.5
        child = Child(READER_CHILD, str(logdir), str(time.monotonic() + 30), cwd=tmp_path)
        children.append(child)
        raw = Child(RAW_READER_CHILD, str(run.dir / DB_FILENAME), str(time.monotonic() + 30),
                    cwd=tmp_path)
        children.append(raw)
        child.wait_for_line("READ ", timeout=30)  # the readers are up and reading
        raw.wait_for_line("COUNT", timeout=30)

        # A batch big enough to overflow SQLite's page cache, so the writer spills pages
        # mid-transaction (with a rollback journal that takes the exclusive lock early).
        for step in range(1000, total):
            run.log({"v": float(step)}, step=step)
        slow = _SlowCommitConnection(run._store._connection, hold)
        run._store._connection = slow  # type: ignore[assignment]
        flusher = threading.Thread(target=run.flush)
        flusher.start()
        while slow.began is None and flusher.is_alive():
            time.sleep(0.005)
        assert slow.began is not None
        # In this process, a read mid-commit sees every row once (store + pending).
        mid = nbviz.read(logdir)
        assert np.array_equal(mid["value"].to_numpy(), np.arange(total, dtype=np.float64))
        flusher.join(timeout=30)
        assert slow.committing is not None
        committed = time.monotonic()
        run._store._connection = slow._connection  # type: ignore[assignment]
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # wait for a read after the commit
            reads = [line.split() for _, line in child.snapshot() if line.startswith("READ ")]
            if any(float(r[3]) > committed for r in reads):
                break
            time.sleep(0.02)
        time.sleep(0.2)
        child.kill()
        raw.kill()
    finally:
        run.finish()

    raw_lines = [line for _, line in raw.snapshot()]
    raw_errors = [line for line in raw_lines if line.startswith("ERROR")]
    assert not raw_errors, f"sqlite readers were locked out during the commit: {raw_errors[:3]}"
    assert [line.split()[1] for line in raw_lines if line.startswith("COUNT")] == [
        "1000", str(total)], "a raw reader saw a partial commit"

    lines = [line for _, line in child.snapshot()]
    errors = [line for line in lines if line.startswith("ERROR")]
    assert not errors, f"a reader failed while the writer was mid-commit: {errors[:3]}"
    reads = [(int(c), float(s), float(e)) for _, c, s, e in
             (line.split() for line in lines if line.startswith("READ "))]
    inside = [r for r in reads if r[1] >= slow.began and r[2] <= slow.committing]
    assert len(inside) >= 3, f"too few reads during the open transaction: {reads}"
    assert {count for count, _, _ in inside} == {1000}, "a reader saw uncommitted rows"
    assert max(e - s for _, s, e in inside) < hold / 2, "a reader waited for the writer"
    assert {count for count, _, _ in reads} <= {1000, total}, "a reader saw a partial commit"
    assert reads[-1][0] == total
