"""The Profile panel as a person sees it: the stacked breakdown grows while a training
cell runs, a data-bound finding appears for a slow DataLoader, the capture's timeline
zooms, dark theme (JupyterLab); live breakdown and finding in Notebook 7.

DOM hooks (js/src/panels/profile/*): root ``.nbviz-profile[data-steps][data-run]``;
``.nbviz-profile-stack canvas`` (uPlot); ``.nbviz-profile-finding[data-rule]``;
``.nbviz-profile-capture`` with ``.nbviz-profile-timeline[data-range][data-draws]`` and
its canvas; ``.nbviz-profile-ops`` (top operators).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browser_helpers import SHOTS, canvas_stats, code_notebook, effective_background, wait_canvas

pytestmark = pytest.mark.browser

SETUP = """\
import time
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset
import nbviz

torch.set_num_threads(1)
torch.manual_seed(0)

class SlowDigits(Dataset):  # every sample takes 2 ms to "decode"
    def __init__(self, n):
        self.x, self.y = torch.randn(n, 1, 28, 28), torch.randint(0, 10, (n,))
    def __len__(self):
        return len(self.x)
    def __getitem__(self, i):
        time.sleep(0.002)
        return self.x[i], self.y[i]

model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                      nn.Flatten(), nn.Linear(8 * 14 * 14, 10))
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
run = nbviz.init("slow-loader", logdir="runs_profile", if_exists="overwrite")
handle = nbviz.watch(model, optimizer, every=50)
loader = nbviz.timed(DataLoader(SlowDigits(16 * 120), batch_size=16))
display(nbviz.Profile(run))
"""

TRAIN = """\
def epoch(loader):
    for x, y in loader:
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()

epoch(loader)
print("trained")
"""

CAPTURE = """\
with nbviz.profile(run, steps=3, wait=0, warmup=1) as capture:
    epoch(DataLoader(SlowDigits(16 * 5), batch_size=16))
print(capture)
"""


def _notebook(tmp_path: Path, name: str, *cells: str) -> Path:
    return code_notebook(tmp_path / name, list(cells))


def _steps(root: Any) -> int:
    return int(root.get_attribute("data-steps") or 0)


def _grows_while_running(nb: Any, root: Any) -> None:
    page = nb.page
    page.wait_for_function("(el) => +el.dataset.steps >= 3", arg=root.element_handle(),
                           timeout=60_000)
    assert nb.is_busy(), "the training cell finished before the first check"
    seen = _steps(root)
    stack = root.locator(".nbviz-profile-stack canvas").first
    before = canvas_stats(stack)
    page.wait_for_function("([el, n]) => +el.dataset.steps >= n + 5",
                           arg=[root.element_handle(), seen], timeout=30_000)
    assert nb.is_busy(), "the breakdown must grow while the cell runs"
    after = wait_canvas(page, stack, min_ink=500, not_hash=before["hash"])
    assert after["colors"] >= 4  # several phase colours stacked


def test_profile_panel_lab(nb: Any, tmp_path: Path) -> None:
    path = nb.copy(_notebook(tmp_path, "profile_panel.ipynb", SETUP, TRAIN, CAPTURE))
    root = nb.run_until(".nbviz-profile", ui="lab", path=path, wait_for_idle=False,
                       widget_timeout=120_000)
    page = nb.page
    _grows_while_running(nb, root)
    page.screenshot(path=str(SHOTS / "profile_lab.running.png"))
    nb.wait_idle(timeout=180_000)

    finding = root.locator('.nbviz-profile-finding[data-rule="data_bound"]').first
    finding.wait_for(state="visible", timeout=20_000)
    text = finding.inner_text()
    assert "data-bound" in text and "num_workers" in text

    capture = root.locator(".nbviz-profile-capture")
    capture.wait_for(state="visible", timeout=20_000)
    ops = root.locator(".nbviz-profile-ops tr")
    assert ops.count() >= 6
    assert "conv" in root.locator(".nbviz-profile-ops").inner_text().lower()
    timeline = root.locator(".nbviz-profile-timeline")
    canvas = timeline.locator("canvas")
    canvas.scroll_into_view_if_needed()
    wide = wait_canvas(page, canvas, min_ink=800)
    start, end = map(float, (timeline.get_attribute("data-range") or "0,0").split(","))
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.5)
    for _ in range(4):
        page.mouse.wheel(0, -300)
        page.wait_for_timeout(60)
    page.wait_for_function(
        "([el, span]) => { const [a, b] = el.dataset.range.split(',').map(Number);"
        " return b - a < span / 2; }",
        arg=[timeline.element_handle(), end - start], timeout=5_000)
    zoomed = wait_canvas(page, canvas, min_ink=300, not_hash=wide["hash"])
    z0, z1 = map(float, (timeline.get_attribute("data-range") or "0,0").split(","))
    assert start <= z0 < z1 <= end and (z1 - z0) < (end - start) / 2
    root.screenshot(path=str(SHOTS / "profile_lab.png"))
    canvas.screenshot(path=str(SHOTS / "profile_lab.timeline_zoomed.png"))
    assert zoomed["ink"] > 0

    nb.dark_theme()
    page.wait_for_function(
        "(el) => el.classList.contains('nbviz-dark')", arg=root.element_handle(),
        timeout=10_000)
    assert effective_background(root)["lum"] < 0.3
    dark = wait_canvas(page, canvas, min_ink=300, until="s.bgLum < 0.3")
    assert dark["bgLum"] < 0.3
    stack = root.locator(".nbviz-profile-stack canvas").first
    assert canvas_stats(stack)["ink"] > 500
    root.screenshot(path=str(SHOTS / "profile_lab.dark.png"))
    stack.scroll_into_view_if_needed()
    assert effective_background(stack)["lum"] < 0.3
    page.screenshot(path=str(SHOTS / "profile_lab.dark.stack.png"))
    assert nb.stderr_outputs() == []


def test_profile_panel_live_notebook7(nb: Any, tmp_path: Path) -> None:
    path = nb.copy(_notebook(tmp_path, "profile_live.ipynb", SETUP, TRAIN))
    root = nb.run_until(".nbviz-profile", ui="nb7", path=path, wait_for_idle=False,
                       widget_timeout=120_000)
    _grows_while_running(nb, root)
    nb.page.screenshot(path=str(SHOTS / "profile_nb7.running.png"))
    nb.wait_idle(timeout=180_000)
    root.locator('.nbviz-profile-finding[data-rule="data_bound"]').first.wait_for(
        state="visible", timeout=20_000)
    nb.page.wait_for_function("(el) => +el.dataset.steps === 120", arg=root.element_handle(),
                              timeout=20_000)
    root.screenshot(path=str(SHOTS / "profile_nb7.png"))
    system = root.locator(".nbviz-profile-system canvas").first
    assert canvas_stats(system)["colors"] >= 3  # CPU % and RSS lines
    assert nb.stderr_outputs() == []
