"""What a person sees, read from the page: canvas pixels, colours, Scalars hooks.

DOM hooks of the Scalars panel (docs/wire.md and the panel's contract):
root ``.nbviz-scalars[data-points]``; charts ``.nbviz-chart[data-tag][data-points]``
each holding a uPlot canvas and ``.u-over``; legend ``.nbviz-legend-item[data-run]``;
``input.nbviz-smoothing``; tooltip ``.nbviz-tooltip``.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SHOTS = REPO / "screenshots" / "browser"  # gitignored; one PNG per test
TEST_NOTEBOOKS = HERE / "notebooks"
REPO_NOTEBOOKS = REPO / "notebooks"

NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?", re.I)

# Pixel statistics of a canvas as a person sees it: the canvas is composited
# over the first opaque background behind it (a chart canvas is usually
# transparent). ``ink``: pixels that differ from the most common colour (the
# background). ``lighter``/``darker``: ink pixels whose luminance is 0.3 above /
# below the background's (light axis text on a dark chart, and vice versa).
# ``hash``: FNV-1a over the raw canvas pixels, to tell whether the drawing changed.
CANVAS_STATS_JS = """(canvas) => {
    const w = canvas.width, h = canvas.height;
    if (!w || !h) return {w, h, ink: 0, lighter: 0, darker: 0, total: 0, hash: '', colors: 0};
    let bg = 'rgb(255, 255, 255)';
    for (let e = canvas; e; e = e.parentElement) {
        const c = getComputedStyle(e).backgroundColor;
        const a = (c.match(/[\\d.]+/g) || []).map(Number)[3];
        if (c && c !== 'transparent' && (a === undefined || a > 0.5)) { bg = c; break; }
    }
    const raw = (() => {
        const c = document.createElement('canvas');
        c.width = w; c.height = h;
        const ctx = c.getContext('2d');
        ctx.drawImage(canvas, 0, 0);
        return ctx.getImageData(0, 0, w, h).data;
    })();
    const c = document.createElement('canvas');
    c.width = w; c.height = h;
    const ctx = c.getContext('2d');
    ctx.fillStyle = bg;
    ctx.fillRect(0, 0, w, h);
    ctx.drawImage(canvas, 0, 0);
    const d = ctx.getImageData(0, 0, w, h).data;
    const key = (i) => ((d[i] << 16) | (d[i+1] << 8) | d[i+2]) >>> 0;
    const counts = new Map();
    for (let i = 0; i < d.length; i += 4) counts.set(key(i), (counts.get(key(i)) || 0) + 1);
    let bgKey = 0, best = -1;
    for (const [k, n] of counts) if (n > best) { best = n; bgKey = k; }
    const lum = (i) => (0.2126*d[i] + 0.7152*d[i+1] + 0.0722*d[i+2]) / 255;
    let bgLum = 0;
    for (let i = 0; i < d.length; i += 4) if (key(i) === bgKey) { bgLum = lum(i); break; }
    let ink = 0, lighter = 0, darker = 0, hash = 2166136261;
    for (let i = 0; i < d.length; i += 4) {
        const r = ((raw[i] << 24) | (raw[i+1] << 16) | (raw[i+2] << 8) | raw[i+3]) >>> 0;
        hash = Math.imul(hash ^ r, 16777619) >>> 0;
        if (key(i) !== bgKey) {
            ink++;
            const l = lum(i);
            if (l > bgLum + 0.3) lighter++;
            if (l < bgLum - 0.3) darker++;
        }
    }
    return {w, h, ink, lighter, darker, bgLum, total: w*h, hash: hash.toString(16),
            colors: counts.size, bg: [bgKey >>> 16, (bgKey >>> 8) & 255, bgKey & 255], behind: bg};
}"""


def canvas_stats(locator: Any) -> dict[str, Any]:
    return dict(locator.evaluate(CANVAS_STATS_JS))


def wait_canvas(
    page: Any,
    locator: Any,
    *,
    min_ink: int = 300,
    not_hash: str | None = None,
    until: str = "true",
    timeout: float = 15_000,
) -> dict[str, Any]:
    """Wait until the canvas has ``min_ink`` non-background pixels, a pixel hash
    different from ``not_hash`` (if given) and the JS condition ``until`` on the
    stats ``s`` holds (e.g. ``"s.lighter >= 100"``); return its stats. On timeout
    the last stats are in the error message."""
    handle = locator.element_handle(timeout=timeout)
    try:
        page.wait_for_function(
            f"""([c, minInk, notHash]) => {{
                const s = ({CANVAS_STATS_JS})(c);
                return s.ink >= minInk && (notHash === null || s.hash !== notHash) && ({until});
            }}""",
            arg=[handle, min_ink, not_hash],
            timeout=timeout,
            polling=200,
        )
    except Exception as e:
        raise AssertionError(
            f"canvas never reached ink >= {min_ink}, hash != {not_hash}, {until}: "
            f"last stats {canvas_stats(locator)}"
        ) from e
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


PANEL = ".nbviz-scalars"


def panel(page: Any, index: int = 0) -> Any:
    """The ``index``-th Scalars panel on the page (document order)."""
    return page.locator(PANEL).nth(index)


def chart(panel_locator: Any, tag: str) -> Any:
    """The chart for ``tag`` inside a panel."""
    return panel_locator.locator(f'.nbviz-chart[data-tag="{tag}"]').first


def chart_canvas(chart_locator: Any) -> Any:
    """The uPlot drawing canvas of a chart."""
    return chart_locator.locator("canvas").first


def legend_runs(panel_locator: Any, chart_locator: Any) -> list[str]:
    """data-run of the legend items of a chart; if the panel has one shared
    legend instead of one per chart, the panel's."""
    items = chart_locator.locator(".nbviz-legend-item")
    if items.count() == 0:
        items = panel_locator.locator(".nbviz-legend-item")
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


def assert_scalars_rendered(
    page: Any, *, tag: str = "loss/train", runs: int = 3, index: int = 0
) -> dict[str, Any]:
    """Panel ``index`` is on screen with ≥1 chart, and the chart for ``tag`` is
    drawn (non-blank canvas) with a legend naming ``runs`` distinct runs.
    Returns the canvas stats."""
    p = panel(page, index)
    p.wait_for(state="visible")
    charts = p.locator(".nbviz-chart")
    charts.first.wait_for(state="visible")
    assert charts.count() >= 1
    c = chart(p, tag)
    c.wait_for(state="visible")
    c.scroll_into_view_if_needed()
    stats = wait_canvas(page, chart_canvas(c))
    assert stats["ink"] >= 300, f"chart {tag!r} canvas looks blank: {stats}"
    page.wait_for_function(
        """([c, p, n]) => {
            const own = c.querySelectorAll('.nbviz-legend-item');
            return (own.length ? own : p.querySelectorAll('.nbviz-legend-item')).length >= n;
        }""",
        arg=[c.element_handle(), p.element_handle(), runs],
        timeout=15_000,
    )
    names = legend_runs(p, c)
    assert len(names) == runs and len(set(names)) == runs and all(names), (
        f"legend of {tag!r} should name {runs} distinct runs, got {names}"
    )
    return stats


def wait_points(page: Any, panel_locator: Any, expected: int, timeout: float = 10_000) -> int:
    """Wait until the panel's ``data-points`` equals ``expected``; return what it
    shows at the end (the caller asserts, so a mismatch reports both numbers).
    After the kernel goes idle the panel gets a complete snapshot within ~2 s."""
    handle = panel_locator.element_handle()
    with contextlib.suppress(Exception):  # the caller's assertion reports the numbers
        page.wait_for_function(
            "([el, n]) => +el.dataset.points === n", arg=[handle, expected], timeout=timeout
        )
    return int(panel_locator.get_attribute("data-points") or -1)


def logged_points(logdir: Path) -> int:
    """How many scalars were logged under ``logdir`` according to the run store."""
    import nbviz  # the package under test, in the same venv as the server

    return len(nbviz.read(str(logdir)))


def code_notebook(path: Path, cells: list[str]) -> Path:
    """Write a notebook of code cells (python3 kernel) to ``path``; return it."""
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                       "language": "python"}
    nbformat.write(notebook, str(path))
    return path
