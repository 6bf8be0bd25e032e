"""The PR curves panel as a person sees it: curves, step slider, hover readout, pinned
confusion matrix, ROC view, class filter, dark theme (JupyterLab) and live steps written
by nbviz's SummaryWriter.add_pr_curve as in ../shared/examples/tb_pr_curve.py (Notebook 7).

DOM hooks (js/src/panels/pr/*): root ``.nbviz-pr[data-curves]``; one ``.nbviz-pr-card[data-tag]``
per tag with ``data-step`` / ``data-steps`` / ``data-curves`` / ``data-threshold``;
``canvas.nbviz-pr-canvas`` (curves) under ``.nbviz-pr-plot[data-plot-left|top|width|height]``;
``input.nbviz-pr-step`` (slider), ``.nbviz-pr-play``; ``.nbviz-pr-tooltip``;
``.nbviz-pr-matrix[data-mode]`` with ``td[data-cell=tp|fp|tn|fn][data-value]``;
``button.nbviz-pr-view-btn[data-view]``; ``.nbviz-pr-class[data-series]``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from browser_helpers import (
    SHOTS,
    canvas_stats,
    code_notebook,
    effective_background,
    set_range,
    wait_canvas,
)

from nbviz.store.sqlite import StoreReader

pytestmark = pytest.mark.browser

SETUP = """\
import numpy as np
import nbviz
from nbviz.panels.pr.compute import tb_pr_curve

run = nbviz.init("pr", logdir="runs_pr", if_exists="overwrite")
rng = np.random.default_rng(0)
labels = (rng.random(400) < 0.25).astype(int)
for step in range(5):  # a binary classifier that improves step by step
    scores = np.clip(rng.normal(0.35 + (0.1 + 0.12 * step) * labels, 0.18), 0, 1)
    run.log_pr("val/binary", labels, scores, step=step)
classes = rng.integers(0, 3, 600)
for step in range(3):
    logits = rng.normal(size=(600, 3)) + (0.5 + step) * np.eye(3)[classes]
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    run.log_pr("val/classes", classes, probs, step=step, class_names=["cat", "dog", "bird"])
# what nbviz's SummaryWriter stores for add_pr_curve (no class info, no metrics)
run.log_tensor("pr_curve", "PR_Curve/Binary_Classification", tb_pr_curve(labels, scores), 4,
               {"num_thresholds": 127})
run.flush()
display(nbviz.PRCurves(run))
"""

LIVE_SETUP = """\
import time
import torch
import nbviz
from nbviz import SummaryWriter

writer = SummaryWriter("runs_pr_live/pr_curve_experiment")
display(nbviz.PRCurves("runs_pr_live"))
"""

# ../shared/examples/tb_pr_curve.py through nbviz's SummaryWriter, one epoch per second.
LIVE_LOOP = """\
true_labels = torch.cat([torch.ones(20), torch.zeros(80)])
predictions = torch.cat([torch.rand(20) * 0.5 + 0.5, torch.rand(80) * 0.7])
writer.add_pr_curve("PR_Curve/Binary_Classification", true_labels, predictions, global_step=0)
for epoch in range(1, 6):
    time.sleep(1.0)
    improved_preds = torch.cat([torch.rand(20) * 0.3 + 0.7, torch.rand(80) * 0.4])
    writer.add_pr_curve("PR_Curve/Binary_Classification", true_labels, improved_preds,
                        global_step=epoch)
writer.close()
print("done")
"""


def _notebook(tmp_path: Path, name: str, *cells: str) -> Path:
    return code_notebook(tmp_path / name, list(cells))


def _stored(run_dir: Path, tag: str) -> dict[int, np.ndarray]:
    reader = StoreReader(run_dir)
    try:
        records = reader.tensors_between(0, None, frozenset({"pr_curve"}))
    finally:
        reader.close()
    return {r.step: r.array for r in records if r.tag == tag}


def _card(page: Any, tag: str) -> Any:
    return page.locator(f'.nbviz-pr-card[data-tag="{tag}"]').first


def _canvas(card: Any) -> Any:
    return card.locator("canvas.nbviz-pr-canvas").first


def _point_xy(card: Any, x: float, y: float) -> tuple[float, float]:
    """Page coordinates of data point (x, y) in the card's chart."""
    plot = card.locator(".nbviz-pr-plot").first
    box = plot.bounding_box()
    d = plot.evaluate("(el) => ({...el.dataset})")
    left, top = float(d["plotLeft"]), float(d["plotTop"])
    width, height = float(d["plotWidth"]), float(d["plotHeight"])
    return box["x"] + left + x * width, box["y"] + top + (1 - y) * height


def _tooltip_values(card: Any) -> dict[str, str]:
    rows = card.locator(".nbviz-pr-tooltip tr")
    return {rows.nth(i).locator("th").inner_text(): rows.nth(i).locator("td").inner_text()
            for i in range(rows.count())}


def _matrix(card: Any) -> dict[str, float]:
    cells = card.locator(".nbviz-pr-matrix td[data-cell]")
    return {str(cells.nth(i).get_attribute("data-cell")):
            float(cells.nth(i).get_attribute("data-value") or "nan")
            for i in range(cells.count())}


def _wait_attr(page: Any, locator: Any, attr: str, value: str, timeout: float = 10_000) -> None:
    page.wait_for_function(
        "([el, a, v]) => el.getAttribute(a) === v",
        arg=[locator.element_handle(), attr, value], timeout=timeout,
    )


def test_pr_panel_interactions_lab(nb: Any, tmp_path: Path) -> None:
    path = nb.copy(_notebook(tmp_path, "pr_panel.ipynb", SETUP))
    nb.run_until(".nbviz-pr .nbviz-pr-card", ui="lab", path=path)
    page = nb.page
    run_dir = nb.server.root / "runs_pr" / "pr"
    curves = _stored(run_dir, "val/binary")
    assert sorted(curves) == [0, 1, 2, 3, 4]

    root = page.locator(".nbviz-pr").first
    page.wait_for_function(
        "(el) => +el.dataset.curves === 5 + 15 + 1", arg=root.element_handle(), timeout=15_000)
    tags = [page.locator(".nbviz-pr-card").nth(i).get_attribute("data-tag")
            for i in range(page.locator(".nbviz-pr-card").count())]
    assert tags == ["PR_Curve/Binary_Classification", "val/binary", "val/classes"]

    # -- curves render; the slider follows the latest step
    card = _card(page, "val/binary")
    card.scroll_into_view_if_needed()
    assert card.get_attribute("data-step") == "4" and card.get_attribute("data-steps") == "5"
    latest = wait_canvas(page, _canvas(card), min_ink=800)
    legend = card.locator(".nbviz-pr-legend-row").first.inner_text()
    assert re.search(r"AP 0\.\d{3}", legend), legend
    facade = _card(page, "PR_Curve/Binary_Classification")
    wait_canvas(page, _canvas(facade), min_ink=500)
    assert facade.get_attribute("data-steps") == "1"

    # -- the slider changes the curve
    slider = card.locator("input.nbviz-pr-step")
    set_range(slider, 0)
    _wait_attr(page, card, "data-step", "0")
    first = wait_canvas(page, _canvas(card), min_ink=800, not_hash=latest["hash"])
    assert first["hash"] != latest["hash"]
    assert card.locator(".nbviz-pr-step-text").inner_text().startswith("step 0 (1/5)")

    # -- hover shows the readout of the nearest threshold
    step0 = curves[0]
    target = int(np.flatnonzero((step0[5] > 0.45) & (step0[5] < 0.75))[0])
    x, y = _point_xy(card, step0[5][target], step0[4][target])
    page.mouse.move(x - 30, y - 30)
    page.mouse.move(x, y, steps=4)
    tip = card.locator(".nbviz-pr-tooltip")
    tip.wait_for(state="visible", timeout=5_000)
    values = _tooltip_values(card)
    assert set(values) >= {"Threshold", "Precision", "Recall", "F1", "TP / FP", "TN / FN"}
    index = round(float(values["Threshold"]) * 126)
    assert abs(index - target) <= 3, (index, target)
    assert float(values["Precision"]) == pytest.approx(step0[4][index], abs=6e-4)
    assert float(values["Recall"]) == pytest.approx(step0[5][index], abs=6e-4)
    tp, fp = (int(v.replace(",", "")) for v in values["TP / FP"].split(" / "))
    assert (tp, fp) == (step0[0][index], step0[1][index])
    assert card.locator(".nbviz-pr-matrix").get_attribute("data-mode") == "hover"
    page.screenshot(path=str(SHOTS / "pr_hover_lab.png"))

    # -- click pins the threshold; the matrix shows its counts and follows the slider
    page.mouse.click(x, y)
    matrix = card.locator(".nbviz-pr-matrix")
    _wait_attr(page, matrix, "data-mode", "pinned")
    pinned = round(float(card.get_attribute("data-threshold") or "nan") * 126)
    assert pinned == index
    expect0 = dict(zip(("tp", "fp", "tn", "fn"), step0[:4, pinned].tolist(), strict=True))
    assert _matrix(card) == expect0
    page.mouse.move(x, y + 400)  # leave the chart: the pin stays
    tip.wait_for(state="hidden", timeout=5_000)
    assert matrix.get_attribute("data-mode") == "pinned"
    set_range(slider, 3)
    _wait_attr(page, card, "data-step", "3")
    expect3 = dict(zip(("tp", "fp", "tn", "fn"), curves[3][:4, pinned].tolist(), strict=True))
    page.wait_for_function(
        "([m, v]) => +m.querySelector('td[data-cell=tp]').dataset.value === v",
        arg=[matrix.element_handle(), expect3["tp"]], timeout=5_000)
    assert _matrix(card) == expect3 and expect3 != expect0
    card.screenshot(path=str(SHOTS / "pr_pinned_lab.png"))

    # -- ROC view with AUC in the legend
    before = canvas_stats(_canvas(card))["hash"]
    page.locator('.nbviz-pr-view-btn[data-view="roc"]').first.click()
    wait_canvas(page, _canvas(card), min_ink=800, not_hash=before)
    assert re.search(r"AUC 0\.\d{3}", card.locator(".nbviz-pr-legend-row").first.inner_text())
    card.screenshot(path=str(SHOTS / "pr_roc_lab.png"))
    page.locator('.nbviz-pr-view-btn[data-view="pr"]').first.click()

    # -- multiclass: one curve per class + averages, class filter
    multi = _card(page, "val/classes")
    multi.scroll_into_view_if_needed()
    assert multi.locator(".nbviz-pr-legend-row").count() == 5
    assert multi.get_attribute("data-curves") == "5"
    page.locator('.nbviz-pr-class[data-series="dog"]').first.click()
    _wait_attr(page, multi, "data-curves", "4")
    page.locator('.nbviz-pr-link[data-action="averages"]').first.click()
    _wait_attr(page, multi, "data-curves", "2")
    page.locator('.nbviz-pr-link[data-action="all"]').first.click()
    _wait_attr(page, multi, "data-curves", "5")
    wait_canvas(page, _canvas(multi), min_ink=800)

    # -- overlay steps draws earlier steps too (more ink)
    set_range(slider, 4)
    _wait_attr(page, card, "data-step", "4")
    single = wait_canvas(page, _canvas(card), min_ink=800)
    page.locator("input.nbviz-pr-overlay").first.check()
    overlaid = wait_canvas(page, _canvas(card), min_ink=800, not_hash=single["hash"])
    assert overlaid["ink"] > single["ink"] * 1.3, (single["ink"], overlaid["ink"])
    page.set_viewport_size({"width": 1280, "height": 1800})  # the whole panel in one shot
    root.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    root.screenshot(path=str(SHOTS / "pr_light.png"))

    # -- dark theme: the panel follows JupyterLab's colours
    nb.dark_theme()
    page.wait_for_function(
        "(el) => el.classList.contains('nbviz-dark')", arg=root.element_handle(), timeout=10_000)
    card.scroll_into_view_if_needed()
    bg = effective_background(card)
    assert bg["lum"] < 0.3, bg
    stats = wait_canvas(page, _canvas(card), min_ink=800)
    assert stats["lighter"] > 200, stats  # light text and curves on a dark chart
    root.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    root.screenshot(path=str(SHOTS / "pr_dark.png"))
    assert nb.stderr_outputs() == []


def test_pr_panel_live_steps_notebook7(nb: Any, tmp_path: Path) -> None:
    path = nb.copy(_notebook(tmp_path, "pr_live.ipynb", LIVE_SETUP, LIVE_LOOP))
    nb.run_until(".nbviz-pr", ui="nb7", path=path, wait_for_idle=False)
    page = nb.page
    tag = "PR_Curve/Binary_Classification"
    card = _card(page, tag)
    card.wait_for(state="attached", timeout=30_000)
    page.wait_for_function(
        "(el) => +el.dataset.steps >= 1", arg=card.element_handle(), timeout=30_000)
    assert nb.is_busy(), "the logging cell finished before the first check"
    seen = int(card.get_attribute("data-steps") or 0)
    page.wait_for_function(
        "([el, n]) => +el.dataset.steps > n", arg=[card.element_handle(), seen], timeout=10_000)
    assert nb.is_busy(), "steps must arrive while the cell runs"
    page.screenshot(path=str(SHOTS / "pr_live_nb7.running.png"))
    nb.wait_idle(timeout=60_000)
    page.wait_for_function(
        "(el) => +el.dataset.steps === 6", arg=card.element_handle(), timeout=10_000)
    assert card.get_attribute("data-step") == "5"  # followed the latest step
    stored = _stored(nb.server.root / "runs_pr_live" / "pr_curve_experiment", tag)
    assert sorted(stored) == [0, 1, 2, 3, 4, 5]

    # play from the first step walks through the steps
    last = wait_canvas(page, _canvas(card), min_ink=500)
    set_range(card.locator("input.nbviz-pr-step"), 0)
    _wait_attr(page, card, "data-step", "0")
    card.locator(".nbviz-pr-play").click()
    page.wait_for_function(
        "(el) => +el.dataset.step >= 2", arg=card.element_handle(), timeout=5_000)
    _wait_attr(page, card, "data-step", "5", timeout=10_000)
    final = wait_canvas(page, _canvas(card), min_ink=500)
    assert final["hash"] == last["hash"]  # back at the latest step: the same picture
    # the matrix defaults to the best-F1 threshold of the latest step
    curve = stored[5]
    f1 = 2 * curve[0] / np.maximum(2 * curve[0] + curve[1] + curve[3], 1e-12)
    best = int(np.argmax(f1))
    matrix = card.locator(".nbviz-pr-matrix")
    assert matrix.get_attribute("data-mode") == "best"
    assert _matrix(card) == dict(zip(("tp", "fp", "tn", "fn"), curve[:4, best].tolist(),
                                     strict=True))
    card.screenshot(path=str(SHOTS / "pr_live_nb7.png"))
    assert nb.stderr_outputs() == []


def test_pr_curves_notebook_lab(nb: Any) -> None:
    """notebooks/pr_curves.ipynb: curves improve over 16 epochs; 10 classes + averages."""
    path = nb.copy("pr_curves.ipynb")
    nb.run_until(".nbviz-pr .nbviz-pr-card", ui="lab", path=path, run_timeout=240_000)
    page = nb.page
    binary = _card(page, "val/9-vs-rest")
    digits = _card(page, "val/digits")
    for card in (binary, digits):
        page.wait_for_function(
            "(el) => +el.dataset.steps === 16", arg=card.element_handle(), timeout=15_000)
        assert card.get_attribute("data-step") == "15"
    assert digits.locator(".nbviz-pr-legend-row").count() == 12
    assert digits.get_attribute("data-curves") == "12"
    binary.scroll_into_view_if_needed()
    legend = binary.locator(".nbviz-pr-legend-row").first
    last_ap = float(re.search(r"AP (\d\.\d{3})", legend.inner_text()).group(1))
    set_range(binary.locator("input.nbviz-pr-step"), 0)
    _wait_attr(page, binary, "data-step", "0")
    first_ap = float(re.search(r"AP (\d\.\d{3})", legend.inner_text()).group(1))
    assert first_ap < 0.2 < 0.7 < last_ap, (first_ap, last_ap)  # the curves improve
    set_range(binary.locator("input.nbviz-pr-step"), 15)
    page.locator("input.nbviz-pr-overlay").first.check()
    wait_canvas(page, _canvas(binary), min_ink=800)
    page.set_viewport_size({"width": 1280, "height": 1500})
    binary.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    page.locator(".nbviz-pr").first.screenshot(path=str(SHOTS / "pr_notebook_lab.png"))
    assert nb.stderr_outputs() == []
