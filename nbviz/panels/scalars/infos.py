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
from typing import Any

import numpy as np

__all__ = ["FIELDS", "pack_infos", "unpack_infos"]

# per series, in this order: float64 little-endian (None -> NaN: a value that is not
# finite is sent as None anyway, see IndexedSeries.summary)
FIELDS = ("id", "run", "tag", "color", "count", "decimated", "total", "last_step", "last")


def pack_infos(infos: list[dict[str, Any]], _widget: Any = None) -> dict[str, Any]:
    """The ``series`` trait's JSON form: ``{"packed": 1, "runs", "tags", "columns"}``
    where ``columns`` holds ``len(FIELDS)`` float64 per series, ``run`` / ``tag`` as
    indices into ``runs`` / ``tags`` (the trait's ``to_json``)."""
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
    return {"packed": 1, "runs": list(runs), "tags": list(tags),
            "columns": memoryview(np.ascontiguousarray(table).tobytes())}


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
