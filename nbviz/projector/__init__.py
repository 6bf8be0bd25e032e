"""Embedding projector internals: recording (``record``) and wire encoding (``data``).

The panel is :class:`nbviz.widgets.projector.Projector`; reductions are in
:mod:`nbviz.reduce`.
"""

from nbviz.projector.record import log_embedding

__all__ = ["log_embedding"]
