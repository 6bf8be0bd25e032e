"""The one read-only opener of every store reader (nbviz/store/readonly.py)."""

from __future__ import annotations

import sqlite3
import warnings
from pathlib import Path

import pytest

import nbviz
from nbviz.store import bulk, readonly, settled, sqlite
from nbviz.store.readonly import open_read_only, read_only_uri
from nbviz.store.sqlite import DB_FILENAME, StoreReader


def test_every_reader_opens_through_the_same_function() -> None:
    assert sqlite.open_read_only is readonly.open_read_only
    assert settled.open_read_only is readonly.open_read_only
    assert bulk.open_read_only is readonly.open_read_only


def test_uri_is_absolute_percent_encoded_and_read_only(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert read_only_uri("a b/x?y#z%/nbviz.sqlite") == (
        f"file:{tmp_path}/a%20b/x%3Fy%23z%25/nbviz.sqlite?mode=ro")
    assert read_only_uri(Path("/r/nbviz.sqlite"), immutable=True) == (
        "file:/r/nbviz.sqlite?mode=ro&immutable=1")
    with pytest.raises(TypeError, match=r"read_only_uri\(\): 'db_path' must be a path .* int"):
        read_only_uri(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"'timeout' must be seconds >= 0, got -1"):
        open_read_only(tmp_path / DB_FILENAME, timeout=-1)


def test_never_creates_never_writes(tmp_path: Path) -> None:
    missing = tmp_path / "none" / DB_FILENAME
    (tmp_path / "none").mkdir()
    with pytest.raises(sqlite3.OperationalError):
        open_read_only(missing).execute("SELECT 1 FROM meta").fetchall()
    assert not missing.exists()
    with nbviz.init("r", logdir=tmp_path) as run:
        run.log({"x": 1.0}, step=0)
    for immutable in (False, True):
        connection = open_read_only(tmp_path / "r" / DB_FILENAME, immutable=immutable)
        try:
            with pytest.raises(sqlite3.OperationalError, match="readonly"):
                connection.execute("INSERT INTO meta VALUES ('k', '1')")
        finally:
            connection.close()


@pytest.mark.parametrize("name", ["a b", "q?x", "h#x", "pct%20x"])
def test_stores_in_awkward_directories_read_alike(tmp_path: Path, name: str) -> None:
    """StoreReader and the bulk read open a store whose path needs encoding; a live
    writer's committed rows are seen (mode=ro, not immutable)."""
    with nbviz.init(name, logdir=tmp_path) as run:
        for step in range(5):
            run.log({"loss": step / 2}, step=step)
        run.flush()
        reader = StoreReader(tmp_path / name)
        try:
            assert reader.scalars_between(0).value.tolist() == [0.0, 0.5, 1.0, 1.5, 2.0]
            assert reader.problems() == []
        finally:
            reader.close()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        frame = nbviz.read(tmp_path)
    assert frame["value"].tolist() == [0.0, 0.5, 1.0, 1.5, 2.0]
    assert frame.attrs["problems"] == []
