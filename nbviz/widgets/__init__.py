"""nbviz panels (anywidgets)."""

from nbviz.widgets.scalars import Scalars

__all__ = ["Scalars"]
