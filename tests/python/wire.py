"""Decode the Scalars wire format (docs/wire.md) in tests."""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np

from nbviz.panels.scalars.infos import unpack_infos


def decode(
    series: list[dict[str, Any]], payload: bytes | memoryview
) -> dict[tuple[str, str], np.ndarray]:
    """Map (run, tag) -> array of shape (3, count): step, wall_time, value."""
    data = np.frombuffer(bytes(payload), dtype="<f8")
    out: dict[tuple[str, str], np.ndarray] = {}
    offset = 0
    for info in series:
        count = int(info["count"])
        out[(info["run"], info["tag"])] = data[offset : offset + 3 * count].reshape(3, count)
        offset += 3 * count
    assert offset == data.size, "buffer longer than the series announce"
    return out


class MessageRecorder:
    """Record every comm message a panel sends, then let it go out as usual.

    Custom messages become ``{**content, "payload": first buffer}``; snapshot trait
    syncs become ``{"type": "snapshot", "seq", "series"/"curves", "payload"}``; other
    trait syncs ``{"method": "update"}``. ``stop_ticking`` takes the panel off the
    shared ticker so the test drives ``_tick()`` itself.
    """

    def __init__(self, panel: Any, *, stop_ticking: bool = True) -> None:
        if stop_ticking:
            from nbviz.widgets import _ticker

            _ticker.unregister(panel)
        self.messages: list[dict[str, Any]] = []
        self.times: list[float] = []
        self.lock = threading.Lock()
        self._original = panel._send
        panel._send = self

    def __call__(self, msg: dict[str, Any], buffers: list[bytes] | None = None) -> None:
        with self.lock:
            entry: dict[str, Any] = {"method": msg["method"]}
            state = msg.get("state", {})
            if msg["method"] == "custom":
                entry.update(msg["content"], payload=buffers[0] if buffers else b"")
            elif "snapshot_seq" in state:
                paths = [path[0] for path in msg.get("buffer_paths", [])]
                if isinstance(state.get("series"), dict):  # Scalars: packed infos
                    series = dict(state["series"])
                    series["columns"] = buffers[msg["buffer_paths"].index(
                        ["series", "columns"])] if buffers else b""
                    state = {**state, "series": unpack_infos(series)}
                entry.update(
                    {key: state[key] for key in ("series", "curves") if key in state},
                    type="snapshot", seq=state["snapshot_seq"],
                    payload=(buffers or [b""])[paths.index("snapshot")]
                    if "snapshot" in paths else None,
                )
            self.messages.append(entry)
            self.times.append(time.monotonic())
        self._original(msg, buffers)

    def of(self, kind: str) -> list[dict[str, Any]]:
        """The recorded messages of one type ("append", "snapshot", …)."""
        with self.lock:
            return [m for m in self.messages if m.get("type") == kind]
