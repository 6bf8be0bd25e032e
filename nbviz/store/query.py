"""Per-run scalar queries for panels: a per-tag summary and chosen series, as numpy.

Both work on every run directory a panel meets: an nbviz store in the columnar layout
(the summary table and the chunk blobs: no Python object per value), an nbviz store of
schema version 1 (one row per value), and a TensorBoard run directory (event files,
parsed with nbviz's reader). They read what is committed: values a ``Run`` of this
process logged within the last flush interval appear after its next flush.

>>> tag_summaries("runs/lr=0.1")  # doctest: +SKIP
>>> scalar_series("runs/lr=0.1", tags=r"^loss", step_range=(100, None))  # doctest: +SKIP
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from nbviz._validate import describe
from nbviz.store.chunks import TagSummary, summarize
from nbviz.store.sqlite import DB_FILENAME, ScalarColumns, StoreReader
from nbviz.store.subset import check_step_range

__all__ = ["SUMMARY_COLUMNS", "Series", "scalar_series", "tag_summaries", "tag_summaries_many"]

SUMMARY_COLUMNS = ("tag", "count", "first_step", "last_step", "min", "max", "last_value",
                   "last_wall_time")


class Series(NamedTuple):
    """One tag's values in log order: int64 steps, float64 values and wall times."""

    step: np.ndarray
    value: np.ndarray
    wall_time: np.ndarray


def _run_dir(run_dir: object, where: str) -> Path:
    if not isinstance(run_dir, (str, os.PathLike)):
        raise TypeError(f"{where}: 'run_dir' must be a run directory path, got "
                        f"{describe(run_dir)}.")
    return Path(run_dir)


def _event_columns(path: Path, problems: list[str]) -> ScalarColumns:
    """Every scalar of a TensorBoard run directory (purges applied)."""
    from nbviz.store.tfevents import EventRun, apply_purges, is_event_file

    if not path.is_dir() or not any(is_event_file(entry.name) for entry in os.scandir(path)):
        return ScalarColumns.empty()
    run = EventRun(path, wanted=frozenset({"scalar"}))
    run.refresh()
    columns, _ = run.scalars_since(0)
    columns, _ = apply_purges(run, columns, [])
    problems.extend(str(problem) for problem in run.problems)
    return columns


def _summary_frame(names: list[str], summaries: list[TagSummary], problems: list[str]
                   ) -> pd.DataFrame:
    def column(values: list[float | None]) -> np.ndarray:
        return np.array([np.nan if v is None else v for v in values], dtype=np.float64)

    frame = pd.DataFrame({
        "tag": pd.Series(names, dtype=object),
        "count": np.array([s.count for s in summaries], dtype=np.int64),
        "first_step": np.array([s.first_step for s in summaries], dtype=np.int64),
        "last_step": np.array([s.last_step for s in summaries], dtype=np.int64),
        "min": column([s.min_value for s in summaries]),
        "max": column([s.max_value for s in summaries]),
        "last_value": column([s.last_value for s in summaries]),
        "last_wall_time": column([s.last_wall for s in summaries]),
    }, columns=list(SUMMARY_COLUMNS))
    frame.attrs["problems"] = problems
    return frame


_SUMMARY_QUERY = ("SELECT g.name, s.count, s.first_step, s.last_step, s.min, s.max, "
                  "s.last_value, s.last_wall FROM scalar_tags s LEFT JOIN tags g "
                  "ON g.id = s.tag_id ORDER BY s.tag_id")


def _stored_summaries(path: Path, immutable: bool = False) -> list[tuple[Any, ...]] | None:
    """A columnar store's summary rows (``_SUMMARY_QUERY``), or None when the run needs
    the careful reader (no store, not columnar, damaged, a tag without a name).
    ``immutable`` only for a settled store (:mod:`nbviz.store.settled`)."""
    from nbviz.store.settled import select_read_only

    if not (path / DB_FILENAME).exists():
        return None
    rows = select_read_only(path / DB_FILENAME, _SUMMARY_QUERY, immutable=immutable)
    if rows is None:
        return None  # no summary table (a version-1 store), damaged, not UTF-8 …
    if any(not isinstance(row[0], str) or not all(isinstance(cell, int) for cell in row[1:4])
           or not all(cell is None or isinstance(cell, (int, float)) for cell in row[4:])
           for row in rows):
        return None
    return rows


def _careful_summaries(path: Path) -> pd.DataFrame:
    """Summaries through StoreReader (salvaging, reporting) or the event files."""
    problems: list[str] = []
    if (path / DB_FILENAME).exists():
        reader = StoreReader(path)
        try:
            summaries = reader.tag_summaries()
            names = reader.tag_names()
            problems.extend(str(problem) for problem in reader.problems())
        finally:
            reader.close()
        ids = sorted(summaries)
        return _summary_frame([names.get(i, f"(unknown tag #{i})") for i in ids],
                              [summaries[i] for i in ids], problems)
    columns = _event_columns(path, problems)
    by_index = summarize(columns.tag_index.astype(np.int64),
                         np.arange(len(columns), dtype=np.int64),
                         columns.step.astype(np.int64), columns.wall_time, columns.value)
    indices = sorted(by_index)  # the reader numbers tags in order of first appearance
    return _summary_frame([columns.tags[i] for i in indices], [by_index[i] for i in indices],
                          problems)


def _rows_frame(rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    """Summary rows (``_SUMMARY_QUERY`` columns, any number of runs) as a frame."""
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(SUMMARY_COLUMNS)
    frame = pd.DataFrame({
        "tag": pd.Series(columns[0], dtype=object),
        **{name: np.array(column, dtype=np.int64) for name, column in
           zip(SUMMARY_COLUMNS[1:4], columns[1:4], strict=True)},
        **{name: np.array(column, dtype=np.float64) for name, column in  # NULL -> NaN
           zip(SUMMARY_COLUMNS[4:], columns[4:], strict=True)},
    }, columns=list(SUMMARY_COLUMNS))
    frame.attrs["problems"] = []
    return frame


def tag_summaries(run_dir: str | os.PathLike[str]) -> pd.DataFrame:
    """One row per scalar tag of a run, in order of first appearance: ``tag, count,
    first_step, last_step, min, max`` (over finite values; NaN when none), ``last_value,
    last_wall_time`` (the last value in log order). For a columnar store this reads only
    the summary table, however many values the run holds. Problems met (a damaged store)
    are listed in ``df.attrs["problems"]``; nothing raises but a bad argument.

    >>> tag_summaries("runs/a")  # doctest: +SKIP
        tag  count  first_step  last_step   min  max  last_value  last_wall_time
    0  loss    500           0        499  0.02  2.3        0.02    1.764e+09
    """
    path = _run_dir(run_dir, "tag_summaries()")
    rows = _stored_summaries(path)
    return _careful_summaries(path) if rows is None else _rows_frame(rows)


def tag_summaries_many(run_dirs: Mapping[str, str | os.PathLike[str]]) -> pd.DataFrame:
    """:func:`tag_summaries` of many runs as one frame: ``run`` (the mapping's key) then
    the same columns, runs in the mapping's order: one query per run, one frame built
    from all rows (``nbviz.store.settled.SUMMARY_READ_THREADS`` > 1 reads the runs side by
    side);
    ``df.attrs["problems"]`` gathers every run's problems.

    >>> tag_summaries_many({"a": "runs/a", "b": "runs/b"})  # doctest: +SKIP
      run   tag  count  first_step  last_step  ...
    0   a  loss    500           0        499  ...
    """
    from nbviz.store.settled import SUMMARY_READ_THREADS, is_settled, locked_inodes

    if not isinstance(run_dirs, Mapping):
        raise TypeError("tag_summaries_many(): 'run_dirs' must map run names to run "
                        f"directories, got {describe(run_dirs)}; e.g. "
                        "nbviz.store.discover.find_runs(logdir).")
    paths = {}
    for name, run_dir in run_dirs.items():
        if not isinstance(name, str):
            raise TypeError(f"tag_summaries_many(): run names must be str, got "
                            f"{describe(name)}.")
        paths[name] = _run_dir(run_dir, "tag_summaries_many()")
    locked = locked_inodes()

    def stored(path: Path) -> list[tuple[Any, ...]] | None:
        return _stored_summaries(path, is_settled(path, locked))

    if SUMMARY_READ_THREADS > 1 and len(paths) > 1:
        with ThreadPoolExecutor(SUMMARY_READ_THREADS) as pool:
            found = list(pool.map(stored, paths.values()))
    else:
        found = [stored(path) for path in paths.values()]
    quick = [rows or [] for rows in found]
    frame = _rows_frame([row for rows in quick for row in rows])
    names = np.repeat(np.array(list(paths), dtype=object),
                      np.array([len(rows) for rows in quick], dtype=np.int64))
    frame.insert(0, "run", pd.Series(names, dtype=object))
    problems: list[str] = []
    careful = [name for name, rows in zip(paths, found, strict=True) if rows is None]
    if careful:
        parts = [frame]
        for name in careful:
            part = _careful_summaries(paths[name])
            problems.extend(part.attrs["problems"])
            part.insert(0, "run", pd.Series([name] * len(part), dtype=object))
            parts.append(part)
        order = {name: index for index, name in enumerate(paths)}
        frame = pd.concat(parts, ignore_index=True)
        frame = frame.iloc[np.argsort(frame["run"].map(order).to_numpy(), kind="stable")]
        frame = frame.reset_index(drop=True)
    frame.attrs["problems"] = problems
    return frame


def _check_tags(tags: object) -> str | list[str] | None:
    if tags is None:
        return None
    if isinstance(tags, str):
        try:
            re.compile(tags)
        except re.error as error:
            raise ValueError(f"scalar_series(): 'tags' is not a valid regular expression "
                             f"({error}): {tags!r}; pass a list of names to match exactly."
                             ) from None
        return tags
    if isinstance(tags, Sequence) and all(isinstance(tag, str) for tag in tags):
        return list(tags)
    raise TypeError(f"scalar_series(): 'tags' must be None, a regular expression (str) or a "
                    f"list of tag names, got {describe(tags)}.")


def _selected(names: dict[int, str], tags: str | list[str] | None) -> list[int] | None:
    if tags is None:
        return None
    if isinstance(tags, str):
        pattern = re.compile(tags)
        return [i for i, name in names.items() if pattern.search(name)]
    wanted = set(tags)
    return [i for i, name in names.items() if name in wanted]


def _split(tag_ids: np.ndarray, names: dict[int, str], step: np.ndarray, value: np.ndarray,
           wall: np.ndarray) -> dict[str, Series]:
    """Arrays in log order split per tag (one stable sort), tags in first-appearance order."""
    if not tag_ids.size:
        return {}
    order = np.argsort(tag_ids, kind="stable")
    sorted_ids = tag_ids[order]
    starts = np.flatnonzero(np.r_[True, sorted_ids[1:] != sorted_ids[:-1]])
    ends = np.r_[starts[1:], order.size]
    out = {}
    for start, end in sorted(zip(starts.tolist(), ends.tolist(), strict=True),
                             key=lambda span: int(order[span[0]])):
        rows = order[start:end]
        name = names.get(int(sorted_ids[start]), f"(unknown tag #{int(sorted_ids[start])})")
        out[name] = Series(step[rows].astype(np.int64), value[rows], wall[rows])
    return out


def scalar_series(run_dir: str | os.PathLike[str], tags: str | Sequence[str] | None = None,
                  step_range: tuple[int | None, int | None] | None = None
                  ) -> dict[str, Series]:
    """The scalar series of some tags of one run: tag -> ``Series(step, value, wall_time)``
    (numpy arrays, log order). ``tags``: None for all, a list of exact names, or a regular
    expression (``re.search``). ``step_range``: ``(lo, hi)``, inclusive, None for an open
    end. For a columnar store only the chunks of the chosen tags overlapping the range
    are read. Tags without a value in the range are absent.

    >>> scalar_series("runs/a", ["loss"], (0, 99))["loss"].value  # doctest: +SKIP
    array([2.3, 2.1, ...])
    """
    path = _run_dir(run_dir, "scalar_series()")
    wanted = _check_tags(tags)
    steps = check_step_range(step_range, "scalar_series()")
    if (path / DB_FILENAME).exists():
        reader = StoreReader(path)
        try:
            names = reader.tag_names()
            ids = _selected(names, wanted)
            if ids == []:
                return {}
            _, tag_ids, step, wall, value = reader.scalar_arrays(0, tag_ids=ids,
                                                                  step_range=steps)
        finally:
            reader.close()
        return _split(tag_ids, names, step, value, wall)
    columns = _event_columns(path, [])
    names = dict(enumerate(columns.tags))
    tag_ids = columns.tag_index.astype(np.int64)
    keep = np.ones(len(columns), dtype=bool)
    ids = _selected(names, wanted)
    if ids is not None:
        keep &= np.isin(tag_ids, ids)
    if steps is not None and steps[0] is not None:
        keep &= columns.step >= steps[0]
    if steps is not None and steps[1] is not None:
        keep &= columns.step <= steps[1]
    return _split(tag_ids[keep], names, columns.step[keep], columns.value[keep],
                  columns.wall_time[keep])
