"""What a person sees, read from the page: canvas pixels, colours, Scalars hooks.

DOM hooks of the Scalars panel (docs/wire.md and the panel's contract):
root ``.nbviz-scalars[data-points]``; charts ``.nbviz-chart[data-tag][data-points]``
each holding a uPlot canvas and ``.u-over``; legend ``.nbviz-legend-item[data-run]``;
``input.nbviz-smoothing``; tooltip ``.nbviz-tooltip``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SHOTS = REPO / "screenshots" / "browser"  # gitignored; one PNG per test
TEST_NOTEBOOKS = HERE / "notebooks"
REPO_NOTEBOOKS = REPO / "notebooks"

NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?", re.I)

# Pixel statistics of a canvas, read through a copy (never touching the chart's
# own context). ``ink``: pixels that differ from the most common colour (the
# background). ``bright``/``dark``: opaque ink pixels by luminance. ``hash``:
# FNV-1a over all pixels, to tell whether the drawing changed.
CANVAS_STATS_JS = """(canvas) => {
    const w = canvas.width, h = canvas.height;
    if (!w || !h) return {w, h, ink: 0, bright: 0, dark: 0, total: 0, hash: '', colors: 0};
    const c = document.createElement('canvas');
    c.width = w; c.height = h;
    const ctx = c.getContext('2d');
    ctx.drawImage(canvas, 0, 0);
    const d = ctx.getImageData(0, 0, w, h).data;
    const counts = new Map();
    for (let i = 0; i < d.length; i += 4) {
        const k = ((d[i] << 24) | (d[i+1] << 16) | (d[i+2] << 8) | d[i+3]) >>> 0;
        counts.set(k, (counts.get(k) || 0) + 1);
    }
    let bgKey = 0, best = -1;
    for (const [k, n] of counts) if (n > best) { best = n; bgKey = k; }
    let ink = 0, bright = 0, dark = 0, hash = 2166136261;
    for (let i = 0; i < d.length; i += 4) {
        const k = ((d[i] << 24) | (d[i+1] << 16) | (d[i+2] << 8) | d[i+3]) >>> 0;
        hash = Math.imul(hash ^ k, 16777619) >>> 0;
        if (k !== bgKey) {
            ink++;
            if (d[i+3] > 160) {
                const lum = (0.2126*d[i] + 0.7152*d[i+1] + 0.0722*d[i+2]) / 255;
                if (lum > 0.7) bright++;
                if (lum < 0.3) dark++;
            }
        }
    }
    return {w, h, ink, bright, dark, total: w*h, hash: hash.toString(16), colors: counts.size,
            bg: [bgKey >>> 24, (bgKey >>> 16) & 255, (bgKey >>> 8) & 255, bgKey & 255]};
}"""


def canvas_stats(locator: Any) -> dict[str, Any]:
    return dict(locator.evaluate(CANVAS_STATS_JS))


def wait_canvas(
    page: Any,
    locator: Any,
    *,
    min_ink: int = 300,
    not_hash: str | None = None,
    timeout: float = 15_000,
) -> dict[str, Any]:
    """Wait until the canvas has ``min_ink`` non-background pixels (and, if given,
    a pixel hash different from ``not_hash``); return its stats."""
    handle = locator.element_handle(timeout=timeout)
    page.wait_for_function(
        f"""([c, minInk, notHash]) => {{
            const s = ({CANVAS_STATS_JS})(c);
            return s.ink >= minInk && (notHash === null || s.hash !== notHash);
        }}""",
        arg=[handle, min_ink, not_hash],
        timeout=timeout,
        polling=200,
    )
    return canvas_stats(locator)


EFFECTIVE_BG_JS = """(el) => {
    const parse = (s) => (s.match(/[\\d.]+/g) || []).map(Number);
    for (let e = el; e; e = e.parentElement) {
        const [r, g, b, a = 1] = parse(getComputedStyle(e).backgroundColor);
        if (a > 0.5) return {r, g, b, lum: (0.2126*r + 0.7152*g + 0.0722*b) / 255,
                             from: e.tagName + '.' + e.className};
    }
    return {r: 255, g: 255, b: 255, lum: 1, from: 'default'};
}"""


def effective_background(locator: Any) -> dict[str, Any]:
    """First opaque background at or above the element, with its luminance 0..1."""
    return dict(locator.evaluate(EFFECTIVE_BG_JS))


def text_luminance(locator: Any) -> float:
    return float(
        locator.evaluate(
            """(el) => {
                const [r, g, b] = (getComputedStyle(el).color.match(/[\\d.]+/g) || []).map(Number);
                return (0.2126*r + 0.7152*g + 0.0722*b) / 255;
            }"""
        )
    )


def chart(page: Any, tag: str) -> Any:
    return page.locator(f'.nbviz-scalars .nbviz-chart[data-tag="{tag}"]').first


def chart_canvas(chart_locator: Any) -> Any:
    """The uPlot drawing canvas of a chart (the largest one if there are several)."""
    return chart_locator.locator("canvas").first


def legend_runs(page: Any, chart_locator: Any) -> list[str]:
    """data-run of the legend items of a chart; if the panel has one shared
    legend instead of one per chart, the panel's."""
    items = chart_locator.locator(".nbviz-legend-item")
    if items.count() == 0:
        items = page.locator(".nbviz-scalars .nbviz-legend-item")
    return [str(items.nth(i).get_attribute("data-run")) for i in range(items.count())]


def set_range(locator: Any, value: float) -> None:
    """Set an <input type=range> the way a drag does: value + input + change events."""
    locator.evaluate(
        """(el, v) => {
            const set = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
            set.call(el, String(v));
            el.dispatchEvent(new Event('input', {bubbles: true}));
            el.dispatchEvent(new Event('change', {bubbles: true}));
        }""",
        value,
    )


def assert_scalars_rendered(page: Any, *, tag: str = "loss/train", runs: int = 3) -> dict[str, Any]:
    """The Scalars panel is on screen with a drawn chart for ``tag`` whose legend
    names ``runs`` runs. Returns the canvas stats."""
    panel = page.locator(".nbviz-scalars").first
    panel.wait_for(state="visible")
    charts = page.locator(".nbviz-scalars .nbviz-chart")
    charts.first.wait_for(state="visible")
    assert charts.count() >= 1
    c = chart(page, tag)
    c.wait_for(state="visible")
    c.scroll_into_view_if_needed()
    stats = wait_canvas(page, chart_canvas(c))
    assert stats["ink"] >= 300, f"chart {tag!r} canvas looks blank: {stats}"
    names = legend_runs(page, c)
    assert len(names) == runs and len(set(names)) == runs and all(names), (
        f"legend of {tag!r} should name {runs} distinct runs, got {names}"
    )
    return stats
