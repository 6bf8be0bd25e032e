"""nbviz panels (anywidgets)."""

from nbviz.widgets.dashboard import Dashboard, register_panel
from nbviz.widgets.pr import PRCurves
from nbviz.widgets.scalars import Scalars

__all__ = ["Dashboard", "PRCurves", "Scalars", "register_panel"]
