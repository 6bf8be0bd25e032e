"""The static PNG of a media panel for saved notebooks (matplotlib, Agg): the newest step
of each (run, tag) — images and video first frames, audio waveforms, text, table rows."""

from __future__ import annotations

from typing import Any

import numpy as np

from nbviz.panels.media.codec import decode_image, decoded, split_mask, table_frame
from nbviz.widgets._picture import chart_grid, empty_chart, png_bytes

__all__ = ["media_png"]

_MAX_CHARTS = 12


def _overlay(axis: Any, array: np.ndarray, extra: dict[str, Any]) -> None:
    """The record's mask (classes > 0 in the panel's colours, half opaque) and boxes."""
    from matplotlib.patches import Rectangle

    from nbviz.widgets._palette import PALETTE

    mask_bytes = split_mask(np.asarray(array, np.uint8), extra)[1]
    if mask_bytes is not None:
        mask = decode_image(mask_bytes)[:, :, 0]
        colours = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] + [128]
                            for c in PALETTE], np.uint8)
        rgba = colours[mask % len(PALETTE)]
        rgba[mask == 0] = 0
        axis.imshow(rgba)
    labels = extra.get("box_labels") or extra.get("labels") or []
    scores = extra.get("box_scores") or []
    names = list(dict.fromkeys(labels))
    for index, (x0, y0, x1, y1) in enumerate(extra.get("boxes") or []):
        label = labels[index] if index < len(labels) else ""
        colour = PALETTE[(names.index(label) + 1 if label else 1) % len(PALETTE)]
        axis.add_patch(Rectangle((x0 - 0.5, y0 - 0.5), x1 - x0, y1 - y0, fill=False,
                                 edgecolor=colour, linewidth=1.5))
        text = f"{label} {scores[index]:.2f}" if index < len(scores) else label
        if text:
            axis.text(x0 - 0.5, y0 - 0.5, text, color="black", fontsize=6, va="bottom",
                      bbox={"facecolor": colour, "pad": 1, "linewidth": 0})


def media_png(label: str, entries: list[dict[str, Any]],
              stored: dict[int, tuple[str, np.ndarray, dict[str, Any]]]) -> bytes:
    """A grid of the newest records (at most 12), titled ``run · tag · step``.

    >>> media_png("Images", [], {})[:4]
    b'\\x89PNG'
    """
    shown = entries[:_MAX_CHARTS]
    figure, axes = chart_grid(len(shown), width=9.0, row_height=2.6, dpi=72, constrained=True)
    if not shown:
        empty_chart(axes[0], f"nbviz.{label}: nothing logged yet")
        return png_bytes(figure)
    for axis, entry in zip(axes, shown, strict=False):
        kind, array, extra = stored[entry["id"]]
        axis.set_title(f"{entry['run']} · {entry['tag']} · step {entry['step']}", fontsize=8)
        if kind in ("image", "video"):
            pixels = decoded(kind, array, extra)
            if kind == "video":
                pixels = pixels[0]
            axis.imshow(pixels[:, :, 0] if pixels.shape[2] == 1 else pixels,
                        cmap="gray" if pixels.shape[2] == 1 else None, vmin=0, vmax=255)
            if kind == "image":
                _overlay(axis, array, extra)
            axis.set_axis_off()
        elif kind == "audio":
            samples = np.asarray(decoded(kind, array, extra), np.float32).reshape(-1)
            rate = float(extra.get("sample_rate", 1.0))
            axis.plot(np.arange(samples.size) / rate, samples, linewidth=0.5)
            axis.set_ylim(-1, 1)
            axis.set_xlabel("seconds", fontsize=7)
        elif kind == "text":
            text = entry["meta"].get("text", "")
            axis.text(0, 1, text[:400], va="top", ha="left", fontsize=7, wrap=True,
                      family="monospace", transform=axis.transAxes)
            axis.set_axis_off()
        else:
            frame = table_frame(array, extra, decode=False)
            rows = [" | ".join("[image]" if isinstance(frame[c].iloc[r], bytes)
                               else str(frame[c].iloc[r])[:12] for c in frame.columns)
                    for r in range(min(len(frame), 12))]
            axis.text(0, 1, " | ".join(frame.columns) + "\n" + "\n".join(rows), va="top",
                      ha="left", fontsize=7, family="monospace", transform=axis.transAxes)
            axis.set_axis_off()
    return png_bytes(figure)
