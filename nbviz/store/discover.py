"""Find runs under a logdir: every directory holding an nbviz store."""

from __future__ import annotations

import os
from pathlib import Path

from nbviz.store.sqlite import DB_FILENAME

__all__ = ["find_runs", "run_name"]


def run_name(logdir: Path, run_dir: Path) -> str:
    """A run's display name: its path relative to the logdir ('.' becomes the logdir's name)."""
    relative = os.path.relpath(run_dir, logdir)
    if relative == ".":
        return Path(os.path.abspath(logdir)).name or "."
    return Path(relative).as_posix()


def find_runs(logdir: Path) -> dict[str, Path]:
    """Map run name -> run directory for every nbviz store under ``logdir`` (sorted by name)."""
    found: dict[str, Path] = {}
    if not logdir.is_dir():
        return found
    for directory, subdirs, files in os.walk(logdir):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
        if DB_FILENAME in files:
            found[run_name(logdir, Path(directory))] = Path(directory)
    return dict(sorted(found.items()))
