"""Offline, interactive exports (issue 17): ``nbviz.export_html`` of a small logdir and
``jupyter nbconvert --to html`` of an executed notebook, opened from ``file://`` in
Chromium with every network request aborted. Every panel draws, the interactions run
client-side (hover, run selector, step sliders, drag-rotate, tabs), and a run named
like an XSS attempt shows as text with no dialog. No Jupyter server is needed.

DOM hooks: the export's mount point ``[data-nbviz-mount]`` (js/src/snapshot/), the
Dashboard's ``.nbviz-dash-tab[data-tab]`` / ``.nbviz-dash-pane[data-tab]`` /
``.nbviz-dash-chip[data-run]``, and each panel's hooks (tests/browser/test_<panel>.py).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import pytest
from browser_helpers import REPO, SHOTS, canvas_stats, wait_canvas

import nbviz

pytestmark = pytest.mark.browser

_spec = importlib.util.spec_from_file_location("export_data", REPO / "tests/python/export_data.py")
assert _spec is not None and _spec.loader is not None
export_data = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(export_data)

LOCAL = ("file:", "blob:", "data:", "about:")
# Panels (tab name -> a canvas that must hold ink) of the exported logdir.
CANVAS_TABS = {
    "scalars": ".nbviz-chart canvas",
    "histograms": ".nbviz-hist-chart canvas",
    "distributions": ".nbviz-dist-chart canvas",
    "pr_curves": ".nbviz-pr-card canvas",
    "projector": "canvas.nbviz-proj-canvas",
}


@dataclass
class Offline:
    """A page whose every non-local request is aborted, with what it tried and raised."""

    page: Any
    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


def _offline(browser: Any, scheme: str) -> Iterator[Offline]:
    context = browser.new_context(viewport={"width": 1280, "height": 1000},
                                  device_scale_factor=1, color_scheme=scheme)
    context.set_default_timeout(20_000)
    page = context.new_page()
    state = Offline(page)

    def route(r: Any) -> None:
        if r.request.url.startswith(LOCAL):
            r.continue_()
        else:
            state.blocked.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page.on("pageerror", lambda e: state.errors.append(f"page error: {e}"))
    page.on("console", lambda m: state.errors.append(f"console: {m.text}")
            if m.type == "error" else None)
    page.on("dialog", lambda d: (state.dialogs.append(d.message), d.dismiss()))
    try:
        yield state
    finally:
        context.close()


@pytest.fixture(params=["light", "dark"])
def offline(browser: Any, request: pytest.FixtureRequest) -> Iterator[Offline]:
    yield from _offline(browser, request.param)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("export")
    logdir = export_data.write_logdir(root / "runs")
    return nbviz.export_html(logdir, root / "report.html")


def _tab(page: Any, name: str) -> Any:
    page.locator(f'.nbviz-dash-tab[data-tab="{name}"]').click()
    pane = page.locator(f'.nbviz-dash-pane[data-tab="{name}"]')
    pane.wait_for(state="visible")
    return pane


def _hover(page: Any, locator: Any, fx: float, fy: float) -> None:
    box = locator.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
    page.mouse.move(box["x"] + box["width"] * (fx + 0.02), box["y"] + box["height"] * fy,
                    steps=3)


def _assert_drag_rotates(page: Any, canvas: Any) -> None:
    """Dragging across the projector's canvas changes the picture (the cloud orbits)."""
    first = wait_canvas(page, canvas, min_ink=400)
    box = canvas.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.5)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.6, steps=8)
    page.mouse.up()
    wait_canvas(page, canvas, min_ink=400, not_hash=first["hash"])


def _lightness(css: str) -> float:
    """0 (black) … 1 (white): the mean channel of a computed ``rgb(…)`` colour."""
    channels = [float(x) for x in css[css.index("(") + 1:css.index(")")].split(",")[:3]]
    return sum(channels) / (3 * 255)


def _assert_inert(state: Offline) -> None:
    page = state.page
    assert not state.dialogs, f"a dialog fired: {state.dialogs}"
    assert page.evaluate("() => document.querySelectorAll('img[src=\"x\"]').length") == 0


def test_export_offline_every_panel_draws_and_interacts(report: Path, offline: Offline) -> None:
    page = offline.page
    scheme = "dark" if page.evaluate(
        "() => matchMedia('(prefers-color-scheme: dark)').matches") else "light"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(report.as_uri())
    page.locator(".nbviz-dashboard").wait_for(state="visible")

    # the XSS run name is a chip's text, not markup
    chip = page.locator(".nbviz-dash-chip").filter(has_text=export_data.XSS_RUN)
    assert chip.count() == 1
    assert chip.locator(".nbviz-dash-run").inner_text() == export_data.XSS_RUN

    # every canvas panel draws (tabs switch); text and hparams show their content
    for name, selector in CANVAS_TABS.items():
        pane = _tab(page, name)
        wait_canvas(page, pane.locator(selector).first, min_ink=400)
        pane.screenshot(path=str(SHOTS / f"export_report_{scheme}_{name}.png"))
    text = _tab(page, "text")
    text.locator(".nbviz-text-card").first.wait_for(state="visible")
    assert "finished" in text.inner_text() and export_data.XSS_RUN in text.inner_text()
    text.screenshot(path=str(SHOTS / f"export_report_{scheme}_text.png"))
    images = _tab(page, "images")  # the image bytes came as replayed "blobs" messages
    wait_canvas(page, images.locator("canvas.nbviz-images-thumb").first, min_ink=200)
    images.screenshot(path=str(SHOTS / f"export_report_{scheme}_images.png"))
    hparams = _tab(page, "hparams")
    hparams.locator("canvas").first.wait_for(state="visible")
    assert "lr" in hparams.inner_text()
    hparams.screenshot(path=str(SHOTS / f"export_report_{scheme}_hparams.png"))

    # Scalars: every chart got its points (the first chart's before its view was built,
    # others asked for as they came into view, the rest pushed on idle); hover shows the
    # tooltip; the run selector hides a run in the chart
    pane = _tab(page, "scalars")
    page.wait_for_function("""(p) => [...p.querySelectorAll('.nbviz-chart')].every(
        c => +c.dataset.points > 0)""", arg=pane.element_handle())
    marks = page.evaluate("""() => performance.getEntriesByType('mark').map(m => m.name)
        .filter(n => n.startsWith('nbviz-snapshot-prefetch:')
                     || n.startsWith('nbviz-snapshot-request:'))""")
    assert marks and marks[0].startswith("nbviz-snapshot-prefetch:"), marks
    over = pane.locator(".nbviz-chart .u-over").first
    _hover(page, over, 0.5, 0.5)
    page.locator(".nbviz-tooltip:visible").first.wait_for(state="visible")
    before = canvas_stats(pane.locator(".nbviz-chart canvas").first)
    page.locator('.nbviz-dash-chip[data-run="baseline"] input').uncheck()
    wait_canvas(page, pane.locator(".nbviz-chart canvas").first, min_ink=100,
                not_hash=before["hash"])
    page.locator('.nbviz-dash-chip[data-run="baseline"] input').check()

    # Histograms: hover gives the bin tooltip
    pane = _tab(page, "histograms")
    _hover(page, pane.locator(".nbviz-hist-chart canvas").first, 0.45, 0.8)
    page.locator(".nbviz-histograms .nbviz-htip:visible").first.wait_for(state="visible")

    # PR curves: the step slider moves to the other logged step and the curve redraws
    pane = _tab(page, "pr_curves")
    card = pane.locator(".nbviz-pr-card").first
    assert card.get_attribute("data-steps") == "2"
    step = card.get_attribute("data-step")
    drawn = canvas_stats(card.locator("canvas").first)
    card.locator("input.nbviz-pr-step").fill("0")
    page.wait_for_function("([c, s]) => c.dataset.step !== s", arg=[card.element_handle(), step])
    wait_canvas(page, card.locator("canvas").first, min_ink=400, not_hash=drawn["hash"])

    # Projector: dragging rotates the 3-D cloud; the step slider goes through every logged
    # step with no kernel (each step's positions travel in the file)
    pane = _tab(page, "projector")
    canvas = pane.locator("canvas.nbviz-proj-canvas")
    _assert_drag_rotates(page, canvas)
    root = pane.locator(".nbviz-projector")
    # its controls follow the page's theme (no light boxes around a dark canvas)
    for part in (root, root.locator("select").first, root.locator(".nbviz-proj-side")):
        shade = _lightness(part.evaluate(
            "e => { let n = e; let c = getComputedStyle(n).backgroundColor;"
            " while (c === 'rgba(0, 0, 0, 0)' && n.parentElement) {"
            " n = n.parentElement; c = getComputedStyle(n).backgroundColor; } return c; }"))
        assert (shade < 0.35) if scheme == "dark" else (shade > 0.65), (scheme, shade)
    steps = export_data.embedding_steps(200)
    assert root.get_attribute("data-step") == str(steps[-1])
    slider = pane.locator("input.nbviz-proj-step")
    assert slider.get_attribute("max") == str(len(steps) - 1)
    for index, step in reversed(list(enumerate(steps[:-1]))):  # back to the first step
        drawn = canvas_stats(canvas)
        slider.fill(str(index))
        page.wait_for_function("([r, s]) => r.dataset.step === s",
                               arg=[root.element_handle(), str(step)])
        wait_canvas(page, canvas, min_ink=400, not_hash=drawn["hash"])
    pane.screenshot(path=str(SHOTS / f"export_report_{scheme}_projector_step0.png"))

    _tab(page, "scalars")
    page.screenshot(path=str(SHOTS / f"export_report_{scheme}.png"), full_page=True)
    _assert_inert(offline)
    assert not offline.blocked, f"the export asked the network for {offline.blocked}"
    assert not offline.errors, "\n".join(offline.errors)


NOTEBOOK_CELLS = [
    "import sys; sys.path.insert(0, {tests!r})\nimport export_data, nbviz\n"
    "logdir = export_data.write_logdir(__import__('pathlib').Path('runs'))",
    "nbviz.Scalars(logdir)",
    "nbviz.PRCurves(logdir)",
    "nbviz.Projector(logdir)",
]


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("nbconvert")
    notebook = nbformat.v4.new_notebook()
    tests = str(REPO / "tests" / "python")
    notebook.cells = [nbformat.v4.new_code_cell(c.replace("{tests!r}", repr(tests)))
                      for c in NOTEBOOK_CELLS]
    path = root / "small.ipynb"
    nbformat.write(notebook, path)
    # A notebook saved from JupyterLab (default settings) holds no widget state, so
    # nbconvert shows each output's richest static entry: nbviz's text/html snapshot.
    # (With widget state saved, nbconvert's page shows the widget view, which needs its CDN.)
    subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", "--execute",
                    "--ExecutePreprocessor.timeout=180",
                    "--ExecutePreprocessor.store_widget_state=False", str(path)],
                   cwd=root, check=True, capture_output=True, timeout=300)
    return root / "small.html"


def test_nbconvert_html_of_executed_notebook_works_offline(converted: Path,
                                                           browser: Any) -> None:
    for state in _offline(browser, "light"):
        page = state.page
        page.goto(converted.as_uri())
        mounts = page.locator("[data-nbviz-mount]")
        mounts.first.wait_for(state="attached")
        assert mounts.count() == 3
        scalars = page.locator(".nbviz-scalars").first
        wait_canvas(page, scalars.locator(".nbviz-chart canvas").first, min_ink=400)
        _hover(page, scalars.locator(".nbviz-chart .u-over").first, 0.5, 0.5)
        page.locator(".nbviz-tooltip:visible").first.wait_for(state="visible")
        card = page.locator(".nbviz-pr-card").first
        wait_canvas(page, card.locator("canvas").first, min_ink=400)
        canvas = page.locator("canvas.nbviz-proj-canvas").first
        canvas.scroll_into_view_if_needed()
        _assert_drag_rotates(page, canvas)
        # the fallback pictures gave way to the live panels
        assert page.locator(".nbviz-export-fallback").count() == 0
        page.screenshot(path=str(SHOTS / "export_nbconvert.png"), full_page=True)
        _assert_inert(state)
        ours = [u for u in state.blocked if "nbviz" in u]
        assert not ours, f"nbviz asked the network for {ours}"
        assert not [e for e in state.errors if "nbviz" in e.lower()], "\n".join(state.errors)
        print(json.dumps({"blocked (nbconvert's own template)": state.blocked}))
