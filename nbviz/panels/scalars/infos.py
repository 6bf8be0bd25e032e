"""The Scalars panel's series infos on the wire: columns, not 25,000 JSON objects.

A panel over 500 runs x 50 tags announces 25,000 series. As a list of dicts the
``series`` trait costs ipywidgets a recursive walk over every dict (looking for binary
buffers) and the page a 3 MB JSON parse; packed, it is the run and tag names once each
plus one float64 buffer of ``FIELDS`` per series (docs/wire.md, "Scalars"). Python code
keeps seeing a list of dicts (``panel.series``); only its JSON form is packed, and the
page reads both forms (an exported page gets the list).

>>> packed = pack_infos([{"id": 0, "run": "a", "tag": "loss", "color": 1, "count": 2,
...                       "decimated": False, "total": 2, "last_step": 1.0, "last": None}])
>>> packed["runs"], packed["tags"], len(packed["columns"])
(['a'], ['loss'], 72)
>>> unpack_infos(packed)[0]["last"] is None
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["FIELDS", "SeriesInfos", "pack_infos", "series_infos", "unpack_infos"]

# per series, in this order: float64 little-endian (None -> NaN: a value that is not
# finite is sent as None anyway, see IndexedSeries.summary)
FIELDS = ("id", "run", "tag", "color", "count", "decimated", "total", "last_step", "last")


class SeriesInfos(list[dict[str, Any]]):
    """The ``series`` trait's value: a list of series infos carrying its packed form
    (``packed``, made with the list by :func:`series_infos`), so that sending it does not
    walk 25,000 dicts a second time. Built whole and never changed after."""

    __slots__ = ("packed",)

    def __init__(self, infos: list[dict[str, Any]], packed: dict[str, Any]) -> None:
        super().__init__(infos)
        self.packed = packed


def _packed(table: np.ndarray, runs: dict[str, int], tags: dict[str, int]) -> dict[str, Any]:
    return {"packed": 1, "runs": list(runs), "tags": list(tags),
            "columns": memoryview(np.ascontiguousarray(table, dtype="<f8").tobytes())}


def series_infos(series: Sequence[Any], counts: Sequence[int]) -> SeriesInfos:
    """What the page is told of each of ``series`` (``IndexedSeries``; ``counts``: how
    many of its points go with this message) — docs/wire.md, a summary value that is not
    finite as None — as a list of dicts and, built in the same pass, its packed form.

    >>> from nbviz.panels.scalars.index import IndexedSeries
    >>> infos = series_infos([IndexedSeries(0, "a", "loss", 1, total=2, last_step=1.0)], [2])
    >>> infos[0]["last"] is None, infos.packed["tags"]
    (True, ['loss'])
    """
    if len(series) != len(counts):
        raise ValueError(f"series_infos(): 'counts' must hold one count per series, got "
                         f"{len(counts)} counts for {len(series)} series.")
    runs: dict[str, int] = {}
    tags: dict[str, int] = {}
    table = np.array(
        [(s.id, runs.setdefault(s.run, len(runs)), tags.setdefault(s.tag, len(tags)), s.color,
          count, s.decimated, s.total, s.last_step, s.last_value)
         for s, count in zip(series, counts, strict=True)],
        dtype=np.float64).reshape(len(series), len(FIELDS))
    ends = table[:, 7:]
    ends[~np.isfinite(ends)] = np.nan  # None in the dicts, NaN on the wire
    infos = [{"id": s.id, "run": s.run, "tag": s.tag, "color": s.color, "count": count,
              "decimated": s.decimated, "total": s.total,
              "last_step": step if step == step else None,  # NaN is not equal to itself
              "last": last if last == last else None}
             for s, count, step, last in zip(series, counts, table[:, 7].tolist(),
                                             table[:, 8].tolist(), strict=True)]
    return SeriesInfos(infos, _packed(table, runs, tags))


def pack_infos(infos: list[dict[str, Any]], _widget: Any = None) -> dict[str, Any]:
    """The ``series`` trait's JSON form: ``{"packed": 1, "runs", "tags", "columns"}``
    where ``columns`` holds ``len(FIELDS)`` float64 per series, ``run`` / ``tag`` as
    indices into ``runs`` / ``tags`` (the trait's ``to_json``; a :class:`SeriesInfos`
    brings its packed form along)."""
    if isinstance(infos, SeriesInfos):
        return infos.packed
    if not isinstance(infos, list):
        raise TypeError(f"pack_infos(): 'infos' must be a list of series infos, got "
                        f"{type(infos).__name__}.")
    runs: dict[str, int] = {}
    tags: dict[str, int] = {}
    table = np.array(
        [(info["id"], runs.setdefault(info["run"], len(runs)),
          tags.setdefault(info["tag"], len(tags)), info["color"], info["count"],
          info["decimated"], info.get("total", info["count"]), info.get("last_step"),
          info.get("last")) for info in infos],
        dtype="<f8").reshape(len(infos), len(FIELDS))
    return _packed(table, runs, tags)


def unpack_infos(packed: dict[str, Any]) -> list[dict[str, Any]]:
    """The list of series infos a packed ``series`` value stands for (what the page
    decodes, js/src/panels/scalars/infos.ts; for tests and tools reading the wire)."""
    if not isinstance(packed, dict) or packed.get("packed") != 1:
        raise ValueError(f"unpack_infos(): expected a packed 'series' value (a dict with "
                         f"packed=1), got {type(packed).__name__}.")
    table = np.frombuffer(bytes(packed["columns"]), dtype="<f8").reshape(-1, len(FIELDS))
    runs, tags = packed["runs"], packed["tags"]
    out = []
    for row in table.tolist():
        info = dict(zip(FIELDS, row, strict=True))
        info.update(id=int(info["id"]), run=runs[int(info["run"])], tag=tags[int(info["tag"])],
                    color=int(info["color"]), count=int(info["count"]),
                    decimated=bool(info["decimated"]), total=int(info["total"]))
        for key in ("last_step", "last"):
            info[key] = info[key] if math.isfinite(info[key]) else None
        out.append(info)
    return out
