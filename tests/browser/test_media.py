"""The Media panels as a person sees them (JupyterLab): Images — exact step box and slider
change the picture, masks and boxes drawn (pixel checks at known positions), the score
threshold hides low boxes, the grey-level window remaps grey values (grid and viewer) and
resets, the viewer compares; a video (add_video, animated PNG) plays; Text — Markdown with
<script> and <img onerror> renders inert; Audio — the clip plays; Table — misclassified rows first;
dark theme. Notebook 7: a training cell's images appear while it runs.

DOM hooks (js/src/panels/{images,audio,text,table}/): ``canvas.nbviz-images-thumb`` with
``data-run/tag/sample/step/boxes``; root ``.nbviz-images[data-drawn-step]``;
``input.nbviz-media-stepbox``, ``input.nbviz-media-slider``, ``input.nbviz-images-threshold``,
``input.nbviz-images-window-low/-high``, ``button.nbviz-images-tone-reset``;
``.nbviz-images-viewer``; ``img.nbviz-images-video``; ``.nbviz-text-card``;
``audio.nbviz-audio-player``;
``.nbviz-table[data-first-row]``, ``.nbviz-table-row``.
"""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

import pytest
from browser_helpers import SHOTS, code_notebook, effective_background, set_range

pytestmark = pytest.mark.browser

SETUP = """\
import numpy as np
import nbviz

run = nbviz.init("media", logdir="runs_media", if_exists="overwrite")
for step in range(5):
    images = np.full((2, 16, 16), 30 + 40 * step, np.uint8)  # step s: grey 30 + 40 s
    masks = np.zeros((2, 16, 16), np.int64)
    masks[:, :8] = 1                                          # top half: class 1
    run.log_image("seg", images, masks=masks, class_names=["bg", "digit"],
                  boxes=[[[1, 9, 6, 14], [9, 9, 14, 14]]] * 2,
                  box_labels=[["cat", "dog"]] * 2, box_scores=[[0.9, 0.3]] * 2, step=step)
t = np.arange(8000) / 8000
run.log_audio("tone", 0.5 * np.sin(2 * np.pi * 440 * t), sample_rate=8000, step=0)
run.log_text("pred", '# Result\\n**pred:** a cat | **true:** a dog\\n\\n'
             '<script>window.__pwned = 1</script>\\n\\n<img src=x onerror="window.__pwned = 2">',
             step=0)
y = np.arange(20) % 3
p = y.copy(); p[[4, 11]] = 0
run.log_table("val", {"image": np.random.default_rng(0).random((20, 8, 8)), "true": y,
                      "pred": p, "confidence": np.linspace(0.5, 1, 20)}, step=0)
run.flush()
display(nbviz.Images(run), nbviz.Audio(run), nbviz.Text(run), nbviz.Table(run))
"""

LIVE_SETUP = """\
import time
import numpy as np
import nbviz

run = nbviz.init("live", logdir="runs_media_live", if_exists="overwrite")
display(nbviz.Images(run))
"""

LIVE_LOOP = """\
for step in range(6):
    run.log_image("recon", np.full((4, 1, 12, 12), step / 6), step=step)
    time.sleep(1.0)
run.finish()
print("done")
"""


VIDEO_SETUP = """\
import torch
import nbviz

frames = torch.zeros(1, 4, 3, 16, 16, dtype=torch.uint8)
for t in range(4):
    frames[0, t] = 40 + 60 * t                                # frame t: grey 40 + 60 t
with nbviz.SummaryWriter("runs_media_video/clip") as writer:
    writer.add_video("rollout", frames, 0, fps=4)             # 250 ms per frame, looping
display(nbviz.Images("runs_media_video"))
"""


def _notebook(tmp_path: Path, name: str, *cells: str) -> Path:
    return code_notebook(tmp_path / name, list(cells))


def _pixel(canvas: Any, x: int, y: int) -> list[int]:
    return list(canvas.evaluate(
        "(c, [x, y]) => Array.from(c.getContext('2d').getImageData(x, y, 1, 1).data)", [x, y]))


def _wait_pixel(page: Any, canvas: Any, x: int, y: int, value: int) -> None:
    """Wait until canvas pixel (x, y) is grey ``value`` (±1) in all three channels."""
    page.wait_for_function(
        "([c, x, y, v]) => { const d = c.getContext('2d').getImageData(x, y, 1, 1).data;"
        " return [0, 1, 2].every(i => Math.abs(d[i] - v) <= 1); }",
        arg=[canvas.element_handle(), x, y, value], timeout=10_000)


def _window(lo: int, hi: int, value: int) -> int:
    """The Images panel's grey-level window (draw.ts windowPixels) on one grey value."""
    return min(255, max(0, round((value - lo) * 255 / max(1, hi - lo))))


def _wait_step(page: Any, canvas: Any, step: int) -> None:
    page.wait_for_function("([c, s]) => c.dataset.step === String(s)",
                           arg=[canvas.element_handle(), step], timeout=15_000)


GREY = [30 + 40 * s for s in range(5)]
BLUE = (0x00, 0x91, 0xEA)   # class 1 / first box label (PALETTE[1])
GREEN = (0x00, 0xB8, 0x94)  # second box label (PALETTE[2])


def test_media_panels_lab(nb: Any, tmp_path: Path) -> None:
    path = nb.copy(_notebook(tmp_path, "media_panels.ipynb", SETUP))
    nb.run_until(".nbviz-images canvas.nbviz-images-thumb", ui="lab", path=path)
    page = nb.page
    page.set_viewport_size({"width": 1280, "height": 1600})
    root = page.locator(".nbviz-images").first
    canvas = page.locator('canvas.nbviz-images-thumb[data-sample="0"]').first
    _wait_step(page, canvas, 4)  # follows the newest step
    assert page.locator("canvas.nbviz-images-thumb").count() == 2
    # 16 px images in 112 px thumbnails: 7 canvas px per image px, pixelated
    assert _pixel(canvas, 87, 105)[:3] == [GREY[4]] * 3  # no mask, no box
    # -- the exact-step box and the slider change the picture
    box = root.locator("input.nbviz-media-stepbox")
    box.fill("2")
    box.press("Enter")
    _wait_step(page, canvas, 2)
    assert _pixel(canvas, 87, 105)[:3] == [GREY[2]] * 3
    set_range(root.locator("input.nbviz-media-slider"), 0)
    _wait_step(page, canvas, 0)
    assert _pixel(canvas, 87, 105)[:3] == [GREY[0]] * 3
    assert box.input_value() == "0"  # the box follows the slider
    # -- the mask: class 1 colour at opacity 0.5 over the top half
    masked = _pixel(canvas, 87, 20)[:3]
    expected = [round(GREY[0] * 0.5 + c * 0.5) for c in BLUE]
    assert all(abs(a - b) <= 3 for a, b in zip(masked, expected, strict=True)), masked
    # -- boxes: left edges in their label colours; the threshold hides the 0.3 box
    assert canvas.get_attribute("data-boxes") == "2"
    assert _pixel(canvas, 7, 80)[:3] == list(BLUE)
    assert _pixel(canvas, 63, 80)[:3] == list(GREEN)
    root.screenshot(path=str(SHOTS / "media_images_boxes.png"))
    set_range(root.locator("input.nbviz-images-threshold"), 0.5)
    page.wait_for_function("(c) => c.dataset.boxes === '1'", arg=canvas.element_handle(),
                           timeout=10_000)
    assert _pixel(canvas, 7, 80)[:3] == list(BLUE)
    assert _pixel(canvas, 63, 80)[:3] == [GREY[0]] * 3
    # -- masks off: the top half is plain grey again
    root.locator("input.nbviz-images-masks").uncheck()
    page.wait_for_function("(c) => c.getContext('2d').getImageData(87, 20, 1, 1).data[2] < 60",
                           arg=canvas.element_handle(), timeout=10_000)
    assert _pixel(canvas, 87, 20)[:3] == [GREY[0]] * 3
    # -- the grey-level window: low..high spread over black..white, then reset
    low, high = root.locator("input.nbviz-images-window-low"), root.locator(
        "input.nbviz-images-window-high")
    set_range(low, 20)
    set_range(high, 60)
    _wait_pixel(page, canvas, 87, 105, _window(20, 60, GREY[0]))  # 30 -> 64
    set_range(high, 40)
    _wait_pixel(page, canvas, 87, 105, _window(20, 40, GREY[0]))  # 30 -> 128
    assert root.locator(".nbviz-images-window-value").inner_text() == "20–40"
    root.locator("button.nbviz-images-tone-reset").click()
    _wait_pixel(page, canvas, 87, 105, GREY[0])
    assert (low.input_value(), high.input_value()) == ("0", "255")
    root.locator("input.nbviz-images-masks").check()
    # -- the viewer: one run, so this step against the previous one; difference mode
    box.fill("3")
    box.press("Enter")
    _wait_step(page, canvas, 3)
    canvas.click()
    viewer = root.locator(".nbviz-images-viewer")
    viewer.wait_for(state="visible", timeout=10_000)
    root.locator("select.nbviz-images-mode").select_option("difference")
    large = viewer.locator("canvas.nbviz-images-large").first
    page.wait_for_function(
        "(c) => { const d = c.getContext('2d')"
        ".getImageData(c.width - 10, c.height - 10, 1, 1).data;"
        " return d[0] === 40 && d[1] === 40 && d[2] === 40; }",  # |grey(3) - grey(2)| = 40
        arg=large.element_handle(), timeout=10_000)
    root.screenshot(path=str(SHOTS / "media_images_viewer.png"))
    # the window applies in the viewer too: |w(grey 3) - w(grey 2)| with window 100..180
    set_range(low, 100)
    set_range(high, 180)
    windowed = abs(_window(100, 180, GREY[3]) - _window(100, 180, GREY[2]))  # 159 - 32
    _wait_pixel(page, large, large.evaluate("c => c.width") - 10,
                large.evaluate("c => c.height") - 10, windowed)
    root.screenshot(path=str(SHOTS / "media_images_window.png"))
    root.locator("button.nbviz-images-tone-reset").click()
    _wait_pixel(page, large, large.evaluate("c => c.width") - 10,
                large.evaluate("c => c.height") - 10, 40)

    # -- Text: Markdown rendered as nodes; <script> / <img onerror> stay inert text
    card = page.locator(".nbviz-text-card").first
    card.wait_for(state="visible", timeout=15_000)
    assert card.locator("strong").first.inner_text() == "pred:"
    assert card.locator("h3").first.inner_text() == "Result"
    assert page.locator(".nbviz-text script, .nbviz-text img").count() == 0
    assert "<script>window.__pwned = 1</script>" in card.inner_text()
    assert "onerror" in card.inner_text()
    assert page.evaluate("() => window.__pwned") is None
    page.locator(".nbviz-text input.nbviz-text-raw").check()
    assert card.locator("pre.nbviz-text-rawview").inner_text().startswith("# Result")

    # -- Table: misclassified first
    table = page.locator(".nbviz-table").first
    page.wait_for_function("(t) => t.dataset.firstRow === '4'", arg=table.element_handle(),
                           timeout=15_000)
    assert "2 misclassified" in table.locator(".nbviz-table-info").inner_text()
    page.wait_for_function(
        "(t) => [...t.querySelectorAll('canvas.nbviz-table-thumb')].some(c => c.width > 0)",
        arg=table.element_handle(), timeout=15_000)

    # -- Audio: the clip plays
    player = page.locator("audio.nbviz-audio-player").first
    page.wait_for_function("(a) => !!a.src && a.readyState >= 1", arg=player.element_handle(),
                           timeout=15_000)
    player.scroll_into_view_if_needed()
    player.click()  # a user gesture, so the page may play audio
    player.evaluate("(a) => { a.muted = true; return a.play(); }")
    page.wait_for_function("(a) => !a.paused && a.currentTime > 0.05",
                           arg=player.element_handle(), timeout=10_000)
    page.locator(".nbviz-audio").first.screenshot(path=str(SHOTS / "media_audio_lab.png"))

    # -- dark theme
    nb.dark_theme()
    page.wait_for_function("(el) => el.classList.contains('nbviz-dark')",
                           arg=root.element_handle(), timeout=10_000)
    assert effective_background(root.locator(".nbviz-images-cell").first)["lum"] < 0.3
    root.scroll_into_view_if_needed()
    root.screenshot(path=str(SHOTS / "media_images_dark.png"))
    page.locator(".nbviz-text").first.screenshot(path=str(SHOTS / "media_text_dark.png"))
    page.locator(".nbviz-table").first.screenshot(path=str(SHOTS / "media_table_dark.png"))
    assert nb.stderr_outputs() == []


def test_media_images_live_notebook7(nb: Any, tmp_path: Path) -> None:
    path = nb.copy(_notebook(tmp_path, "media_live.ipynb", LIVE_SETUP, LIVE_LOOP))
    nb.run_until(".nbviz-images", ui="nb7", path=path, wait_for_idle=False)
    page = nb.page
    canvas = page.locator('canvas.nbviz-images-thumb[data-sample="0"]').first
    canvas.wait_for(state="attached", timeout=30_000)
    page.wait_for_function("(c) => c.dataset.step !== undefined", arg=canvas.element_handle(),
                           timeout=30_000)
    assert nb.is_busy(), "the training cell finished before the first image showed"
    first = int(canvas.get_attribute("data-step") or 0)
    page.wait_for_function("([c, s]) => +c.dataset.step > s",
                           arg=[canvas.element_handle(), first], timeout=10_000)
    assert nb.is_busy(), "new steps must show while the cell runs"
    page.screenshot(path=str(SHOTS / "media_live_nb7.running.png"))
    nb.wait_idle(timeout=60_000)
    _wait_step(page, canvas, 5)
    value = round(5 / 6 * 255)
    assert abs(_pixel(canvas, 50, 50)[0] - value) <= 1
    assert page.locator("canvas.nbviz-images-thumb").count() == 4
    assert nb.stderr_outputs() == []


def test_media_video_lab(nb: Any, tmp_path: Path) -> None:
    from PIL import Image

    path = nb.copy(_notebook(tmp_path, "media_video.ipynb", VIDEO_SETUP))
    nb.run_until(".nbviz-images img.nbviz-images-video", ui="lab", path=path)
    page = nb.page
    video = page.locator(".nbviz-images img.nbviz-images-video").first
    page.wait_for_function("(v) => v.complete && v.naturalWidth === 16",
                           arg=video.element_handle(), timeout=15_000)
    assert video.evaluate("v => v.src.startsWith('blob:')")
    box = video.bounding_box()
    assert box is not None and round(box["width"]) == 112  # 16 px frames, 112 px thumbnail
    frames = [40 + 60 * t for t in range(4)]
    seen: list[int] = []
    deadline = time.monotonic() + 6.0
    while time.monotonic() < deadline and (len(seen) < 4 or len(set(seen)) < 2):
        shot = Image.open(io.BytesIO(video.screenshot())).convert("RGB")
        pixel = shot.getpixel((shot.width // 2, shot.height // 2))
        grey = min(frames, key=lambda f: abs(pixel[0] - f))
        assert all(abs(c - grey) <= 2 for c in pixel), pixel  # one of the logged frames
        seen.append(grey)
        page.wait_for_timeout(300)
    assert len(set(seen)) >= 2, f"the video did not advance: centre greys {seen}"
    page.locator(".nbviz-images").first.screenshot(path=str(SHOTS / "media_video_lab.png"))
    assert nb.stderr_outputs() == []
