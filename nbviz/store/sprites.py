"""Label images of embeddings as pixels in ``nbviz.read(kind="embeddings")``.

Thumbnails are stored as their own ``sprite`` records (uint8 ``[N, h, w, 3]``, same run,
tag and step as the ``embedding``; docs/store.md) — written by ``add_embedding(label_img=…)``
/ ``Run.log_embedding(images=…)``, or cut from a TensorBoard projector's ``sprite.png``.
:func:`attach_sprites` puts them on their embedding as the ``sprite`` extra (None when the
embedding has no images), replacing the TensorBoard sprite-sheet description (path and
thumbnail size), which stays available as ``sprite_info``.

>>> attach_sprites([])
[]
"""

from __future__ import annotations

from typing import Any

from nbviz.store.sqlite import TensorRecord

__all__ = ["attach_sprites"]


def attach_sprites(pairs: list[tuple[str, TensorRecord]]) -> list[tuple[str, TensorRecord]]:
    """``(run, record)`` pairs of ``embedding`` and ``sprite`` records → the embedding
    pairs, each with ``extra["sprite"]`` = its thumbnails (the latest sprite record of the
    same run, tag and step) or None."""
    sprites: dict[tuple[str, str, int], Any] = {}
    for run, record in pairs:
        if record.kind == "sprite":
            sprites[(run, record.tag, int(record.step))] = record.array
    out = []
    for run, record in pairs:
        if record.kind != "embedding":
            continue
        extra = dict(record.extra)
        info = extra.pop("sprite", None)
        if info is not None:
            extra["sprite_info"] = info
        thumbs = sprites.get((run, record.tag, int(record.step)))
        if thumbs is not None and thumbs.shape[:1] != record.array.shape[:1]:
            thumbs = None  # not one thumbnail per point: not this embedding's images
        extra["sprite"] = thumbs
        out.append((run, TensorRecord(kind=record.kind, tag=record.tag, step=record.step,
                                      wall_time=record.wall_time, array=record.array,
                                      extra=extra, seq=record.seq)))
    return out
