"""Store hardening (issue 19): no input poisons a run, a full disk or a second writer loses
nothing silently, one bad store never hides the others.

One test (or a few) per item of the issue. Each asserts that nothing valid was lost
(row counts before/after, through ``nbviz.read``) and that the error or the
``problems`` entry names the file or argument and the cause. Behaviour is tested
through public APIs (``nbviz.init/log/read``, ``Run``, ``SummaryWriter``, sources);
the only internals touched are the fault injections (a full disk via SQLite's
``PRAGMA max_page_count`` on the writer's connection, a value changed behind
``log_tensor``'s back).
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import shutil
import sqlite3
import stat
import struct
import subprocess
import sys
import tempfile
import textwrap
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import nbviz
from nbviz.record import run as run_module
from nbviz.sources import as_source
from nbviz.store.errors import StoreWriteError, WriterConflictError
from nbviz.store.query import tag_summaries

DB = "nbviz.sqlite"


def read_quietly(logdir: Path, kind: str = "scalars") -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return nbviz.read(logdir, kind=kind)


def log_steps(run: nbviz.Run, steps: range, tags: tuple[str, ...] = ("a", "b")) -> None:
    """Log every tag at every step; values are incompressible (noise added to the step) so
    that the columnar chunks take as many pages as real training values do."""
    noise = np.random.default_rng(steps.start).random((len(steps), len(tags))).tolist()
    for step, row in zip(steps, noise, strict=True):
        run.log({tag: step + part for tag, part in zip(tags, row, strict=True)}, step=step)


# -- 1. one bad value never poisons the run ------------------------------------------------


def test_lone_surrogate_tag_is_refused_at_the_call_and_later_values_are_stored(
    logdir: Path,
) -> None:
    with nbviz.init("r", logdir=logdir, flush_secs=0.05) as run:
        log_steps(run, range(0, 50))
        with pytest.raises(ValueError) as raised:
            run.log({"ok": 1.0, "\ud800": 1.0}, step=50)
        message = str(raised.value)
        assert "log()" in message and "surrogate" in message and "U+D800" in message
        time.sleep(0.2)  # background flushes run in between: none may fail
        log_steps(run, range(50, 100))
    frame = read_quietly(logdir)
    assert len(frame) == 200  # every valid value, nothing of the refused call
    assert set(frame["tag"]) == {"a", "b"}


def test_log_tensor_checks_dtype_and_extra_at_the_call(logdir: Path) -> None:
    with nbviz.init("r", logdir=logdir, flush_secs=0.05) as run:
        run.log_tensor("tensor", "good", np.arange(3.0), step=0)
        with pytest.raises(TypeError) as raised:
            run.log_tensor("tensor", "strings", np.array(["a", "b"]), step=1)
        assert "'array'" in str(raised.value) and "<U1" in str(raised.value)
        with pytest.raises(TypeError) as raised:
            run.log_tensor("tensor", "extra", np.arange(3.0), step=1, extra={"f": object()})
        assert "'extra'" in str(raised.value) and "JSON" in str(raised.value)
        with pytest.raises(ValueError) as raised:
            run.log_tensor("tensor", "x\ud800", np.arange(3.0), step=1)
        assert "surrogate" in str(raised.value)
        run.log_tensor("tensor", "good", np.arange(3.0), step=2)
        run.log({"loss": 1.0}, step=2)
    assert len(read_quietly(logdir, "tensors")) == 2
    assert len(read_quietly(logdir)) == 1


def test_a_record_that_turns_bad_after_the_call_is_isolated_and_the_rest_stored(
    logdir: Path,
) -> None:
    labels: list[Any] = ["cat"]
    run = nbviz.init("r", logdir=logdir, flush_secs=3600)
    run.log_tensor("tensor", "before", np.arange(3.0), step=0)
    run.log_tensor("tensor", "mutated", np.arange(3.0), step=1, extra={"labels": labels})
    run.log_tensor("tensor", "after", np.arange(3.0), step=2)
    run.log({"loss": 0.5}, step=2)
    labels.append(object())  # the caller changes the extra after log_tensor checked it
    with pytest.warns(RuntimeWarning) as caught:
        run.flush()
    message = " ".join(str(w.message) for w in caught)
    assert "1 record(s) could not be stored" in message and "'mutated'" in message
    assert str(run.dir / DB) in message and "not JSON" in message
    run.log_tensor("tensor", "later", np.arange(3.0), step=3)
    run.finish()
    tensors = read_quietly(logdir, "tensors")
    assert sorted(tensors["tag"]) == ["after", "before", "later"]
    assert len(read_quietly(logdir)) == 1


# -- 2. disk full ------------------------------------------------------------------------


def fill_disk(run: nbviz.Run) -> None:
    """Fault injection: the store may not grow by one more page (SQLITE_FULL)."""
    run._store._connection.execute("PRAGMA max_page_count = 1")  # clamps to the current size


def free_disk(run: nbviz.Run) -> None:
    with contextlib.suppress(sqlite3.ProgrammingError):  # closed: the run finished
        run._store._connection.execute("PRAGMA max_page_count = 1073741823")


@contextlib.contextmanager
def free_at_end(run: nbviz.Run) -> Iterator[None]:
    try:
        yield
    finally:
        free_disk(run)


def test_disk_full_keeps_everything_in_memory_names_the_cause_and_recovers(
    logdir: Path,
) -> None:
    run = nbviz.init("full", logdir=logdir, flush_secs=3600)
    log_steps(run, range(0, 300), tags=("loss", "acc"))
    run.flush()
    fill_disk(run)
    try:
        _fill_and_recover(run, logdir)
    finally:
        free_disk(run)


def _fill_and_recover(run: nbviz.Run, logdir: Path) -> None:
    # New tags of both tables while the disk is full: their ids must not go stale. The
    # values are incompressible so that their chunks cannot fit in the pages already there.
    noise = np.random.default_rng(0).random((600, 3)).tolist()
    for step in range(300, 600):
        loss, acc, new = noise[step]
        run.log({"loss": step + loss, "acc": step + acc, "new/scalar": step + new}, step=step)
    run.log_histogram("new/hist", np.arange(100.0), step=600)
    with pytest.raises(StoreWriteError) as raised:
        run.flush()
    message = str(raised.value)
    assert str(run.dir / DB) in message and "disk is full" in message
    assert "no transaction is active" not in message
    with pytest.raises(StoreWriteError) as raised:
        run.finish()
    message = str(raised.value)
    assert str(run.dir / DB) in message and "disk is full" in message
    assert "kept in memory" in message and "finish() again" in message
    assert not run.finished
    # Everything is still visible (from memory) …
    assert len(read_quietly(logdir)) == 600 + 900
    free_disk(run)
    run.log({"loss": 1.0}, step=601)  # the run is still usable
    run.finish()  # … and stored once space is back
    assert run.finished
    frame = read_quietly(logdir)
    assert len(frame) == 600 + 900 + 1
    assert (frame["tag"] == "new/scalar").sum() == 300
    histograms = read_quietly(logdir, "histograms")
    assert histograms["tag"].tolist() == ["new/hist"] and histograms["num"].tolist() == [100.0]


def test_disk_full_in_the_background_warns_with_the_cause_and_retries(logdir: Path) -> None:
    run = nbviz.init("bg", logdir=logdir, flush_secs=0.05)
    log_steps(run, range(0, 100))
    run.flush()
    fill_disk(run)
    with warnings.catch_warnings(record=True) as caught, free_at_end(run):
        warnings.simplefilter("always")
        log_steps(run, range(100, 1100))  # 16 kB of values: more than the pages' free space
        deadline = time.monotonic() + 10
        while not caught and time.monotonic() < deadline:
            time.sleep(0.02)
        free_disk(run)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any("written again" in str(w.message)
                                                       for w in caught):
            time.sleep(0.02)
    messages = [str(w.message) for w in caught]
    assert any("disk is full" in m and str(run.dir / DB) in m and "retried" in m
               for m in messages), messages
    assert any("written again" in m for m in messages), messages
    run.finish()
    assert len(read_quietly(logdir)) == 2200


def test_disk_full_for_long_drops_the_oldest_beyond_the_bound_with_a_warning(
    logdir: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(run_module, "MAX_PENDING_ROWS", 1000)
    run = nbviz.init("bound", logdir=logdir, flush_secs=0.05)
    fill_disk(run)
    with warnings.catch_warnings(record=True) as caught, free_at_end(run):
        warnings.simplefilter("always")
        log_steps(run, range(0, 1500))  # 3000 values, 1000 kept

        def dropped_values() -> int:
            # the flusher may bound the buffer while the loop still logs: one warning
            # per bound, each naming how many it dropped
            return sum(int(n) for w in caught
                       for n in re.findall(r"dropped the oldest (\d+) value", str(w.message)))

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and dropped_values() < 2000:
            time.sleep(0.02)
    dropped = [str(w.message) for w in caught if "dropped" in str(w.message)]
    assert dropped and str(run.dir / DB) in dropped[0] and "disk is full" in dropped[0]
    assert dropped_values() == 2000  # exactly the 2000 oldest, over one or more bounds
    free_disk(run)
    run.finish()
    frame = read_quietly(logdir)
    assert len(frame) == 1000
    assert frame["step"].min() == 1000  # the newest were kept


# -- 3. two writers: the second is refused at init() -------------------------------------

WRITER_CHILD = """
import sys, time
import nbviz
logdir, rows = sys.argv[1], int(sys.argv[2])
try:
    run = nbviz.init("shared", logdir=logdir, if_exists="append")
except RuntimeError as error:
    print("REFUSED", error, flush=True)
    sys.exit(3)
start = run._next_step
for i in range(rows):
    run.log({"v": float(i)}, step=start + i)
run.flush()
print("WROTE", rows, flush=True)
sys.stdin.readline()  # hold the run open until the parent says so
run.finish()
print("DONE", flush=True)
"""


def test_a_second_writer_process_is_refused_at_init_and_no_rows_are_lost(
    tmp_path: Path, logdir: Path,
) -> None:
    script = tmp_path / "writer.py"
    script.write_text(textwrap.dedent(WRITER_CHILD), encoding="utf-8")

    def start(rows: int) -> subprocess.Popen[str]:
        return subprocess.Popen([sys.executable, str(script), str(logdir), str(rows)],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    first = start(2000)
    try:
        assert first.stdout is not None and first.stdin is not None
        assert first.stdout.readline().split() == ["WROTE", "2000"]
        second = start(500)
        out, err = second.communicate(timeout=60)
        assert second.returncode == 3, err
        assert out.startswith("REFUSED")
        assert "'shared'" in out and "another writer" in out and str(first.pid) in out
        # In this process too (same message), while the first process writes.
        with pytest.raises(WriterConflictError, match="another writer"):
            nbviz.init("shared", logdir=logdir, if_exists="append")
        first.stdin.write("\n")
        first.stdin.flush()
        assert first.stdout.readline().strip() == "DONE"
        assert first.wait(timeout=60) == 0
    finally:
        if first.poll() is None:
            first.kill()
    # Once the first writer is done the run can be continued.
    third = start(500)
    assert third.stdin is not None
    out, err = third.communicate("\n", timeout=60)
    assert third.returncode == 0, err
    frame = read_quietly(logdir)
    assert len(frame) == 2500
    assert frame["step"].tolist() == list(range(2500))


def test_the_writer_lock_dies_with_a_killed_writer(tmp_path: Path, logdir: Path) -> None:
    script = tmp_path / "writer.py"
    script.write_text(textwrap.dedent(WRITER_CHILD), encoding="utf-8")
    child = subprocess.Popen([sys.executable, str(script), str(logdir), "100"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().split() == ["WROTE", "100"]
    finally:
        child.kill()
        child.wait(timeout=30)
    with nbviz.init("shared", logdir=logdir, if_exists="append") as run:
        run.log({"v": 1.0}, step=100)
    assert len(read_quietly(logdir)) == 101


def test_if_exists_new_picks_a_free_name_when_the_name_is_being_written(logdir: Path) -> None:
    with nbviz.init("same", logdir=logdir) as first:
        second = nbviz.init("same", logdir=logdir)
        assert second.name == "same-1"
        first.log({"a": 1.0}, step=0)
        second.log({"a": 2.0}, step=0)
        second.finish()
    frame = read_quietly(logdir)
    assert sorted(frame["run"]) == ["same", "same-1"]


# -- 4. one corrupt store never hides the others -----------------------------------------


def _sql(statement: str) -> Any:
    def corrupt(path: Path) -> None:
        with sqlite3.connect(path) as db:
            db.execute(statement)
        db.close()
    return corrupt


def _garbage(offset: int, size: int = 4096) -> Any:
    def corrupt(path: Path) -> None:
        data = bytearray(path.read_bytes())
        noise = random.Random(offset).randbytes(size)
        data[offset:offset + size] = noise[: max(0, len(data) - offset)]
        path.write_bytes(bytes(data))
    return corrupt


CORRUPTIONS: dict[str, Any] = {
    "random bytes": lambda p: p.write_bytes(random.Random(1).randbytes(20000)),
    "text file": lambda p: p.write_text("not a database\n" * 100),
    "header overwritten": _garbage(0, 100),
    "truncated to half": lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2]),
    "page 3 garbage": _garbage(2 * 4096),
    "page 9 garbage": _garbage(8 * 4096),  # the per-tag summary table's page
    "page 21 garbage": _garbage(20 * 4096),
    "non-UTF-8 tag": _sql("UPDATE tags SET name = CAST(x'ff61' AS TEXT) WHERE name = 'a'"),
    "unknown tag id": _sql("UPDATE scalar_chunks SET tag_id = 999 WHERE id <= 2"),
    "text step": _sql("UPDATE scalar_chunks SET steps = 'x' WHERE id <= 2"),
    "bad array dtype": _sql("UPDATE tensors SET dtype = 'O'"),
    "bad array shape": _sql("UPDATE tensors SET shape = '[999]'"),
    "bad extra JSON": _sql("UPDATE tensors SET extra = '{'"),
    "scalars table dropped": _sql("DROP TABLE scalar_chunks"),
    "tags table dropped": _sql("DROP TABLE tags"),
}


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    logdir = tmp_path_factory.mktemp("two") / "runs"
    for name in ("good", "bad"):
        with nbviz.init(name, logdir=logdir) as run:
            for start in range(0, 3000, 600):  # 5 flushes: 10 chunks over ~14 pages (too
                log_steps(run, range(start, start + 600))  # big for finish() to merge)
                run.flush()
            run.log_histogram("h", np.arange(10.0), step=0)
    return logdir


@pytest.mark.parametrize("corruption", list(CORRUPTIONS))
def test_a_corrupt_store_is_reported_and_the_other_runs_read_in_full(
    two_runs: Path, tmp_path: Path, corruption: str, built_js: None,
) -> None:
    logdir = tmp_path / "runs"
    shutil.copytree(two_runs, logdir)
    bad = logdir / "bad" / DB
    CORRUPTIONS[corruption](bad)
    frame = read_quietly(logdir)
    good = frame[frame["run"] == "good"]
    assert len(good) == 6000  # nothing of the healthy run is lost
    assert len(frame[frame["run"] == "bad"]) <= 6000
    histograms = read_quietly(logdir, "histograms")
    assert (histograms["run"] == "good").sum() == 1
    summaries = tag_summaries(logdir / "bad")  # the summary table's own problems
    assert len(summaries) <= 2
    problems = frame.attrs["problems"] + histograms.attrs["problems"]
    problems += [f"{bad}: {p}" if str(bad) not in p else p for p in summaries.attrs["problems"]]
    assert problems, f"{corruption}: nothing reported"
    assert all(str(bad) in p for p in problems), problems
    causes = ("corrupt", "not an SQLite database", "not UTF-8", "unknown tag", "left out",
              "no such table")
    assert any(cause in p for p in problems for cause in causes), problems
    # A panel on the logdir shows the healthy run; its source lists the problem.
    panel = nbviz.Scalars(logdir)
    try:
        panel.sync()
        assert "good" in panel.summary()
    finally:
        panel.close()
    source = as_source(logdir)
    try:
        batches = source.poll()
        assert sum(len(b.columns) for b in batches if b.run == "good") == 6000
        if frame.attrs["problems"]:  # scalars affected (not only tensor records)
            assert any(str(bad) in str(p)
                       for p in source.problems())  # type: ignore[attr-defined]
    finally:
        source.close()  # type: ignore[attr-defined]


def test_a_damaged_page_is_skipped_and_the_rows_around_it_salvaged(
    two_runs: Path, tmp_path: Path,
) -> None:
    logdir = tmp_path / "runs"
    shutil.copytree(two_runs, logdir)
    _garbage(12 * 4096)(logdir / "bad" / DB)
    frame = read_quietly(logdir)
    salvaged = frame[frame["run"] == "bad"]
    assert 5000 < len(salvaged) < 6000, len(salvaged)  # one page of rows lost, not all
    last = salvaged["step"].max()
    assert last == 2999  # rows after the damaged page were reached again


# -- 5. read-only run directories --------------------------------------------------------

RO_READER = """
import json, sys, warnings
import nbviz
warnings.simplefilter("ignore")
try:
    frame = nbviz.read(sys.argv[1])
    print(json.dumps({"rows": len(frame), "problems": frame.attrs["problems"]}))
except Exception as error:
    print(json.dumps({"error": f"{type(error).__name__}: {error}"}))
try:
    nbviz.init("new", logdir=sys.argv[1])
    print(json.dumps({"init": "no error"}))
except Exception as error:
    print(json.dumps({"init": f"{type(error).__name__}: {error}"}))
"""


@pytest.fixture()
def readonly_logdir() -> Iterator[Path]:
    base = Path(tempfile.mkdtemp(prefix="nbviz-ro-"))
    base.chmod(0o755)  # reachable by the unprivileged reader below
    try:
        yield base / "runs"
    finally:
        for path in [base, *base.rglob("*")]:
            if path.is_dir():
                path.chmod(0o755)
        shutil.rmtree(base, ignore_errors=True)


def run_unprivileged(script: str, *args: str) -> list[dict[str, Any]]:
    """Run ``script`` in a process that file modes apply to (root's are ignored: as root,
    drop the capabilities that override them)."""
    import json

    prefix: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: file modes cannot be enforced")
        prefix = [setpriv, "--bounding-set", "-dac_override,-dac_read_search,-fowner", "--"]
    env = dict(os.environ, PYTHONPATH=str(Path(nbviz.__file__).parents[1]))
    done = subprocess.run([*prefix, sys.executable, "-c", textwrap.dedent(script), *args],
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_a_read_only_run_directory_reads_in_full_and_init_says_why_not(
    readonly_logdir: Path,
) -> None:
    logdir = readonly_logdir
    for name in ("a", "b"):
        with nbviz.init(name, logdir=logdir) as run:
            log_steps(run, range(500))
    for path in [logdir, *logdir.rglob("*")]:
        path.chmod(0o555 if path.is_dir() else 0o444)
        assert not path.stat().st_mode & stat.S_IWUSR
    read, init = run_unprivileged(RO_READER, str(logdir))
    assert read.get("rows") == 2000, read  # not "empty"
    for problem in read["problems"]:  # what could not be done is said, per store
        assert "immutable" in problem and DB in problem
    assert "StoreWriteError" in init["init"], init
    assert str(logdir / "new") in init["init"]
    assert "read-only" in init["init"] or "permission denied" in init["init"].lower()


# -- 6. validation gaps ------------------------------------------------------------------


@pytest.mark.parametrize("tag", ["a\x00b", "esc\x1b[31m", "del\x7f"])
def test_log_refuses_control_characters_in_tags_and_stores_the_rest(
    logdir: Path, tag: str,
) -> None:
    with nbviz.init("r", logdir=logdir) as run:
        run.log({"ok": 1.0}, step=0)
        with pytest.raises(ValueError, match=r"log\(\): metric name .* control characters"):
            run.log({"ok": 2.0, tag: 1.0}, step=1)
        run.log({"ok": 3.0}, step=2)
    assert read_quietly(logdir)["value"].tolist() == [1.0, 3.0]


def test_auto_step_stops_at_2_pow_53(logdir: Path) -> None:
    with nbviz.init("r", logdir=logdir) as run:
        run.log({"x": 1.0}, step=2**53)
        with pytest.raises(ValueError, match=r"log\(\): the automatic 'step' would be"):
            run.log({"x": 2.0})
        run.log({"x": 3.0}, step=5)
    frame = read_quietly(logdir)
    assert frame["step"].tolist() == [2**53, 5]


def test_an_int_too_large_for_float64_names_the_tag(logdir: Path) -> None:
    with nbviz.init("r", logdir=logdir) as run:
        with pytest.raises(ValueError) as raised:
            run.log({"ok": 1.0, "huge": 10**400}, step=0)
        assert "'huge'" in str(raised.value) and "float64" in str(raised.value)
        assert len(str(raised.value)) < 300  # the 400-digit number is not echoed whole
        run.log({"ok": 1.0, "big": 10**300}, step=0)
    assert len(read_quietly(logdir)) == 2


def test_log_histogram_of_the_whole_float64_range(logdir: Path) -> None:
    torch = pytest.importorskip("torch")
    values = [-1e308, 0.0, 1e308]
    with nbviz.init("r", logdir=logdir) as run:
        run.log_histogram("list", values, step=0)
        run.log_histogram("tensor", torch.tensor(values, dtype=torch.float64), step=0)
        run.log_histogram("float32", torch.tensor([-3e38, 3e38]), step=0)
    frame = read_quietly(logdir, "histograms").set_index("tag")
    for tag, count in (("list", 3), ("tensor", 3), ("float32", 2)):
        limits, counts = frame.loc[tag, "limits"], frame.loc[tag, "counts"]
        assert np.isfinite(limits).all() and counts.sum() == count
        assert limits[0] == frame.loc[tag, "min"] and limits[-1] == frame.loc[tag, "max"]


def test_a_very_long_run_name_is_refused_with_a_short_message(logdir: Path) -> None:
    name = "n" * 100_000
    with pytest.raises(ValueError) as raised:
        nbviz.init(name, logdir=logdir)
    message = str(raised.value)
    assert "init(): 'name'" in message and "too long" in message and "100000" in message
    assert len(message) < 500
    assert not any(logdir.iterdir())
    with nbviz.init("n" * 200, logdir=logdir) as run:  # long, but a valid directory name
        run.log({"x": 1.0}, step=0)
    assert len(read_quietly(logdir)) == 1


def test_names_with_bidi_overrides_are_shown_visibly(logdir: Path, built_js: None) -> None:
    from nbviz._validate import visible_text
    from nbviz.panels.scalars.picture import SeriesView, render_png

    spoof = "report\u202egnp.exe"
    assert visible_text(spoof) == "report⟨U+202E⟩gnp.exe"
    with nbviz.init(spoof, logdir=logdir) as run:  # stored as given …
        run.log({"x\u200bz": 1.0}, step=0)
    frame = read_quietly(logdir)
    assert frame["run"].tolist() == [spoof] and frame["tag"].tolist() == ["x\u200bz"]
    # … and drawn visibly: the picture's texts are the visible forms.
    import matplotlib.figure

    texts: list[str] = []
    original = matplotlib.figure.Figure.savefig

    def spy(self: Any, *args: Any, **kwargs: Any) -> Any:
        texts.extend(t.get_text() for t in self.findobj(matplotlib.text.Text))
        return original(self, *args, **kwargs)

    matplotlib.figure.Figure.savefig = spy  # type: ignore[method-assign]
    try:
        render_png([SeriesView(spoof, "x\u200bz", 0, np.arange(3.0), np.ones(3))], 0.0)
    finally:
        matplotlib.figure.Figure.savefig = original  # type: ignore[method-assign]
    assert "x⟨U+200B⟩z" in texts and "report⟨U+202E⟩gnp.exe" in texts
    assert not any("\u202e" in t or "\u200b" in t for t in texts)


def test_a_tfevents_header_with_a_huge_length_does_not_hide_later_records(
    tmp_path: Path,
) -> None:
    pytest.importorskip("tensorboard")
    from torch.utils.tensorboard import SummaryWriter

    from nbviz.store.tfevents_proto import masked_crc32c

    logdir = tmp_path / "tb"
    writer = SummaryWriter(str(logdir / "run"))
    for step in range(50):
        writer.add_scalar("x", float(step), step)
    writer.close()
    path = next((logdir / "run").glob("*tfevents*"))
    data = path.read_bytes()
    starts, position = [], 0
    while position < len(data):
        starts.append(position)
        position += 16 + struct.unpack_from("<Q", data, position)[0]
    cut = starts[len(starts) // 2]
    header = struct.pack("<Q", 2**31 - 1)
    path.write_bytes(data[:cut] + header + struct.pack("<I", masked_crc32c(header))
                     + data[cut:])
    frame = read_quietly(logdir)
    assert frame["step"].tolist() == list(range(50))  # nothing after the bad header lost
    problems = frame.attrs["problems"]
    assert len(problems) == 1 and str(path) in problems[0]
    assert f"byte {cut}" in problems[0] and "2147483647" in problems[0]


# -- 7. long names in pictures -----------------------------------------------------------


def test_a_30k_character_tag_draws_as_fast_as_a_short_one_without_warnings(
    logdir: Path, built_js: None,
) -> None:
    short, long_tag = "loss", "x" * 30_000
    with nbviz.init("r", logdir=logdir) as run:
        run.log({short: 1.0, long_tag: 2.0, "\u4e2d\u6587 \U0001f600": 3.0}, step=0)
    assert len(read_quietly(logdir)) == 3  # the long name is stored whole
    from nbviz.panels.scalars.picture import SeriesView, render_png

    def seconds(tag: str) -> float:
        views = [SeriesView("r", tag, 0, np.arange(100.0), np.ones(100))]
        times = []
        for _ in range(3):
            start = time.perf_counter()
            render_png(views, 0.6)
            times.append(time.perf_counter() - start)
        return sorted(times)[1]

    ratio = seconds(long_tag) / seconds(short)
    assert ratio < 2.0, f"a 30k-character tag draws {ratio:.1f}x slower than a short one"
    panel = nbviz.Scalars(logdir)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            bundle = panel._repr_mimebundle_()[0]
        assert "image/png" in bundle
        assert not [str(w.message) for w in caught if "Glyph" in str(w.message)]
    finally:
        panel.close()


SUMMARY_WRITER_CHILD = """
import sys
from nbviz import SummaryWriter
writer = SummaryWriter(sys.argv[1])
for step in range(int(sys.argv[2])):
    writer.add_scalar("loss", float(step), step)
writer.flush()
print("WROTE", flush=True)
sys.stdin.readline()
writer.close()
"""


def test_summary_writers_of_two_processes_on_one_log_dir_keep_all_rows(
    tmp_path: Path, logdir: Path,
) -> None:
    """torch lets two processes write one log_dir: neither may crash or lose rows."""
    script = tmp_path / "sw.py"
    script.write_text(textwrap.dedent(SUMMARY_WRITER_CHILD), encoding="utf-8")
    first = subprocess.Popen([sys.executable, str(script), str(logdir / "exp"), "300"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert first.stdout is not None and first.stdin is not None
        assert first.stdout.readline().strip() == "WROTE"
        second = subprocess.run([sys.executable, str(script), str(logdir / "exp"), "200"],
                                input="\n", capture_output=True, text=True, timeout=120,
                                check=False)
        assert second.returncode == 0, second.stderr
        assert "another writer" in second.stderr and "'exp-1'" in second.stderr
        first.stdin.write("\n")
        first.stdin.flush()
        assert first.wait(timeout=60) == 0
    finally:
        if first.poll() is None:
            first.kill()
    frame = read_quietly(logdir)
    assert frame.groupby("run").size().to_dict() == {"exp": 300, "exp-1": 200}
