"""Offline, interactive snapshots of nbviz panels: ``export_html`` writes one file, and
every panel's display carries its snapshot as ``text/html`` for saved notebooks.

Layout: ``state`` (synced traits → JSON + buffers), ``collect`` (which widgets: a panel,
or a Dashboard and its tabs, listed by ``Dashboard._snapshots``), ``html`` (the fragment
and page: bundles, state, runtime), ``snapshot`` (``snapshot_html``, for displays),
``api`` (``export_html``). The page side is ``js/src/snapshot/``.

>>> nbviz.export_html("runs", "report.html")   # doctest: +SKIP
PosixPath('report.html')
"""

from __future__ import annotations

from nbviz.export.api import export_html
from nbviz.export.snapshot import DEFAULT_MAX_POINTS, snapshot_html

__all__ = ["DEFAULT_MAX_POINTS", "export_html", "snapshot_html"]
