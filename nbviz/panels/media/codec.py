"""Encoded media in the store: images as PNG (exact) or JPEG/WebP (on request), videos as
animated PNG (exact frames, plays in any browser ``<img>``), audio as 16-bit PCM WAV.

A stored media record's ``array`` is the encoded bytes (uint8 ``[nbytes]``) and its
``extra`` says how to decode it: ``encoding`` (``"png"``, ``"jpeg"``, ``"webp"``,
``"apng"``, ``"wav"``) plus ``height, width, channels`` (images, videos: ``frames``) or
``sample_rate, samples`` (audio). Records without ``encoding`` (older stores, tfevents
read back) hold decoded pixels / samples; :func:`decoded` accepts both.

>>> data, extra = encode_image(np.zeros((4, 5, 3), np.uint8))
>>> extra["encoding"], decode_image(data).shape
('png', (4, 5, 3))
"""

from __future__ import annotations

import io
import itertools
import math
import wave
from typing import Any

import numpy as np

__all__ = [
    "ENCODINGS", "IMAGE_FORMATS", "decode_image", "decode_video", "decode_wav", "decoded",
    "encode_image", "encode_mask", "encode_video", "encode_wav", "is_encoded", "media_columns",
    "mime_type", "split_mask", "table_frame", "to_png_bytes",
]

IMAGE_FORMATS = ("png", "jpeg", "webp")
ENCODINGS = (*IMAGE_FORMATS, "apng", "wav")
_MIME = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp", "apng": "image/png",
         "wav": "audio/wav"}


def mime_type(encoding: str) -> str:
    """The MIME type of an encoding (``"png"`` → ``"image/png"``).

    >>> mime_type("wav")
    'audio/wav'
    """
    return _MIME[encoding]


def _pillow() -> Any:
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - pillow comes with matplotlib
        raise ImportError("nbviz media needs the 'pillow' package: pip install pillow") from None
    return Image


def _mode(channels: int) -> str:
    return {1: "L", 3: "RGB", 4: "RGBA"}[channels]


def encode_image(pixels: np.ndarray, image_format: str = "png", quality: int = 90
                 ) -> tuple[bytes, dict[str, Any]]:
    """uint8 ``[H, W, C]`` (C = 1, 3, 4) → (encoded bytes, extra with encoding and size).

    PNG is lossless; ``"jpeg"`` / ``"webp"`` use ``quality`` (JPEG drops alpha).

    >>> encode_image(np.full((2, 2, 1), 7, np.uint8))[1]["channels"]
    1
    """
    image_class = _pillow()
    height, width, channels = pixels.shape
    array = pixels
    if image_format == "jpeg" and channels == 4:
        array = pixels[:, :, :3]
    picture = image_class.fromarray(np.ascontiguousarray(array[:, :, 0] if channels == 1
                                                         else array), _mode(array.shape[2]))
    buffer = io.BytesIO()
    if image_format == "png":
        picture.save(buffer, format="PNG", compress_level=1)
    elif image_format == "jpeg":
        picture.save(buffer, format="JPEG", quality=quality)
    else:
        picture.save(buffer, format="WEBP", quality=quality)
    return buffer.getvalue(), {"encoding": image_format, "height": int(height),
                               "width": int(width), "channels": int(array.shape[2])}


def encode_mask(mask: np.ndarray) -> bytes:
    """A class-index mask uint8 ``[H, W]`` as a greyscale PNG (value = class index).

    >>> decode_image(encode_mask(np.eye(3, dtype=np.uint8)))[:, :, 0].tolist()[0]
    [1, 0, 0]
    """
    buffer = io.BytesIO()
    _pillow().fromarray(np.ascontiguousarray(mask, dtype=np.uint8), "L").save(
        buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def decode_image(data: bytes | np.ndarray) -> np.ndarray:
    """Encoded PNG/JPEG/WebP bytes → uint8 ``[H, W, C]`` (C = 1, 3 or 4, as encoded)."""
    raw = data.tobytes() if isinstance(data, np.ndarray) else bytes(data)
    with _pillow().open(io.BytesIO(raw)) as picture:
        if picture.mode not in ("L", "RGB", "RGBA"):
            picture = picture.convert("RGBA" if "A" in picture.mode else "RGB")
        array = np.asarray(picture, dtype=np.uint8)
    return np.ascontiguousarray(array[:, :, None] if array.ndim == 2 else array)


def encode_video(frames: np.ndarray, fps: float) -> tuple[bytes, dict[str, Any]]:
    """uint8 ``[T, H, W, C]`` → an animated PNG (exact frames, ``1000 / fps`` ms each).

    >>> data, extra = encode_video(np.zeros((2, 3, 4, 3), np.uint8), 4.0)
    >>> decode_video(data, extra["fps"], extra["frames"]).shape, extra["frames"]
    ((2, 3, 4, 3), 2)
    """
    image_class = _pillow()
    count, height, width, channels = frames.shape
    if channels == 1:
        frames = np.repeat(frames, 3, axis=3)
    mode = _mode(frames.shape[3])
    pictures = [image_class.fromarray(np.ascontiguousarray(frame), mode) for frame in frames]
    buffer = io.BytesIO()
    pictures[0].save(buffer, format="PNG", save_all=True, append_images=pictures[1:],
                     duration=1000.0 / fps, loop=0, disposal=0, blend=0, compress_level=1)
    return buffer.getvalue(), {"encoding": "apng", "height": int(height), "width": int(width),
                               "channels": int(frames.shape[3]), "frames": int(count),
                               "fps": float(fps)}


def decode_video(data: bytes | np.ndarray, fps: float | None = None,
                 count: int | None = None) -> np.ndarray:
    """Animated PNG bytes → uint8 ``[T, H, W, C]``. The encoder merges identical
    consecutive frames into one longer frame (all-identical: a still PNG); with ``fps``
    and the stored frame ``count`` they are repeated back."""
    from PIL import ImageSequence

    raw = data.tobytes() if isinstance(data, np.ndarray) else bytes(data)
    frames: list[np.ndarray] = []
    repeats: list[int] = []
    with _pillow().open(io.BytesIO(raw)) as picture:
        mode = "RGBA" if "A" in picture.mode else "RGB"
        for frame in ImageSequence.Iterator(picture):
            frames.append(np.asarray(frame.convert(mode), dtype=np.uint8))
            duration = float(frame.info.get("duration", 0) or 0)
            repeats.append(max(1, round(duration * fps / 1000.0)) if fps else 1)
    if count is not None and len(frames) == 1:
        repeats = [count]
    return np.ascontiguousarray(np.repeat(np.stack(frames), repeats, axis=0))


def encode_wav(samples: np.ndarray, sample_rate: float) -> tuple[bytes, dict[str, Any]]:
    """Float samples in [-1, 1] ``[N]`` → 16-bit PCM mono WAV bytes, exactly as torch's
    ``add_audio`` writes them (``(x * 32767).astype("<i2")``, i.e. truncated). Every 16-bit
    WAV is read back as PCM / 32768, as TensorFlow's ``decode_wav`` (and so TensorBoard)
    reads it, so ±1.0 comes back as ±32767/32768.

    >>> data, extra = encode_wav(np.array([0.0, 1.0, -1.0], np.float32), 8000)
    >>> (decode_wav(data)[0] * 32768).tolist(), extra["length"]
    ([0.0, 32767.0, -32767.0], 3)
    """
    clipped = np.clip(np.asarray(samples, dtype=np.float32), -1.0, 1.0)
    pcm = (clipped * np.iinfo(np.int16).max).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(round(sample_rate))
        writer.writeframes(pcm.tobytes())
    return buffer.getvalue(), {"encoding": "wav", "sample_rate": float(sample_rate),
                               "length": int(pcm.size)}


def decode_wav(data: bytes | np.ndarray) -> tuple[np.ndarray, float]:
    """WAV bytes → (float32 samples in [-1, 1], sample rate), like the tfevents reader."""
    from nbviz.store.tfevents import decode_wav as tb_decode_wav

    raw = data.tobytes() if isinstance(data, np.ndarray) else bytes(data)
    return tb_decode_wav(raw)


def is_encoded(extra: dict[str, Any]) -> bool:
    """True when a record's ``extra`` says its array holds encoded bytes."""
    return extra.get("encoding") in ENCODINGS


def decoded(kind: str, array: np.ndarray, extra: dict[str, Any]) -> np.ndarray:
    """A media record's pixels / samples: decoded when encoded, else the array as stored.

    >>> data, extra = encode_image(np.ones((2, 2, 3), np.uint8))
    >>> decoded("image", np.frombuffer(data, np.uint8), extra).sum()
    np.uint64(12)
    """
    if not is_encoded(extra):
        return array
    array = split_mask(np.asarray(array, np.uint8), extra)[0]
    encoding = extra["encoding"]
    if encoding == "wav":
        return decode_wav(array)[0]
    if encoding == "apng":
        count = extra.get("frames")
        return decode_video(array, float(extra.get("fps", 0)) or None,
                            int(count) if count is not None else None)
    return decode_image(array)


def to_png_bytes(kind: str, array: np.ndarray, extra: dict[str, Any]) -> tuple[bytes, str]:
    """(bytes, MIME type) to send a media record to the page: the stored bytes when encoded,
    else a PNG of raw pixels (tfevents images) / a WAV of raw samples."""
    if is_encoded(extra):
        stored = split_mask(np.asarray(array, np.uint8), extra)[0]
        return stored.tobytes(), mime_type(extra["encoding"])
    if kind == "audio":
        samples = np.asarray(array, np.float32)
        if samples.ndim == 2:
            samples = samples.mean(axis=1)
        wav, _ = encode_wav(samples, float(extra.get("sample_rate", 44100)))
        return wav, "audio/wav"
    if kind == "video":
        apng, _ = encode_video(np.asarray(array, np.uint8), float(extra.get("fps", 4.0)))
        return apng, "image/png"
    pixels = np.asarray(array, np.uint8)
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    return encode_image(pixels)[0], "image/png"


def split_mask(array: np.ndarray, extra: dict[str, Any]) -> tuple[np.ndarray, np.ndarray | None]:
    """(image bytes, mask PNG bytes or None) of an ``image`` record's array."""
    offset = extra.get("mask_offset")
    if offset is None:
        return array, None
    return array[: int(offset)], array[int(offset):]


def table_frame(array: np.ndarray, extra: dict[str, Any], decode: bool = True) -> Any:
    """A ``table`` record as a DataFrame (image cells decoded, or as PNG bytes)."""
    import pandas as pd

    data = np.asarray(array, np.uint8)
    columns: dict[str, Any] = {}
    for name in extra.get("columns", []):
        offsets = extra.get("image_offsets", {}).get(name)
        if offsets is None:
            columns[name] = list(extra.get("data", {}).get(name, []))
            continue
        cells = [data[start:stop] for start, stop in itertools.pairwise(offsets)]
        columns[name] = [decode_image(cell) if decode else cell.tobytes() for cell in cells]
    return pd.DataFrame(columns)


_MEDIA_META = ("encoding", "mask_offset", "height", "width", "channels", "frames", "length",
               "image_offsets", "columns", "types", "data", "rows")


def media_columns(kind: str, array: np.ndarray, extra: dict[str, Any], decode: bool
                  ) -> dict[str, Any]:
    """``nbviz.read`` columns of an encoded media record (see ``nbviz.read``)."""
    out: dict[str, Any] = {}
    if kind == "table":
        out["table"] = table_frame(array, extra, decode)
        out["rows"] = int(extra.get("rows", len(out["table"])))
    elif kind in ("image", "video"):
        image_bytes, mask_bytes = split_mask(np.asarray(array, np.uint8), extra)
        if decode:
            out[kind] = decoded(kind, image_bytes, extra)
        else:
            out[kind] = image_bytes.tobytes()
        out["height"], out["width"] = int(extra["height"]), int(extra["width"])
        out["channels"] = int(extra["channels"])
        if kind == "image" and "sample" in extra:
            out["sample"] = int(extra["sample"])
            if mask_bytes is None:
                out["mask"] = None
            else:
                out["mask"] = (decode_image(mask_bytes)[:, :, 0] if decode
                               else mask_bytes.tobytes())
    else:
        out["audio"] = decoded(kind, array, extra) if decode else np.asarray(
            array, np.uint8).tobytes()
        out["sample_rate"] = float(extra.get("sample_rate", math.nan))
    if not decode:
        out["encoding"] = extra.get("encoding", "png")
    for key, value in extra.items():
        if key not in out and key not in _MEDIA_META:
            out[key] = value
    return out
