"""Static picture of the Graph panel for saved notebooks: the graph collapsed to its
top-level modules, laid out in layers (longest path from the inputs), repeated blocks
marked ×N, modules coloured by the overlay statistic when there is one."""

from __future__ import annotations

from typing import Any

import numpy as np

from nbviz.panels.graph.hierarchy import collapsed
from nbviz.widgets._picture import chart_grid, empty_chart, png_bytes

__all__ = ["graph_png", "layers"]

_MAX_ITEMS = 120


def layers(count: int, edges: list[tuple[int, int]]) -> np.ndarray:
    """Layer of each item: the longest path from a source (Kahn's order), int ``[count]``.

    >>> layers(3, [(0, 1), (1, 2), (0, 2)]).tolist()
    [0, 1, 2]
    """
    depth = np.zeros(count, dtype=np.int64)
    indegree = np.zeros(count, dtype=np.int64)
    outgoing: list[list[int]] = [[] for _ in range(count)]
    for source, target in edges:
        outgoing[source].append(target)
        indegree[target] += 1
    ready = [i for i in range(count) if indegree[i] == 0]
    while ready:
        current = ready.pop()
        for target in outgoing[current]:
            depth[target] = max(depth[target], depth[current] + 1)
            indegree[target] -= 1
            if indegree[target] == 0:
                ready.append(target)
    return depth


def graph_png(drawable: dict[str, Any], values: dict[str, float] | None = None,
              statistic: str = "", flagged: frozenset[str] = frozenset()) -> bytes:
    """PNG of ``drawable`` (``hierarchy.view``) collapsed to the top level."""
    from matplotlib import colormaps
    from matplotlib.patches import FancyBboxPatch

    items, edges = collapsed(drawable)
    items = items[:_MAX_ITEMS]
    edges = [(a, b) for a, b in edges if a < len(items) and b < len(items)]
    depth = layers(len(items), edges)
    rows = int(depth.max()) + 1 if len(items) else 1
    figure, axes = chart_grid(1, width=7.0, row_height=min(max(2.0, 0.55 * rows + 0.8), 40),
                              dpi=80)
    ax = axes[0]
    capture = drawable.get("capture", {})
    if not items:
        empty_chart(ax, f"no graph captured: {capture.get('error') or 'empty graph'}")
        return png_bytes(figure)
    column = np.zeros(len(items))
    for row in range(rows):
        members = np.flatnonzero(depth == row)
        column[members] = np.arange(members.size) - (members.size - 1) / 2
    width = max(2.0, float(np.abs(column).max()) * 2 + 1)
    keys = [drawable["groups"][i]["path"] if kind == "group" else drawable["nodes"][i]["key"]
            for kind, i in items]
    known = [values[k] for k in keys if values and k in values and np.isfinite(values[k])]
    lo, hi = (min(known), max(known)) if known else (0.0, 1.0)
    cmap = colormaps["viridis"]
    for (source, target) in edges:
        skip = depth[target] - depth[source] > 1  # bend around the rows it skips
        ax.annotate("", xy=(column[target], -depth[target] + 0.18),
                    xytext=(column[source], -depth[source] - 0.18),
                    arrowprops={"arrowstyle": "->", "color": "#888888", "lw": 0.8,
                                "connectionstyle": "arc3,rad=-0.6" if skip else "arc3"})
    for position, (kind, index) in enumerate(items):
        if kind == "group":
            group = drawable["groups"][index]
            label = f"{group['label']}: {group['type']}" if group["type"] else group["label"]
            if group["repeat"] > 1:
                label += f"  ×{group['repeat']}"
        else:
            label = drawable["nodes"][index]["label"]
        value = values.get(keys[position]) if values else None
        face: Any = "#e8eef7" if kind == "group" else "#f7f7f7"
        ink = "#111111"
        if value is not None and np.isfinite(value):
            share = (value - lo) / (hi - lo) if hi > lo else 0.5
            face = cmap(share)
            ink = "#ffffff" if share < 0.55 else "#111111"
        edge = "#d62728" if keys[position] in flagged else "#555555"
        x, y = column[position], -depth[position]
        ax.add_patch(FancyBboxPatch((x - 0.45, y - 0.17), 0.9, 0.34,
                                    boxstyle="round,pad=0.02", fc=face, ec=edge, lw=1.0))
        ax.text(x, y, label[:28], ha="center", va="center", fontsize=7, color=ink)
    ax.set_xlim(-width / 2, width / 2)
    ax.set_ylim(-rows + 0.4, 0.6)
    ax.set_axis_off()
    title = f"{drawable.get('name', '')} — {capture.get('method', '')}"
    if statistic and known:
        title += f", coloured by {statistic} ({lo:.3g} … {hi:.3g})"
    if capture.get("error"):
        title += " (partial)"
    ax.set_title(title, fontsize=9)
    return png_bytes(figure)
