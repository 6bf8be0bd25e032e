"""The Media panels: ``Images``, ``Audio``, ``Text`` and ``Table``.

Wire contract (docs/wire.md, "Media"). Each panel reads its record kinds through a
source (a live ``Run``, a logdir of nbviz or TensorBoard runs, or a list) and keeps one
*entry* per record: ``{id, run, tag, step, sample, kind, meta}`` (metadata only, see
:mod:`nbviz.panels.media.entries`). Entries go to the page as the synced ``entries``
list (snapshot) and as ``{type: "append", seq, entries}`` messages; both are unions
(entries never change). Media bytes travel only as binary buffers:

- pushed with each append for the newest step of each (run, tag) — so a training cell
  that is busy still shows its newest images;
- on request: the page sends ``{type: "want", ids}`` for the cells it shows (visible
  thumbnails, the steps around the slider) and gets ``{type: "blobs", items}``.

A ``blobs`` message's ``items`` are ``{id, mime, part, mask_part}``: ``part`` indexes
the message's buffers (``mask_part`` -1 when there is no mask).

>>> display(nbviz.Images(run), nbviz.Text(run))  # doctest: +SKIP
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import traitlets

from nbviz._validate import describe
from nbviz.panels.media.entries import entry_meta, media_blob
from nbviz.panels.media.picture import media_png
from nbviz.sources import Source, as_source
from nbviz.widgets._base import StreamingPanel

__all__ = ["MAX_BLOB_BYTES", "Audio", "Images", "Table", "Text"]

MAX_BLOB_BYTES = 8 * 1024 * 1024  # bytes of media per message (more: the page asks again)
SNAPSHOT_MEDIA_BYTES = 16 * 1024 * 1024  # media bytes an offline snapshot carries at most
_MAX_WANT = 512  # ids per request


@dataclass
class _Stored:
    """A record's bytes as stored (encoded, or raw pixels from tfevents) and its extra."""

    kind: str
    array: np.ndarray
    extra: dict[str, Any]


class _MediaPanel(StreamingPanel):
    """Shared kernel side of the four media panels (not used directly)."""

    entries = traitlets.List(traitlets.Dict()).tag(sync=True)
    runs = traitlets.List(traitlets.Unicode()).tag(sync=True)
    max_samples = traitlets.Int(16).tag(sync=True)

    _kinds: ClassVar[frozenset[str]] = frozenset()
    _label: ClassVar[str] = ""

    def __init__(self, source: Any, *, title: str = "", max_samples: int = 16) -> None:
        where = f"{self._label}()"
        if isinstance(max_samples, bool) or not isinstance(max_samples, int) or not (
            1 <= max_samples <= 256
        ):
            raise ValueError(f"{where}: 'max_samples' must be an int in 1..256, got "
                             f"{describe(max_samples)}.")
        if not isinstance(title, str):
            raise TypeError(f"{where}: 'title' must be a string, got {describe(title)}.")
        self._source: Source = as_source(source, kinds=self._kinds)
        self._entries: list[dict[str, Any]] = []
        self._stored: dict[int, _Stored] = {}
        self._sent_entries = 0
        self._run_names: list[str] = []
        self._request_lock = threading.Lock()
        self.bytes_sent = 0
        super().__init__(title=title, max_samples=max_samples)
        self.on_msg(self._on_page_message)

    # -- data in -------------------------------------------------------------------------

    def _ingest_new(self) -> None:
        for batch in self._source.poll():
            if batch.run not in self._run_names:
                self._run_names.append(batch.run)
            for record in getattr(batch, "records", []):
                if record.kind not in self._kinds:
                    continue
                identifier = len(self._entries)
                extra = dict(record.extra)
                self._entries.append({
                    "id": identifier, "run": batch.run, "tag": record.tag,
                    "step": int(record.step), "sample": int(extra.get("sample", 0)),
                    "kind": record.kind, "wall_time": float(record.wall_time),
                    "meta": entry_meta(record.kind, record.array, extra),
                })
                self._stored[identifier] = _Stored(record.kind, record.array, extra)
                self._data_version += 1
                self._last_data = time.monotonic()

    def _has_unsent(self) -> bool:
        return self._sent_entries < len(self._entries)

    # -- data out ------------------------------------------------------------------------

    def _latest_ids(self, entries: list[dict[str, Any]]) -> list[int]:
        """Ids of ``entries`` at the newest step of their (run, tag), at most max_samples."""
        newest: dict[tuple[str, str], int] = {}
        for entry in entries:
            key = (entry["run"], entry["tag"])
            newest[key] = max(newest.get(key, entry["step"]), entry["step"])
        return [e["id"] for e in entries
                if e["step"] == newest[(e["run"], e["tag"])] and e["sample"] < self.max_samples]

    def _blob_message(self, ids: list[int]) -> tuple[list[dict[str, Any]], list[bytes]]:
        items: list[dict[str, Any]] = []
        buffers: list[bytes] = []
        size = 0
        for identifier in ids:
            stored = self._stored.get(identifier)
            if stored is None or stored.kind == "text":
                continue
            data, mime, mask = media_blob(stored.kind, stored.array, stored.extra)
            if items and size + len(data) > MAX_BLOB_BYTES:
                break
            item = {"id": identifier, "mime": mime, "part": len(buffers), "mask_part": -1}
            buffers.append(data)
            size += len(data)
            if mask is not None:
                item["mask_part"] = len(buffers)
                buffers.append(mask)
                size += len(mask)
            items.append(item)
        return items, buffers

    def _send_blobs(self, ids: list[int]) -> None:
        items, buffers = self._blob_message(ids)
        if items:
            self.send({"type": "blobs", "items": items}, buffers)
            self.bytes_sent += sum(len(b) for b in buffers)
            self.messages_sent += 1

    def _send_snapshot(self) -> None:
        self._seq += 1
        with self.hold_sync():
            self.entries = list(self._entries)
            self.runs = list(self._run_names)
            self.snapshot_seq = self._seq
        first = self._sent_entries == 0
        self._sent_entries = len(self._entries)
        self._snapshot_sent(len(self._entries) * 120)
        if first:
            self._send_blobs(self._latest_ids(self._entries))

    def _send_append(self) -> None:
        new = self._entries[self._sent_entries:]
        self._seq += 1
        self.send({"type": "append", "seq": self._seq, "entries": new,
                   "runs": list(self._run_names)})
        self._sent_entries = len(self._entries)
        self._append_sent(len(new) * 120)
        self._send_blobs(self._latest_ids(new))

    def _snapshot_messages(self) -> list[tuple[dict[str, Any], list[bytes]]]:
        """For an offline page: the stored media as "blobs" messages, newest step first,
        up to ``SNAPSHOT_MEDIA_BYTES`` (older steps beyond it show as not loaded)."""
        with self._lock:
            entries = sorted((e for e in self._entries if e["kind"] != "text"),
                             key=lambda e: (-e["step"], e["id"]))
            ids = [e["id"] for e in entries]
            messages: list[tuple[dict[str, Any], list[bytes]]] = []
            total = 0
            while ids and total < SNAPSHOT_MEDIA_BYTES:
                items, buffers = self._blob_message(ids)
                if not items:
                    break
                messages.append(({"type": "blobs", "items": items}, buffers))
                total += sum(len(b) for b in buffers)
                ids = ids[len(items):]
        return messages

    def _on_page_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if not isinstance(content, dict) or content.get("type") != "want":
            return
        raw = content.get("ids")
        if not isinstance(raw, list):
            return
        ids = [int(i) for i in raw[:_MAX_WANT] if isinstance(i, int) and not isinstance(i, bool)]
        with self._lock:
            self._send_blobs(ids)

    # -- pictures and text ---------------------------------------------------------------

    def summary(self) -> str:
        """One-line text summary: runs, tags, steps."""
        with self._lock:
            tags = sorted({e["tag"] for e in self._entries})
            steps = len({e["step"] for e in self._entries})
            return (f"nbviz.{self._label}: {len(self._run_names)} run(s), {len(tags)} tag(s)"
                    f"{' (' + ', '.join(tags[:5]) + ')' if tags else ''}, {steps} step(s), "
                    f"{len(self._entries)} record(s)")

    def _render_png(self) -> bytes:
        with self._lock:
            latest = [self._entries[i] for i in self._latest_ids(self._entries)]
            stored = {e["id"]: self._stored[e["id"]] for e in latest}
        return media_png(self._label, latest, {i: (s.kind, s.array, s.extra)
                                               for i, s in stored.items()})


class Images(_MediaPanel):
    """Images per tag as a grid of runs × samples at one step: step slider and exact step,
    play, masks (per-class colours, toggles, opacity), boxes with labels and a score
    threshold, brightness/contrast, and a viewer at actual size comparing runs side by side,
    as an overlay, a difference or a swipe, with zoom/pan synchronised. Videos (add_video)
    play in the cell; figures (add_figure) are images.

    >>> run.log_image("seg", x, masks=pred, class_names=["bg", "digit"], step=3)  # doctest: +SKIP
    >>> nbviz.Images(run)                                                         # doctest: +SKIP
    """

    _kinds = frozenset({"image", "video"})
    _label = "Images"
    _bundle = "images"


class Audio(_MediaPanel):
    """Audio clips per tag: waveform and spectrogram, play/pause, A/B between two runs or
    steps.

    >>> nbviz.Audio(run)  # doctest: +SKIP
    """

    _kinds = frozenset({"audio"})
    _label = "Audio"
    _bundle = "audio"


class Text(_MediaPanel):
    """Text per tag and step, Markdown rendered safely (built as DOM nodes, never HTML), a
    raw toggle and a line diff between two steps.

    >>> nbviz.Text(run)  # doctest: +SKIP
    """

    _kinds = frozenset({"text"})
    _label = "Text"
    _bundle = "text"


class Table(_MediaPanel):
    """Logged tables (``run.log_table``): virtualised rows, sort, filter, image cells as
    thumbnails, and misclassified rows first when the table has true/pred columns.

    >>> nbviz.Table(run)  # doctest: +SKIP
    """

    _kinds = frozenset({"table"})
    _label = "Table"
    _bundle = "table"
