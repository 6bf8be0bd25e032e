"""The HParams panel with more runs than Canvas 2D strokes well (more than 200 lines):
its lines are rasterised in JS by lib/line_raster.ts (``HairlineRaster``), the brushed-in
lines then kept by the incremental selection layer (hparams/layer.ts, ``count``).

What a person sees, read from the canvases' pixels: every line is a 1-px line in one
colour and one alpha — the metric's bucket colour at alpha 235 on the front layer, the
faint grey at alpha 40 (visible runs) on the back layer, grey 90 in the light theme and
200 in the dark one — before and after a brush drag, and once the drag settles every
brushed-in line is drawn. Screenshots: screenshots/browser/hparams_raster.lab.*.png.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browser_helpers import SHOTS, code_notebook
from test_hparams import _brush_lr, _front

pytestmark = pytest.mark.browser

HP = ".nbviz-hparams"
RUNS = 400  # above the panel's RASTER_LINES (200), brushed or not: the JS raster draws

# Alphas and colour counts of a canvas's drawn pixels (Canvas keeps pixels premultiplied,
# so a colour read back may be off by one; alpha is exact).
PIXELS_JS = """(canvas) => {
    const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    const alphas = {};
    const colours = new Set();
    let ink = 0, grey = 0;
    for (let i = 0; i < d.length; i += 4) {
        const a = d[i + 3];
        if (!a) continue;
        ink++;
        alphas[a] = (alphas[a] || 0) + 1;
        colours.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
        const spread = Math.max(d[i], d[i + 1], d[i + 2]) - Math.min(d[i], d[i + 1], d[i + 2]);
        if (spread <= 2) grey = d[i];
    }
    return {w: canvas.width, ink, alphas: Object.keys(alphas).map(Number).sort((a, b) => a - b),
            colours: colours.size, grey};
}"""


def _write_many(logdir: Path) -> dict[str, dict[str, Any]]:
    import nbviz

    configs = {}
    for i in range(RUNS):
        config = {"lr": 10 ** (-4 + 3 * ((i * 37) % RUNS) / RUNS), "width": (32, 64, 128)[i % 3],
                  "opt": ("adam", "sgd")[i % 2]}
        with nbviz.init(f"run{i:03d}", logdir=logdir, config=config) as run:
            run.log({"val/acc": ((i * 53) % RUNS) / RUNS}, step=0)
        configs[f"run{i:03d}"] = config
    return configs


def _pixels(layer: Any) -> dict[str, Any]:
    return dict(layer.evaluate(PIXELS_JS))


def _back(panel: Any) -> Any:
    return panel.locator(".nbviz-hp-pc canvas").nth(0)


def _settled(page: Any, panel: Any) -> None:
    """Every brushed-in line drawn: no line left for later frames, drawn == selected."""
    page.wait_for_function(
        "(el) => { const pc = el.querySelector('.nbviz-hp-pc');"
        " return (pc.dataset.pending ?? '0') === '0'"
        " && pc.dataset.drawn === el.dataset.selected; }",
        arg=panel.element_handle(), timeout=15_000)


def test_hparams_many_runs_raster_light_and_dark(nb: Any) -> None:
    root = nb.server.root
    configs = _write_many(root / "hp_many")
    code_notebook(root / "hparams_raster.ipynb",
                  ["import nbviz\nnbviz.HParams('hp_many', metric='val/acc')"])
    panel = nb.run_until(HP, ui="lab", path="hparams_raster.ipynb")
    page = nb.page
    page.wait_for_function(
        f"(el) => el.dataset.runs === '{RUNS}' && el.dataset.selected === '{RUNS}'",
        arg=panel.element_handle(), timeout=30_000)
    _settled(page, panel)
    page.wait_for_timeout(300)  # the back layer is drawn after the first paint
    front, back = _pixels(_front(panel)), _pixels(_back(panel))
    # every run has the metric: bucket colours at alpha 235 only, over 1-px lines
    assert front["alphas"] == [235] and front["ink"] > 20_000, front
    assert 10 <= front["colours"] <= 48, front  # 16 buckets (± premultiplied rounding)
    assert back["alphas"] == [40] and back["grey"] in range(85, 96), back
    panel.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "hparams_raster.lab.light.png"))

    # A brush drag: the incremental layer shows exactly the brushed-in runs' lines.
    lo, hi = _brush_lr(page, panel, 0.15, 0.9)
    expected = sum(1 for c in configs.values() if lo <= c["lr"] <= hi)
    assert 200 < expected < RUNS and panel.get_attribute("data-selected") == str(expected)
    _settled(page, panel)
    brushed = _pixels(_front(panel))
    assert brushed["alphas"] == [235] and 0 < brushed["ink"] < front["ink"], brushed
    assert _pixels(_back(panel))["alphas"] == [40]
    page.screenshot(path=str(SHOTS / "hparams_raster.lab.brushed.png"))

    nb.dark_theme()
    page.wait_for_function("(el) => el.classList.contains('nbviz-dark')",
                           arg=panel.element_handle(), timeout=10_000)
    _settled(page, panel)
    page.wait_for_timeout(600)
    dark_front, dark_back = _pixels(_front(panel)), _pixels(_back(panel))
    # the new style drops the layer: the full raster of the same lines covers the same pixels
    assert dark_front["alphas"] == [235] and dark_front["ink"] == brushed["ink"], dark_front
    assert dark_back["alphas"] == [40] and dark_back["grey"] in range(194, 207), dark_back
    panel.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "hparams_raster.lab.dark.png"))
    assert nb.stderr_outputs() == []
