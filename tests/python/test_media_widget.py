"""The Media panels' kernel side: entries, pushed and requested blobs (docs/wire.md, "Media")."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from torch.utils.tensorboard import SummaryWriter as TorchWriter

import nbviz
from nbviz.panels.media.codec import decode_image


class Recorder:
    """Every comm message of a panel: custom messages with their buffers, trait syncs."""

    def __init__(self, panel: Any) -> None:
        from nbviz.widgets import _ticker

        _ticker.unregister(panel)
        self.custom: list[tuple[dict[str, Any], list[bytes]]] = []
        self.states: list[dict[str, Any]] = []
        self._original = panel._send
        panel._send = self

    def __call__(self, msg: dict[str, Any], buffers: list[bytes] | None = None) -> None:
        if msg["method"] == "custom":
            self.custom.append((msg["content"], [bytes(b) for b in buffers or []]))
        else:
            self.states.append(msg.get("state", {}))
        self._original(msg, buffers)

    def blobs(self) -> dict[int, tuple[str, bytes, bytes | None]]:
        out = {}
        for content, buffers in self.custom:
            if content.get("type") != "blobs":
                continue
            for item in content["items"]:
                mask = buffers[item["mask_part"]] if item["mask_part"] >= 0 else None
                out[item["id"]] = (item["mime"], buffers[item["part"]], mask)
        return out


def _png_pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)))


def test_images_entries_push_newest_and_answer_requests(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    frames = (rng.random((3, 4, 1, 6, 5)) * 255).astype(np.uint8)
    masks = np.zeros((4, 6, 5), np.int64)
    masks[:, 1:3, 1:4] = 1
    run = nbviz.init("live", logdir=tmp_path)
    for step in range(3):
        run.log_image("x", frames[step], masks=masks, class_names=["bg", "digit"],
                      boxes=[[[0, 0, 2, 2]]] * 4, box_scores=[[0.5]] * 4, step=step)
    panel = nbviz.Images(run)
    recorder = Recorder(panel)
    entries = panel.entries
    assert len(entries) == 12 and {e["step"] for e in entries} == {0, 1, 2}
    first = entries[0]
    assert first["meta"]["has_mask"] and first["meta"]["boxes"] == [[0, 0, 2, 2]]
    assert first["meta"]["class_names"] == {"0": "bg", "1": "digit"}
    # a page asks for step 0 (the kernel pushed only the newest step at first display)
    ids = [e["id"] for e in entries if e["step"] == 0]
    panel._on_page_message(panel, {"type": "want", "ids": ids}, [])
    blobs = recorder.blobs()
    assert sorted(blobs) == ids
    for e in entries[:4]:
        mime, data, mask = blobs[e["id"]]
        assert mime == "image/png"
        np.testing.assert_array_equal(_png_pixels(data), frames[0, e["sample"], 0])
        np.testing.assert_array_equal(_png_pixels(mask), masks[0])
    # live: a new step is announced and its images pushed without being asked for
    run.log_image("x", frames[0], step=7)
    panel._tick()
    appends = [c for c, _ in recorder.custom if c.get("type") == "append"]
    assert appends and [e["step"] for e in appends[-1]["entries"]] == [7] * 4
    pushed = recorder.blobs()
    new_ids = [e["id"] for e in appends[-1]["entries"]]
    assert set(new_ids) <= set(pushed) and pushed[new_ids[0]][2] is None
    panel._on_page_message(panel, {"type": "want", "ids": ["bad", True]}, [])  # ignored
    assert "4 record" not in panel.summary() and "16 record(s)" in panel.summary()
    assert panel._render_png()[:4] == b"\x89PNG"
    panel.close()
    run.finish()


def test_images_from_a_tensorboard_logdir(tmp_path: Path) -> None:
    image = np.random.default_rng(1).random((3, 7, 9)).astype(np.float32)
    with TorchWriter(str(tmp_path / "tb")) as writer:
        writer.add_image("img", image, 3)
        writer.add_text("note", "hello **world**", 3)
    panel = nbviz.Images(tmp_path)
    recorder = Recorder(panel)
    (entry,) = panel.entries
    assert entry["tag"] == "img" and entry["step"] == 3 and entry["meta"]["width"] == 9
    panel._on_page_message(panel, {"type": "want", "ids": [entry["id"]]}, [])
    _, data, _ = recorder.blobs()[entry["id"]]
    expected = np.clip(image.transpose(1, 2, 0) * 255, 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(decode_image(data), expected)
    text = nbviz.Text(tmp_path)
    assert [e["meta"]["text"] for e in text.entries] == ["hello **world**"]
    panel.close()
    text.close()


def test_audio_text_table_entries(tmp_path: Path) -> None:
    with nbviz.init("m", logdir=tmp_path) as run:
        run.log_audio("a", np.sin(np.linspace(0, 20, 400)), sample_rate=8000, step=1)
        run.log_text("t", "<script>alert(1)</script>", step=1)
        run.log_table("p", {"image": np.zeros((2, 4, 4)), "true": [1, 2], "pred": [1, 3]}, step=1)
    audio, text, table = nbviz.Audio(run), nbviz.Text(run), nbviz.Table(run)
    recorder = Recorder(audio)
    (clip,) = audio.entries
    assert clip["meta"] == {"sample_rate": 8000.0, "samples": 400}
    audio._on_page_message(audio, {"type": "want", "ids": [clip["id"]]}, [])
    mime, data, _ = recorder.blobs()[clip["id"]]
    assert mime == "audio/wav" and data[:4] == b"RIFF"
    assert text.entries[0]["meta"]["text"] == "<script>alert(1)</script>"
    meta = table.entries[0]["meta"]
    assert meta["columns"] == ["image", "true", "pred"] and meta["types"]["image"] == "image"
    assert meta["data"]["pred"] == [1.0, 3.0] and len(meta["image_offsets"]["image"]) == 3
    for panel in (audio, text, table):
        assert panel._render_png()[:4] == b"\x89PNG"
        panel.close()


def test_media_panel_arguments_are_validated(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="'max_samples'"):
        nbviz.Images(tmp_path, max_samples=0)
    with pytest.raises(TypeError, match="'title'"):
        nbviz.Text(tmp_path, title=3)  # type: ignore[arg-type]


def test_dashboard_shows_media_tabs(tmp_path: Path) -> None:
    with nbviz.init("a", logdir=tmp_path) as run:
        run.log({"loss": 1.0}, step=0)
        run.log_image("x", np.zeros((2, 4, 4)), step=0)
        run.log_audio("s", np.zeros(100), step=0)
        run.log_text("t", "hi", step=0)
        run.log_table("p", {"a": [1, 2]}, step=0)
    dashboard = nbviz.Dashboard(tmp_path)
    assert [t["name"] for t in dashboard.tabs] == ["scalars", "images", "audio", "text", "table"]
    dashboard.close()
