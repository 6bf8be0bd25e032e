"""Embedding projector internals: recording (``record``) and wire encoding (``data``).

The panel is :class:`nbviz.panels.projector.widget.Projector`; reductions are in
:mod:`nbviz.reduce`.
"""

from nbviz.panels.projector.record import log_embedding

__all__ = ["log_embedding"]
