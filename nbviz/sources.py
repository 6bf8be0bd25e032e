"""Sources: one interface for "give me the scalar rows that are new since last time".

A panel reads through a source, so the same widget shows a live run of this
kernel, a run that another process is writing, or an old logdir:

* :class:`RunTail` follows one run directory by ``seq``. When a ``Run`` of this
  process writes there, it also reads that run's not-yet-committed rows, so a
  value is visible as soon as ``log()`` returns; otherwise it polls the store.
* :class:`LogdirSource` discovers runs under a logdir (again every few seconds)
  and tails each of them.
* :class:`MultiSource` combines sources (``Scalars([run_a, "runs/old"])``).

A scalar source made with ``summaries=True`` (the Scalars panel's) starts each nbviz
store from its per-tag summary table instead of its values: the first poll of a run
returns a :class:`RunSummary` (count, first/last step, min/max, last value per tag,
without reading the values) and the tail then continues from the store's end; a
panel loads a series' earlier values only when it draws it (``RunSummary.history``).
TensorBoard runs are parsed whole either way (their rows are returned as before).

At 500 runs: the summaries of a logdir's stores are read side by side
(:func:`~nbviz.run_overview.overviews`), a source's first scan of the logdir takes the
scan a Dashboard's catalog made a moment before (:func:`scan_logdir`), and unchanged
stores are re-checked spread over ``UNCHANGED_RECHECK_SECS``, a few per tick.
"""

from __future__ import annotations

import os
import threading
import time
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from nbviz._validate import describe
from nbviz.record.live import LiveRun, live_run_dirs, live_run_for
from nbviz.run_overview import StoreOverview, overview, overviews
from nbviz.store.discover import discover_runs, run_name
from nbviz.store.sqlite import ScalarColumns, StoreReader, TensorRecord
from nbviz.store.stamp import UNCHANGED_RECHECK_SECS, store_stamp
from nbviz.store.tfevents import EventRun, Problem, shared_event_run

__all__ = [
    "SHARED_SCAN_SECS",
    "UNCHANGED_RECHECK_SECS",
    "EventTail",
    "LogdirSource",
    "MultiSource",
    "RunScalars",
    "RunSummary",
    "RunTail",
    "RunTensors",
    "Source",
    "SummaryFirst",
    "TensorTail",
    "as_source",
    "scan_logdir",
    "store_stamp",
]


@dataclass(frozen=True)
class RunScalars:
    """New scalar rows of one run."""

    run: str
    columns: ScalarColumns


@dataclass(frozen=True)
class RunSummary:
    """What one run's store held when its tail started, per tag, without the values.

    Arrays are aligned with ``tags``: ``count``, ``first_step``, ``last_step``, ``low`` /
    ``high`` (min / max of the finite values, NaN when none), ``last_value`` and
    ``last_wall_time``. ``history`` is the tail, whose :meth:`RunTail.history` reads
    those values (only those: later rows come through ``poll``).
    """

    run: str
    tags: list[str]
    count: np.ndarray
    first_step: np.ndarray
    last_step: np.ndarray
    low: np.ndarray
    high: np.ndarray
    last_value: np.ndarray
    last_wall_time: np.ndarray
    history: RunTail


@dataclass(frozen=True)
class RunTensors:
    """New tensor records (histograms, PR curves …) of one run."""

    run: str
    records: list[TensorRecord]


class Source(Protocol):
    """Anything a panel can poll for new rows (RunScalars or RunTensors batches)."""

    def poll(self) -> list[Any]:
        """Rows that are new since the previous call (each row exactly once)."""
        ...

    def describe(self) -> str:
        """A short human description (for text/plain reprs)."""
        ...


def _columns_from_rows(rows: Sequence[tuple[str, int, float, float]]) -> ScalarColumns:
    if not rows:
        return ScalarColumns.empty()
    tags, steps, walls, values = zip(*rows, strict=True)
    tags_in_order: dict[str, int] = {}
    tag_index = np.array([tags_in_order.setdefault(tag, len(tags_in_order)) for tag in tags],
                         dtype=np.int32)
    return ScalarColumns(
        seq=np.empty(0, np.int64), tag_index=tag_index,
        step=np.array(steps, dtype=np.float64), wall_time=np.array(walls, dtype=np.float64),
        value=np.array(values, dtype=np.float64), tags=list(tags_in_order),
    )


def concat_columns(parts: list[ScalarColumns]) -> ScalarColumns:
    """Scalar columns one after the other, their tags merged (in order of appearance)."""
    parts = [part for part in parts if len(part)]
    if not parts:
        return ScalarColumns.empty()
    if len(parts) == 1:
        return parts[0]
    tags: dict[str, int] = {}
    indices = []
    for part in parts:
        remap = np.array([tags.setdefault(tag, len(tags)) for tag in part.tags], dtype=np.int32)
        indices.append(remap[part.tag_index])
    return ScalarColumns(
        seq=np.concatenate([part.seq for part in parts]) if all(len(p.seq) for p in parts)
        else np.empty(0, np.int64),
        tag_index=np.concatenate(indices),
        step=np.concatenate([part.step for part in parts]),
        wall_time=np.concatenate([part.wall_time for part in parts]),
        value=np.concatenate([part.value for part in parts]),
        tags=list(tags),
    )


class _StoreTail:
    """What following one run's store shares: its reader, the next seq to return, and
    the store-poll throttle (rows of a live Run in this process need no store read)."""

    def __init__(self, run_dir: Path, name: str, poll_interval: float) -> None:
        self.run_dir = Path(run_dir)
        self._real_dir = ""  # resolved once, when a live run of this process first exists
        self.name = name
        self.poll_interval = poll_interval
        self._reader = StoreReader(self.run_dir)
        self._cursor = 0  # next seq to return
        self._last_store_poll = -1e9
        self._stamp: tuple[int, ...] = ()  # store_stamp when last queried
        self._last_query = -1e9
        # where in the recheck period this tail's unchanged store is queried again: the
        # tails of a logdir start together, so without it 500 stores would be re-queried in
        # one tick every UNCHANGED_RECHECK_SECS (a pause of the shared ticker)
        self._recheck_phase = UNCHANGED_RECHECK_SECS * (zlib.crc32(name.encode()) % 997) / 997

    def describe(self) -> str:
        return f"run {self.name!r}"

    def _queried(self, now: float) -> None:
        """The store was read at ``now``: its next unconditional recheck is due one period
        later, less this tail's phase the first time (rechecks spread over the period)."""
        self._last_query = now - self._recheck_phase
        self._recheck_phase = 0.0

    def _live(self) -> LiveRun | None:
        """The unfinished ``Run`` of this process writing here, if any (a look-up among the
        few live runs, not a path resolution per poll: a logdir may hold 500 runs)."""
        live = live_run_dirs()
        if not live:
            return None
        if not self._real_dir:
            self._real_dir = os.path.realpath(self.run_dir)
        if not any(str(path) == self._real_dir for path in live):
            return None
        return live_run_for(Path(self._real_dir))

    def _store_poll_due(self) -> bool:
        """True when the store should be queried now: the poll interval passed and its
        files changed since the last query (or ``UNCHANGED_RECHECK_SECS`` passed, in case
        a commit kept size and mtime), so following 500 idle runs costs ``stat`` calls."""
        now = time.monotonic()
        if now - self._last_store_poll < self.poll_interval:
            return False
        self._last_store_poll = now
        stamp = store_stamp(self.run_dir)  # before the query: a later commit changes it
        if stamp == self._stamp and now - self._last_query < UNCHANGED_RECHECK_SECS:
            return False
        self._stamp = stamp
        self._queried(now)
        return True

    def problems(self) -> list[Problem]:
        """What could not be read from this run's store (corrupt, unreadable …), and why."""
        return self._reader.problems()

    def close(self) -> None:
        self._reader.close()


class RunTail(_StoreTail):
    """Follow one run directory; each row is returned exactly once, in log order.

    With ``summaries=True``, :meth:`summary` is due before the first poll: it returns
    the store's per-tag summary (:class:`RunSummary`) in place of the rows already
    stored, which ``poll`` then skips; :meth:`history` reads those rows for the tags a
    panel draws. (:class:`LogdirSource` and :class:`SummaryFirst` call it.)
    """

    def __init__(self, run_dir: Path, name: str, *, poll_interval: float = 0.5,
                 summaries: bool = False) -> None:
        super().__init__(run_dir, name, poll_interval)
        self.summary_due = summaries
        self._history_end = 0  # rows with seq < this were summarised, not returned
        self._summarised: dict[str, int] = {}  # tag name -> store tag id, of the summary
        # every row returned so far was read from the store (no live Run of this process
        # wrote here): the history of a summarised tag then extends to the cursor
        self.stored_only = True

    def meta(self) -> dict[str, Any]:
        """The run's stored metadata (name, config, created …)."""
        return self._reader.meta()

    def summary(self) -> RunSummary | None:
        """The store's per-tag summaries (one read of the summary table for a columnar
        store), None when it holds no scalar yet; the tail continues after the last
        summarised row (rows of a live run of this process not yet stored come next).

        >>> RunTail(Path("runs/a"), "a", summaries=True).summary().tags  # doctest: +SKIP
        ['loss', 'acc']
        """
        return self.summary_of(overview(self.run_dir))

    def summary_of(self, quick: StoreOverview | None) -> RunSummary | None:
        """:meth:`summary` from the store's overview read just now (``quick``, e.g. by
        :func:`~nbviz.run_overview.overviews` for many runs at once; None: read the store
        with the careful reader)."""
        self.summary_due = False
        now = time.monotonic()
        self._last_store_poll = now  # summarised now, not polled
        self._queried(now)
        if quick is not None:
            self._stamp = quick.stamp
            return self._quick_summary(quick)
        self._stamp = store_stamp(self.run_dir)
        found = self._reader.tag_summaries()
        if not found:
            return None
        names = self._reader.tag_names()
        ids = sorted(found)  # tag ids number tags in order of first appearance
        rows = [found[i] for i in ids]

        def column(values: list[float | None]) -> np.ndarray:
            return np.array([np.nan if v is None else v for v in values], dtype=np.float64)

        self._history_end = max(row.last_seq for row in rows) + 1
        self._cursor = max(self._cursor, self._history_end)
        tags = [names.get(i, f"(unknown tag #{i})") for i in ids]
        self._summarised = dict(zip(tags, ids, strict=True))
        return RunSummary(
            run=self.name, tags=tags,
            count=np.array([row.count for row in rows], dtype=np.int64),
            first_step=column([row.first_step for row in rows]),
            last_step=column([row.last_step for row in rows]),
            low=column([row.min_value for row in rows]),
            high=column([row.max_value for row in rows]),
            last_value=column([row.last_value for row in rows]),
            last_wall_time=column([row.last_wall for row in rows]),
            history=self,
        )

    def _quick_summary(self, found: StoreOverview) -> RunSummary | None:
        """The summary from a columnar store's overview (arrays, no object per tag)."""
        if not found.tags:
            return None
        self._history_end = int(found.last_seq.max()) + 1
        self._cursor = max(self._cursor, self._history_end)
        self._summarised = dict(zip(found.tags, found.tag_ids.tolist(), strict=True))
        return RunSummary(
            run=self.name, tags=found.tags, count=found.count, first_step=found.first_step,
            last_step=found.last_step, low=found.low, high=found.high,
            last_value=found.last_value, last_wall_time=found.last_wall_time, history=self)

    def history(self, tags: Sequence[str]) -> ScalarColumns:
        """The stored rows of ``tags`` that the summary stood for (seq before the tail's
        start; while ``stored_only``, before its cursor: the rows polled since are in the
        store too), in log order: what a panel prepends to the rows it holds.

        >>> tail.history(["loss"]).value  # doctest: +SKIP
        """
        ids = [self._summarised[tag] for tag in tags if tag in self._summarised]
        if not ids:
            return ScalarColumns.empty()
        seq, tag_ids, step, wall, value = self._reader.scalar_arrays(
            0, self._history_end, tag_ids=ids)  # named by the summary: no tag-table read
        names = {tag_id: tag for tag, tag_id in self._summarised.items()}
        unique, index = np.unique(tag_ids, return_inverse=True)
        return ScalarColumns(seq=seq, tag_index=index.astype(np.int32).reshape(-1),
                             step=step.astype(np.float64), wall_time=wall, value=value,
                             tags=[names[int(tag_id)] for tag_id in unique])

    def poll(self) -> list[RunScalars]:
        live = self._live()
        parts: list[ScalarColumns] = []
        if live is not None:
            self.stored_only = False
            base, rows = live._pending_since(self._cursor)
            if self._cursor < base:
                parts.append(self._reader.scalars_between(self._cursor, base))
            parts.append(_columns_from_rows(rows))
            self._cursor = max(self._cursor, base) + len(rows)
        else:
            if not self._store_poll_due():
                return []
            columns = self._reader.scalars_between(self._cursor)
            if len(columns):
                self._cursor = int(columns.seq[-1]) + 1
                if self.stored_only and self._summarised:
                    self._history_end = self._cursor  # a panel need not hold these rows
            parts.append(columns)
        merged = concat_columns(parts)
        return [RunScalars(self.name, merged)] if len(merged) else []


class SummaryFirst:
    """One run's tail whose first poll starts with its store's :class:`RunSummary`.

    >>> SummaryFirst(RunTail(Path("runs/a"), "a", summaries=True)).poll()  # doctest: +SKIP
    """

    def __init__(self, tail: RunTail) -> None:
        self.tail = tail

    def describe(self) -> str:
        return self.tail.describe()

    def poll(self) -> list[RunScalars | RunSummary]:
        summary = self.tail.summary() if self.tail.summary_due else None
        rows: list[RunScalars | RunSummary] = [] if summary is None else [summary]
        return rows + list(self.tail.poll())

    def problems(self) -> list[Problem]:
        return self.tail.problems()

    def close(self) -> None:
        self.tail.close()


class TensorTail(_StoreTail):
    """Follow one run's tensor records of some kinds; each returned exactly once."""

    def __init__(self, run_dir: Path, name: str, kinds: frozenset[str], *,
                 poll_interval: float = 0.5) -> None:
        super().__init__(run_dir, name, poll_interval)
        self.kinds = kinds

    def poll(self) -> list[RunTensors]:
        live = self._live()
        records: list[TensorRecord] = []
        if live is not None:
            base, pending = live._tensor_pending_since(self._cursor)
            if self._cursor < base:
                records.extend(self._reader.tensors_between(self._cursor, base, self.kinds))
            records.extend(record for record in pending if record.kind in self.kinds)
            self._cursor = max(self._cursor, base) + len(pending)
        else:
            if not self._store_poll_due():
                return []
            stored = self._reader.tensors_between(self._cursor, None, self.kinds)
            if stored:
                self._cursor = stored[-1].seq + 1
            records.extend(stored)
        return [RunTensors(self.name, records)] if records else []


class EventTail:
    """Follow one TensorBoard run directory (its tfevents files, tailed as they grow).

    ``kinds`` None yields scalar rows (``RunScalars``); a set of record kinds yields
    those records (``RunTensors``). Tails of the same directory share one parsed
    :class:`~nbviz.store.tfevents.EventRun`, so each file is read once per process.
    """

    def __init__(self, run_dir: Path, name: str, kinds: frozenset[str] | None = None, *,
                 poll_interval: float = 0.5, run: EventRun | None = None) -> None:
        self.run_dir = Path(run_dir)
        self.name = name
        self.kinds = kinds
        self.poll_interval = poll_interval
        self.run = shared_event_run(self.run_dir) if run is None else run
        self._cursor = 0

    def describe(self) -> str:
        return f"TensorBoard run {self.name!r}"

    def meta(self) -> dict[str, Any]:
        """Run-level data found in the event files (custom-scalar layout, hparams domain)."""
        return dict(self.run.meta)

    def problems(self) -> list[Problem]:
        """What was skipped while reading this run, and why."""
        return list(self.run.problems)

    def poll(self) -> list[Any]:
        self.run.refresh(min_interval=self.poll_interval)
        if self.kinds is None:
            columns, self._cursor = self.run.scalars_since(self._cursor)
            return [RunScalars(self.name, columns)] if len(columns) else []
        records, self._cursor = self.run.tensors_since(self._cursor, self.kinds)
        return [RunTensors(self.name, records)] if records else []

    def close(self) -> None:
        """Nothing to release: the shared run is freed with its last tail."""


# A Dashboard's catalog has just walked the logdir when it builds its Scalars tab: the
# tab's first scan takes that walk (at most this old) instead of walking 500 runs again.
SHARED_SCAN_SECS = 1.0
_scans: dict[str, tuple[float, dict[str, Path], dict[str, Path]]] = {}
_scans_lock = threading.Lock()  # panels scan from the ticker thread and the main thread


def scan_logdir(logdir: Path, *, reuse: bool = False) -> tuple[dict[str, Path], dict[str, Path]]:
    """The nbviz stores and TensorBoard run directories under ``logdir`` (name -> directory,
    both from one walk: :func:`~nbviz.store.discover.discover_runs`),
    kept for the next ``reuse=True`` call within ``SHARED_SCAN_SECS`` (a first scan: later
    scans walk again, so a run that appears is found by the next one).

    >>> scan_logdir(Path("runs"))  # doctest: +SKIP
    ({'a': PosixPath('runs/a')}, {})
    """
    if not isinstance(logdir, (str, os.PathLike)):
        raise TypeError(f"scan_logdir(): 'logdir' must be a path, got {describe(logdir)}.")
    key, now = os.path.abspath(logdir), time.monotonic()
    with _scans_lock:
        kept = _scans.get(key)
    if reuse and kept is not None and now - kept[0] < SHARED_SCAN_SECS:
        return dict(kept[1]), dict(kept[2])
    found = discover_runs(Path(logdir))
    with _scans_lock:
        for old in [k for k, (at, _, _) in _scans.items() if now - at >= SHARED_SCAN_SECS]:
            del _scans[old]
        _scans[key] = (now, *found)
    return dict(found[0]), dict(found[1])


class LogdirSource:
    """Every run under a logdir, including runs that appear later.

    ``kinds`` None follows scalars; a set of kinds follows those tensor records.
    Directories holding TensorBoard event files are followed too (``tfevents=False``
    restricts the source to nbviz stores); a directory with both is one run whose
    rows come from both.
    """

    def __init__(self, logdir: Path, *, rescan_interval: float = 2.0,
                 kinds: frozenset[str] | None = None, tfevents: bool = True,
                 summaries: bool = False) -> None:
        self.logdir = Path(logdir)
        self.rescan_interval = rescan_interval
        self.kinds = kinds
        self.tfevents = tfevents
        self.summaries = summaries
        self._tails: dict[str, RunTail | TensorTail] = {}
        self._event_tails: dict[str, EventTail] = {}
        self._last_scan = -1e9
        self._scanned = False  # the first scan may take a catalog's scan of a moment ago

    def describe(self) -> str:
        return f"logdir {str(self.logdir)!r}"

    def poll(self) -> list[Any]:
        now = time.monotonic()
        root = os.path.realpath(self.logdir)
        for run_dir in live_run_dirs():  # runs of this process appear at once
            if str(run_dir).startswith(root + os.sep):
                name = run_name(Path(root), run_dir)
                if name not in self._tails:
                    self._tails[name] = self._tail(run_dir, name)
        if now - self._last_scan >= self.rescan_interval:
            self._last_scan = now
            runs, event_runs = scan_logdir(self.logdir, reuse=not self._scanned)
            self._scanned = True
            for name, run_dir in runs.items():
                if name not in self._tails:
                    self._tails[name] = self._tail(run_dir, name)
            if self.tfevents:
                for name, run_dir in event_runs.items():
                    if name not in self._event_tails:
                        self._event_tails[name] = EventTail(run_dir, name, self.kinds)
        batches: list[Any] = []
        due = [tail for tail in self._tails.values()
               if isinstance(tail, RunTail) and tail.summary_due]
        read = dict(zip(due, overviews([tail.run_dir for tail in due]), strict=True)
                    ) if due else {}
        for tail in self._tails.values():  # the stores were read side by side just now
            if isinstance(tail, RunTail) and tail.summary_due:
                summary = tail.summary_of(read[tail]) if tail in read else tail.summary()
                if summary is not None:
                    batches.append(summary)
            batches.extend(tail.poll())
        for event_tail in self._event_tails.values():
            batches.extend(event_tail.poll())
        return batches

    def run_dirs(self) -> dict[str, tuple[Path, str]]:
        """Runs found so far: name -> (directory, "nbviz" or "tensorboard")."""
        runs = {name: (tail.run_dir, "nbviz") for name, tail in self._tails.items()}
        for name, event_tail in self._event_tails.items():
            runs.setdefault(name, (event_tail.run_dir, "tensorboard"))
        return dict(sorted(runs.items()))

    def problems(self) -> list[Problem]:
        """What was skipped while reading runs (nbviz stores and TensorBoard), and why."""
        found = [problem for tail in self._tails.values() for problem in tail.problems()]
        return found + [problem for tail in self._event_tails.values()
                        for problem in tail.problems()]

    def _tail(self, run_dir: Path, name: str) -> RunTail | TensorTail:
        if self.kinds is None:
            return RunTail(run_dir, name, summaries=self.summaries)
        return TensorTail(run_dir, name, self.kinds)

    def close(self) -> None:
        for tail in self._tails.values():
            tail.close()
        for event_tail in self._event_tails.values():
            event_tail.close()


class MultiSource:
    """Several sources polled as one."""

    def __init__(self, sources: Iterable[Source]) -> None:
        self.sources = list(sources)

    def describe(self) -> str:
        return ", ".join(source.describe() for source in self.sources)

    def poll(self) -> list[Any]:
        return [batch for source in self.sources for batch in source.poll()]


def check_targets(target: Any, *, where: str, must_exist: bool = False) -> list[Any]:
    """A panel's target (a logdir, a ``Run`` or a list of them) as a list, validated; errors
    name the caller (``where``, e.g. ``"Dashboard()"``).

    >>> check_targets([], where="Dashboard()")
    Traceback (most recent call last):
    ValueError: Dashboard(): expected a logdir, a Run or a list of them, got an empty list.
    """
    items = list(target) if isinstance(target, (list, tuple)) else [target]
    if not items:
        raise ValueError(f"{where}: expected a logdir, a Run or a list of them, got an empty "
                         "list.")
    for item in items:
        if not isinstance(item, (str, os.PathLike, LiveRun)):
            raise TypeError(f"{where}: expected a logdir path, an nbviz Run or a list of "
                            f"them, got {describe(item)}.")
        if must_exist and not isinstance(item, LiveRun) and not Path(item).exists():
            raise FileNotFoundError(f"{where}: logdir {str(item)!r} does not exist; pass the "
                                    "folder your runs are written to (e.g. 'runs').")
    return items


def as_source(target: Any, kinds: frozenset[str] | None = None, *,
              summaries: bool = False) -> Source:
    """Turn a logdir path, a ``Run``, a source, or a list of those into a source.

    ``kinds`` None gives scalar rows; a set of record kinds gives those tensor records.
    ``summaries`` (scalars only): each nbviz store starts with a :class:`RunSummary` of
    what it holds instead of those rows (see the module docstring).

    >>> as_source("runs")  # doctest: +SKIP
    >>> as_source("runs", summaries=True)  # doctest: +SKIP
    """
    if isinstance(target, LiveRun):
        if kinds is None:
            tail = RunTail(target.dir, target.name, summaries=summaries)
            return SummaryFirst(tail) if summaries else tail
        return TensorTail(target.dir, target.name, kinds)
    if isinstance(target, (str, os.PathLike)):
        path = Path(target)
        if not path.exists():
            raise FileNotFoundError(
                f"logdir {str(path)!r} does not exist; pass the folder your runs are written "
                "to (e.g. 'runs'), or create it first."
            )
        return LogdirSource(path, kinds=kinds, summaries=summaries and kinds is None)
    if isinstance(target, (list, tuple)):
        if not target:
            raise ValueError("expected at least one run or logdir, got an empty list.")
        return MultiSource(as_source(item, kinds, summaries=summaries) for item in target)
    if hasattr(target, "poll") and hasattr(target, "describe"):
        return target  # type: ignore[no-any-return]
    raise TypeError(
        f"expected a logdir path, an nbviz Run or a list of them, got {describe(target)}."
    )
