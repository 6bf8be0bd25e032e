"""Media records: encoded storage (PNG / animated PNG / WAV), torch-equal pixels and samples,
log_image masks + boxes, log_audio / log_text / log_table, every step kept."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.utils.tensorboard import SummaryWriter as TorchWriter

import nbviz
from nbviz import SummaryWriter, read
from nbviz.store.sqlite import StoreReader


def _stored(run_dir: Path, kind: str) -> list[object]:
    reader = StoreReader(run_dir)
    try:
        return [r for r in reader.tensors_between(0) if r.kind == kind]
    finally:
        reader.close()


@pytest.mark.parametrize("dtype", ["float", "uint8"])
def test_every_dataformat_equals_torch_pixels_and_is_png(tmp_path: Path, dtype: str) -> None:
    rng = np.random.default_rng(7)
    chw = rng.random((3, 6, 7)).astype(np.float32)
    nchw = rng.random((5, 3, 6, 7)).astype(np.float32)
    if dtype == "uint8":
        chw, nchw = (chw * 255).astype(np.uint8), (nchw * 255).astype(np.uint8)
    calls = [
        ("add_image", "CHW", chw, "CHW"),
        ("add_image", "HWC", chw.transpose(1, 2, 0), "HWC"),
        ("add_image", "HW", chw[0], "HW"),
        ("add_images", "NCHW", nchw, "NCHW"),
        ("add_images", "NHWC", nchw.transpose(0, 2, 3, 1), "NHWC"),
        ("add_images", "NCHW-grey", nchw[:, :1], "NCHW"),
    ]
    with TorchWriter(str(tmp_path / "tb")) as theirs, SummaryWriter(str(tmp_path / "nb")) as ours:
        for step, (method, tag, array, layout) in enumerate(calls):
            getattr(theirs, method)(tag, torch.from_numpy(array), step, dataformats=layout)
            getattr(ours, method)(tag, torch.from_numpy(array), step, dataformats=layout)
    tb, nb = read(tmp_path / "tb", "images"), read(tmp_path / "nb", "images")
    assert nb.tag.tolist() == tb.tag.tolist() == [c[1] for c in calls]
    for tag, left, right in zip(tb.tag, tb.image, nb.image, strict=True):
        np.testing.assert_array_equal(right, left, err_msg=tag)
    stored = _stored(tmp_path / "nb", "image")
    assert all(r.extra["encoding"] == "png" and r.array.dtype == np.uint8 for r in stored)
    assert all(bytes(r.array[:8]) == b"\x89PNG\r\n\x1a\n" for r in stored)
    raw = read(tmp_path / "nb", "images", decode=False)
    assert raw.encoding.tolist() == ["png"] * len(calls) and isinstance(raw.image[0], bytes)
    assert raw.height.tolist() == nb.height.tolist()


def test_torch_logdir_with_images_audio_text_reads_back_equal(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    image = rng.random((3, 10, 12)).astype(np.float32)
    clip = np.sin(np.linspace(0, 40, 800)).astype(np.float32) * 0.8
    video = rng.random((2, 3, 3, 4, 5)).astype(np.float32)
    with TorchWriter(str(tmp_path / "tb")) as theirs, SummaryWriter(str(tmp_path / "nb")) as ours:
        for writer in (theirs, ours):
            writer.add_image("img", image, 1)
            writer.add_audio("snd", torch.from_numpy(clip)[None], 2, sample_rate=8000)
            writer.add_text("note", "**bold** <script>x</script>", 3)
    with SummaryWriter(str(tmp_path / "vid")) as ours:
        ours.add_video("v", video, 0, fps=5)
    for kind, column in (("images", "image"), ("audio", "audio")):
        tb, nb = read(tmp_path / "tb", kind), read(tmp_path / "nb", kind)
        assert len(tb) == len(nb) == 1
        np.testing.assert_array_equal(nb[column][0], tb[column][0])
        assert nb.step[0] == tb.step[0]
    assert read(tmp_path / "nb", "audio").sample_rate[0] == 8000
    assert read(tmp_path / "tb", "text").text[0] == read(tmp_path / "nb", "text").text[0]
    # the stored audio is the very WAV torch writes: 16-bit PCM, truncated like torch
    stored = _stored(tmp_path / "nb", "audio")[0]
    with wave.open(io.BytesIO(stored.array.tobytes())) as wav:
        assert wav.getsampwidth() == 2 and wav.getframerate() == 8000
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), "<i2")
    np.testing.assert_array_equal(pcm, (clip * 32767).astype("<i2"))
    from torch.utils.tensorboard._utils import _prepare_video

    frames = read(tmp_path / "vid", "videos").video[0]
    expected = np.clip(_prepare_video(video.copy()) * 255, 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(frames, expected)
    assert _stored(tmp_path / "vid", "video")[0].extra["encoding"] == "apng"


def test_thousand_steps_of_sixteen_images_all_kept(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    base = (rng.random((16, 1, 8, 8)) * 255).astype(np.uint8)
    with nbviz.init("many", logdir=tmp_path) as run:
        for step in range(1000):
            batch = base.copy()
            batch[:, 0, 0, 0] = step % 256
            batch[:, 0, 0, 1] = step // 256
            run.log_image("samples", batch, step=step)
    frame = read(tmp_path, "images")
    assert len(frame) == 16_000
    assert sorted(set(frame.step)) == list(range(1000))
    assert (frame.groupby("step")["sample"].nunique() == 16).all()
    last = frame[(frame.step == 999) & (frame["sample"] == 5)].image.iloc[0]
    assert last.shape == (8, 8, 1) and last[0, 0, 0] == 999 % 256 and last[0, 1, 0] == 3
    np.testing.assert_array_equal(last[1:, :, 0], base[5, 0, 1:])
    size = sum(len(r.array) for r in _stored(tmp_path / "many", "image"))
    assert size < 16_000 * (8 * 8 * 4)  # smaller than float32 pixels


def test_log_image_masks_boxes_and_layouts(tmp_path: Path) -> None:
    images = torch.rand(2, 3, 12, 10)
    masks = torch.zeros(2, 12, 10, dtype=torch.long)
    masks[:, 2:5, 3:8] = 2
    with nbviz.init("seg", logdir=tmp_path) as run:
        run.log_image("seg", images, masks=masks, class_names=["bg", "a", "b"], step=4)
        run.log_image("det", images[0], boxes=[[1, 2, 5, 6], [0, 0, 3, 3]],
                      box_labels=[1, "car"], box_scores=[0.9, 0.2],
                      class_names={1: "person"}, step=5)
        run.log_image("hwc", np.zeros((5, 6, 3), np.uint8), step=1)
        run.log_image("hw", np.ones((5, 6)), step=1)
        run.log_image("nhw", np.zeros((7, 5, 6)), step=1)
        run.log_image("jpg", images, image_format="jpeg", step=1)
    frame = read(tmp_path, "images")
    seg = frame[frame.tag == "seg"]
    assert seg["sample"].tolist() == [0, 1]
    np.testing.assert_array_equal(seg["mask"].iloc[1], masks[1].numpy())
    expected = (images[1].permute(1, 2, 0).numpy() * 255).clip(0, 255).astype(np.uint8)
    np.testing.assert_array_equal(seg.image.iloc[1], expected)
    assert seg.class_names.iloc[0] == {"0": "bg", "1": "a", "2": "b"}
    det = frame[frame.tag == "det"].iloc[0]
    assert det.boxes == [[1, 2, 5, 6], [0, 0, 3, 3]]
    assert det.box_labels == ["person", "car"] and det.box_scores == [0.9, 0.2]
    shapes = {t: frame[frame.tag == t].image.iloc[0].shape for t in ("hwc", "hw", "nhw", "jpg")}
    assert shapes == {"hwc": (5, 6, 3), "hw": (5, 6, 1), "nhw": (5, 6, 1), "jpg": (12, 10, 3)}
    assert (frame.tag == "nhw").sum() == 7
    assert frame[frame.tag == "hw"].image.iloc[0].max() == 255
    raw = read(tmp_path, "images", decode=False)
    assert raw[raw.tag == "jpg"].encoding.iloc[0] == "jpeg"


def test_log_audio_text_table_round_trip(tmp_path: Path) -> None:
    clip = np.linspace(-1, 1, 321, dtype=np.float32)
    images = np.random.default_rng(1).random((4, 1, 6, 6))
    with nbviz.init("m", logdir=tmp_path) as run:
        run.log_audio("a", np.stack([clip, -clip]), sample_rate=16000, step=2)
        run.log_text("t", "**pred:** a cat | **true:** a dog", step=3)
        run.log_text("t", ["one", "two"], step=4)
        run.log_table("preds", {"image": images, "true": [1, 2, 3, 4],
                                "pred": np.array([1, 0, 3, 1]), "name": ["a", "b", "c", "d"]},
                      step=5)
    audio = read(tmp_path, "audio")
    assert audio["sample"].tolist() == [0, 1] and audio.sample_rate.tolist() == [16000.0] * 2
    # stored as torch writes (x * 32767, truncated), read as TensorFlow reads (PCM / 32768)
    np.testing.assert_allclose(audio.audio[0], clip, atol=2 / 32768 + 1e-7)
    np.testing.assert_allclose(audio.audio[1], -clip, atol=2 / 32768 + 1e-7)
    text = read(tmp_path, "text")
    assert text.text.tolist() == ["**pred:** a cat | **true:** a dog", "one", "two"]
    table = read(tmp_path, "tables").table[0]
    assert list(table.columns) == ["image", "true", "pred", "name"]
    assert table.pred.tolist() == [1.0, 0.0, 3.0, 1.0] and table.name.tolist() == list("abcd")
    np.testing.assert_array_equal(table.image[2][:, :, 0],
                                  (images[2, 0] * 255).clip(0, 255).astype(np.uint8))


def test_bad_media_input_names_the_argument(tmp_path: Path) -> None:
    with nbviz.init("bad", logdir=tmp_path) as run:
        with pytest.raises(ValueError, match="'images'"):
            run.log_image("x", np.zeros((2, 5, 6, 7, 8)))
        with pytest.raises(ValueError, match="NaN"):
            run.log_image("x", np.full((4, 4), np.nan))
        with pytest.raises(ValueError, match="'masks'"):
            run.log_image("x", np.zeros((2, 4, 4)), masks=np.zeros((2, 3, 3), int))
        with pytest.raises(TypeError, match="'masks'"):
            run.log_image("x", np.zeros((4, 4)), masks=np.zeros((4, 4)))
        with pytest.raises(ValueError, match="'boxes'"):
            run.log_image("x", np.zeros((4, 4)), boxes=[[1, 2, 3]])
        with pytest.raises(ValueError, match="'box_scores'"):
            run.log_image("x", np.zeros((4, 4)), boxes=[[1, 2, 3, 4]], box_scores=[0.1, 0.2])
        with pytest.raises(ValueError, match="integer values"):
            run.log_image("x", np.full((4, 4), 300))
        with pytest.raises(ValueError, match="'image_format'"):
            run.log_image("x", np.zeros((4, 4)), image_format="gif")
        with pytest.raises(ValueError, match="'sample_rate'"):
            run.log_audio("a", np.zeros(10), sample_rate=0)
        with pytest.raises(ValueError, match="'waveform'"):
            run.log_audio("a", np.zeros((2, 3, 4)))
        with pytest.raises(TypeError, match="'text'"):
            run.log_text("t", 5)
        with pytest.raises(ValueError, match="same length"):
            run.log_table("p", {"a": [1, 2], "b": [1, 2, 3]})
        with pytest.raises(TypeError, match="'columns'"):
            run.log_table("p", [1, 2])
    assert read(tmp_path, "images").empty
