"""``nbviz.export_html``: a logdir, a run, a Dashboard or panels → one offline HTML file.

>>> nbviz.export_html("runs", "report.html")               # doctest: +SKIP
PosixPath('report.html')
>>> nbviz.export_html([scalars, pr_curves], "report.html")  # doctest: +SKIP
PosixPath('report.html')
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nbviz._validate import describe
from nbviz.export.collect import WidgetSnapshot, can_snapshot, collect, reference
from nbviz.export.html import fragment, page
from nbviz.export.snapshot import DEFAULT_MAX_POINTS, check_max_points

__all__ = ["export_html"]

def _check_path(path: Any) -> Path:
    if not isinstance(path, (str, os.PathLike)) or not str(os.fspath(path)).strip():
        raise TypeError(f"export_html(): 'path' must be a file path such as 'report.html', got "
                        f"{describe(path)}.")
    target = Path(os.fspath(path)).expanduser()
    if target.is_dir():
        raise IsADirectoryError(f"export_html(): 'path' {str(target)!r} is a directory; pass a "
                                "file name such as 'report.html' inside it.")
    if not target.parent.is_dir():
        raise FileNotFoundError(f"export_html(): the folder of 'path' ({str(target.parent)!r}) "
                                "does not exist; create it first or write elsewhere.")
    return target


def _widgets_of(source: Any) -> tuple[list[Any], list[Any], str]:
    """(widgets to write, widgets made here to close afterwards, default title)."""
    from nbviz.record.run import Run
    from nbviz.widgets.dashboard import Dashboard

    if isinstance(source, Dashboard):
        return [source], [], source.title or "nbviz"
    if isinstance(source, (str, os.PathLike)):
        logdir = Path(os.fspath(source)).expanduser()
        if not logdir.is_dir():
            raise FileNotFoundError(f"export_html(): 'source' {str(logdir)!r} is not a folder; "
                                    "pass a logdir (e.g. 'runs'), a Run, a Dashboard or a list "
                                    "of panels.")
        dashboard = Dashboard(logdir)
        return [dashboard], [dashboard], f"nbviz — {logdir.name or logdir}"
    if isinstance(source, Run):
        dashboard = Dashboard(source)
        return [dashboard], [dashboard], f"nbviz — {source.name}"
    if can_snapshot(source):
        return [source], [], "nbviz"
    if isinstance(source, Sequence) and not isinstance(source, (str, bytes)):
        items = list(source)
        bad = [f"#{i}: {describe(item)}" for i, item in enumerate(items) if not can_snapshot(item)]
        if not items or bad:
            raise TypeError("export_html(): 'source' as a list must hold nbviz panels or "
                            f"Dashboards; {'it is empty' if not items else ', '.join(bad[:3])}.")
        return items, [], "nbviz"
    raise TypeError(f"export_html(): 'source' must be a logdir path, a Run, a Dashboard, a "
                    f"panel or a list of panels, got {describe(source)}.")


def export_html(source: Any, path: str | os.PathLike[str], *,
                max_points: int = DEFAULT_MAX_POINTS, title: str | None = None) -> Path:
    """Write ``source`` as one self-contained, interactive HTML file; returns its path.

    ``source``: a logdir (every panel with data, as the Dashboard shows it), a Run, a
    Dashboard, a panel, or a list of panels. ``max_points``: points kept per scalar
    series (min/max decimation, as live). The file needs no network, server or kernel:
    open it from disk, attach it to a pull request, publish it anywhere.

    >>> nbviz.export_html("runs", "report.html", max_points=2000)   # doctest: +SKIP
    PosixPath('report.html')
    """
    target = _check_path(path)
    budget = check_max_points(max_points, "export_html()")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"export_html(): 'title' must be a string, got {describe(title)}.")
    widgets, made, default_title = _widgets_of(source)
    try:
        snapshots: list[WidgetSnapshot] = []
        for widget in widgets:
            snapshots.extend(collect(widget, budget))
        body = fragment([reference(w) for w in widgets], snapshots)
    finally:
        for widget in made:
            widget.close()
    text = page(default_title if title is None else title, body)
    handle, temporary = tempfile.mkstemp(prefix=".nbviz-export-", suffix=".html",
                                         dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


