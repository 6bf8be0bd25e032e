"""``nbviz.read``: a logdir's data as tidy pandas DataFrames."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from nbviz._validate import describe

__all__ = ["KINDS", "read"]

KINDS = ("scalars",)


def read(logdir: str | os.PathLike[str], kind: str = "scalars") -> pd.DataFrame:
    """Read every run under ``logdir`` into a DataFrame.

    ``kind="scalars"`` gives columns ``run, tag, step, wall_time, value`` (one row per
    logged value, in log order within each run; NaN/±Inf kept). Values logged by a
    run of this process that are not yet flushed are included.

    >>> df = nbviz.read("runs", kind="scalars")  # doctest: +SKIP
    >>> df.pivot_table(index="step", columns=["run", "tag"], values="value")  # doctest: +SKIP
    """
    from nbviz.sources import LogdirSource

    if not isinstance(logdir, (str, os.PathLike)):
        raise TypeError(f"read(): 'logdir' must be a path, got {describe(logdir)}.")
    if kind not in KINDS:
        raise ValueError(f"read(): 'kind' must be one of {', '.join(KINDS)}, got {kind!r}.")
    path = Path(logdir)
    if not path.exists():
        raise FileNotFoundError(f"read(): logdir {str(path)!r} does not exist.")
    source = LogdirSource(path)
    try:
        batches = source.poll()
    finally:
        source.close()
    frames = []
    for batch in batches:
        columns = batch.columns
        frames.append(
            pd.DataFrame(
                {
                    "run": pd.Categorical([batch.run] * len(columns)),
                    "tag": pd.Categorical.from_codes(
                        columns.tag_index, categories=pd.Index(columns.tags)
                    ),
                    "step": columns.step.astype(np.int64),
                    "wall_time": columns.wall_time,
                    "value": columns.value,
                }
            )
        )
    if not frames:
        return pd.DataFrame(
            {"run": pd.Series(dtype=str), "tag": pd.Series(dtype=str),
             "step": pd.Series(dtype=np.int64), "wall_time": pd.Series(dtype=np.float64),
             "value": pd.Series(dtype=np.float64)}
        )
    frame = pd.concat(frames, ignore_index=True)
    frame["run"] = frame["run"].astype(str)
    frame["tag"] = frame["tag"].astype(str)
    return frame
