"""Read many small TensorBoard runs at once: a sweep written by ``torch.utils.tensorboard``
(``add_hparams``: one run directory per trial, a few events each).

:meth:`EventRun.refresh <nbviz.store.tfevents.EventRun.refresh>` costs ~0.6 ms per trial:
a few file opens, both CRCs of every record in plain Python, every event decoded by the
generic parser. :func:`read_event_runs` reads the same runs with the fixed costs shared:
the files' bytes go into one buffer, framed file by file (a header walk), both CRCs of
every record are checked in one vectorised call, every ``simple_value`` scalar event of
every run is matched and decoded at once (torch's layout), ``file_version`` events are
decoded once (memoised), and only what is left — the hparams summaries — is decoded one
by one (memoised on the bytes after the wall time: a sweep repeats its experiment and
session-end summaries in every trial). Tag ids are given in the order ``EventRun``
gives them, so the result is the same ``EventRun`` objects ``refresh()`` would build.

A run with anything else — a record cut short or with a bad CRC, a session log (purge),
a graph, an image, a tensor, a large file — is read by ``EventRun.refresh()`` itself,
unchanged: the fast path never guesses.

>>> wanted = frozenset({"scalar", "hparams"})
>>> runs = read_event_runs({"trial0": Path("sweep/trial0")}, wanted)  # doctest: +SKIP
>>> runs["trial0"].tensors_since(0)[0][0].extra["hparams"]  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import gc
import os
import struct
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from nbviz._validate import describe
from nbviz.store import tfevents_proto as proto
from nbviz.store.tfevents import (
    _FAST_SCALARS_MIN,
    _SHARED,
    _SHARED_LOCK,
    EventRun,
    _fast_scalars,
    _FileState,
    _group_tags,
    _Scalars,
    is_event_file,
)

__all__ = ["SMALL_FILE_BYTES", "gc_paused", "preload_shared", "read_event_runs"]

SMALL_FILE_BYTES = 1 << 20  # a larger event file: its run is read by EventRun itself
_WALL = struct.Struct("<d")
# event fields the generic parser acts on beside wall (1), step (2) and summary (5): graph,
# session log (purges), run metadata, meta graph — an event with one takes the generic path
_GENERIC_EVENT_FIELDS = frozenset({4, 7, 8, 9})
_VALUE_FIELDS = frozenset({1, 7, 9})  # tag, node_name, metadata: a plugin summary (hparams)

# (step, [(raw tag, plugin name or None, plugin content)]) of an event's bytes after its
# wall time; None: not a plugin-only summary event (its run takes the generic path)
_Decoded = tuple[int, list[tuple[bytes, str | None, bytes]]] | None


class _Fallback(Exception):
    """This run needs the generic reader."""


def _decode_summary(rest: bytes) -> _Decoded:
    """An event's fields after its wall time, if it holds nothing but plugin-only summary
    values (what ``add_hparams`` writes) and fields the generic parser ignores
    (file_version, source metadata): (step, values); else None."""
    try:
        event = proto.parse_fields(rest, 0, len(rest))
        if event.keys() & _GENERIC_EVENT_FIELDS or 1 in event:
            return None
        step = proto.get_int(event, 2)
        values: list[tuple[bytes, str | None, bytes]] = []
        summary = proto.get_span(event, 5)
        if summary is not None:
            for span in proto.get_spans(proto.parse_fields(rest, *summary), 1):
                value = proto.parse_fields(rest, *span)
                if not value.keys() <= _VALUE_FIELDS:
                    return None
                raw_tag = proto.get_bytes(rest, value, 1) or proto.get_bytes(rest, value, 7)
                plugin: str | None = None
                content = b""
                metadata = proto.get_span(value, 9)
                if metadata is not None:
                    plugin_span = proto.get_span(proto.parse_fields(rest, *metadata), 1)
                    if plugin_span is not None:
                        plugin_msg = proto.parse_fields(rest, *plugin_span)
                        plugin = proto.get_string(rest, plugin_msg, 1, errors="replace")
                        content = proto.get_bytes(rest, plugin_msg, 2)
                values.append((raw_tag, plugin, content))
        return step, values
    except (proto.DecodeError, ValueError, struct.error, IndexError):
        return None


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for a bulk read: reading 10,000 runs makes a
    few hundred thousand small objects (records, dicts, arrays) and none in a cycle, yet
    every full pass of the collector walks all of them — a quarter of the CPU of such a
    read. Reference counting still frees everything; the collector is back on (if it was)
    when the block ends.

    >>> with gc_paused():
    ...     pass
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _check_dirs(run_dirs: object, where: str) -> dict[str, Path]:
    if not isinstance(run_dirs, Mapping):
        raise TypeError(f"{where}: 'run_dirs' must be a dict of run name -> directory, got "
                        f"{describe(run_dirs)}.")
    out: dict[str, Path] = {}
    for name, run_dir in run_dirs.items():
        if not isinstance(run_dir, (str, os.PathLike)):
            raise TypeError(f"{where}: run_dirs[{name!r}] must be a directory path, got "
                            f"{describe(run_dir)}.")
        out[str(name)] = Path(run_dir)
    return out


def read_event_runs(run_dirs: Mapping[str, str | os.PathLike[str]],
                    wanted: frozenset[str] | None = None) -> dict[str, EventRun]:
    """One :class:`~nbviz.store.tfevents.EventRun` per run (same keys), each holding what
    ``EventRun(run_dir, wanted).refresh()`` would: scalar rows, records, meta, problems,
    file offsets (so a later ``refresh()`` reads only new bytes).

    >>> read_event_runs({})
    {}
    """
    dirs = _check_dirs(run_dirs, "read_event_runs()")
    with gc_paused():
        runs = {name: EventRun(run_dir, wanted) for name, run_dir in dirs.items()}
        _Bulk(runs).read()
    return runs


def preload_shared(run_dirs: Mapping[str, str | os.PathLike[str]]) -> list[EventRun]:
    """Read the runs not yet in the process-wide registry of
    :func:`~nbviz.store.tfevents.shared_event_run` in one :func:`read_event_runs` pass and
    register them, so the panels' tails that follow find them parsed. Returns every run
    (shared ones included): keep the list while the tails are made (the registry holds
    runs weakly).

    >>> preload_shared({})
    []
    """
    dirs = _check_dirs(run_dirs, "preload_shared()")
    keys = {name: os.path.realpath(run_dir) for name, run_dir in dirs.items()}
    with _SHARED_LOCK:
        known = {name: _SHARED.get(key) for name, key in keys.items()}
    fresh = read_event_runs({name: dirs[name] for name, run in known.items() if run is None})
    out: list[EventRun] = []
    with _SHARED_LOCK:
        for name, key in keys.items():
            run = _SHARED.get(key)
            if run is None:
                run = _SHARED[key] = fresh[name]
            out.append(run)
    return out


class _Bulk:
    """One pass over many runs (see the module docstring)."""

    def __init__(self, runs: dict[str, EventRun]) -> None:
        self.runs = runs
        self.generic: set[str] = set()
        # per file, in run then name order: run name, state, start in the joined buffer
        self.files: list[tuple[str, _FileState, int, int]] = []
        self.parts: list[bytes] = []

    def read(self) -> None:
        self._load()
        if self.files:
            self._decode()
        done = time.monotonic()
        for name, run in self.runs.items():
            if name in self.generic:
                fresh = EventRun(run.dir, run.wanted)
                fresh.refresh()
                self.runs[name] = fresh
                continue
            if "embedding" in run.wanted:
                run._read_projector()
            run._last_refresh = done  # read just now: tails polling at once skip the files

    def _load(self) -> None:
        size = 0
        for name, run in self.runs.items():
            try:
                names = sorted(n for n in os.listdir(run.dir) if is_event_file(n))
                blobs = []
                for file_name in names:
                    path = run.dir / file_name
                    with open(path, "rb") as handle:
                        data = handle.read(SMALL_FILE_BYTES + 1)
                    if len(data) > SMALL_FILE_BYTES:
                        raise _Fallback
                    blobs.append((file_name, path, data))
            except (OSError, _Fallback):
                self.generic.add(name)
                continue
            for file_name, path, data in blobs:
                state = run._files[file_name] = _FileState(path, len(data), len(data))
                self.files.append((name, state, size, size + len(data)))
                self.parts.append(data)
                size += len(data)

    def _decode(self) -> None:
        data = b"".join(self.parts)
        self.parts = []
        headers: list[int] = []
        file_of: list[int] = []
        for index, (name, _, start, end) in enumerate(self.files):
            found, stop = proto._walk(data, start, end)
            if stop != end:
                self.generic.add(name)  # cut short or garbage: the careful framing
            headers.extend(found)
            file_of.extend([index] * len(found))
        buf = np.frombuffer(data + bytes(32), dtype=np.uint8)
        header = np.array(headers, dtype=np.int64)
        files = np.array(file_of, dtype=np.int64)
        lengths = buf[header[:, None] + np.arange(8)].copy().view("<u8").reshape(-1)
        lengths = lengths.astype(np.int64)
        starts = header + proto.HEADER_BYTES
        stored = buf[header[:, None] + np.arange(8, 12)].copy().view("<u4").reshape(-1)
        footer = buf[(starts + lengths)[:, None] + np.arange(4)].copy().view("<u4").reshape(-1)
        good = (proto._mask_many(proto.crc32c_many(buf, header, np.full(header.size, 8)))
                == stored)
        good &= proto._mask_many(proto.crc32c_many(buf, starts, lengths)) == footer
        for index in np.unique(files[~good]).tolist():
            self.generic.add(self.files[index][0])  # a bad CRC: reported by the careful reader
        run_names = [name for name, _, _, _ in self.files]
        file_run = np.array([name in self.generic for name in run_names], dtype=bool)
        keep = ~file_run[files]
        header, files, starts, lengths = header[keep], files[keep], starts[keep], lengths[keep]
        fast = _fast_scalars(buf, starts, lengths)
        scalar = np.asarray(fast["ok"], dtype=bool)
        self._summaries(data, starts, lengths, files, ~scalar)
        self._scalars(buf, fast, scalar, files)

    def _summaries(self, data: bytes, starts: np.ndarray, lengths: np.ndarray,
                   files: np.ndarray, other: np.ndarray) -> None:
        """Decode the records that are not scalars, one by one in order (memoised: a
        sweep's file_version, experiment and session-end events repeat in every trial)."""
        memo: dict[bytes, _Decoded] = {}
        wall_of = _WALL.unpack_from
        for position in np.flatnonzero(other).tolist():
            name, state, _, _ = self.files[int(files[position])]
            if name in self.generic:
                continue
            start = int(starts[position])
            end = start + int(lengths[position])
            decoded: _Decoded = None
            if data[start] == 0x09 and end - start >= 9:
                rest = data[start + 9:end]
                if rest in memo:
                    decoded = memo[rest]
                else:
                    decoded = memo[rest] = _decode_summary(rest)
            if decoded is None:
                self.generic.add(name)
                continue
            wall = wall_of(data, start + 1)[0]
            step, values = decoded
            run = self.runs[name]
            for raw_tag, plugin, content in values:
                tag = run._tag_text(raw_tag, state)
                if plugin is None:
                    continue
                run._plugins[tag] = (plugin, content)
                if plugin == "hparams":
                    run._hparams(content, tag, step, wall)

    def _scalars(self, buf: np.ndarray, fast: dict[str, Any], scalar: np.ndarray,
                 files: np.ndarray) -> None:
        """Every run's scalar rows at once, tag ids in the order ``EventRun._parse`` gives:
        in a file of >= ``_FAST_SCALARS_MIN`` records (its vectorised path) by tag hash,
        in a smaller file by first appearance; a tag keeps the id of its first file."""
        run_names = list(self.runs)
        run_index = {name: k for k, name in enumerate(run_names)}
        file_run = np.array([run_index[f[0]] for f in self.files], dtype=np.int64)
        per_file = np.bincount(files, minlength=len(self.files))
        rows = np.flatnonzero(scalar)
        if not rows.size:
            return
        tag_bytes, tag = _group_tags(buf, fast["tag_start"][rows], fast["tag_len"][rows])
        row_file = files[rows]
        row_run = file_run[row_file]
        # within a file: the tag's hash rank (global ids are in hash order) or its position
        within = np.where(per_file[row_file] >= _FAST_SCALARS_MIN, tag.astype(np.int64), rows)
        order = np.lexsort((within, row_file, tag, row_run))
        pair_key = row_run[order] * (len(tag_bytes) + 1) + tag[order]
        first = np.r_[True, pair_key[1:] != pair_key[:-1]]
        pairs = order[first]  # one row per (run, tag): where the tag first appears
        _, pair_of_row = np.unique(row_run.astype(np.int64) * (len(tag_bytes) + 1) + tag,
                                   return_inverse=True)
        pair_order = np.lexsort((within[pairs], row_file[pairs], row_run[pairs]))
        pair_run = row_run[pairs][pair_order]
        run_start = np.searchsorted(pair_run, pair_run, side="left")
        local = np.empty(pairs.size, dtype=np.int32)
        # pairs are in (run, tag) order, the same order np.unique gives the pair keys
        local[pair_order] = (np.arange(pairs.size) - run_start).astype(np.int32)
        row_local = local[pair_of_row.reshape(-1)]
        steps = fast["step"][rows].astype(np.float64)
        walls = fast["wall"][rows].astype(np.float64)
        values = fast["value"][rows].astype(np.float64)
        bounds = np.searchsorted(row_run, np.arange(len(run_names) + 1))
        pair_bounds = np.searchsorted(pair_run, np.arange(len(run_names) + 1))
        pair_tags = tag[pairs][pair_order].tolist()
        pair_files = row_file[pairs][pair_order].tolist()
        for k, name in enumerate(run_names):
            lo, hi = int(bounds[k]), int(bounds[k + 1])
            if lo == hi or name in self.generic:
                continue
            run = self.runs[name]
            tags = [run._tag_text(tag_bytes[t], self.files[f][1])
                    for t, f in zip(pair_tags[pair_bounds[k]:pair_bounds[k + 1]],
                                    pair_files[pair_bounds[k]:pair_bounds[k + 1]], strict=True)]
            if "scalar" not in run.wanted:
                continue
            run._scalars = _Scalars(tags=tags, tag_ids={t: i for i, t in enumerate(tags)},
                                    chunks=[(row_local[lo:hi], steps[lo:hi], walls[lo:hi],
                                             values[lo:hi])], count=hi - lo)
