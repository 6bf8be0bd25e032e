"""The Projector panel as a person sees it, in JupyterLab and Notebook 7.

Digits embeddings logged with ``run.log_embedding`` (labels, names, thumbnails, three
steps): the WebGL point cloud renders in 3-D and 2-D, dragging orbits, hover shows the
point's name and thumbnail, a regex search highlights the matching points, clicking a
point lists its nearest neighbours (equal to ``nbviz.reduce.nearest_neighbors`` on the
stored vectors), the step slider moves between steps, t-SNE is computed by the kernel
when it is idle (with progress), and the dark theme. A second test follows embeddings
logged by a running cell (``SummaryWriter.add_embedding``) in Notebook 7.

DOM hooks: see js/src/panels/projector/view.ts (root ``.nbviz-projector[data-*]``,
``canvas.nbviz-proj-canvas``, ``.nbviz-proj-tooltip``, ``.nbviz-proj-search``,
``.nbviz-proj-neighbor[data-index]``, ``root.nbvizProjector.screenOf(i)``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import pytest
from browser_helpers import SHOTS, canvas_stats, effective_background, set_range, wait_canvas

from nbviz.reduce import nearest_neighbors
from nbviz.store.sqlite import StoreReader

pytestmark = pytest.mark.browser

SETUP = """\
import numpy as np
import nbviz
from sklearn.datasets import load_digits

digits = load_digits()
x, y = digits.data.astype("float32"), digits.target
names = np.array([f"img{i:04d}" for i in range(len(y))])
run = nbviz.init("digits", logdir="runs_proj", if_exists="overwrite")
rng = np.random.default_rng(0)
for step in range(3):  # noisy early features, cleaner later
    feats = x + rng.normal(0, 3.0 * (2 - step), x.shape).astype("float32")
    run.log_embedding("digits", feats, metadata={"label": y, "name": names},
                      images=digits.images / 16.0, step=step)
run.flush()
panel = nbviz.Projector(run, params={"tsne": {"n_iter": 250}})
display(panel)
"""

LIVE_SETUP = """\
import time
import torch
import nbviz
from nbviz import SummaryWriter

writer = SummaryWriter("runs_proj_live/train")
display(nbviz.Projector("runs_proj_live"))
"""

LIVE_LOOP = """\
torch.manual_seed(0)
centers = torch.randn(5, 16) * 4
labels = torch.arange(400) % 5
for epoch in range(5):
    feats = centers[labels] + torch.randn(400, 16) * (3.0 - 0.5 * epoch)
    writer.add_embedding(feats, metadata=[f"class {int(c)}" for c in labels],
                         label_img=torch.rand(400, 1, 8, 8), global_step=epoch, tag="feats")
    writer.flush()
    time.sleep(1.5)
writer.close()
print("done")
"""


def _notebook(tmp_path: Path, name: str, *cells: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    path = tmp_path / name
    nbformat.write(nb, path)
    return path


def _wait_attr(page: Any, locator: Any, attr: str, value: str, timeout: float = 15_000) -> None:
    page.wait_for_function("([el, a, v]) => el.getAttribute(a) === v",
                           arg=[locator.element_handle(), attr, value], timeout=timeout)


def _settled(page: Any, root: Any) -> None:
    """Wait until a step/projection animation has finished."""
    page.wait_for_function("(el) => el.dataset.animating === '0'", arg=root.element_handle(),
                           timeout=10_000)


def _point_on_page(page: Any, root: Any, index: int) -> tuple[float, float]:
    xy = root.evaluate("(el, i) => el.nbvizProjector.screenOf(i)", index)
    assert xy is not None, f"point {index} is not on screen"
    box = root.locator("canvas.nbviz-proj-canvas").bounding_box()
    return box["x"] + xy[0], box["y"] + xy[1]


def _visible_point(page: Any, root: Any, n: int, start: int = 0) -> int:
    """A point drawn well inside the canvas (not at the edge, not under the legend)."""
    box = root.locator("canvas.nbviz-proj-canvas").bounding_box()
    for i in range(start, n):
        xy = root.evaluate("(el, i) => el.nbvizProjector.screenOf(i)", i)
        if xy and 40 < xy[0] < box["width"] * 0.7 and 40 < xy[1] < box["height"] - 40:
            return i
    raise AssertionError("no point inside the canvas")


def _stored_vectors(run_dir: Path, tag: str, step: int) -> np.ndarray:
    reader = StoreReader(run_dir)
    try:
        records = reader.tensors_between(0, None, frozenset({"embedding"}))
    finally:
        reader.close()
    return next(r.array for r in records if r.tag == tag and r.step == step)


def test_projector_interactions_lab(nb: Any, tmp_path: Path) -> None:
    path = nb.copy(_notebook(tmp_path, "projector.ipynb", SETUP))
    nb.run_until(".nbviz-projector", ui="lab", path=path)
    page = nb.page
    root = page.locator(".nbviz-projector").first
    _wait_attr(page, root, "data-points", "1797")
    _wait_attr(page, root, "data-step", "2")
    root.scroll_into_view_if_needed()
    canvas = root.locator("canvas.nbviz-proj-canvas")
    assert root.get_attribute("data-dims") == "3" and root.get_attribute("data-method") == "pca"
    first = wait_canvas(page, canvas, min_ink=3000)
    assert first["colors"] > 8, first  # ten digit colours, not one blob
    legend = root.locator(".nbviz-proj-legend-item")
    assert legend.count() == 10
    assert [legend.nth(i).get_attribute("data-category") for i in range(10)] == [
        str(d) for d in range(10)]
    root.screenshot(path=str(SHOTS / "projector_3d_light.png"))

    # -- dragging in 3-D orbits the camera: the picture changes
    box = canvas.bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(cx, cy)
    page.mouse.down()
    page.mouse.move(cx + 140, cy + 40, steps=8)
    page.mouse.up()
    rotated = wait_canvas(page, canvas, min_ink=3000, not_hash=first["hash"])
    assert rotated["hash"] != first["hash"]

    # -- hover shows the point's name, label and thumbnail
    run_dir = nb.server.root / "runs_proj" / "digits"
    labels = np.array(load_labels())
    index = _visible_point(page, root, 1797)
    x, y = _point_on_page(page, root, index)
    page.mouse.move(x - 20, y - 20)
    page.mouse.move(x, y, steps=3)
    tip = root.locator(".nbviz-proj-tooltip")
    tip.wait_for(state="visible", timeout=5_000)
    hovered = int(root.get_attribute("data-hover") or -1)
    assert hovered >= 0
    text = tip.inner_text()
    assert f"img{hovered:04d}" in text and f"label: {labels[hovered]}" in text, text
    assert tip.locator("canvas").count() == 1  # the thumbnail
    root.screenshot(path=str(SHOTS / "projector_hover.png"))

    # -- regex search over the label column highlights the matches
    root.locator("select.nbviz-proj-search-column").select_option("label")
    root.locator("input.nbviz-proj-search").fill("^3$")
    _wait_attr(page, root, "data-matches", str(int((labels == 3).sum())))
    assert "183 matches" in root.locator(".nbviz-proj-matches").inner_text()
    searched = wait_canvas(page, canvas, min_ink=1000, not_hash=rotated["hash"])
    assert searched["hash"] != rotated["hash"]
    root.screenshot(path=str(SHOTS / "projector_search.png"))
    root.locator("input.nbviz-proj-search").fill("")
    _wait_attr(page, root, "data-matches", "0")

    # -- click a point: its nearest neighbours (cosine, original space) are listed
    page.mouse.move(x, y)
    page.mouse.click(x, y)
    _wait_attr(page, root, "data-neighbors", "10")
    selected = int(root.get_attribute("data-selected") or -1)
    assert selected == hovered
    items = root.locator(".nbviz-proj-neighbor")
    shown = [int(items.nth(i).get_attribute("data-index") or -1) for i in range(items.count())]
    distances = [float(items.nth(i).get_attribute("data-distance") or "nan")
                 for i in range(items.count())]
    expected, expected_d = nearest_neighbors(_stored_vectors(run_dir, "digits", 2), selected,
                                             k=10, metric="cosine")
    assert shown == expected.tolist()
    np.testing.assert_allclose(distances, expected_d, rtol=1e-3, atol=1e-5)
    assert root.locator(".nbviz-proj-side-head").inner_text().startswith(f"img{selected:04d}")
    root.screenshot(path=str(SHOTS / "projector_neighbors.png"))
    # euclidean too
    root.locator("select.nbviz-proj-metric").select_option("euclidean")
    expected_e, _ = nearest_neighbors(_stored_vectors(run_dir, "digits", 2), selected, k=10,
                                      metric="euclidean")
    page.wait_for_function(
        "([el, v]) => [...el.querySelectorAll('.nbviz-proj-neighbor')]"
        ".map(li => +li.dataset.index).join(',') === v",
        arg=[root.element_handle(), ",".join(map(str, expected_e.tolist()))], timeout=5_000)
    canvas.press("Escape")  # clears the selection
    _wait_attr(page, root, "data-selected", "-1")

    # -- step slider: an earlier step, then back to the latest
    set_range(root.locator("input.nbviz-proj-step"), 0)
    _wait_attr(page, root, "data-step", "0", timeout=30_000)  # the kernel sends step 0 (idle)
    _settled(page, root)
    wait_canvas(page, canvas, min_ink=1000)
    root.screenshot(path=str(SHOTS / "projector_step0.png"))
    set_range(root.locator("input.nbviz-proj-step"), 2)
    _wait_attr(page, root, "data-step", "2")

    # -- 2-D, then t-SNE computed in the kernel (idle) with progress
    root.locator('.nbviz-proj-dims button[data-dims="2"]').click()
    _wait_attr(page, root, "data-dims", "2")
    _settled(page, root)
    flat = wait_canvas(page, canvas, min_ink=1000)
    root.screenshot(path=str(SHOTS / "projector_2d_pca.png"))
    root.locator('.nbviz-proj-methods button[data-method="tsne"]').click()
    root.locator(".nbviz-proj-progress").wait_for(state="visible", timeout=10_000)
    _wait_attr(page, root, "data-method", "tsne", timeout=180_000)
    _settled(page, root)
    tsne = wait_canvas(page, canvas, min_ink=1000, not_hash=flat["hash"])
    assert tsne["colors"] > 8
    root.locator(".nbviz-proj-progress").wait_for(state="hidden", timeout=10_000)
    root.screenshot(path=str(SHOTS / "projector_2d_tsne_light.png"))
    # pan and zoom in 2-D change the picture
    page.mouse.move(cx, cy)
    page.mouse.wheel(0, -400)
    zoomed = wait_canvas(page, canvas, min_ink=500, not_hash=tsne["hash"])
    assert zoomed["hash"] != tsne["hash"]

    # -- dark theme
    nb.dark_theme()
    page.wait_for_function(
        "(c) => { const d = document.createElement('canvas'); d.width = 4; d.height = 4;"
        " const x = d.getContext('2d'); x.drawImage(c, 0, 0, 4, 4, 0, 0, 4, 4);"
        " const p = x.getImageData(0, 0, 1, 1).data; return p[0] + p[1] + p[2] < 200; }",
        arg=canvas.element_handle(), timeout=10_000)
    assert effective_background(root)["lum"] < 0.3
    dark = canvas_stats(canvas)
    assert dark["lighter"] > 500, dark
    page.mouse.dblclick(cx, cy)  # reset the zoom
    page.wait_for_timeout(400)
    root.screenshot(path=str(SHOTS / "projector_2d_tsne_dark.png"))
    root.locator('.nbviz-proj-dims button[data-dims="3"]').click()
    root.locator('.nbviz-proj-methods button[data-method="pca"]').click()
    _wait_attr(page, root, "data-dims", "3")
    _wait_attr(page, root, "data-method", "pca")
    _settled(page, root)
    wait_canvas(page, canvas, min_ink=1000)
    root.screenshot(path=str(SHOTS / "projector_3d_dark.png"))
    assert nb.stderr_outputs() == []


def load_labels() -> list[int]:
    from sklearn.datasets import load_digits

    return [int(v) for v in load_digits().target]


def test_projector_live_writer_notebook7(nb: Any, tmp_path: Path) -> None:
    path = nb.copy(_notebook(tmp_path, "projector_live.ipynb", LIVE_SETUP, LIVE_LOOP))
    nb.run_until(".nbviz-projector", ui="nb7", path=path, wait_for_idle=False)
    page = nb.page
    root = page.locator(".nbviz-projector").first
    _wait_attr(page, root, "data-points", "400", timeout=60_000)
    canvas = root.locator("canvas.nbviz-proj-canvas")
    wait_canvas(page, canvas, min_ink=800)
    # later epochs arrive while the training cell is still running
    page.wait_for_function("(el) => +el.dataset.step >= 2", arg=root.element_handle(),
                           timeout=30_000)
    assert nb.is_busy(), "the loop should still be running"
    # hover and neighbours work while the kernel is busy (vectors are in the page)
    _settled(page, root)
    index = _visible_point(page, root, 400)
    x, y = _point_on_page(page, root, index)
    page.mouse.move(x - 10, y)
    page.mouse.move(x, y)
    page.mouse.click(x, y)
    _wait_attr(page, root, "data-neighbors", "10", timeout=5_000)
    assert "class" in root.locator(".nbviz-proj-side-head").inner_text()
    root.screenshot(path=str(SHOTS / "projector_live_nb7.png"))
    nb.wait_idle(timeout=120_000)
    _wait_attr(page, root, "data-step", "4", timeout=20_000)
    assert root.locator(".nbviz-proj-legend-item").count() == 5
    assert nb.stderr_outputs() == []
