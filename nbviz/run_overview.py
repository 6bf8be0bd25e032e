"""What an nbviz store holds at a glance, in ONE query over a read-only connection.

Opening a logdir of 500 runs, the Dashboard's catalog needs each run's record kinds
and config, and its Scalars tab each run's per-tag summary (count, first/last step,
min/max, last value and the seq the summary reaches). Both come from one compound
``SELECT`` per run here (a store's first query costs ~3x a later one: the schema and the
WAL index are read then), and the result is kept while the store's files are unchanged
(:func:`~nbviz.store.stamp.store_stamp`, at most ``UNCHANGED_RECHECK_SECS``), so the catalog
and the panel built right after it share one pass over the runs. :func:`overviews` reads
many stores at once: ``/proc/locks`` read once for all of them, a settled store opened
``immutable`` (no lock, no WAL index: :mod:`nbviz.store.settled`), the stores read on
``SUMMARY_READ_THREADS`` threads (SQLite releases the GIL).

Only healthy columnar stores take this path: a store of the version-1 layout, a store
that does not exist yet or cannot be opened, text that is not UTF-8, a summary of a tag
without a name — :func:`overview` returns None and the caller uses
:class:`~nbviz.store.sqlite.StoreReader`, which salvages and reports.

>>> overview(Path("runs/a")).tags  # doctest: +SKIP
['loss', 'acc']
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from nbviz._validate import describe
from nbviz.store.settled import (
    SUMMARY_READ_THREADS,
    is_settled,
    locked_inodes,
    select_read_only,
)
from nbviz.store.sqlite import DB_FILENAME
from nbviz.store.stamp import UNCHANGED_RECHECK_SECS, store_stamp

__all__ = ["StoreOverview", "overview", "overviews"]

# part 0: summary rows (put in tag id order: tags in order of first appearance);
# 1: record kinds; 2: the run's config (JSON text); 3: the version-1 table, if any
_NULLS = ", ".join(["NULL"] * 8)
_QUERY = (
    "SELECT 0, s.tag_id, g.name, s.count, s.first_step, s.last_step, s.min, s.max, "
    "s.last_value, s.last_wall, s.last_seq FROM scalar_tags s LEFT JOIN tags g "
    "ON g.id = s.tag_id "
    f"UNION ALL SELECT 1, NULL, kind, {_NULLS} FROM (SELECT DISTINCT kind FROM tags) "
    f"UNION ALL SELECT 2, NULL, value, {_NULLS} FROM meta WHERE key = 'config' "
    f"UNION ALL SELECT 3, NULL, name, {_NULLS} FROM sqlite_master "
    "WHERE type = 'table' AND name = 'scalars'"
)  # no ORDER BY (a fifth of the query's time): _parse groups the parts, sorts the tags


@dataclass(frozen=True)
class StoreOverview:
    """One store's kinds, raw config JSON and per-tag scalar summaries (arrays aligned
    with ``tags``; ``low`` / ``high`` / ``last_value`` NaN where the store has NULL);
    ``stamp`` is the store's :func:`~nbviz.store.stamp.store_stamp` taken before the read."""

    kinds: frozenset[str]
    config_json: str | None
    tag_ids: np.ndarray  # int64
    tags: list[str]
    count: np.ndarray  # int64
    first_step: np.ndarray  # float64 (the panel's step unit)
    last_step: np.ndarray
    low: np.ndarray
    high: np.ndarray
    last_value: np.ndarray
    last_wall_time: np.ndarray
    last_seq: np.ndarray  # int64
    stamp: tuple[int, ...]


def _floats(column: tuple[object, ...]) -> np.ndarray:
    return np.array(column, dtype=np.float64)  # NULL (None) -> NaN


def _parse(rows: list[tuple[object, ...]], stamp: tuple[int, ...]) -> StoreOverview | None:
    parts: dict[int, list[tuple[object, ...]]] = {0: [], 1: [], 2: [], 3: []}
    for row in rows:
        parts[int(row[0])].append(row)  # type: ignore[call-overload]
    if parts[3]:
        return None  # version-1 rows: the careful reader computes their summaries
    summaries = parts[0]
    if summaries:
        columns = list(zip(*summaries, strict=True))
        names = columns[2]
        if not all(type(name) is str for name in names):
            return None  # a tag without a (readable) name
        try:
            ints = [np.array(columns[i], dtype=np.int64) for i in (1, 3, 4, 5, 10)]
            floats = [_floats(columns[i]) for i in (6, 7, 8, 9)]
        except (TypeError, ValueError, OverflowError):
            return None  # a damaged cell
        tags = [str(name) for name in names]
        ids = ints[0].tolist()
        if ids != sorted(ids):  # put in tag id order
            order = np.argsort(ints[0], kind="stable")
            ints, floats = [a[order] for a in ints], [a[order] for a in floats]
            tags = [tags[i] for i in order.tolist()]
        tag_ids, count, first, last, last_seq = ints
        low, high, last_value, last_wall = floats
    else:
        tag_ids = count = first = last = last_seq = np.empty(0, np.int64)
        low = high = last_value = last_wall = np.empty(0)
        tags = []
    kinds = [row[2] for row in parts[1]]
    config = parts[2][0][2] if parts[2] else None
    if not all(isinstance(kind, str) for kind in kinds) or not (
            config is None or isinstance(config, str)):
        return None
    return StoreOverview(
        kinds=frozenset(kinds), config_json=config,  # type: ignore[arg-type]
        tag_ids=tag_ids, tags=tags, count=count,
        first_step=first.astype(np.float64), last_step=last.astype(np.float64),
        low=low, high=high, last_value=last_value, last_wall_time=last_wall,
        last_seq=last_seq, stamp=stamp)


def _read(run_dir: Path, stamp: tuple[int, ...], immutable: bool = False
          ) -> StoreOverview | None:
    if stamp[0] < 0:
        return None  # no database (yet)
    rows = select_read_only(run_dir / DB_FILENAME, _QUERY, immutable=immutable)
    if rows is None:
        return None  # no summary table (version 1), no schema yet, damaged, not UTF-8 …
    return _parse(rows, stamp)


_lock = threading.Lock()
_cache: dict[str, tuple[float, StoreOverview]] = {}
_swept = [0.0]  # when entries older than their age were last dropped


def _check_dir(run_dir: object, where: str) -> Path:
    if not isinstance(run_dir, (str, os.PathLike)):
        raise TypeError(f"{where}: 'run_dir' must be a run directory path, got "
                        f"{describe(run_dir)}.")
    return Path(run_dir)


def overview(run_dir: Path, *, max_age: float | None = None) -> StoreOverview | None:
    """The store's overview (None: use the careful reader). A result read less than
    ``max_age`` seconds ago (default ``UNCHANGED_RECHECK_SECS``) whose store files have
    not changed since is reused, not read again.

    >>> overview(Path("no/such/run")) is None
    True
    """
    return _overview(_check_dir(run_dir, "overview()"), max_age, None)


def overviews(run_dirs: Sequence[Path], *, max_age: float | None = None
              ) -> list[StoreOverview | None]:
    """:func:`overview` of each of ``run_dirs`` (in order), read side by side: one look at
    the system's file locks for all of them, each settled store opened ``immutable``.

    >>> overviews([Path("no/such/run")])
    [None]
    """
    if isinstance(run_dirs, (str, os.PathLike)) or not isinstance(run_dirs, Sequence):
        raise TypeError(f"overviews(): 'run_dirs' must be a list of run directory paths, "
                        f"got {describe(run_dirs)}.")
    dirs = [_check_dir(run_dir, "overviews()") for run_dir in run_dirs]
    found = [_cached(d, max_age) for d in dirs]  # kept ones first: no thread for those
    missing = [(at, d, stamp) for at, (d, (known, stamp)) in enumerate(zip(
        dirs, found, strict=True)) if known is None]
    if missing:
        locked = locked_inodes()

        def read(item: tuple[int, Path, tuple[int, ...]]) -> StoreOverview | None:
            return _read_and_keep(item[1], item[2], locked, max_age)

        if SUMMARY_READ_THREADS > 1 and len(missing) > 1:
            with ThreadPoolExecutor(SUMMARY_READ_THREADS) as pool:
                fresh = list(pool.map(read, missing))
        else:
            fresh = [read(item) for item in missing]
        for (at, _, stamp), result in zip(missing, fresh, strict=True):
            found[at] = (result, stamp)
    return [result for result, _ in found]


def _cached(run_dir: Path, max_age: float | None
            ) -> tuple[StoreOverview | None, tuple[int, ...]]:
    """The kept overview of ``run_dir`` if still good (else None) and the store's stamp now."""
    age = UNCHANGED_RECHECK_SECS if max_age is None else max_age
    stamp = store_stamp(run_dir)  # before a read: a later commit changes it
    with _lock:
        cached = _cache.get(os.path.abspath(run_dir))
    if cached is not None and cached[1].stamp == stamp and time.monotonic() - cached[0] < age:
        return cached[1], stamp
    return None, stamp


def _overview(run_dir: Path, max_age: float | None, locked: frozenset[int] | None
              ) -> StoreOverview | None:
    """:func:`overview`; ``locked`` (:func:`~nbviz.store.settled.locked_inodes`, None:
    unknown) says which stores are settled enough to be opened ``immutable``."""
    found, stamp = _cached(run_dir, max_age)
    return found if found is not None else _read_and_keep(run_dir, stamp, locked, max_age)


def _read_and_keep(run_dir: Path, stamp: tuple[int, ...], locked: frozenset[int] | None,
                   max_age: float | None = None) -> StoreOverview | None:
    """Read the store (its files' ``stamp`` taken just before) and keep the result."""
    age = UNCHANGED_RECHECK_SECS if max_age is None else max_age
    key = os.path.abspath(run_dir)  # not realpath: a symlinked spelling only reads again
    now = time.monotonic()
    immutable = locked is not None and is_settled(run_dir, locked)
    found = _read(run_dir, stamp, immutable)
    if found is not None and not immutable:
        after = store_stamp(run_dir)
        if after != stamp and after[:2] == stamp[:2] and stamp[2] == -1 and after[2] == 0:
            # the read itself created the (empty) WAL of a closed store: no commit can
            # hide in an empty WAL, so what was read is what the new stamp stands for
            found = replace(found, stamp=after)
    with _lock:
        if found is None:
            _cache.pop(key, None)
        else:
            if now - _swept[0] >= age:  # kept at most ~2 ages: memory for recent reads only
                _swept[0] = now
                for old in [k for k, (at, _) in _cache.items() if now - at >= age]:
                    del _cache[old]
            _cache[key] = (now, found)
    return found
