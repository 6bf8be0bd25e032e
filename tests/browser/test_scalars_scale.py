"""The Scalars panel at scale, as a person sees it: charts load as they scroll into
view, 10,000 tags filter at once, a series of one point is drawn."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browser_helpers import SHOTS, chart, chart_canvas, code_notebook, panel, wait_canvas

pytestmark = pytest.mark.browser

MANY_RUNS_CELL = """\
import math, nbviz
for r in range(30):
    with nbviz.init(f"run{r:02d}", logdir="runs_scale", if_exists="overwrite") as run:
        for step in range(50):
            run.log({f"g{t // 10}/m{t % 10}": math.sin(step / 8 + r / 5 + t) for t in range(40)},
                    step=step)
nbviz.Scalars("runs_scale", lazy=True)
"""

MANY_TAGS_CELL = """\
import nbviz
with nbviz.init("wide", logdir="runs_tags", if_exists="overwrite") as run:
    for step in range(2):
        run.log({f"layer{i // 100:02d}/unit{i % 100:02d}": float(i + step) for i in range(10_000)},
                step=step)
nbviz.Scalars("runs_tags")
"""

SINGLE_POINT_CELL = """\
import nbviz
with nbviz.init("one", logdir="runs_single", if_exists="overwrite") as run:
    run.log({"once": 0.5}, step=7)
nbviz.Scalars("runs_single", smoothing=0.0)
"""

# pixels of strong colour (the palette), not grey axes/grid/text
COLOURED_PIXELS_JS = """(c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) {
        if (d[i + 3] < 200) continue;
        const hi = Math.max(d[i], d[i + 1], d[i + 2]), lo = Math.min(d[i], d[i + 1], d[i + 2]);
        if (hi - lo > 90) n++;
    }
    return n;
}"""


def _open(nb: Any, tmp_path: Path, name: str, cell: str, selector: str = ".nbviz-scalars") -> Any:
    """Run a one-cell notebook until ``selector`` shows; return the page."""
    nb.run_until(selector, path=nb.copy(code_notebook(tmp_path / f"{name}.ipynb", [cell])))
    return nb.page


def _points(locator: Any) -> int:
    return int(locator.get_attribute("data-points") or 0)


def test_charts_load_as_they_scroll_into_view(nb: Any, tmp_path: Path) -> None:
    page = _open(nb, tmp_path, "scale", MANY_RUNS_CELL)
    p = panel(page)
    first, last = chart(p, "g0/m0"), chart(p, "g3/m9")
    first.scroll_into_view_if_needed()
    page.wait_for_function("(el) => +el.dataset.points === 1500", arg=first.element_handle(),
                           timeout=20_000)  # 30 runs x 50 steps, asked for as it came into view
    page.wait_for_timeout(500)
    assert _points(last) == 0, "a chart far below the view got its data before being seen"
    wait_canvas(page, chart_canvas(first))
    page.screenshot(path=str(SHOTS / f"{nb.name}.light.png"))
    last.scroll_into_view_if_needed()
    page.wait_for_function("(el) => +el.dataset.points === 1500", arg=last.element_handle(),
                           timeout=20_000)
    wait_canvas(page, chart_canvas(last))
    nb.dark_theme()
    page.wait_for_timeout(800)
    page.screenshot(path=str(SHOTS / f"{nb.name}.dark.png"))
    assert nb.stderr_outputs() == []


def test_ten_thousand_tags_list_and_filter(nb: Any, tmp_path: Path) -> None:
    page = _open(nb, tmp_path, "tags", MANY_TAGS_CELL)
    p = panel(page)
    page.wait_for_function("(el) => el.querySelectorAll('.nbviz-group').length === 100",
                           arg=p.element_handle(), timeout=20_000)
    charts = int(p.get_attribute("data-charts") or 0)
    assert 0 < charts <= 48, f"{charts} charts built for 10,000 tags (one open page expected)"
    assert "10,000 tags" in p.locator(".nbviz-status").inner_text()
    page.screenshot(path=str(SHOTS / f"{nb.name}.list.light.png"))
    box = p.locator("input.nbviz-tag-filter")
    timings = []
    for text in ("layer42/unit07$", "unit0[0-2]$", "(bad[", ""):
        ms = page.evaluate(
            """([root, input, text]) => new Promise((done) => {
                const t0 = performance.now();
                const on = () => {
                    if (root.dataset.filter !== text) return;
                    root.removeEventListener('nbviz:render', on);
                    done(performance.now() - t0);
                };
                root.addEventListener('nbviz:render', on);
                input.value = text;
                input.dispatchEvent(new Event('input', {bubbles: true}));
            })""",
            [p.element_handle(), box.element_handle(), text])
        timings.append(ms)
    print(f"10k-tag filter keystroke → filtered render: {[round(t, 1) for t in timings]} ms")
    assert max(timings) < 1000, f"filtering 10,000 tags took {timings} ms"
    box.fill("layer42/unit07$")
    page.wait_for_function("(el) => el.dataset.charts === '1'", arg=p.element_handle(),
                           timeout=10_000)
    assert "1 of 10,000 tags" in p.locator(".nbviz-status").inner_text()
    only = chart(p, "layer42/unit07")
    page.wait_for_function("(el) => +el.dataset.points === 2", arg=only.element_handle(),
                           timeout=10_000)
    box.fill("(bad[")  # not a regex: matched as text, nothing matches, no error
    page.wait_for_function("(el) => el.dataset.charts === '0'", arg=p.element_handle(),
                           timeout=10_000)
    assert "No tags match" in p.inner_text()
    page.screenshot(path=str(SHOTS / f"{nb.name}.light.png"))
    box.fill("unit07$")  # the first matching groups open, the others stay collapsed
    page.wait_for_function("(el) => el.dataset.charts === '3'", arg=p.element_handle(),
                           timeout=10_000)
    nb.dark_theme()
    page.wait_for_timeout(800)
    page.screenshot(path=str(SHOTS / f"{nb.name}.dark.png"))
    assert nb.stderr_outputs() == []


def test_single_point_series_is_drawn(nb: Any, tmp_path: Path) -> None:
    page = _open(nb, tmp_path, "single", SINGLE_POINT_CELL)
    c = chart(panel(page), "once")
    c.scroll_into_view_if_needed()
    page.wait_for_function("(el) => +el.dataset.points === 1", arg=c.element_handle(),
                           timeout=20_000)
    canvas = chart_canvas(c)
    wait_canvas(page, canvas, min_ink=50)
    page.wait_for_function(f"(c) => ({COLOURED_PIXELS_JS})(c) >= 20",
                           arg=canvas.element_handle(), timeout=10_000)
    page.screenshot(path=str(SHOTS / f"{nb.name}.light.png"))
    nb.dark_theme()
    page.wait_for_timeout(800)
    assert canvas.evaluate(COLOURED_PIXELS_JS) >= 20, "the marker vanished in the dark theme"
    page.screenshot(path=str(SHOTS / f"{nb.name}.dark.png"))


SWEEP_CELL = """\
import nbviz
for i in range(12):
    name = f"{['adam', 'sgd'][i % 2]}_lr{i}"
    with nbviz.init(name, logdir="runs_sweep", if_exists="overwrite",
                    config={"lr": [0.1, 0.01, 0.001][i % 3], "opt": ["adam", "sgd"][i % 2]}) as run:
        for step in range(30):
            run.log({"loss": 1 / (step + 1 + i)}, step=step)
nbviz.Dashboard("runs_sweep")
"""


def test_dashboard_groups_runs_by_config_and_name(nb: Any, tmp_path: Path) -> None:
    page = _open(nb, tmp_path, "sweep", SWEEP_CELL, ".nbviz-dashboard")
    dash = page.locator(".nbviz-dashboard").first
    select = dash.locator("select.nbviz-dash-group-by")
    select.wait_for(state="visible", timeout=20_000)
    select.select_option("config:lr")
    groups = dash.locator(".nbviz-dash-group")
    assert groups.count() == 3
    assert [groups.nth(i).get_attribute("data-group") for i in range(3)] == [
        "lr=0.001", "lr=0.01", "lr=0.1"]
    assert groups.nth(2).locator(".nbviz-dash-chip").count() == 4
    # a group's checkbox hides its runs in the charts (the shared selection)
    groups.nth(2).locator(".nbviz-dash-group-head input").uncheck()
    page.wait_for_function("(el) => el.querySelectorAll('.nbviz-legend-item.nbviz-off').length"
                           " === 4", arg=dash.element_handle(), timeout=10_000)
    select.select_option("pattern")
    pattern = dash.locator("input.nbviz-dash-pattern")
    pattern.fill("^(adam|sgd)_")
    page.wait_for_function("(el) => el.querySelectorAll('.nbviz-dash-group').length === 2",
                           arg=dash.element_handle(), timeout=10_000)
    assert [groups.nth(i).get_attribute("data-group") for i in range(2)] == ["adam", "sgd"]
    pattern.fill("adam_(")  # not a regex: plain text, nothing matches, no error
    page.wait_for_function(
        "(el) => [...el.querySelectorAll('.nbviz-dash-group')].map((g) => g.dataset.group)"
        ".join() === '(no match)'", arg=dash.element_handle(), timeout=10_000)
    pattern.fill("^(adam|sgd)_")
    dash.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / f"{nb.name}.light.png"))
    nb.dark_theme()
    page.wait_for_timeout(800)
    page.screenshot(path=str(SHOTS / f"{nb.name}.dark.png"))
    assert nb.stderr_outputs() == []
