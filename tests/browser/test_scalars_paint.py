"""Many runs in one chart, as a person sees them: every run's line is drawn (the lines
are rasterised in a typed array, a run with gaps is stroked by the canvas), and the
hover tooltip lists the runs nearest the cursor when there are too many to list."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browser_helpers import SHOTS, chart, chart_canvas, code_notebook, panel, wait_canvas

pytestmark = pytest.mark.browser

RUNS = 40

# run r logs the constant r: 40 horizontal lines, one per run; run00 has a NaN (a gap)
FLAT_RUNS_CELL = f"""\
import nbviz
for r in range({RUNS}):
    with nbviz.init(f"run{{r:02d}}", logdir="runs_flat", if_exists="overwrite") as run:
        for step in range(20):
            run.log({{"flat": float("nan") if (r == 0 and step == 15) else float(r)}}, step=step)
nbviz.Scalars("runs_flat", smoothing=0.0)
"""

# palette colours of the runs (lib/colors.ts PALETTE); grey and brown (indices 10 and 13)
# are too close to the axes' greys to be told apart from them in a pixel
COLOURFUL = [r for r in range(RUNS) if r % 14 not in (10, 13)]

# rows of strongly coloured ink in one pixel column of the plot, grouped into runs of
# consecutive rows: one group per horizontal line crossing that column
LINES_CROSSING_JS = """(c, frac) => {
    const ctx = c.getContext('2d');
    const x = Math.round(c.width * frac);
    const d = ctx.getImageData(x, 0, 1, c.height).data;
    let lines = 0, inLine = false;
    for (let y = 0; y < c.height; y++) {
        const i = y * 4;
        const hi = Math.max(d[i], d[i + 1], d[i + 2]), lo = Math.min(d[i], d[i + 1], d[i + 2]);
        const ink = d[i + 3] > 100 && hi - lo > 50;
        if (ink && !inLine) lines++;
        inLine = ink;
    }
    return lines;
}"""


def _lines_crossing(page: Any, canvas: Any, frac: float, want: int) -> int:
    """Lines crossing the column at ``frac`` of the width, once it is ``want`` (or 5 s)."""
    seen = -1
    for _ in range(25):
        seen = int(canvas.evaluate(f"(c) => ({LINES_CROSSING_JS})(c, {frac})"))
        if seen == want:
            break
        page.wait_for_timeout(200)
    return seen


def test_every_run_is_drawn_and_the_tooltip_lists_the_nearest(nb: Any, tmp_path: Path) -> None:
    page = nb.page
    path = nb.copy(code_notebook(tmp_path / "flat.ipynb", [FLAT_RUNS_CELL]))
    nb.run_until(".nbviz-scalars", path=path)
    p = panel(page)
    c = chart(p, "flat")
    c.scroll_into_view_if_needed()
    page.wait_for_function(f"(el) => +el.dataset.points === {RUNS * 20}",
                           arg=c.element_handle(), timeout=20_000)
    canvas = chart_canvas(c)
    wait_canvas(page, canvas)
    # at 30 % of the width (left of run00's gap): one line per run, none dropped
    lines = _lines_crossing(page, canvas, 0.3, len(COLOURFUL))
    assert lines == len(COLOURFUL), f"{lines} coloured lines, {len(COLOURFUL)} runs drawn in colour"
    # run00 (gaps: stroked by the canvas, clipped) is drawn on both sides of its NaN
    assert _lines_crossing(page, canvas, 0.9, len(COLOURFUL)) == len(COLOURFUL)
    page.screenshot(path=str(SHOTS / f"{nb.name}.light.png"))

    over = c.locator(".u-over")
    box = over.bounding_box()
    assert box and box["height"] > 50, f"plot area too small: {box}"
    y = box["y"] + box["height"] * 0.5  # the middle: runs ~19-20
    page.mouse.move(box["x"] + box["width"] * 0.2, y)
    page.mouse.move(box["x"] + box["width"] * 0.3, y, steps=4)
    tip = c.locator(".nbviz-tooltip")
    tip.wait_for(state="visible", timeout=5_000)
    rows = tip.locator(".nbviz-tt-run")
    names = [rows.nth(i).inner_text() for i in range(rows.count())]
    assert len(names) == 20, f"{len(names)} tooltip rows for {RUNS} runs: {names}"
    assert names == sorted(names), f"tooltip rows not in run order: {names}"
    assert "run19" in names and "run20" in names, f"the runs at the cursor are missing: {names}"
    assert "run00" not in names and "run39" not in names, f"far runs listed: {names}"
    assert "+ 20 more runs" in tip.inner_text()
    assert c.locator(".nbviz-dot:visible").count() == 20
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] - 40)  # leave: tooltip and dots go
    tip.wait_for(state="hidden", timeout=5_000)
    assert c.locator(".nbviz-dot:visible").count() == 0

    before = canvas.evaluate("(c) => c.toDataURL().length")
    nb.dark_theme()
    page.wait_for_function("([c, n]) => c.toDataURL().length !== n",
                           arg=[canvas.element_handle(), before], timeout=10_000)
    assert _lines_crossing(page, canvas, 0.3, len(COLOURFUL)) == len(COLOURFUL)
    page.screenshot(path=str(SHOTS / f"{nb.name}.dark.png"))
    assert nb.stderr_outputs() == []
