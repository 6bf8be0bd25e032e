"""meta['schema_version']: stamped by every writer (3: chunks may use the wall-time offset
codecs), never lowered; a store from a newer nbviz reads what it can and says so once."""

from __future__ import annotations

import shutil
import sqlite3
import warnings
from pathlib import Path

import numpy as np
import pytest

import nbviz
from nbviz.store.chunks import chunk_crc
from nbviz.store.sqlite import DB_FILENAME, SCHEMA_VERSION, StoreReader

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
NEWER = "written by a newer nbviz (schema 99, this one reads ≤ 3)"


def _version(run_dir: Path) -> str:
    with sqlite3.connect(run_dir / DB_FILENAME) as db:
        return str(db.execute("SELECT value FROM meta WHERE key = 'schema_version'"
                              ).fetchone()[0])


def _newer_store(logdir: Path) -> tuple[Path, int]:
    """A run of 3 flushes x 2 tags stamped schema 99 whose first chunk's wall times use a
    codec this nbviz does not know (checksum intact); returns its directory and the number
    of values in that chunk."""
    with nbviz.init("future", logdir=logdir) as run:
        for flush in range(3):
            for step in range(10 * flush, 10 * flush + 10):
                run.log({"loss": step / 10, "acc": 1 - step / 100}, step=step)
            run.flush()
    run_dir = logdir / "future"
    with sqlite3.connect(run_dir / DB_FILENAME) as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
        chunk_id, count, seqs, steps, walls, values = db.execute(
            "SELECT id, count, seqs, steps, walls, vals FROM scalar_chunks ORDER BY id"
        ).fetchone()
        walls = b"Z" + bytes(walls[1:])  # a codec from the future
        db.execute("UPDATE scalar_chunks SET walls = ?, crc = ? WHERE id = ?",
                   (walls, chunk_crc(seqs, steps, walls, values), chunk_id))
    return run_dir, int(count)


def test_a_newer_store_reads_what_it_can_and_says_so_once(logdir: Path) -> None:
    run_dir, lost = _newer_store(logdir)
    with nbviz.init("today", logdir=logdir) as run:  # a healthy neighbour: unaffected
        run.log({"loss": 0.5}, step=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = nbviz.read(logdir)
    assert len(caught) == 1  # one warning for the whole read
    message = str(caught[0].message)
    assert NEWER in message and str(run_dir / DB_FILENAME) in message
    assert "upgrade nbviz; values in chunks it cannot decode are skipped" in message
    problems = frame.attrs["problems"]
    newer = [problem for problem in problems if NEWER in problem]
    assert len(newer) == 1 and newer[0].startswith(f"{run_dir / DB_FILENAME}: ")
    assert NEWER in problems[0]  # said first, before the per-chunk problem
    assert any("cannot be decoded" in p for p in problems)
    future = frame[frame["run"] == "future"]
    assert len(future) == 60 - lost  # every other chunk was read
    assert frame[frame["run"] == "today"]["value"].tolist() == [0.5]
    # the same from a reader that closes its connection and reopens it (500 runs followed)
    reader = StoreReader(run_dir)
    try:
        first = reader.scalars_between(0)
        assert reader.release_if_idle()
        again = reader.scalars_between(0)
        assert np.array_equal(first.value, again.value) and len(again) == 60 - lost
        reasons = [problem.reason for problem in reader.problems()]
        assert sum(NEWER in reason for reason in reasons) == 1 and NEWER in reasons[0]
        assert all(problem.path == str(run_dir / DB_FILENAME)
                   for problem in reader.problems())
    finally:
        reader.close()
    assert _version(run_dir) == "99"  # reading changes nothing


def test_a_newer_store_of_known_chunks_is_reported_by_the_bulk_read_too(
        logdir: Path) -> None:
    """Every chunk decodable, so nothing but its schema_version says a newer nbviz wrote
    it: the bulk read hands it to the careful reader, which says so (once per store)."""
    for name in ("intact", "intact2", "today"):
        with nbviz.init(name, logdir=logdir) as run:
            run.log({"loss": 0.25, "acc": 0.5}, step=0)
            run.log({"loss": 0.125}, step=1)
    for name in ("intact", "intact2"):
        with sqlite3.connect(logdir / name / DB_FILENAME) as db:
            db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = nbviz.read(logdir)
    assert len(caught) == 1 and NEWER in str(caught[0].message)
    assert frame.attrs["problems"] == [
        f"{logdir / name / DB_FILENAME}: {NEWER}: upgrade nbviz; values in chunks it cannot "
        "decode are skipped" for name in ("intact", "intact2")]
    assert frame.groupby(frame["run"].astype(str))["value"].sum().to_dict() == {
        "intact": 0.875, "intact2": 0.875, "today": 0.875}


@pytest.mark.parametrize(("fixture", "run", "stamped"),
                         [("v1_store", "old", "1"), ("xor_walls_store", "xor", "2")])
def test_older_stores_read_without_the_warning_and_appending_stamps_3(
        tmp_path: Path, fixture: str, run: str, stamped: str) -> None:
    logdir = tmp_path / "runs"
    shutil.copytree(FIXTURES / fixture, logdir)
    assert _version(logdir / run) == stamped
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning at all
        before = nbviz.read(logdir)
    assert before.attrs["problems"] == []
    reader = StoreReader(logdir / run)
    try:
        assert len(reader.scalars_between(0)) == len(before)
        assert reader.problems() == []
    finally:
        reader.close()
    with nbviz.init(run, logdir=logdir, if_exists="append") as appended:
        appended.log({"new": 1.0}, step=10_000)
    assert _version(logdir / run) == str(SCHEMA_VERSION) == "3"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        after = nbviz.read(logdir)
    assert len(after) == len(before) + 1


def test_a_new_store_is_stamped_3_and_a_newer_one_is_never_lowered(logdir: Path) -> None:
    with nbviz.init("a", logdir=logdir) as run:
        run.log({"x": 1.0}, step=0)
    assert _version(logdir / "a") == "3"
    run_dir, _ = _newer_store(logdir)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with nbviz.init("future", logdir=logdir, if_exists="append") as run:
            run.log({"x": 1.0}, step=100)
    assert _version(run_dir) == "99"


@pytest.mark.parametrize("garbage", ["'\"abc\"'", "X'FF00'", "'3.5'"])
def test_an_unreadable_version_is_restamped_and_not_reported(logdir: Path, garbage: str
                                                             ) -> None:
    with nbviz.init("a", logdir=logdir) as run:
        run.log({"x": 1.0}, step=0)
    with sqlite3.connect(logdir / "a" / DB_FILENAME) as db:
        db.execute(f"UPDATE meta SET value = {garbage} WHERE key = 'schema_version'")
    reader = StoreReader(logdir / "a")
    try:
        assert reader.scalars_between(0).value.tolist() == [1.0]
        assert not any("newer nbviz" in problem.reason for problem in reader.problems())
    finally:
        reader.close()
    with nbviz.init("a", logdir=logdir, if_exists="append") as run:
        run.log({"x": 2.0}, step=1)
    assert _version(logdir / "a") == "3"
