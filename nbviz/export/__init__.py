"""Offline, interactive snapshots of nbviz panels: ``export_html`` writes one file, and
every panel's display carries its snapshot as ``text/html`` for saved notebooks.

Layout: ``state`` (synced traits → JSON + buffers), ``collect`` (which widgets: a panel,
or a Dashboard and its tabs), ``html`` (the fragment and page: bundles, state, runtime),
``api`` (``export_html``, ``snapshot_html``). The page side is ``js/src/snapshot/``.

>>> nbviz.export_html("runs", "report.html")   # doctest: +SKIP
PosixPath('report.html')
"""

from __future__ import annotations

from nbviz.export.api import DEFAULT_MAX_POINTS, export_html, snapshot_html

__all__ = ["DEFAULT_MAX_POINTS", "export_html", "snapshot_html"]
