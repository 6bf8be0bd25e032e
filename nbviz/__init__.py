"""nbviz: TensorBoard rebuilt for the notebook.

>>> import nbviz                                                    # doctest: +SKIP
>>> run = nbviz.init("lr=1e-3", logdir="runs", config={"lr": 1e-3}) # doctest: +SKIP
>>> display(nbviz.Scalars("runs"))                                  # doctest: +SKIP
>>> run.log({"loss": 0.31}, step=10)                                # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nbviz.magic import load_ipython_extension, unload_ipython_extension
from nbviz.record.run import Run, current_run, finish, init, log
from nbviz.store.read import read

__version__ = "0.1.0"

__all__ = [
    "Dashboard",
    "Distributions",
    "Health",
    "Histograms",
    "PRCurves",
    "Profile",
    "Projector",
    "Run",
    "Scalars",
    "SummaryWriter",
    "__version__",
    "current_run",
    "finish",
    "init",
    "load_ipython_extension",
    "log",
    "profile",
    "read",
    "timed",
    "unload_ipython_extension",
    "watch",
]

if TYPE_CHECKING:
    from nbviz.hooks.torch import watch
    from nbviz.panels.profile.capture import profile
    from nbviz.panels.profile.timer import timed
    from nbviz.panels.profile.widget import Profile
    from nbviz.record.writer import SummaryWriter
    from nbviz.widgets.dashboard import Dashboard
    from nbviz.widgets.histograms import Distributions, Health, Histograms
    from nbviz.widgets.pr import PRCurves
    from nbviz.widgets.projector import Projector
    from nbviz.widgets.scalars import Scalars


def __getattr__(name: str) -> Any:
    # Panels import anywidget/ipywidgets: load them only when asked for.
    if name == "Scalars":
        from nbviz.widgets.scalars import Scalars

        return Scalars
    if name == "PRCurves":
        from nbviz.widgets.pr import PRCurves

        return PRCurves
    if name == "Projector":
        from nbviz.widgets.projector import Projector

        return Projector
    if name == "timed":
        from nbviz.panels.profile.timer import timed

        return timed
    if name == "profile":  # imports torch: only when asked for
        from nbviz.panels.profile.capture import profile

        return profile
    if name == "Profile":
        from nbviz.panels.profile.widget import Profile

        return Profile
    if name == "watch":  # imports torch: only when asked for
        from nbviz.hooks.torch import watch

        return watch
    if name in ("Histograms", "Distributions", "Health"):
        from nbviz.widgets import histograms

        return getattr(histograms, name)
    if name == "SummaryWriter":
        from nbviz.record.writer import SummaryWriter

        return SummaryWriter
    if name == "Dashboard":
        from nbviz.widgets.dashboard import Dashboard

        return Dashboard
    raise AttributeError(f"module 'nbviz' has no attribute {name!r}")
