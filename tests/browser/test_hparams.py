"""The HParams panel in a real browser (JupyterLab and Notebook 7).

What a person sees: one line per run on canvas parallel coordinates; dragging on the
``lr`` axis leaves exactly the runs whose lr lies in the brushed range (checked
against the sweep's own values); hovering names the run; in the Dashboard, clicking
a line shows only that run in the Scalars tab; a run written later by another process
appears by itself; the dark theme. Screenshots: screenshots/browser/hparams.*.png.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browser_helpers import SHOTS, canvas_stats, code_notebook, effective_background, wait_canvas

pytestmark = pytest.mark.browser

HP = ".nbviz-hparams"
DASH = ".nbviz-dashboard"
LRS = (1e-4, 1e-3, 1e-2, 1e-1)
WIDTHS = (32, 64, 128)


def _config(i: int) -> dict[str, Any]:
    return {"lr": LRS[i % 4], "width": WIDTHS[i // 4 % 3], "opt": "adam" if i % 3 else "sgd"}


def _write_sweep(logdir: Path, runs: range) -> dict[str, dict[str, Any]]:
    import nbviz

    configs = {}
    for i in runs:
        config = _config(i)
        name = f"run{i:02d}"
        with nbviz.init(name, logdir=logdir, config=config) as run:
            for step in range(6):
                acc = 0.5 + 0.1 * (i % 4) + 0.001 * config["width"] * step / 6
                run.log({"val/acc": acc, "loss": 1.0 - acc}, step=step)
        configs[name] = config
    return configs


def _notebook(root: Path, name: str, cells: list[str]) -> str:
    code_notebook(root / name, cells)
    return name


def _front(panel: Any) -> Any:
    return panel.locator(".nbviz-hp-pc canvas").nth(1)


def _page_point(page: Any, panel: Any, js: str) -> tuple[float, float]:
    """Page coordinates of a canvas-relative point computed by ``js`` on the view ``v``."""
    box = panel.locator(".nbviz-hp-over").bounding_box()
    x, y = page.evaluate(f"(el) => {{ const v = el.nbvizHparams; return {js}; }}",
                         panel.element_handle())
    return box["x"] + x, box["y"] + y


def _selected(page: Any, panel: Any) -> list[str]:
    return sorted(page.evaluate(
        "(el) => { const v = el.nbvizHparams; return v.table.runs.filter((r, i) => v.mask[i]); }",
        panel.element_handle()))


def _brush_lr(page: Any, panel: Any, u0: float, u1: float) -> tuple[float, float]:
    k = "v.parcoords.axisNames().indexOf('lr')"
    x, y0 = _page_point(page, panel, f"[v.parcoords.axisX({k}), v.parcoords.unitY({u0})]")
    _, y1 = _page_point(page, panel, f"[0, v.parcoords.unitY({u1})]")
    page.mouse.move(x, y0)
    page.mouse.down()
    for step in range(1, 9):
        page.mouse.move(x, y0 + (y1 - y0) * step / 8)
    page.mouse.up()
    page.wait_for_timeout(300)
    lo, hi = page.evaluate("(el) => el.nbvizHparams.brushes['lr']", panel.element_handle())
    return float(lo), float(hi)


def test_hparams_lab_brush_dashboard_selection_live_dark(nb) -> None:
    root = nb.server.root
    logdir = root / "hp_sweep"
    configs = _write_sweep(logdir, range(12))
    path = _notebook(root, "hparams_lab.ipynb", [
        "import nbviz\npanel = nbviz.HParams('hp_sweep', metric='val/acc')\npanel",
        "dash = nbviz.Dashboard('hp_sweep')\ndash",
    ])
    panel = nb.run_until(HP, ui="lab", path=path)
    page = nb.page
    page.wait_for_function("(el) => el.dataset.runs === '12' && el.dataset.selected === '12'",
                           arg=panel.element_handle(), timeout=20_000)
    # Lines drawn: the coloured layer has ink, one table row per run.
    full = wait_canvas(page, _front(panel), min_ink=2000)
    assert panel.get_attribute("data-table-rows") == "12"
    titles = panel.locator(".nbviz-hp-title").evaluate_all("els => els.map(e => e.dataset.axis)")
    assert titles[:3] == ["lr", "opt", "width"] and "val/acc" in titles
    panel.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "hparams.lab.light.png"))

    # Brush the lr axis (a log axis): exactly the runs whose lr is inside remain.
    lo, hi = _brush_lr(page, panel, 0.2, 0.8)
    expected = sorted(n for n, c in configs.items() if lo <= c["lr"] <= hi)
    assert 0 < len(expected) < 12, (lo, hi)
    assert _selected(page, panel) == expected
    assert panel.get_attribute("data-selected") == str(len(expected))
    assert panel.get_attribute("data-table-rows") == str(len(expected))
    brushed = wait_canvas(page, _front(panel), min_ink=200, not_hash=full["hash"])
    assert brushed["ink"] < full["ink"]
    # A second brush (on the metric) combines with the first.
    k = "v.parcoords.axisNames().indexOf('val/acc')"
    x, y0 = _page_point(page, panel, f"[v.parcoords.axisX({k}), v.parcoords.unitY(1.0)]")
    _, y1 = _page_point(page, panel, "[0, v.parcoords.unitY(0.55)]")
    page.mouse.move(x, y0)
    page.mouse.down()
    page.mouse.move(x, (y0 + y1) / 2)
    page.mouse.move(x, y1)
    page.mouse.up()
    page.wait_for_timeout(300)
    acc_lo, acc_hi = page.evaluate("(el) => el.nbvizHparams.brushes['val/acc']",
                                   panel.element_handle())
    df = __import__("nbviz").read(logdir, kind="hparams").set_index("run")
    both = sorted(n for n in expected if acc_lo <= df.loc[n, "val/acc"] <= acc_hi)
    assert _selected(page, panel) == both and len(both) < len(expected)
    # Hover names the run.
    target = both[0] if both else expected[0]
    index = page.evaluate("([el, r]) => el.nbvizHparams.table.runs.indexOf(r)",
                          [panel.element_handle(), target])
    hx, hy = _page_point(page, panel, f"v.parcoords.pointOnRun({index}, 0)")
    page.mouse.move(hx, hy)
    tip = panel.locator(".nbviz-hp-tooltip")
    tip.wait_for(state="visible", timeout=5_000)
    assert tip.locator(".nbviz-hp-tip-run").inner_text() == target
    page.screenshot(path=str(SHOTS / "hparams.lab.brushed.png"))
    panel.locator(".nbviz-hp-clear").click()
    page.wait_for_function("(el) => el.dataset.selected === '12'", arg=panel.element_handle())

    # Dashboard: clicking a line selects that run in the shared selector → Scalars tab.
    dash = page.locator(DASH).first
    dash.scroll_into_view_if_needed()
    dash.locator('.nbviz-dash-tab[data-tab="hparams"]').click()
    dpanel = dash.locator(HP)
    dpanel.wait_for(state="visible", timeout=20_000)
    page.wait_for_function("(el) => el.dataset.runs === '12'", arg=dpanel.element_handle(),
                           timeout=20_000)
    dpanel.scroll_into_view_if_needed()
    index = page.evaluate("(el) => el.nbvizHparams.table.runs.indexOf('run05')",
                          dpanel.element_handle())
    # between the width and val/acc axes every run has its own segment
    cx, cy = _page_point(page, dpanel, f"v.parcoords.pointOnRun({index}, "
                                       "v.parcoords.axisNames().indexOf('width'))")
    page.mouse.click(cx, cy)
    page.wait_for_function(
        f"() => document.querySelector('{DASH} .nbviz-dash-count').textContent === '1/12 shown'",
        timeout=10_000)
    assert dash.locator(".nbviz-dash-chip:not(.nbviz-off)").evaluate_all(
        "els => els.map(e => e.dataset.run)") == ["run05"]
    page.screenshot(path=str(SHOTS / "hparams.lab.dashboard.png"))
    dash.locator('.nbviz-dash-tab[data-tab="scalars"]').click()
    scalars = dash.locator(".nbviz-scalars")
    scalars.wait_for(state="visible", timeout=20_000)
    page.wait_for_function(
        "(el) => el.querySelectorAll('.nbviz-legend-item.nbviz-off').length >= 11",
        arg=scalars.element_handle(), timeout=15_000)
    on = scalars.locator(".nbviz-legend-item:not(.nbviz-off)").evaluate_all(
        "els => [...new Set(els.map(e => e.dataset.run))]")
    assert on == ["run05"]
    page.screenshot(path=str(SHOTS / "hparams.lab.scalars_selected.png"))

    # Live: a run written by another process appears in the open panel by itself.
    _write_sweep(logdir, range(12, 13))
    page.wait_for_function("(el) => el.dataset.runs === '13'", arg=panel.element_handle(),
                           timeout=30_000)
    assert nb.kernel_status() == "idle"

    # Dark theme.
    panel.scroll_into_view_if_needed()
    nb.dark_theme()
    page.wait_for_function("(el) => el.classList.contains('nbviz-dark')",
                           arg=panel.element_handle(), timeout=10_000)
    page.wait_for_timeout(600)
    assert effective_background(panel)["lum"] < 0.3
    axes = canvas_stats(panel.locator(".nbviz-hp-axes"))
    assert axes["lighter"] > 100  # light axis text and ticks on the dark background
    page.screenshot(path=str(SHOTS / "hparams.lab.dark.png"))
    assert nb.stderr_outputs() == []


def test_hparams_notebook7_lines_and_brush(nb) -> None:
    root = nb.server.root
    configs = _write_sweep(root / "hp_nb7", range(8))
    path = _notebook(root, "hparams_nb7.ipynb", [
        "import nbviz\nnbviz.HParams('hp_nb7', metric='loss')",
    ])
    panel = nb.run_until(HP, ui="nb7", path=path)
    page = nb.page
    page.wait_for_function("(el) => el.dataset.runs === '8'", arg=panel.element_handle(),
                           timeout=20_000)
    wait_canvas(page, _front(panel), min_ink=1500)
    assert panel.locator(".nbviz-hp-goal").input_value() == "min"
    lo, hi = _brush_lr(page, panel, 0.0, 0.45)
    expected = sorted(n for n, c in configs.items() if lo <= c["lr"] <= hi)
    assert expected and _selected(page, panel) == expected
    # importance is computed on a kernel worker thread: its bars arrive when it is done
    page.wait_for_function(
        "(el) => el.querySelectorAll('.nbviz-hp-imp-row[data-hparam]').length === 3",
        arg=panel.element_handle(), timeout=60_000)
    # Reorder: drag the "loss" title onto the first axis; hide "width" with its ×.
    def axes() -> list[str]:
        return [str(a) for a in panel.locator(".nbviz-hp-title").evaluate_all(
            "els => els.map(e => e.dataset.axis)")]

    label = panel.locator('.nbviz-hp-title[data-axis="loss"] .nbviz-hp-title-label')
    box = label.bounding_box()
    first = panel.locator(".nbviz-hp-title").first.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(box["x"] + (first["x"] - box["x"]) * step / 10,
                        box["y"] + box["height"] / 2)
    page.mouse.up()
    page.wait_for_function("(el) => el.querySelector('.nbviz-hp-title').dataset.axis === 'loss'",
                           arg=panel.element_handle(), timeout=5_000)
    assert axes()[0] == "loss" and len(axes()) == 5
    panel.locator('.nbviz-hp-title[data-axis="width"] .nbviz-hp-title-hide').click()
    page.wait_for_function(
        "(el) => !el.querySelector('.nbviz-hp-title[data-axis=\"width\"]')",
        arg=panel.element_handle(), timeout=5_000)
    assert "width" not in axes() and len(axes()) == 4
    # … and back from the axes menu
    panel.locator(".nbviz-hp-menu > summary").first.click()
    panel.locator('.nbviz-hp-menu-list input[data-axis="width"]').check()
    page.wait_for_function(
        "(el) => !!el.querySelector('.nbviz-hp-title[data-axis=\"width\"]')",
        arg=panel.element_handle(), timeout=5_000)
    assert axes()[0] == "loss" and len(axes()) == 5
    panel.locator(".nbviz-hp-menu > summary").first.click()
    panel.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "hparams.nb7.png"))
    assert nb.stderr_outputs() == []
