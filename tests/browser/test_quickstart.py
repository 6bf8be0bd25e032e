"""The quickstart tour (notebooks/quickstart.ipynb) as a newcomer sees it in JupyterLab.

Run All: the Scalars panel draws while the training cell is still running; once the
notebook is done, every panel of the tour — Scalars, Histograms, Distributions, Health,
PR curves, Projector and the Dashboard — is on the page with a non-blank canvas, the
Health panel lists the findings that say what went wrong with the too-high learning rate,
and nothing printed an error. Then the same in the dark theme. Screenshots:
screenshots/browser/quickstart.<panel>.<light|dark>.png.
"""

from __future__ import annotations

from typing import Any

import pytest
from browser_helpers import REPO_NOTEBOOKS, SHOTS, chart, chart_canvas, wait_canvas
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

QUICKSTART = REPO_NOTEBOOKS / "quickstart.ipynb"

# panel root -> (the canvas that must show ink, minimum ink pixels). Document order.
PANELS = {
    "scalars": (".nbviz-scalars", '.nbviz-chart[data-tag="loss/train"] canvas', 1000),
    "histograms": (".nbviz-histograms", ".nbviz-hist-chart canvas", 2000),
    "distributions": (".nbviz-distributions", ".nbviz-dist-chart canvas", 2000),
    "health": (".nbviz-health", ".nbviz-health-map canvas", 500),
    "pr": (".nbviz-pr", "canvas.nbviz-pr-canvas", 800),
    "projector": (".nbviz-projector", "canvas.nbviz-proj-canvas", 800),
    "dashboard": (".nbviz-dashboard", '.nbviz-chart[data-tag="loss/train"] canvas', 1000),
}
# What the Health panel must say about lr=5.0 (rule -> words of its message); the cell
# under it prints run.health(), which adds the loss rules (loss_divergence).
FINDINGS = {"exploding_gradients": "gradient norm of", "dead_units": "dead ReLUs"}
PRINTED = ("[exploding_gradients]", "[loss_divergence]")


def _panel(page: Any, name: str) -> Any:
    root, _, _ = PANELS[name]
    # The Dashboard holds panels of its own: the tour's panels are the ones outside it.
    if name == "dashboard":
        return page.locator(root).first
    return page.locator(f"{root}:not(.nbviz-dashboard {root})").first


def _drawn(page: Any, name: str) -> dict[str, Any]:
    root = _panel(page, name)
    root.scroll_into_view_if_needed()
    _, canvas, min_ink = PANELS[name]
    target = root.locator(canvas).first
    target.wait_for(state="attached", timeout=30_000)
    target.scroll_into_view_if_needed()
    stats = wait_canvas(page, target, min_ink=min_ink, timeout=30_000)
    assert stats["ink"] >= min_ink, f"{name}: canvas looks blank: {stats}"
    return stats


def _shoot(page: Any, theme: str) -> None:
    for name in PANELS:
        root = _panel(page, name)
        root.scroll_into_view_if_needed()
        root.screenshot(path=str(SHOTS / f"quickstart.{name}.{theme}.png"))


def test_quickstart_tour_lab(nb: Any) -> None:
    if not QUICKSTART.exists():
        pytest.fail(f"{QUICKSTART} is missing")
    path = nb.copy(QUICKSTART)
    page = nb.page
    # Do not wait for idle: the Scalars panel must draw while the training cell runs.
    nb.run_until(".nbviz-scalars", path=path, wait_for_idle=False, widget_timeout=240_000)
    live = chart_canvas(chart(_panel(page, "scalars"), "loss/train"))
    live.wait_for(state="attached", timeout=120_000)
    stats = wait_canvas(page, live, min_ink=300, timeout=120_000)
    running = nb.is_busy()
    page.screenshot(path=str(SHOTS / "quickstart.running.png"))
    assert running, "the notebook finished before the Scalars panel drew: nothing was live"
    assert stats["ink"] >= 300

    nb.wait_idle(timeout=600_000)
    assert nb.stderr_outputs() == [], "the quickstart shows error/warning output"
    drawn = {name: _drawn(page, name) for name in PANELS}
    assert drawn["projector"]["colors"] > 8, "projector: ten digit colours, not one blob"

    health = _panel(page, "health")
    assert int(health.get_attribute("data-findings") or 0) >= len(FINDINGS)
    for rule, words in FINDINGS.items():
        item = health.locator(f'.nbviz-health-finding[data-rule="{rule}"]').first
        item.scroll_into_view_if_needed()
        # The list may be redrawn by a late update: expect() retries until it holds.
        expect(item).to_be_visible(timeout=15_000)
        expect(item).to_contain_text(words, timeout=15_000)
    assert health.locator(".nbviz-health-badge").count() >= 1
    for text in PRINTED:
        printed = page.locator(".jp-OutputArea-output").filter(has_text=text)
        assert printed.count() == 1, f"the Health cell no longer prints {text}"
    _shoot(page, "light")

    nb.dark_theme()
    for name in PANELS:
        _drawn(page, name)
    _shoot(page, "dark")
