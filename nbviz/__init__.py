"""nbviz: TensorBoard rebuilt for the notebook.

>>> import nbviz                                                    # doctest: +SKIP
>>> run = nbviz.init("lr=1e-3", logdir="runs", config={"lr": 1e-3}) # doctest: +SKIP
>>> display(nbviz.Scalars("runs"))                                  # doctest: +SKIP
>>> run.log({"loss": 0.31}, step=10)                                # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from nbviz.magic import load_ipython_extension, unload_ipython_extension
from nbviz.panels import panel_classes
from nbviz.record.run import Run, current_run, finish, init, log
from nbviz.store.read import read

__version__ = "0.1.0"

# Panel classes (Scalars, Histograms …) come from the registry, nbviz/panels/__init__.py.
_PANEL_CLASSES = panel_classes()
_LAZY = {"watch": "nbviz.hooks.torch", "SummaryWriter": "nbviz.record.writer",
         "Dashboard": "nbviz.widgets.dashboard", "export_html": "nbviz.export.api",
         "hparam_importance": "nbviz.panels.hparams.importance",
         "timed": "nbviz.panels.profile.timer", "profile": "nbviz.panels.profile.capture",
         **_PANEL_CLASSES}

__all__ = [
    "Run",
    "__version__",
    "current_run",
    "finish",
    "hparam_importance",
    "init",
    "load_ipython_extension",
    "log",
    "profile",
    "read",
    "timed",
    "unload_ipython_extension",
]
__all__ += sorted(_LAZY)

if TYPE_CHECKING:  # for type checkers only; tests/python/test_panels.py checks it against PANELS
    from nbviz.export.api import export_html as export_html
    from nbviz.hooks.torch import watch as watch
    from nbviz.panels.graph.widget import Graph as Graph
    from nbviz.panels.health.widget import Health as Health
    from nbviz.panels.histograms.widget import Distributions as Distributions
    from nbviz.panels.histograms.widget import Histograms as Histograms
    from nbviz.panels.hparams.importance import hparam_importance as hparam_importance
    from nbviz.panels.hparams.widget import HParams as HParams
    from nbviz.panels.media.widget import Audio as Audio
    from nbviz.panels.media.widget import Images as Images
    from nbviz.panels.media.widget import Table as Table
    from nbviz.panels.media.widget import Text as Text
    from nbviz.panels.pr.widget import PRCurves as PRCurves
    from nbviz.panels.profile.capture import profile as profile
    from nbviz.panels.profile.timer import timed as timed
    from nbviz.panels.profile.widget import Profile as Profile
    from nbviz.panels.projector.widget import Projector as Projector
    from nbviz.panels.scalars.widget import Scalars as Scalars
    from nbviz.record.writer import SummaryWriter as SummaryWriter
    from nbviz.widgets.dashboard import Dashboard as Dashboard


def __getattr__(name: str) -> Any:
    # Panels import anywidget/ipywidgets, watch imports torch: load them only when asked for.
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'nbviz' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
