"""nbviz panels (anywidgets)."""

from nbviz.widgets.pr import PRCurves
from nbviz.widgets.scalars import Scalars

__all__ = ["PRCurves", "Scalars"]
