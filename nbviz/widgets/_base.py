"""``LivePanel``: what every live nbviz panel shares.

A live panel polls its source from the shared ticker (``_ticker``), stops when
closed, and displays with a static picture (``image/png``) and a text summary
beside the widget view, refreshed after each cell (``_display``) so saved
notebooks show the final state on nbviewer and GitHub.

``LivePanel.__init__`` performs the constructor ritual every panel shares: it
loads the panel's bundle (``_bundle``, the registry row's ``bundle``), creates
the lock, the version counters and the traits, polls the source once and sends
the first snapshot (``_first_poll``), and starts ticking. A subclass validates
its arguments, sets up its own state, calls ``super().__init__(**traits)``, bumps
``_data_version`` whenever its data changes and implements ``_first_poll``,
``_render_png``, ``summary`` and ``sync`` (a ``StreamingPanel`` implements its
snapshot and append instead of ``_first_poll`` and ``sync``).
"""

from __future__ import annotations

import threading
import time
from abc import abstractmethod
from typing import Any, ClassVar

import anywidget
import traitlets

from nbviz.widgets import _display, _ticker
from nbviz.widgets._bundle import bundle_path

__all__ = ["IDLE_SNAPSHOT_SECS", "SNAPSHOT_FLOOR_BYTES", "LivePanel", "StreamingPanel"]

SNAPSHOT_FLOOR_BYTES = 256 * 1024  # appends below this never force a snapshot
IDLE_SNAPSHOT_SECS = 2.0  # no new data for this long → refresh the synced snapshot


class LivePanel(anywidget.AnyWidget):
    """Base class of nbviz's live panels (not used directly)."""

    _bundle: ClassVar[str] = ""  # nbviz/static/<_bundle>.js: the registry row's `bundle`
    title = traitlets.Unicode("").tag(sync=True)  # shown above the panel when not empty
    _lock: threading.RLock
    _data_version: int = 0
    _picture_version: int = -1
    _send_budget: _ticker.SendBudget
    messages_sent: int = 0

    def __init__(self, **traits: Any) -> None:
        self._lock = threading.RLock()
        self._data_version = 0
        self._picture_version = -1
        self._send_budget = _ticker.SendBudget()
        self.messages_sent = 0
        # anywidget turns this attribute into the synced `_esm` trait.
        self._esm = bundle_path(self._bundle).read_text(encoding="utf-8")
        super().__init__(**traits)
        with self._lock:
            self._first_poll()
        self._start_ticking()

    @abstractmethod
    def _first_poll(self) -> None:
        """Take in what the source holds and send the first snapshot (under ``_lock``)."""

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

    def _message_sent(self, now: float | None = None) -> None:
        """Count one message to the page against the send budget (≤ 20 per second)."""
        self._send_budget.spend(time.monotonic() if now is None else now)
        self.messages_sent += 1

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
        _display.add_snapshot(self, data)
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

    def _snapshot_state(self, max_points: int) -> dict[str, Any]:
        """The synced state an offline snapshot shows (nbviz/export): complete, then read.

        A panel whose data can exceed a page's budget overrides this to shape it (Scalars
        decimates each series to ``max_points``).
        """
        from nbviz.export.state import synced_state

        self.sync()
        with self._lock:
            return synced_state(self)

    def _snapshot_messages(self) -> list[tuple[dict[str, Any], list[bytes]]]:
        """Custom messages an offline snapshot replays into the page once the panel is
        shown (content, buffers): data a live panel sends on request (media bytes)."""
        return []


class StreamingPanel(LivePanel):
    """A live panel whose page holds a *snapshot* (synced traits) plus *appends*.

    The kernel sends at most one message per tick and at most 20 per second
    (``SendBudget``): an append (custom message, only what is new) normally, a
    full snapshot when the data was reshaped (``_needs_snapshot``: decimation,
    thinning), when the appends since the last snapshot outweigh it (so a page
    that reloads from the synced state never misses much, at amortised O(1) cost),
    and once the data has been idle for ``IDLE_SNAPSHOT_SECS`` (so saved widget
    state is complete). Snapshot and append messages share one ``seq`` counter.

    Subclasses implement ``_ingest_new``, ``_has_unsent``, ``_send_snapshot`` and
    ``_send_append``; the two send methods end with ``_snapshot_sent(size)`` /
    ``_append_sent(size)``.
    """

    snapshot = traitlets.Bytes(b"").tag(sync=True)  # the panel's data, in its wire format
    snapshot_seq = traitlets.Int(0).tag(sync=True)  # seq of the last message in snapshot

    _seq: int
    _appended_bytes: int
    _snapshot_bytes: int
    _snapshot_stale: bool
    _needs_snapshot: bool
    _last_data: float

    def __init__(self, **traits: Any) -> None:
        self._seq = 0
        self._appended_bytes = 0
        self._snapshot_bytes = 0
        self._snapshot_stale = False
        self._needs_snapshot = False
        self._last_data = time.monotonic()
        super().__init__(**traits)

    def _first_poll(self) -> None:
        self._ingest_new()
        self._send_snapshot()

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
        self._message_sent()

    def _append_sent(self, size: int) -> None:
        self._appended_bytes += size
        self._snapshot_stale = True
        self._message_sent()

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
