"""The Graph panel as a person sees it (JupyterLab; Notebook 7 once).

DOM hooks (docs/wire.md, "Graph"): root ``.nbviz-graph[data-state="ready"]`` with
``data-layout-seq`` (renders so far), ``data-items`` (visible boxes), ``data-coloured``
(boxes coloured by the statistic) and ``data-overlay-step``; boxes
``g.nbviz-graph-item[data-id][data-kind][data-key][data-label]`` (a ``rect`` + text),
open groups ``g.nbviz-graph-open[data-path]``, edges ``path.nbviz-graph-edge[data-src]
[data-dst]`` (item ids), search ``input.nbviz-graph-search``, details
``.nbviz-graph-details``, tooltip ``.nbviz-htip``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browser_helpers import SHOTS, code_notebook, effective_background, text_luminance

pytestmark = pytest.mark.browser

SETUP = """\
import time, torch, nbviz
from torch import nn
torch.manual_seed(0)
class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(32, 32)
        self.act = nn.ReLU()
    def forward(self, x):
        return x + self.act(self.fc(x))
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Linear(64, 32)
        self.blocks = nn.Sequential(*[Block() for _ in range(4)])
        self.head = nn.Linear(32, 10)
    def forward(self, x):
        h = self.stem(x)
        return self.head(self.blocks(h) + h)
model = Net()
run = nbviz.init('graph', logdir='runs_graph', if_exists='overwrite')
display(nbviz.Graph(model, torch.zeros(2, 64), run=run))
"""

TRAIN = """\
opt = torch.optim.SGD(model.parameters(), lr=0.05)
handle = nbviz.watch(model, opt, every=1, run=run)
g = torch.Generator().manual_seed(1)
for step in range(150):
    x = torch.randn(32, 64, generator=g)
    loss = (model(x) - x[:, :10]).pow(2).mean()
    opt.zero_grad(); loss.backward(); opt.step()
    run.log({"loss": loss.detach()}, step=step)
    time.sleep(0.02)
handle.remove()
"""


READY = "(seq) => { const r = document.querySelector('.nbviz-graph'); " \
        "return r && r.dataset.state === 'ready' && +(r.dataset.layoutSeq || 0) > seq; }"


def _seq(root: Any) -> int:
    return int(root.get_attribute("data-layout-seq") or 0)


def _item(root: Any, label: str) -> Any:
    return root.locator(f'g.nbviz-graph-item[data-label="{label}"]').first


def _wait_layout(page: Any, seq: int) -> None:
    page.wait_for_function(READY, arg=seq, timeout=30_000)


def test_graph_renders_expands_searches_and_skip_edge(nb: Any, tmp_path: Path) -> None:
    path = nb.copy(code_notebook(tmp_path / "graph_static.ipynb", [SETUP]))
    page = nb.page
    root = nb.run_until(".nbviz-graph", path=path)
    _wait_layout(page, 0)
    items = int(root.get_attribute("data-items") or 0)
    labels = root.locator("g.nbviz-graph-item").evaluate_all(
        "(gs) => gs.map(g => g.dataset.label)")
    assert labels == ["x", "stem: Linear", "blocks: Sequential", "add", "head: Linear",
                      "output"], labels
    status = root.locator(".nbviz-graph-status").inner_text()
    assert "captured with torch.fx" in status

    # the skip edge: stem feeds the add directly, besides the blocks
    stem_id = _item(root, "stem: Linear").get_attribute("data-id")
    add_id = _item(root, "add").get_attribute("data-id")
    blocks_id = _item(root, "blocks: Sequential").get_attribute("data-id")
    edges = root.locator("path.nbviz-graph-edge").evaluate_all(
        "(ps) => ps.map(p => [p.dataset.src, p.dataset.dst, p.getAttribute('d').length])")
    pairs = {(s, d) for s, d, length in edges if length > 4}
    assert (stem_id, add_id) in pairs and (stem_id, blocks_id) in pairs
    assert (blocks_id, add_id) in pairs
    page.screenshot(path=str(SHOTS / f"{nb.name}.collapsed.png"))

    # expand the group in place: its four blocks appear, recognised as repeats (×4)
    seq = _seq(root)
    _item(root, "blocks: Sequential").click()
    _wait_layout(page, seq)
    after = int(root.get_attribute("data-items") or 0)
    assert after == items - 1 + 4, (items, after)
    block = root.locator('g.nbviz-graph-item[data-key="blocks.2"]')
    assert block.count() == 1 and "×4" in (block.text_content() or "")
    assert root.locator('g.nbviz-graph-open[data-path="blocks"]').count() == 1

    # search a node nested two levels down: Enter expands to it and selects it
    seq = _seq(root)
    box = root.locator("input.nbviz-graph-search")
    box.fill("blocks.3.fc")
    box.press("Enter")
    _wait_layout(page, seq)
    hit = root.locator('g.nbviz-graph-item[data-key="blocks.3.fc"]')
    assert hit.count() == 1
    classes = hit.get_attribute("class") or ""
    assert "nbviz-graph-hit" in classes and "nbviz-graph-selected" in classes, classes
    details = root.locator(".nbviz-graph-details").inner_text()
    assert "blocks.3.fc" in details and "in_features: 32" in details
    assert "inputs:" in details and "outputs:" in details
    # fan-in / fan-out: the fc's input and output boxes are highlighted
    assert root.locator("g.nbviz-graph-item.nbviz-graph-out").count() >= 1
    assert root.locator("g.nbviz-graph-item.nbviz-graph-in").count() >= 1
    page.screenshot(path=str(SHOTS / f"{nb.name}.search.png"))

    # hover: shapes and hyperparameters as text
    hit.hover()
    tip = root.locator(".nbviz-htip")
    tip.wait_for(state="visible", timeout=5_000)
    assert "output: 2×32" in tip.inner_text()


def test_live_overlay_changes_colour_while_training_and_dark_theme(nb: Any,
                                                                   tmp_path: Path) -> None:
    path = nb.copy(code_notebook(tmp_path / "graph_live.ipynb", [SETUP, TRAIN]))
    page = nb.page
    root = nb.run_until(".nbviz-graph", path=path, wait_for_idle=False, widget_timeout=60_000)
    page.wait_for_function(
        "() => +(document.querySelector('.nbviz-graph')?.dataset.coloured || 0) >= 3",
        timeout=90_000)
    assert nb.is_busy(), "training finished before the overlay could be observed live"
    stem = _item(root, "stem: Linear").locator("rect")
    first_step = int(root.get_attribute("data-overlay-step") or -1)
    fills = root.locator("g.nbviz-graph-item rect").evaluate_all(
        "(rs) => rs.map(r => r.style.fill)")
    page.wait_for_function(
        "(s) => +(document.querySelector('.nbviz-graph')?.dataset.overlayStep || -1) > s + 5",
        arg=first_step, timeout=60_000)
    later = root.locator("g.nbviz-graph-item rect").evaluate_all(
        "(rs) => rs.map(r => r.style.fill)")
    busy = nb.is_busy()
    page.screenshot(path=str(SHOTS / f"{nb.name}.running.png"))
    assert busy, "the training cell ended during the observation window"
    assert stem.evaluate("(r) => r.style.fill") != ""
    assert fills != later, "no box changed colour while training ran"

    nb.wait_idle(timeout=400_000)
    nb.dark_theme()
    page.wait_for_timeout(500)
    background = effective_background(root)
    root.scroll_into_view_if_needed()
    root.screenshot(path=str(SHOTS / f"{nb.name}.dark.png"))
    assert background["lum"] < 0.3, background
    assert text_luminance(root.locator(".nbviz-graph-title")) > 0.6  # light text on dark


def test_graph_in_notebook7(nb: Any, tmp_path: Path) -> None:
    path = nb.copy(code_notebook(tmp_path / "graph_nb7.ipynb", [SETUP]))
    page = nb.page
    root = nb.run_until(".nbviz-graph", path=path, ui="nb7")
    _wait_layout(page, 0)
    seq = _seq(root)
    _item(root, "blocks: Sequential").click()
    _wait_layout(page, seq)
    assert root.locator('g.nbviz-graph-item[data-key="blocks.0"]').count() == 1
    root.screenshot(path=str(SHOTS / f"{nb.name}.png"))


WIDE = """\
import torch, nbviz
from torch import nn
torch.manual_seed(0)
model = nn.Sequential()
model.add_module("stem", nn.Linear(8, 8))
pairs = [m for _ in range(1000) for m in (nn.Linear(8, 8), nn.ReLU())]
model.add_module("body", nn.Sequential(*pairs))
model.add_module("head", nn.Linear(8, 2))
display(nbviz.Graph(model, torch.zeros(1, 8)))
"""


def test_expanding_a_2000_node_group_draws_only_what_is_in_view(nb: Any,
                                                                  tmp_path: Path) -> None:
    path = nb.copy(code_notebook(tmp_path / "graph_wide.ipynb", [WIDE]))
    page = nb.page
    root = nb.run_until(".nbviz-graph", path=path)
    _wait_layout(page, 0)
    seq = _seq(root)
    started = page.evaluate("() => performance.now()")
    _item(root, "body: Sequential").click()
    _wait_layout(page, seq)
    took = page.evaluate("(t) => performance.now() - t", started)
    assert int(root.get_attribute("data-items") or 0) == 2 + 2000 + 2  # x, stem, body…, head, out
    assert root.get_attribute("data-engine") == "layered"
    items = root.locator("g.nbviz-graph-item")
    drawn = items.count()
    assert 0 < drawn < 400, drawn  # the boxes near the viewport, not 2,004
    assert root.locator('g.nbviz-graph-open[data-path="body"]').count() == 1
    print(f"expand of 2,000 nodes, click to drawn: {took:.0f} ms, {drawn} boxes drawn")
    page.screenshot(path=str(SHOTS / f"{nb.name}.wide.png"))
    # panning down the chain draws the boxes that come into view
    first = set(items.evaluate_all("(gs) => gs.map(g => g.dataset.id)"))
    canvas = root.locator(".nbviz-graph-canvas")
    box = canvas.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] - 10)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 10, steps=8)
    page.mouse.up()
    page.wait_for_function(
        "(n) => document.querySelectorAll('.nbviz-graph g.nbviz-graph-item').length > n",
        arg=drawn, timeout=10_000)
    later = set(items.evaluate_all("(gs) => gs.map(g => g.dataset.id)"))
    assert first < later
    # search reaches a node far down the chain: it is drawn, centred and selected
    seq = _seq(root)
    search = root.locator("input.nbviz-graph-search")
    search.fill("body.1990")
    search.press("Enter")
    page.wait_for_function(
        "() => !!document.querySelector('.nbviz-graph g.nbviz-graph-item.nbviz-graph-selected"
        "[data-key=\"body.1990\"]')", timeout=10_000)
    nb.dark_theme()
    page.wait_for_timeout(500)
    root.screenshot(path=str(SHOTS / f"{nb.name}.wide.dark.png"))
    assert effective_background(root)["lum"] < 0.3


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_exported_html_draws_the_graph_offline_and_reuses_a_repeated_block(
        browser: Any, tmp_path: Path, scheme: str) -> None:
    """The exported page (file://, every other request aborted) starts the gzipped ELK
    worker, draws the Graph tab, and a second identical block opens from the first's layout."""
    import torch

    import nbviz

    namespace: dict[str, Any] = {}
    exec(SETUP.split("model = Net()")[0], namespace)  # this module's own model classes
    run = nbviz.init("graph", logdir=str(tmp_path / "runs"), if_exists="overwrite")
    run.log_graph(namespace["Net"](), torch.zeros(2, 64))
    run.finish()
    page_path = nbviz.export_html(tmp_path / "runs", tmp_path / "graph.html")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
    blocked: list[str] = []
    errors: list[str] = []
    context.route("**/*", lambda r: r.continue_() if r.request.url.startswith(
        ("file:", "blob:", "data:")) else (blocked.append(r.request.url), r.abort()))
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(page_path.as_uri())
        page.locator('.nbviz-dash-tab[data-tab="graph"]').click()
        _wait_layout(page, 0)
        root = page.locator(".nbviz-graph")
        # the first paint does not wait for ELK (the layered path draws it while the worker
        # starts); the worker must still start offline, and the clicks below then use it
        page.wait_for_selector('.nbviz-graph[data-elk="ready"]', timeout=30_000)
        _item(root, "blocks: Sequential").locator("rect").click()
        _wait_layout(page, 1)
        for n, label in enumerate(["0: Block", "1: Block"]):
            # (block 1 may sit below the canvas' edge once block 0 is open: no pointer there)
            _item(root, label).locator("rect").dispatch_event("click")
            _wait_layout(page, 2 + n)
        # both open blocks drawn; the second one's inside came from the first's layout
        assert root.get_attribute("data-engine") == "elk"
        assert root.get_attribute("data-reused") == "2"
        assert root.locator("g.nbviz-graph-open").count() == 3
        fc = root.locator('g.nbviz-graph-item[data-key$=".fc"]')
        assert fc.count() == 2
        boxes = [fc.nth(i).bounding_box() for i in range(2)]
        assert all(b is not None and b["width"] > 20 for b in boxes)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"test_graph_export_offline.{scheme}.png"))
        assert not errors, errors
        assert not blocked, blocked
    finally:
        context.close()
