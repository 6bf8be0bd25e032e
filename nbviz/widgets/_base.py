"""``LivePanel``: what every live nbviz panel shares.

A live panel polls its source from the shared ticker (``_ticker``), stops when
closed, and displays with a static picture (``image/png``) and a text summary
beside the widget view, refreshed after each cell (``_display``) so saved
notebooks show the final state on nbviewer and GitHub.

Subclasses set ``_lock`` (an RLock), bump ``_data_version`` whenever their data
changes, call ``_start_ticking()`` at the end of ``__init__``, and implement
``_render_png``, ``summary`` and ``sync``.
"""

from __future__ import annotations

import threading
from abc import abstractmethod
from typing import Any

import anywidget

from nbviz.widgets import _display, _ticker

__all__ = ["LivePanel"]


class LivePanel(anywidget.AnyWidget):
    """Base class of nbviz's live panels (not used directly)."""

    _lock: threading.RLock
    _data_version: int = 0
    _picture_version: int = -1

    @abstractmethod
    def _render_png(self) -> bytes:
        """A PNG of the panel's current data (matplotlib, Agg)."""

    @abstractmethod
    def summary(self) -> str:
        """A one-line text summary of what the panel shows."""

    @abstractmethod
    def sync(self) -> None:
        """Poll the source now and make the synced state complete."""

    def _tick(self) -> None:
        """Poll and send (called by the ticker thread); subclasses override."""

    def _start_ticking(self) -> None:
        _ticker.register(self)

    def close(self) -> None:
        """Stop following the source and close the widget."""
        _ticker.unregister(self)
        super().close()

    def _picture_bundle(self) -> dict[str, Any]:
        bundle = super()._repr_mimebundle_()
        data: dict[str, Any] = dict(bundle[0]) if bundle is not None else {}
        with self._lock:
            version = self._data_version
        data["image/png"] = _display.png_base64(self._render_png())
        data["text/plain"] = self.summary()
        self._picture_version = version
        return data

    def _picture_is_stale(self) -> bool:
        return self._picture_version != self._data_version

    def _before_picture_refresh(self) -> None:
        self.sync()

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        return self._picture_bundle(), {}

    def _ipython_display_(self) -> None:
        _display.show(self)
