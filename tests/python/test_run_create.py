"""Creating a run's store: one write of a prebuilt schema image (nbviz.store.template).

* A store made from the image has exactly the schema SQLite makes from ``_SCHEMA``, WAL
  mode in its header (rollback mode on network filesystems), and its meta entries
  (name, config, created, schema_version) from the moment ``init()`` returns, readable
  by another process.
* The image is published atomically: no temporary file is left, an existing store,
  an empty file or a former store's ``-wal`` is never overwritten (SQLite opens those
  as before), and a directory without hard links still gets its store.
* A child killed with ``kill -9`` right after ``init()`` leaves a store that opens with
  its meta and can be continued.
* ``compact()``'s skip for a new store never skips a store that has something to merge.
* The flusher: a run finished at once keeps every value and leaves no thread behind; a
  live run has exactly one flusher, committing within the interval; a run made in a
  forked child flushes.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

import nbviz
from nbviz.store.errors import StoreWriteError
from nbviz.store.sqlite import _SCHEMA, DB_FILENAME, SCHEMA_VERSION, StoreReader, StoreWriter
from nbviz.store.template import create_store_file, schema_image


def _schema_of(path: Path) -> list[tuple[str, str, str]]:
    with closing(sqlite3.connect(path)) as db:
        return sorted(db.execute("SELECT type, name, sql FROM sqlite_master").fetchall())


def test_template_store_matches_what_sqlite_creates(tmp_path: Path) -> None:
    made = tmp_path / "made.sqlite"
    with closing(sqlite3.connect(made)) as db:
        db.executescript(_SCHEMA)
    templated = tmp_path / "run" / DB_FILENAME
    templated.parent.mkdir()
    assert create_store_file(templated, _SCHEMA, wal=True)
    assert _schema_of(templated) == _schema_of(made)
    with closing(sqlite3.connect(templated)) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert db.execute("PRAGMA page_size").fetchone() == (4096,)
        assert db.execute("PRAGMA encoding").fetchone() == ("UTF-8",)
    rollback = tmp_path / "rollback" / DB_FILENAME
    rollback.parent.mkdir()
    assert create_store_file(rollback, _SCHEMA, wal=False)
    with closing(sqlite3.connect(rollback)) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("delete",)


def test_store_writer_validates_meta(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="'meta' must be a dict of JSON values by key, got list"):
        StoreWriter(tmp_path, meta=[("name", "x")])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="'meta' must hold JSON values"):
        StoreWriter(tmp_path, meta={"config": object()})
    assert not (tmp_path / DB_FILENAME).exists()  # nothing created on a refused call


def test_schema_image_validates_its_argument() -> None:
    with pytest.raises(ValueError, match="'schema' must be SQL statements"):
        schema_image("  ", wal=True)
    with pytest.raises(TypeError, match=r"'path' must be a pathlib\.Path"):
        create_store_file("runs/a/nbviz.sqlite", _SCHEMA, wal=True)  # type: ignore[arg-type]


def test_init_writes_meta_at_once_and_leaves_no_temporary_file(logdir: Path) -> None:
    run = nbviz.init("a", logdir=logdir, config={"lr": 0.1, "layers": [2, 3]})
    try:
        assert run._store.created
        reader = StoreReader(run.dir)  # another connection, read-only, while the run is live
        meta = reader.meta()
        reader.close()
        assert meta["name"] == "a" and meta["config"] == {"lr": 0.1, "layers": [2, 3]}
        assert meta["schema_version"] == SCHEMA_VERSION
        assert isinstance(meta["created"], float)
        assert not [p.name for p in run.dir.iterdir() if ".new-" in p.name]
        with closing(sqlite3.connect(run.dir / DB_FILENAME)) as db:
            assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        run.log({"loss": 0.5}, step=0)
    finally:
        run.finish()
    assert sorted(p.name for p in run.dir.iterdir()) == sorted([DB_FILENAME, "nbviz.lock"])
    assert nbviz.read(logdir)["value"].tolist() == [0.5]
    with closing(sqlite3.connect(run.dir / DB_FILENAME)) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert "finished" in dict(db.execute("SELECT key, value FROM meta").fetchall())


def test_existing_files_are_never_replaced(tmp_path: Path) -> None:
    path = tmp_path / DB_FILENAME
    path.write_bytes(b"")  # an empty file: SQLite makes it a database, as before
    assert not create_store_file(path, _SCHEMA, wal=True)
    assert path.read_bytes() == b""
    writer = StoreWriter(tmp_path, meta={"name": "empty"})
    assert not writer.created
    writer.write_scalars(0, [("loss", 0, 1.0, 0.25)])
    writer.close()
    assert StoreReader(tmp_path).meta()["name"] == "empty"

    other = tmp_path / "other"
    other.mkdir()
    (other / f"{DB_FILENAME}-wal").write_bytes(b"left by a former store")
    assert not create_store_file(other / DB_FILENAME, _SCHEMA, wal=True)
    assert not (other / DB_FILENAME).exists()


def test_a_directory_without_hard_links_still_gets_its_store(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_links(source: object, target: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    writer = StoreWriter(tmp_path / "run", meta={"name": "nolink"})
    assert not writer.created  # SQLite created the file itself
    writer.write_scalars(0, [("loss", 0, 1.0, 0.5)])
    writer.close()
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == [DB_FILENAME]
    assert StoreReader(tmp_path / "run").meta()["name"] == "nolink"


def test_a_store_file_that_cannot_be_written_raises_naming_it(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    # this thread's temporary name taken by a directory: writing the image fails
    (run_dir / f".{DB_FILENAME}.new-{os.getpid()}-{threading.get_ident()}").mkdir()
    with pytest.raises(StoreWriteError, match=DB_FILENAME):
        StoreWriter(run_dir)
    assert not (run_dir / DB_FILENAME).exists()


def test_network_filesystem_fallback_creates_a_rollback_store(
        logdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NBVIZ_FORCE_JOURNAL", "1")
    with nbviz.init("nfs", logdir=logdir) as run:
        assert run._store.created and run._store.journal_fallback
        with closing(sqlite3.connect(run.dir / DB_FILENAME)) as db:
            assert db.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        synchronous = run._store._connection.execute("PRAGMA synchronous").fetchone()[0]
        assert synchronous == 1  # NORMAL: the creation shortcut is for WAL stores only
        run.log({"loss": 1.5}, step=3)
    assert nbviz.read(logdir)["value"].tolist() == [1.5]


def test_a_new_writer_syncs_normally_after_its_creation(tmp_path: Path) -> None:
    writer = StoreWriter(tmp_path / "run", meta={"name": "x"})
    try:
        assert writer.created
        assert writer._connection.execute("PRAGMA synchronous").fetchone()[0] == 1
    finally:
        writer.close()


def test_kill_9_right_after_init_leaves_a_store_that_continues(logdir: Path) -> None:
    script = textwrap.dedent(f"""
        import nbviz, time
        run = nbviz.init("victim", logdir={str(logdir)!r}, config={{"seed": 7}})
        print("ready", flush=True)
        time.sleep(60)
    """)
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                             text=True, env=dict(os.environ, PYTHONUNBUFFERED="1"))
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=30)
    run_dir = logdir / "victim"
    with closing(sqlite3.connect(run_dir / DB_FILENAME)) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        meta = {key: json.loads(value) for key, value in db.execute("SELECT * FROM meta")}
    assert meta["config"] == {"seed": 7} and meta["name"] == "victim"
    with nbviz.init("victim", logdir=logdir, if_exists="append") as run:
        assert not run._store.created
        run.log({"loss": 2.0})
    assert nbviz.read(logdir)["value"].tolist() == [2.0]


def _chunks(run_dir: Path) -> int:
    with closing(sqlite3.connect(run_dir / DB_FILENAME)) as db:
        return int(db.execute("SELECT COUNT(*) FROM scalar_chunks").fetchone()[0])


def test_compact_skips_only_new_stores_with_nothing_to_merge(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    writer = StoreWriter(run_dir)
    for seq in range(3):  # 3 chunks of one tag: below the merge threshold
        writer.write_scalars(seq, [("loss", seq, 1.0, float(seq))])
    assert writer.compact() == 0 and _chunks(run_dir) == 3
    writer.write_scalars(3, [("loss", 3, 1.0, 3.0)])  # the 4th: merged
    assert writer.compact() == 3 and _chunks(run_dir) == 1
    writer.close()

    old_dir = tmp_path / "old"
    writer = StoreWriter(old_dir)
    for seq in range(5):
        writer.write_scalars(seq, [("acc", seq, 1.0, 0.5)])
    writer.close()  # not compacted: 5 small chunks stay
    reopened = StoreWriter(old_dir)  # this writer wrote nothing, the store has chunks to merge
    assert not reopened.created
    assert reopened.compact() == 4 and _chunks(old_dir) == 1
    reopened.close()
    values = StoreReader(old_dir).scalars_between(0)
    assert values.seq.tolist() == [0, 1, 2, 3, 4]


# -- the flusher ------------------------------------------------------------------------------

def _flushers(name: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == f"nbviz-flusher[{name}]"]


def _stored_values(run_dir: Path) -> list[float]:
    return StoreReader(run_dir).scalars_between(0).value.tolist()


def test_a_run_finished_at_once_keeps_everything_and_leaves_no_thread(
        logdir: Path) -> None:
    for index in range(20):  # finish at once
        with nbviz.init(f"quick{index}", logdir=logdir) as run:
            run.log({"loss": float(index)}, step=index)
    deadline = time.monotonic() + 10
    while any(_flushers(f"quick{i}") for i in range(20)) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not any(_flushers(f"quick{i}") for i in range(20))
    assert sorted(nbviz.read(logdir)["value"].tolist()) == [float(i) for i in range(20)]


def test_the_flusher_commits_within_the_interval_and_is_the_only_one(logdir: Path) -> None:
    run = nbviz.init("live", logdir=logdir, flush_secs=0.3)
    try:
        run.log({"loss": 1.0}, step=0)
        deadline = time.monotonic() + 5
        while not _stored_values(run.dir) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _stored_values(run.dir) == [1.0]
        assert len(_flushers("live")) == 1 and _flushers("live")[0] is run._flusher
    finally:
        run.finish()
    assert not run._flusher.is_alive()


def _log_in_forked_child(logdir: str, results: Any) -> None:
    run = nbviz.init("forked", logdir=logdir, flush_secs=0.2)
    run.log({"loss": 3.0}, step=0)
    deadline = time.monotonic() + 10
    while not _stored_values(run.dir) and time.monotonic() < deadline:
        time.sleep(0.02)
    results.put(_stored_values(run.dir))  # committed by the child's flusher, before finish
    run.finish()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork() is POSIX-only")
def test_a_run_made_in_a_forked_child_flushes(logdir: Path) -> None:
    import multiprocessing

    with nbviz.init("parent", logdir=logdir) as run:  # the parent has had a flusher
        run.log({"loss": 1.0}, step=0)
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    child = context.Process(target=_log_in_forked_child, args=(str(logdir), results))
    child.start()
    try:
        assert results.get(timeout=60) == [3.0]
    finally:
        child.join(timeout=60)
        if child.is_alive():
            child.kill()
    assert child.exitcode == 0
