"""Histograms, Distributions and Health panels as a person sees them (JupyterLab, Notebook 7).

DOM hooks (docs/wire.md): ``.nbviz-histograms[data-records]`` with charts
``.nbviz-hist-chart[data-tag][data-source][data-steps]`` (one canvas each), source
toggle ``.nbviz-hist-source button[data-source]``, mode toggle
``.nbviz-hist-mode button[data-mode]``; ``.nbviz-distributions`` with
``.nbviz-dist-chart``; ``.nbviz-health[data-layers][data-steps][data-findings]`` with
``.nbviz-health-map canvas``, ``select.nbviz-health-stat``, badges
``.nbviz-health-badge[data-layer]`` and ``.nbviz-health-finding`` items; tooltip
``.nbviz-htip``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from browser_helpers import (
    EFFECTIVE_BG_JS,
    SHOTS,
    canvas_stats,
    code_notebook,
    effective_background,
    wait_canvas,
)

pytestmark = pytest.mark.browser

SETUP = """\
import time, torch, nbviz
from torch import nn
from sklearn.datasets import load_digits
torch.manual_seed(0)
X, y = load_digits(return_X_y=True)
X = torch.tensor((X - X.mean(0)) / (X.std(0) + 1e-6), dtype=torch.float32); y = torch.tensor(y)
def mlp(bias=None):
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU(),
                          nn.Linear(32, 10))
    if bias is not None:
        for m in model:
            if isinstance(m, nn.Linear) and m.out_features != 10:
                nn.init.constant_(m.bias, bias)
    return model
def train(run, model, steps, lr=0.1, pause=0.0):
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    handle = nbviz.watch(model, opt, every=2, histogram_every=2, run=run)
    g = torch.Generator().manual_seed(0)
    for step in range(steps):
        i = torch.randint(0, len(X), (64,), generator=g)
        loss = nn.functional.cross_entropy(model(X[i]), y[i])
        opt.zero_grad(); loss.backward(); opt.step()
        run.log({"loss": loss.detach()}, step=step)
        time.sleep(pause)
    handle.remove()
"""


def _records(root: Any) -> int:
    return int(root.get_attribute("data-records") or 0)


def test_live_ridgelines_bands_and_heat_map(nb: Any, tmp_path: Path) -> None:
    """All three panels render non-blank and grow while the training cell runs."""
    path = nb.copy(code_notebook(tmp_path / "hist_live.ipynb", [
        SETUP + "run = nbviz.init('live', logdir='runs_hist', if_exists='overwrite')\n"
        "display(nbviz.Histograms(run), nbviz.Distributions(run), nbviz.Health(run))",
        "train(run, mlp(), 160, pause=0.05)",
    ]))
    page = nb.page
    hist = nb.run_until(".nbviz-histograms", path=path, wait_for_idle=False, widget_timeout=60_000)
    page.wait_for_function(
        "() => +(document.querySelector('.nbviz-histograms')?.dataset.records || 0) > 0",
        timeout=60_000)
    assert nb.is_busy(), "training finished before the panels could be observed live"
    first = _records(hist)
    dist = page.locator(".nbviz-distributions").first
    health = page.locator(".nbviz-health").first
    first_dist = _records(dist)
    first_health = int(health.get_attribute("data-steps") or 0)
    page.wait_for_timeout(1500)
    second, second_dist = _records(hist), _records(dist)
    second_health = int(health.get_attribute("data-steps") or 0)
    busy = nb.is_busy()
    page.screenshot(path=str(SHOTS / f"{nb.name}.running.png"))
    assert busy, "the training cell ended during the observation window"
    assert 0 < first < second, f"histogram rows did not grow while running: {first} -> {second}"
    assert 0 < first_dist < second_dist, f"bands did not grow: {first_dist} -> {second_dist}"
    assert first_health < second_health, f"heat map did not grow: {first_health}->{second_health}"

    nb.wait_idle(timeout=120_000)
    chart = hist.locator('.nbviz-hist-chart[data-tag="weights/0.weight"]').first
    chart.scroll_into_view_if_needed()
    page.wait_for_function("(c) => +c.dataset.steps === 80", arg=chart.element_handle(),
                           timeout=20_000)
    stats = wait_canvas(page, chart.locator("canvas"), min_ink=2000)
    assert stats["colors"] > 20, f"ridgeline looks flat: {stats}"
    band = dist.locator(".nbviz-dist-chart").first
    band.scroll_into_view_if_needed()
    assert wait_canvas(page, band.locator("canvas"), min_ink=2000)["ink"] >= 2000
    heat = health.locator(".nbviz-health-map canvas")
    heat.scroll_into_view_if_needed()
    assert wait_canvas(page, heat, min_ink=2000)["colors"] > 10
    assert health.get_attribute("data-layers") == "5"


def _static_run(nb: Any, tmp_path: Path, extra: str = "") -> str:
    return nb.copy(code_notebook(tmp_path / "hist_static.ipynb", [
        SETUP + "run = nbviz.init('healthy', logdir='runs_hist2', if_exists='overwrite')\n"
        "train(run, mlp(), 60)\n"
        "dead = nbviz.init('dead', logdir='runs_hist3', if_exists='overwrite')\n"
        "train(dead, mlp(bias=-3.0), 30)\n" + extra,
        "display(nbviz.Histograms(run))",
        "display(nbviz.Distributions(run))",
        "display(nbviz.Health(dead))",
    ]))


def _shoot(locator: Any, name: str) -> None:
    locator.scroll_into_view_if_needed()
    locator.screenshot(path=str(SHOTS / name))


def test_hover_toggles_and_screenshots_light_and_dark(nb: Any, tmp_path: Path) -> None:
    path = _static_run(nb, tmp_path)
    page = nb.page
    nb.run_until(".nbviz-health", path=path, run_timeout=240_000)
    hist = page.locator(".nbviz-histograms").first
    chart = hist.locator('.nbviz-hist-chart[data-tag="weights/2.weight"]').first
    chart.scroll_into_view_if_needed()
    canvas = chart.locator("canvas")
    offset = wait_canvas(page, canvas, min_ink=2000)

    # Hover a ridge: the tooltip names the step, the bin range and the count.
    box = canvas.bounding_box()
    assert box and box["width"] > 100 and box["height"] > 100
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.85)
    page.mouse.move(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.8, steps=4)
    tip = page.locator(".nbviz-histograms .nbviz-htip")
    tip.wait_for(state="visible", timeout=5_000)
    text = tip.inner_text()
    assert "step" in text and "count" in text and "[" in text, text
    page.screenshot(path=str(SHOTS / f"{nb.name}.hover.png"))
    page.mouse.move(0, 0)

    # Overlay mode redraws the same data differently.
    hist.locator('.nbviz-hist-mode button[data-mode="overlay"]').click()
    overlay = wait_canvas(page, canvas, not_hash=offset["hash"])
    _shoot(hist, "histograms_overlay_light.png")
    hist.locator('.nbviz-hist-mode button[data-mode="offset"]').click()
    wait_canvas(page, canvas, not_hash=overlay["hash"])

    # Weights vs gradients toggle.
    hist.locator('.nbviz-hist-source button[data-source="grads"]').click()
    page.wait_for_function(
        "(p) => [...p.querySelectorAll('.nbviz-hist-chart')].length > 0 && "
        "[...p.querySelectorAll('.nbviz-hist-chart')].every(c => c.dataset.source === 'grads')",
        arg=hist.element_handle(), timeout=10_000)
    grads = hist.locator('.nbviz-hist-chart[data-tag="grads/0.weight"] canvas')
    wait_canvas(page, grads, min_ink=1000)
    hist.locator('.nbviz-hist-source button[data-source="weights"]').click()
    wait_canvas(page, canvas, min_ink=2000)
    _shoot(hist, "histograms_light.png")

    # Distributions: bands drawn, hover gives the 9 percentiles.
    dist = page.locator(".nbviz-distributions").first
    band_canvas = dist.locator('.nbviz-dist-chart[data-tag="weights/0.weight"] canvas')
    band_canvas.scroll_into_view_if_needed()
    wait_canvas(page, band_canvas, min_ink=2000)
    box = band_canvas.bounding_box()
    assert box
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.5, steps=3)
    dtip = page.locator(".nbviz-distributions .nbviz-htip")
    dtip.wait_for(state="visible", timeout=5_000)
    assert "step" in dtip.inner_text() and "50%" in dtip.inner_text()
    page.mouse.move(0, 0)
    _shoot(dist, "distributions_light.png")

    # Health: the dead-unit run is flagged on its ReLU layers, badges and list.
    health = page.locator(".nbviz-health").first
    page.wait_for_function("(h) => +h.dataset.findings > 0", arg=health.element_handle(),
                           timeout=10_000)
    badges = health.locator(".nbviz-health-badge")
    assert {badges.nth(i).get_attribute("data-layer") for i in range(badges.count())} >= {"1", "3"}
    rules = {health.locator(".nbviz-health-finding").nth(i).get_attribute("data-rule")
             for i in range(health.locator(".nbviz-health-finding").count())}
    assert "dead_units" in rules
    heat = health.locator(".nbviz-health-map canvas")
    grad_map = wait_canvas(page, heat, min_ink=500)
    health.locator("select.nbviz-health-stat").select_option("dead_frac")
    wait_canvas(page, heat, not_hash=grad_map["hash"])
    heat.scroll_into_view_if_needed()
    box = heat.bounding_box()
    assert box
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + 27)
    page.mouse.move(box["x"] + box["width"] * 0.52, box["y"] + 27, steps=2)
    htip = page.locator(".nbviz-health .nbviz-htip")
    htip.wait_for(state="visible", timeout=5_000)
    assert "dead units" in htip.inner_text() and "step" in htip.inner_text()
    page.mouse.move(0, 0)
    _shoot(health, "health_light.png")

    # Dark theme: panels follow JupyterLab's variables and redraw.
    light_bg = effective_background(hist)
    assert light_bg["lum"] > 0.7
    light = canvas_stats(canvas)
    nb.dark_theme()
    page.wait_for_function(f"(el) => ({EFFECTIVE_BG_JS})(el).lum < 0.3",
                           arg=hist.element_handle(), timeout=10_000)
    wait_canvas(page, canvas, not_hash=light["hash"])
    _shoot(hist, "histograms_dark.png")
    _shoot(dist, "distributions_dark.png")
    _shoot(health, "health_dark.png")
    assert effective_background(health)["lum"] < 0.3


def test_summarywriter_histograms_in_notebook7(nb: Any, tmp_path: Path) -> None:
    """Records written the SummaryWriter way (tb_histogram + log_tensor, source "user")
    render in Notebook 7, where the panel picks the 'logged' source by itself."""
    path = nb.copy(code_notebook(tmp_path / "hist_user.ipynb", [
        "import numpy as np, nbviz\n"
        "from nbviz.panels.histograms.compute import tb_histogram\n"
        "run = nbviz.init('tb', logdir='runs_hist4', if_exists='overwrite')\n"
        "rng = np.random.default_rng(0)\n"
        "for step in range(30):\n"
        "    array, extra = tb_histogram(rng.standard_normal(1000) * (1 + step / 10) + step / 5)\n"
        "    run.log_tensor('histogram', 'Weights', array, step, extra)\n"
        "display(nbviz.Histograms(run), nbviz.Distributions(run))",
    ]))
    page = nb.page
    nb.run_until(".nbviz-histograms", ui="nb7", path=path)
    chart = page.locator('.nbviz-hist-chart[data-tag="Weights"]').first
    chart.wait_for(state="visible", timeout=20_000)
    assert chart.get_attribute("data-source") == "user"
    started = time.monotonic()
    wait_canvas(page, chart.locator("canvas"), min_ink=2000)
    band = page.locator('.nbviz-dist-chart[data-tag="Weights"] canvas').first
    band.scroll_into_view_if_needed()
    wait_canvas(page, band, min_ink=2000)
    assert time.monotonic() - started < 30
    _shoot(page.locator(".nbviz-histograms").first, "histograms_user_nb7.png")
