"""The Scalars panel as a person sees it, in JupyterLab and Notebook 7."""

from __future__ import annotations

import time

import pytest
from browser_helpers import (
    EFFECTIVE_BG_JS,
    NUMBER,
    REPO_NOTEBOOKS,
    SHOTS,
    assert_scalars_rendered,
    canvas_stats,
    chart,
    chart_canvas,
    effective_background,
    legend_runs,
    logged_points,
    panel,
    set_range,
    text_luminance,
    wait_canvas,
    wait_points,
)

pytestmark = pytest.mark.browser

QUICKSTART = REPO_NOTEBOOKS / "quickstart.ipynb"


def _quickstart(nb, ui: str) -> None:
    if not QUICKSTART.exists():
        pytest.fail(f"{QUICKSTART} is missing")
    path = nb.copy(QUICKSTART)
    # The quickstart trains for real: generous timeout for Run All → idle.
    nb.run_until(".nbviz-scalars", ui=ui, path=path, run_timeout=240_000)
    logdir = nb.server.root / "runs" / "quickstart"
    assert logdir.is_dir(), f"quickstart no longer logs to runs/quickstart: update {__file__}"
    logged = logged_points(logdir)
    panels = nb.page.locator(".nbviz-scalars")
    # The training cell's panel, then the one `%nbviz runs/quickstart` shows.
    assert panels.count() >= 1
    for i in range(panels.count()):
        assert_scalars_rendered(nb.page, tag="loss/train", runs=3, index=i)
        shown = wait_points(nb.page, panel(nb.page, i), logged)
        assert shown == logged, f"panel {i} shows {shown} points, the store holds {logged}"
    panel(nb.page, 0).scroll_into_view_if_needed()
    assert nb.stderr_outputs() == [], "the quickstart shows error/warning output"


def test_quickstart_lab(nb):
    _quickstart(nb, "lab")


def test_quickstart_notebook7(nb):
    _quickstart(nb, "nb7")


def test_live_growth(nb):
    """data-points grows while the training cell is still running ([*])."""
    path = nb.copy("live.ipynb")
    root = nb.run_until(".nbviz-scalars", path=path, wait_for_idle=False)
    page = nb.page
    # The panel shows up after cell 1; cell 2 then logs 200 points over ~10 s.
    page.wait_for_function(
        "() => +(document.querySelector('.nbviz-scalars').dataset.points || 0) > 0", timeout=30_000
    )
    assert nb.is_busy(), "the training cell already finished; cannot observe live growth"
    first = int(root.get_attribute("data-points"))
    t0 = time.monotonic()
    page.wait_for_timeout(1200)  # the assertion itself is about elapsed time (≥ 1 s apart)
    second = int(root.get_attribute("data-points"))
    busy = nb.is_busy()
    page.screenshot(path=str(SHOTS / f"{nb.name}.running.png"))
    assert time.monotonic() - t0 >= 1.0
    assert busy, "cell 2 finished during the observation window; the test saw no live update"
    assert 0 < first < second < 200, f"data-points did not grow while running: {first} -> {second}"

    nb.wait_idle(timeout=60_000)
    assert wait_points(page, root, 200) == 200
    assert nb.stderr_outputs() == []
    c = chart(panel(page), "loss")
    c.scroll_into_view_if_needed()
    wait_canvas(page, chart_canvas(c))


def _demo(nb, ui: str = "lab"):
    path = nb.copy("scalars_demo.ipynb")
    nb.run_until(".nbviz-scalars", ui=ui, path=path)
    assert_scalars_rendered(nb.page, tag="loss/train", runs=3)
    assert wait_points(nb.page, panel(nb.page), 2700) == 2700  # 3 runs x 3 tags x 300 steps
    assert nb.stderr_outputs() == []
    return chart(panel(nb.page), "loss/train")


def test_hover_tooltip(nb):
    c = _demo(nb)
    page = nb.page
    runs = legend_runs(panel(page), c)
    over = c.locator(".u-over")
    box = over.bounding_box()
    assert box and box["width"] > 50 and box["height"] > 50, f"plot area too small: {box}"
    # Move in two steps so uPlot sees a real mousemove inside the plot area.
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.5)
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5, steps=5)
    # Charts may each own a (hidden) tooltip element: take the one on screen.
    tip = page.locator(".nbviz-tooltip:visible").first
    tip.wait_for(state="visible", timeout=5_000)
    text = tip.inner_text()
    assert any(r in text for r in runs), f"tooltip names no run ({runs}): {text!r}"
    assert NUMBER.search(text), f"tooltip shows no number: {text!r}"


def test_smoothing_slider(nb):
    c = _demo(nb)
    page = nb.page
    slider = page.locator("input.nbviz-smoothing").first
    slider.wait_for(state="visible")
    canvas = chart_canvas(c)
    before = canvas_stats(canvas)
    set_range(slider, 0)
    assert float(slider.input_value()) == 0
    raw = wait_canvas(page, canvas, not_hash=before["hash"])
    set_range(slider, 0.95)
    assert float(slider.input_value()) == pytest.approx(0.95)
    smooth = wait_canvas(page, canvas, not_hash=raw["hash"])
    assert len({before["hash"], raw["hash"], smooth["hash"]}) == 3


def test_dark_theme(nb):
    c = _demo(nb)
    page = nb.page
    p = panel(page)
    canvas = chart_canvas(c)
    light_bg = effective_background(p)
    light = canvas_stats(canvas)
    assert light_bg["lum"] > 0.7, f"light theme background not light: {light_bg}"
    assert light["darker"] >= 50, f"no dark ink (axis labels) on the light chart: {light}"

    nb.dark_theme()
    page.wait_for_function(
        f"(el) => ({EFFECTIVE_BG_JS})(el).lum < 0.3", arg=p.element_handle(), timeout=10_000
    )
    dark_bg = effective_background(p)
    assert dark_bg["lum"] < 0.3, f"panel background did not follow the dark theme: {dark_bg}"
    assert text_luminance(p) > 0.5, "panel text is not light on the dark background"
    # The chart is redrawn and still shows data; axis labels/ticks that were
    # dark-on-light are now light-on-dark (at least half as many such pixels).
    want = max(50, light["darker"] // 2)
    dark = wait_canvas(page, canvas, not_hash=light["hash"], until=f"s.lighter >= {want}")
    print(f"light canvas {light}\ndark canvas {dark}\nbackgrounds {light_bg} -> {dark_bg}")
    assert dark["bgLum"] < 0.3, f"chart background is not dark: {dark}"
    assert dark["lighter"] >= want
    c.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / f"{nb.name}.dark.png"))


LONG_NAMES_CELL = '''\
import nbviz
run = nbviz.init("report\\u202egnp.exe", logdir="runs/long", if_exists="overwrite")
for step in range(20):
    run.log({"x" * 30000: float(step), "short": float(step % 7)}, step=step)
run.finish()
nbviz.Scalars("runs/long")
'''


def test_long_and_spoofing_names(nb, tmp_path):
    """A 30k-character tag is cut in the page (whole on hover); a bidi override in a
    run name is shown as a visible mark, never applied."""
    import json

    notebook = {
        "cells": [{"cell_type": "code", "execution_count": None, "id": "long-names",
                   "metadata": {}, "outputs": [], "source": LONG_NAMES_CELL}],
        "metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)",
                                    "language": "python", "name": "python3"}},
        "nbformat": 4, "nbformat_minor": 5,
    }
    source = tmp_path / "long_names.ipynb"
    source.write_text(json.dumps(notebook), encoding="utf-8")
    nb.run_until(".nbviz-scalars", path=nb.copy(source))
    page = nb.page
    p = panel(page)
    assert wait_points(page, p, 40) == 40
    title = p.locator(".nbviz-chart-title").filter(has_text="xxxx").first
    title.wait_for(state="visible", timeout=10_000)
    text = title.inner_text()
    assert text.startswith("xxx") and text.endswith("…") and len(text) <= 120, len(text)
    hover = title.get_attribute("title") or ""
    assert hover.startswith("x" * 1000) and len(hover) == 4000
    group = p.locator(".nbviz-group-name").filter(has_text="xxxx").first.inner_text()
    assert group.endswith("…") and len(group) <= 120, len(group)
    name = p.locator(".nbviz-legend-item .nbviz-run-name").first.inner_text()
    assert name == "report⟨U+202E⟩gnp.exe", name
    assert "\u202e" not in p.inner_text()
    assert nb.stderr_outputs() == []
    title.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / f"{nb.name}.light.png"))
    nb.dark_theme()
    page.wait_for_timeout(800)
    page.screenshot(path=str(SHOTS / f"{nb.name}.dark.png"))
