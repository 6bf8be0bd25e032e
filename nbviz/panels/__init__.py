"""The panel registry: the ONE list of nbviz's panel kinds.

Each row (:class:`PanelSpec`) names a panel and where its two halves live:

- Python: ``nbviz/panels/<package>/widget.py`` defines the class ``factory``
  (``nbviz.<factory>`` resolves it lazily from there);
- JS: ``js/src/panels/<bundle>/index.ts`` is built into ``nbviz/static/<bundle>.js``.

The registry drives ``nbviz.<Panel>`` and ``nbviz.__all__``, the Dashboard's tabs
(a tab appears once a run holds one of ``kinds``), the JS build entries and the
wheel's ensured targets (``tests/python/test_panels.py`` checks that
``js/src/panels/*/``, ``js/build.mjs`` and ``pyproject.toml`` agree with it).
How to add a panel kind: docs/panels.md.

This module imports nothing heavy (no anywidget, numpy or torch).

>>> [spec.factory for spec in PANELS][:2]
['Scalars', 'Histograms']
>>> spec_for("pr_curves").bundle
'pr'
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from nbviz.store.kinds import (
    AUDIO,
    EMBEDDING,
    GRAPH,
    HISTOGRAM,
    HPARAMS,
    IMAGE,
    PR_CURVE,
    PROFILE,
    RUN_CONFIG,
    SCALAR,
    STATS,
    TABLE,
    TEXT,
    VIDEO,
)

__all__ = ["PANELS", "SHARED_BUNDLES", "PanelSpec", "bundles", "panel_classes", "spec_for"]


@dataclass(frozen=True)
class PanelSpec:
    """One panel kind: a Dashboard tab and, for nbviz's own panels, two folders.

    ``name``: the tab's id (``dashboard.panels[name]``); ``label``: the tab's title;
    ``kinds``: stored record kinds that make the tab appear (see docs/store.md);
    ``factory``: the panel class's name (``nbviz.<factory>``), or any callable taking
    the dashboard's target; ``order``: tab position (lowest first);
    ``package``: the Python folder ``nbviz/panels/<package>/`` whose ``widget.py``
    defines ``factory``; ``bundle``: the JS folder ``js/src/panels/<bundle>/`` and
    bundle ``nbviz/static/<bundle>.js``. A spec without ``package`` (a panel added
    at run time with ``register_panel``) resolves ``factory`` as an ``nbviz`` attribute.

    >>> PanelSpec("scalars", "Scalars", frozenset({"scalar"}), "Scalars", 0).label
    'Scalars'
    """

    name: str
    label: str
    kinds: frozenset[str]
    factory: str | Callable[[Any], Any]
    order: int = 100
    package: str | None = None
    bundle: str | None = None

    @property
    def module(self) -> str | None:
        """The module defining the panel class, e.g. ``"nbviz.panels.pr.widget"``."""
        return None if self.package is None else f"nbviz.panels.{self.package}.widget"

    def resolve(self) -> Callable[[Any], Any] | None:
        """The panel class / factory, or None when it is not available in this install."""
        if callable(self.factory):
            return self.factory
        try:
            module = importlib.import_module(self.module or "nbviz")
            found = getattr(module, self.factory)
        except (ImportError, AttributeError):
            return None
        return found if callable(found) else None


def _row(name: str, label: str, kinds: set[str], factory: str, order: int, package: str,
         bundle: str | None = None) -> PanelSpec:
    return PanelSpec(name, label, frozenset(kinds), factory, order, package, bundle or package)


# name, tab label, record kinds (nbviz/store/kinds.py), class, tab order, Python folder
# [, JS folder if different]
PANELS: list[PanelSpec] = [
    _row("scalars", "Scalars", {SCALAR}, "Scalars", 0, "scalars"),
    _row("histograms", "Histograms", {HISTOGRAM}, "Histograms", 10, "histograms"),
    _row("distributions", "Distributions", {HISTOGRAM}, "Distributions", 20, "histograms",
         "distributions"),
    _row("pr_curves", "PR curves", {PR_CURVE}, "PRCurves", 30, "pr"),
    _row("projector", "Projector", {EMBEDDING}, "Projector", 40, "projector"),
    _row("health", "Health", {STATS}, "Health", 50, "health"),
    _row("images", "Images", {IMAGE, VIDEO}, "Images", 60, "media", "images"),
    _row("audio", "Audio", {AUDIO}, "Audio", 70, "media", "audio"),
    _row("text", "Text", {TEXT}, "Text", 80, "media", "text"),
    _row("table", "Tables", {TABLE}, "Table", 90, "media", "table"),
    _row("graph", "Graph", {GRAPH}, "Graph", 100, "graph"),
    _row("hparams", "HParams", {HPARAMS, RUN_CONFIG}, "HParams", 110, "hparams"),
    _row("profile", "Profile", {PROFILE}, "Profile", 120, "profile"),
]

# JS bundles that are not panel kinds (js/src/<name>/index.ts): the runtime of offline
# snapshots (nbviz/export) and the Dashboard's tab strip.
SHARED_BUNDLES: tuple[str, ...] = ("snapshot", "dashboard")


def spec_for(name: str) -> PanelSpec:
    """The registry row named ``name`` (a tab id such as ``"pr_curves"``).

    >>> spec_for("health").factory
    'Health'
    """
    for spec in PANELS:
        if spec.name == name:
            return spec
    known = ", ".join(repr(spec.name) for spec in PANELS)
    raise KeyError(f"spec_for(): no panel named {name!r}; the registry holds {known}.")


def panel_classes() -> dict[str, str]:
    """Public panel class name -> module defining it (what ``nbviz.<Panel>`` resolves).

    >>> panel_classes()["PRCurves"]
    'nbviz.panels.pr.widget'
    """
    return {spec.factory: spec.module for spec in PANELS
            if isinstance(spec.factory, str) and spec.module is not None}


def bundles() -> list[str]:
    """Every JS bundle nbviz ships (``nbviz/static/<name>.js``): panels, then shared ones.

    >>> bundles()[-1]
    'dashboard'
    """
    names = [spec.bundle for spec in PANELS if spec.bundle is not None]
    return list(dict.fromkeys(names)) + list(SHARED_BUNDLES)
