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
import time
from abc import abstractmethod
from typing import Any

import anywidget

from nbviz.widgets import _display, _ticker

__all__ = ["IDLE_SNAPSHOT_SECS", "SNAPSHOT_FLOOR_BYTES", "LivePanel", "StreamingPanel"]

SNAPSHOT_FLOOR_BYTES = 256 * 1024  # appends below this never force a snapshot
IDLE_SNAPSHOT_SECS = 2.0  # no new data for this long → refresh the synced snapshot


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
        with _display.quiet_glyph_warnings():
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


class StreamingPanel(LivePanel):
    """A live panel whose page holds a *snapshot* (synced traits) plus *appends*.

    The kernel sends at most one message per tick and at most 20 per second
    (``SendBudget``): an append (custom message, only what is new) normally, a
    full snapshot when the data was reshaped (``_needs_snapshot``: decimation,
    thinning), when the appends since the last snapshot outweigh it (so a page
    that reloads from the synced state never misses much, at amortised O(1) cost),
    and once the data has been idle for ``IDLE_SNAPSHOT_SECS`` (so saved widget
    state is complete). Snapshot and append messages share one ``seq`` counter.

    Subclasses call ``_init_stream()`` in ``__init__`` and implement ``_ingest_new``,
    ``_has_unsent``, ``_send_snapshot`` and ``_send_append``; the two send methods
    end with ``_snapshot_sent(size)`` / ``_append_sent(size)``.
    """

    _seq: int
    _appended_bytes: int
    _snapshot_bytes: int
    _snapshot_stale: bool
    _needs_snapshot: bool
    _send_budget: _ticker.SendBudget
    _last_data: float
    messages_sent: int

    def _init_stream(self) -> None:
        self._seq = 0
        self._appended_bytes = 0
        self._snapshot_bytes = 0
        self._snapshot_stale = False
        self._needs_snapshot = False
        self._send_budget = _ticker.SendBudget()
        self._last_data = time.monotonic()
        self.messages_sent = 0

    @abstractmethod
    def _ingest_new(self) -> None:
        """Poll the source and take in what is new (under ``_lock``)."""

    @abstractmethod
    def _has_unsent(self) -> bool:
        """True when the page lacks data the kernel holds."""

    @abstractmethod
    def _send_snapshot(self) -> None:
        """Send all data as synced traits (one ``hold_sync`` message)."""

    @abstractmethod
    def _send_append(self) -> None:
        """Send only what the page lacks, as one custom message."""

    def _snapshot_sent(self, size: int) -> None:
        self._snapshot_bytes = size
        self._appended_bytes = 0
        self._snapshot_stale = False
        self._needs_snapshot = False
        self._send_budget.spend(time.monotonic())
        self.messages_sent += 1

    def _append_sent(self, size: int) -> None:
        self._appended_bytes += size
        self._snapshot_stale = True
        self._send_budget.spend(time.monotonic())
        self.messages_sent += 1

    def _tick(self) -> None:
        """Poll the source and send at most one message (called by the ticker thread)."""
        with self._lock:
            self._ingest_new()
            now = time.monotonic()
            if not self._send_budget.ready(now):
                return
            unsent = self._has_unsent()
            too_much_appended = self._appended_bytes > max(
                self._snapshot_bytes, SNAPSHOT_FLOOR_BYTES
            )
            idle_and_stale = (self._snapshot_stale and not unsent
                              and now - self._last_data > IDLE_SNAPSHOT_SECS)
            if self._needs_snapshot or (unsent and too_much_appended) or idle_and_stale:
                self._send_snapshot()
            elif unsent:
                self._send_append()

    def sync(self) -> None:
        """Poll now and make the synced snapshot complete (e.g. before saving)."""
        with self._lock:
            self._ingest_new()
            if self._needs_snapshot or self._snapshot_stale or self._has_unsent():
                self._send_snapshot()
