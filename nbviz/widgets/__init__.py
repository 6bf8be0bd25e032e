"""nbviz panels (anywidgets)."""

from nbviz.widgets.dashboard import Dashboard, register_panel
from nbviz.widgets.histograms import Distributions, Health, Histograms
from nbviz.widgets.pr import PRCurves
from nbviz.widgets.projector import Projector
from nbviz.widgets.scalars import Scalars

__all__ = [
    "Dashboard", "Distributions", "Health", "Histograms", "PRCurves", "Projector", "Scalars",
    "register_panel",
]
