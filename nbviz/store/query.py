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
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from nbviz._validate import describe
from nbviz.store.chunks import TagSummary, summarize
from nbviz.store.sqlite import DB_FILENAME, ScalarColumns, StoreReader

__all__ = ["SUMMARY_COLUMNS", "Series", "scalar_series", "tag_summaries"]

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


def check_step_range(step_range: object, where: str) -> tuple[int | None, int | None] | None:
    """``step_range`` validated: None or (lo, hi) with ints or None, lo <= hi.

    >>> check_step_range((3, None), "f()")
    (3, None)
    """
    if step_range is None:
        return None
    if (isinstance(step_range, (tuple, list)) and len(step_range) == 2
            and all(b is None or (isinstance(b, int) and not isinstance(b, bool))
                    for b in step_range)):
        low, high = step_range
        if low is not None and high is not None and low > high:
            raise ValueError(f"{where}: step range {step_range!r} is empty (lo > hi); both "
                             "ends are inclusive.")
        return low, high
    raise TypeError(f"{where}: the step range must be None or (lo, hi) with ints or None, "
                    f"got {describe(step_range)}.")


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
