"""Lazy series in an offline page: a panel's points travel on request, as they do live.

A panel that speaks the lazy-series protocol of docs/wire.md ("Lazy series": the page
asks ``{"type": "request", "ids", "width"}`` for the series of the charts scrolled into
view and gets an ``append`` back) is written with every series *announced* (its info,
``count`` 0) and its points moved out of the state into *chunks*, one per tag (a chart
asks for its series together). The page's runtime answers the panel's requests from
the chunks it decodes on demand, so the first chart drawn waits for one chunk, not for
every point of the page; chunks nobody asked for are pushed on idle.

>>> state = {"series": [{"id": 0, "tag": "loss", "count": 2}], "snapshot": bytes(48),
...          "snapshot_seq": 3}
>>> shown, lazy = split_series("scalars", state)
>>> shown["series"][0]["count"], len(shown["snapshot"]), lazy.seq, len(lazy.chunks[0])
(0, 0, 3, 48)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nbviz._validate import describe

__all__ = ["LAZY_BUNDLES", "LazySeries", "split_series"]

# Bundles whose page side asks for series with ``request`` messages (docs/wire.md).
LAZY_BUNDLES = frozenset({"scalars"})
_POINT_BYTES = 24  # step, wall_time, value: float64 each


@dataclass(frozen=True)
class LazySeries:
    """The points of a lazy panel, answered on request: ``chunks`` (bytes, one per tag),
    and per series id its info (with its real ``count``), chunk and byte offset."""

    seq: int
    chunks: list[bytes]
    items: dict[int, tuple[dict[str, Any], int, int]]


def split_series(bundle: str, state: dict[str, Any]) -> tuple[dict[str, Any], LazySeries | None]:
    """``state`` with its series announced only, and their points as ``LazySeries``;
    ``(state, None)`` unchanged for a bundle that does not ask for series."""
    if bundle not in LAZY_BUNDLES:
        return state, None
    infos, data, seq = state.get("series"), state.get("snapshot"), state.get("snapshot_seq")
    if not isinstance(infos, list) or not isinstance(data, (bytes, bytearray, memoryview)) \
            or isinstance(seq, bool) or not isinstance(seq, int):
        raise TypeError(f"snapshot of a {bundle!r} panel: expected 'series' (list), 'snapshot' "
                        f"(bytes) and 'snapshot_seq' (int), got {describe(infos)}, "
                        f"{describe(data)} and {describe(seq)}.")
    view = memoryview(data)
    need = sum(int(info["count"]) for info in infos) * _POINT_BYTES
    if need != view.nbytes:
        raise ValueError(f"snapshot of a {bundle!r} panel: its series need {need} bytes, the "
                         f"snapshot holds {view.nbytes}.")
    by_tag: dict[str, list[bytes]] = {}
    sizes: dict[str, int] = {}
    items: dict[int, tuple[dict[str, Any], int, int]] = {}
    chunk_of: dict[str, int] = {}
    announced: list[dict[str, Any]] = []
    at = 0
    for info in infos:
        size = int(info["count"]) * _POINT_BYTES
        tag = str(info.get("tag", ""))
        index = chunk_of.setdefault(tag, len(chunk_of))
        parts = by_tag.setdefault(tag, [])
        offset = sizes.get(tag, 0)
        parts.append(bytes(view[at:at + size]))
        sizes[tag] = offset + size
        at += size
        items[int(info["id"])] = (dict(info), index, offset)
        announced.append({**info, "count": 0})
    chunks = [b"".join(by_tag[tag]) for tag in chunk_of]
    return {**state, "series": announced, "snapshot": b""}, LazySeries(seq, chunks, items)
