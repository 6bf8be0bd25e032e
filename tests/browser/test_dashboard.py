"""``%nbviz LOGDIR`` on a mixed logdir (nbviz + TensorBoard runs) in a real browser.

What a person sees: the Dashboard with its tabs (Scalars, Histograms, Distributions,
PR curves), one run selector naming every run (TensorBoard runs badged "TB"), the
Scalars charts drawing both kinds of runs; a run written by a separate process while
the page is open appears by itself (selector + chart legend, new points drawn); the
selector hides a run in the charts; other tabs render; light and dark theme.
Screenshots: screenshots/browser/dashboard.*.png.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import numpy as np
import pytest
from browser_helpers import SHOTS, assert_scalars_rendered, chart, chart_canvas, wait_canvas

pytestmark = pytest.mark.browser

DASH = ".nbviz-dashboard"


def _write_logdir(root: Path, name: str) -> Path:
    """<name>/: one TensorBoard run (torch's writer) and one nbviz run (nbviz's writer)."""
    pytest.importorskip("torch")
    from torch.utils.tensorboard import SummaryWriter as TorchWriter

    import nbviz

    logdir = root / name
    rng = np.random.default_rng(0)
    with TorchWriter(str(logdir / "tb_baseline")) as writer:
        for step in range(60):
            writer.add_scalar("loss/train", 1.2 * np.exp(-step / 25) + 0.05 * rng.random(), step)
            writer.add_scalar("acc/val", 1 - np.exp(-step / 30), step)
        labels = rng.integers(0, 2, 400)
        for step in range(3):
            scores = np.clip(labels * (0.3 + 0.2 * step) + rng.random(400) * 0.6, 0, 1)
            writer.add_pr_curve("pr/val", labels, scores, step)
    with nbviz.SummaryWriter(str(logdir / "nbviz_lr0.1")) as writer:
        for step in range(60):
            writer.add_scalar("loss/train", np.exp(-step / 15) + 0.05 * rng.random(), step)
            writer.add_scalar("acc/val", 1 - np.exp(-step / 20), step)
            if step % 10 == 0:
                writer.add_histogram("weights/fc", rng.standard_normal(2000) / (1 + step / 30),
                                     step)
    return logdir


def _notebook(root: Path) -> str:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell("Old and new runs side by side."),
        nbformat.v4.new_code_cell("%load_ext nbviz\n%nbviz mixed"),
    ]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                       "language": "python"}
    path = root / "dashboard_mixed.ipynb"
    nbformat.write(notebook, str(path))
    return path.name


LIVE_WRITER = textwrap.dedent("""
    import sys, time, math
    from torch.utils.tensorboard import SummaryWriter
    writer = SummaryWriter(sys.argv[1], flush_secs=1)
    for step in range(80):
        writer.add_scalar("loss/train", 0.8 * math.exp(-step / 10), step)
        if step % 20 == 19:
            writer.flush()
            time.sleep(0.5)
    writer.close()
""")


def _chips(page) -> list[str]:
    return [str(x) for x in page.eval_on_selector_all(
        f"{DASH} .nbviz-dash-chip", "els => els.map(e => e.dataset.run)")]


def test_dashboard_mixed_logdir_live(nb) -> None:
    root = nb.server.root
    logdir = _write_logdir(root, "mixed")
    path = _notebook(root)
    dash = nb.run_until(DASH, ui="lab", path=path)
    page = nb.page

    # Tabs for every panel that has data.
    tabs = page.locator(f"{DASH} .nbviz-dash-tab")
    page.wait_for_function(
        f"() => document.querySelectorAll('{DASH} .nbviz-dash-tab').length >= 4", timeout=20_000)
    assert tabs.all_inner_texts() == ["Scalars", "Histograms", "Distributions", "PR curves"]
    assert tabs.nth(0).get_attribute("aria-selected") == "true"
    # One run selector, TensorBoard runs badged.
    assert _chips(page) == ["nbviz_lr0.1", "tb_baseline"]
    badge = page.locator(f'{DASH} .nbviz-dash-chip[data-run="tb_baseline"] .nbviz-dash-badge')
    assert badge.inner_text() == "TB"
    # The Scalars tab draws both runs (nbviz store + tfevents).
    assert_scalars_rendered(page, tag="loss/train", runs=2)
    scalars = dash.locator(".nbviz-scalars")
    page.wait_for_function("(el) => +el.dataset.points === 240", arg=scalars.element_handle(),
                           timeout=15_000)
    dash.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "dashboard.lab.light.png"), full_page=False)

    # A run written by a separate process while the page is open appears by itself.
    writer = subprocess.Popen([sys.executable, "-c", LIVE_WRITER, str(logdir / "tb_live")],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        page.locator(f'{DASH} .nbviz-dash-chip[data-run="tb_live"]').wait_for(timeout=30_000)
        page.wait_for_function("(el) => +el.dataset.points === 320",
                               arg=scalars.element_handle(), timeout=30_000)
    finally:
        _, err = writer.communicate(timeout=60)
    assert writer.returncode == 0, err.decode()[-2000:]
    assert _chips(page) == ["nbviz_lr0.1", "tb_baseline", "tb_live"]
    assert nb.kernel_status() == "idle"  # nothing re-ran: the dashboard followed the logdir
    loss = chart(scalars, "loss/train")
    legend = loss.locator(".nbviz-legend-item") if loss.locator(".nbviz-legend-item").count() \
        else scalars.locator(".nbviz-legend-item")
    page.wait_for_function("(el) => el.querySelectorAll('.nbviz-legend-item').length >= 3",
                           arg=scalars.element_handle(), timeout=15_000)
    assert "tb_live" in [legend.nth(i).get_attribute("data-run") for i in range(legend.count())]
    stats = wait_canvas(page, chart_canvas(loss))
    assert stats["ink"] >= 300

    # The shared selector hides a run in the panels (client side).
    before = wait_canvas(page, chart_canvas(loss))["hash"]
    page.locator(f'{DASH} .nbviz-dash-chip[data-run="tb_baseline"] input').uncheck()
    off = scalars.locator('.nbviz-legend-item.nbviz-off[data-run="tb_baseline"]')
    off.first.wait_for(state="attached", timeout=10_000)
    wait_canvas(page, chart_canvas(loss), not_hash=before)  # redrawn without the hidden run
    assert page.locator(f'{DASH} .nbviz-dash-chip.nbviz-off[data-run="tb_baseline"]').count() == 1
    assert page.locator(f"{DASH} .nbviz-dash-count").inner_text() == "2/3 shown"
    page.screenshot(path=str(SHOTS / "dashboard.lab.live.png"))
    # Back on, from the panel's own legend: the dashboard follows.
    scalars.locator('.nbviz-legend-item[data-run="tb_baseline"]').first.click()
    page.locator(f'{DASH} .nbviz-dash-chip.nbviz-off').first.wait_for(state="detached",
                                                                     timeout=10_000)

    # Other tabs render when chosen.
    tabs.nth(3).click()
    pr = dash.locator(".nbviz-pr")
    pr.wait_for(state="visible", timeout=20_000)
    assert not scalars.is_visible()
    page.wait_for_timeout(500)
    page.screenshot(path=str(SHOTS / "dashboard.lab.pr.png"))
    tabs.nth(1).click()
    hist = dash.locator(".nbviz-hpanel").first
    hist.wait_for(state="visible", timeout=20_000)
    page.wait_for_timeout(500)
    page.screenshot(path=str(SHOTS / "dashboard.lab.histograms.png"))

    # Dark theme: the dashboard follows JupyterLab's variables.
    tabs.nth(0).click()
    nb.dark_theme()
    page.wait_for_function(
        "(el) => el.classList.contains('nbviz-dark')", arg=dash.element_handle(), timeout=10_000)
    bg = page.evaluate(
        "(el) => getComputedStyle(el.querySelector('.nbviz-dash-runs')).backgroundColor",
        dash.element_handle())
    channels = [int(v) for v in bg[bg.index("(") + 1 : bg.index(")")].split(",")[:3]]
    assert sum(channels) / 3 < 90, f"run selector background is not dark: {bg}"
    page.wait_for_timeout(600)
    page.screenshot(path=str(SHOTS / "dashboard.lab.dark.png"))
    assert nb.stderr_outputs() == []


def test_dashboard_notebook7_and_missing_logdir(nb) -> None:
    root = nb.server.root
    _write_logdir(root, "mixed_nb7")
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell("%load_ext nbviz\n%nbviz not_yet"),
        nbformat.v4.new_code_cell("%nbviz mixed_nb7"),
    ]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                       "language": "python"}
    nbformat.write(notebook, str(root / "dashboard_nb7.ipynb"))
    nb.run_until(f"{DASH} .nbviz-dash-tab", ui="nb7", path="dashboard_nb7.ipynb")
    page = nb.page
    dashes = page.locator(DASH)
    assert dashes.count() == 2
    waiting = dashes.nth(0).locator(".nbviz-dash-status")
    assert "does not exist yet" in waiting.inner_text()
    # The logdir appears later: the first dashboard picks it up by itself.
    (root / "not_yet" / "late").mkdir(parents=True)
    import nbviz

    with nbviz.SummaryWriter(str(root / "not_yet" / "late")) as writer:
        for step in range(10):
            writer.add_scalar("x", step, step)
    dashes.nth(0).locator(".nbviz-dash-tab").first.wait_for(timeout=20_000)
    dashes.nth(0).locator(".nbviz-scalars").wait_for(state="visible", timeout=20_000)
    assert dashes.nth(1).locator(".nbviz-dash-tab").count() == 4
    dashes.nth(0).scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    page.screenshot(path=str(SHOTS / "dashboard.nb7.late.png"))
    dashes.nth(1).scroll_into_view_if_needed()
    assert dashes.nth(1).locator(".nbviz-scalars").get_attribute("data-points") == "240"
    page.wait_for_timeout(500)
    page.screenshot(path=str(SHOTS / "dashboard.nb7.png"))
    assert nb.stderr_outputs() == []
