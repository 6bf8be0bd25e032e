"""The HParams panel's static picture (PNG) for saved notebooks: parallel coordinates
coloured by the metric, drawn with matplotlib (one LineCollection, no per-run loop).

>>> png = render_png(nbviz.read("sweep", kind="hparams"), "val/acc", "max")  # doctest: +SKIP
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from nbviz.panels.hparams.encode import encode_table

__all__ = ["MAX_PICTURE_AXES", "render_png"]

MAX_PICTURE_AXES = 14


def _unit(values: np.ndarray, kind: str, low: float | None, high: float | None,
          categories: int) -> np.ndarray:
    if kind == "categorical":
        return (values + 0.5) / max(categories, 1)
    if low is None or high is None:
        return np.full(values.shape, np.nan)
    if kind == "log":
        values, low, high = np.log10(values), np.log10(low), np.log10(high)
    span = high - low
    return (values - low) / span if span > 0 else np.full(values.shape, 0.5)


def render_png(frame: pd.DataFrame, metric: str, goal: str, *,
               hidden_axes: list[str] | None = None, axis_order: list[str] | None = None,
               hidden_runs: list[str] | None = None) -> bytes:
    """PNG bytes: one vertical axis per shown hparam / metric, one line per run."""
    from matplotlib import colormaps
    from matplotlib.collections import LineCollection
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10, 3.6), dpi=96, layout="constrained")
    axis = figure.add_subplot(1, 1, 1)
    infos, data = encode_table(frame) if not frame.empty else ([], np.empty(0))
    runs = len(frame)
    hidden = set(hidden_axes or [])
    order = [n for n in (axis_order or []) if any(i["name"] == n for i in infos)]
    order += [i["name"] for i in infos if i["name"] not in order]
    by_name = {info["name"]: (index, info) for index, info in enumerate(infos)}
    shown = [n for n in order if n not in hidden][:MAX_PICTURE_AXES]
    if not shown or runs == 0:
        axis.text(0.5, 0.5, "No runs with hyperparameters yet", ha="center", va="center",
                  color="#666")
        axis.set_axis_off()
    else:
        matrix = data.reshape(len(infos), runs)
        units = np.column_stack([
            _unit(matrix[by_name[n][0]], by_name[n][1]["kind"], by_name[n][1]["min"],
                  by_name[n][1]["max"], len(by_name[n][1].get("categories") or []))
            for n in shown])
        units = np.where(np.isnan(units), -0.06, units)  # missing: below the axis
        keep = ~frame["run"].isin(set(hidden_runs or [])).to_numpy()
        xs = np.arange(len(shown), dtype=np.float64)
        segments = np.stack([np.broadcast_to(xs, units.shape), units], axis=-1)[keep]
        color_values = (frame[metric].to_numpy(dtype=np.float64, na_value=np.nan)[keep]
                        if metric in frame.columns else np.full(int(keep.sum()), np.nan))
        finite = np.isfinite(color_values)
        cmap = colormaps["viridis"]
        colors = np.tile(np.array([[0.6, 0.6, 0.6, 0.5]]), (len(color_values), 1))
        if finite.any():
            low, high = np.nanmin(color_values), np.nanmax(color_values)
            scaled = (color_values - low) / (high - low) if high > low else np.full_like(
                color_values, 0.5)
            if goal == "min":
                scaled = 1 - scaled
            colors[finite] = cmap(scaled[finite])
        alpha = 0.85 if len(segments) < 200 else 0.35
        collection = LineCollection(list(segments), colors=colors, linewidths=1.0, alpha=alpha)
        axis.add_collection(collection)
        for x, name in zip(xs, shown, strict=True):
            info = by_name[name][1]
            axis.axvline(x, color="#444", linewidth=0.8)
            label = name if len(name) <= 18 else name[:17] + "…"
            axis.text(x, 1.05, label, ha="center", va="bottom", fontsize=7,
                      fontweight="bold" if name == metric else "normal")
            if info["kind"] == "categorical":
                cats = info.get("categories") or []
                for code, cat in enumerate(cats[:12]):
                    axis.text(x + 0.03, (code + 0.5) / len(cats), str(cat)[:12], fontsize=6,
                              va="center", color="#333")
            elif info["min"] is not None:
                axis.text(x + 0.03, 0, f"{info['min']:.3g}", fontsize=6, va="center")
                axis.text(x + 0.03, 1, f"{info['max']:.3g}", fontsize=6, va="center")
        axis.set_xlim(-0.2, len(shown) - 0.6)
        axis.set_ylim(-0.1, 1.15)
        axis.set_axis_off()
        more = len([n for n in order if n not in hidden]) - len(shown)
        note = f" ({more} more axes in the live panel)" if more > 0 else ""
        axis.set_title(f"{runs} run(s), coloured by {metric} ({goal}){note}", fontsize=8,
                       loc="left")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
