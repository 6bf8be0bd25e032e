"""The TensorBoard event-file reader: framing, CRCs, protobuf decoding, tailing, bad input."""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import textwrap
import warnings
import wave
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import nbviz
from nbviz.store import tfevents_proto as proto
from nbviz.store.tfevents import (
    EventRun,
    decode_tensor,
    find_event_runs,
    parse_projector_config,
)

pb = pytest.importorskip("tensorboard.compat.proto.event_pb2")
from tensorboard.compat.proto import summary_pb2, tensor_pb2, tensor_shape_pb2  # noqa: E402
from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import (  # noqa: E402
    crc32c as reference_crc32c,
)
from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import (  # noqa: E402
    masked_crc32c as reference_masked,
)

Event = pb.Event
Summary = summary_pb2.Summary


# -- helpers: an independent TFRecord writer (tensorboard's own CRC) -------------------------


def frame(data: bytes) -> bytes:
    header = struct.pack("<Q", len(data))
    return (header + struct.pack("<I", reference_masked(header)) + data
            + struct.pack("<I", reference_masked(data)))


def scalar_event(tag: str | bytes, value: float, step: int, wall: float = 1.0e9) -> bytes:
    summary = Summary()
    item = summary.value.add()
    if isinstance(tag, bytes):
        item.ClearField("tag")
    else:
        item.tag = tag
    item.simple_value = value
    raw = Event(wall_time=wall, step=step, summary=summary).SerializeToString()
    if isinstance(tag, bytes):  # protobuf refuses non-UTF-8 strings: splice the bytes in
        value_bytes = b"\x0a" + bytes([len(tag)]) + tag + b"\x15" + struct.pack("<f", value)
        summary_bytes = b"\x0a" + bytes([len(value_bytes)]) + value_bytes
        raw = (b"\x09" + struct.pack("<d", wall) + b"\x10" + bytes([step])
               + b"\x2a" + bytes([len(summary_bytes)]) + summary_bytes)
    return raw


def write_events(path: Path, events: list[bytes]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    version = Event(wall_time=1.0e9, file_version="brain.Event:2").SerializeToString()
    path.write_bytes(b"".join(frame(e) for e in [version, *events]))
    return path


def tensor_value(tag: str, array: np.ndarray, plugin: str | None = None,
                 content: bytes = b"") -> Summary.Value:
    proto_tensor = tensor_pb2.TensorProto(
        dtype=1 if array.dtype == np.float32 else 2,
        tensor_shape=tensor_shape_pb2.TensorShapeProto(
            dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=s) for s in array.shape]),
        tensor_content=array.tobytes(),
    )
    value = Summary.Value(tag=tag, tensor=proto_tensor)
    if plugin is not None:
        value.metadata.plugin_data.plugin_name = plugin
        value.metadata.plugin_data.content = content
    return value


def read_quiet(logdir: Path, kind: str = "scalars") -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return nbviz.read(logdir, kind=kind)


# -- CRC32C ------------------------------------------------------------------------------------


def test_crc32c_matches_reference_for_all_lengths() -> None:
    rng = np.random.default_rng(0)
    blob = rng.integers(0, 256, 40_000, dtype=np.uint8)
    lengths = np.array([0, 1, 2, 3, 7, 8, 9, 45, 127, 128, 129, 1000, 4095, 4096, 4097, 5000,
                        20_000, 1024, 1025, 3071])
    starts = rng.integers(0, blob.size - 20_000, lengths.size)
    got = proto.crc32c_many(blob, starts, lengths)
    for start, length, crc in zip(starts, lengths, got, strict=True):
        assert int(crc) == reference_crc32c(blob[start : start + length].tobytes()), length
    assert proto.crc32c(b"123456789") == 0xE3069283
    assert proto.masked_crc32c(b"abc") == reference_masked(b"abc")
    assert proto.crc32c(blob.tobytes()) == reference_crc32c(blob.tobytes())


def test_crc32c_many_rejects_out_of_range() -> None:
    with pytest.raises(ValueError, match="outside the buffer"):
        proto.crc32c_many(np.zeros(4, np.uint8), np.array([2]), np.array([5]))


# -- framing -----------------------------------------------------------------------------------


def test_frame_records_valid_truncated_and_corrupt() -> None:
    records = [frame(f"record {i}".encode()) for i in range(5)]
    data = b"".join(records)
    framing = proto.frame_records(data)
    assert framing.consumed == len(data) and not framing.problems
    assert [data[s : s + n] for s, n in zip(framing.starts, framing.lengths, strict=True)] == [
        f"record {i}".encode() for i in range(5)]
    # A record cut short at the end: not an error, left for the next read.
    cut = data[:-7]
    framing = proto.frame_records(cut)
    assert len(framing.starts) == 4 and framing.consumed == len(data) - len(records[-1])
    assert not framing.problems
    # With final=True the cut record is reported.
    assert proto.frame_records(cut, final=True).problems
    # A bad data CRC in the middle: that record is skipped and reported, the rest read.
    broken = bytearray(data)
    broken[len(records[0]) + 14] ^= 0xFF
    framing = proto.frame_records(bytes(broken))
    assert len(framing.starts) == 4
    assert [p[1] for p in framing.problems] == ["record data CRC mismatch; record skipped"]
    # A bad length (header CRC): the reader searches for the next valid header.
    broken = bytearray(data)
    broken[len(records[0]) + len(records[1])] ^= 0x40
    framing = proto.frame_records(bytes(broken))
    assert len(framing.starts) == 4 and "length CRC mismatch" in framing.problems[0][1]
    assert framing.consumed == len(data)


def test_varint_and_fields() -> None:
    data = bytes.fromhex("08 96 01 12 03 61 62 63 1d 00 00 80 3f")
    out = list(proto.fields(data, 0, len(data)))
    assert out[0] == (1, 0, 150)
    assert out[1] == (2, 2, (5, 8))
    assert out[2][0] == 3 and struct.unpack("<f", out[2][2])[0] == 1.0
    with pytest.raises(proto.DecodeError):
        list(proto.fields(b"\x0b\x00", 0, 2))  # wire type 3 (groups) is not supported
    with pytest.raises(proto.DecodeError):
        list(proto.fields(b"\x12\x05ab", 0, 4))  # length runs past the end


def test_decode_tensor_dtypes() -> None:
    for dtype, enum in ((np.float32, 1), (np.float64, 2), (np.int32, 3), (np.int64, 9)):
        array = np.arange(6, dtype=dtype).reshape(2, 3)
        message = tensor_pb2.TensorProto(
            dtype=enum, tensor_content=array.tobytes(),
            tensor_shape=tensor_shape_pb2.TensorShapeProto(
                dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=s) for s in array.shape]))
        raw = message.SerializeToString()
        decoded = decode_tensor(raw, (0, len(raw)))
        assert isinstance(decoded, np.ndarray)
        np.testing.assert_array_equal(decoded, array)
    packed = tensor_pb2.TensorProto(dtype=1, float_val=[1.5, 2.5]).SerializeToString()
    np.testing.assert_array_equal(decode_tensor(packed, (0, len(packed))), [1.5, 2.5])
    strings = tensor_pb2.TensorProto(dtype=7, string_val=[b"a", b"bc"]).SerializeToString()
    assert decode_tensor(strings, (0, len(strings))) == [b"a", b"bc"]
    big = np.array([-(2**62), -5, 0, 7, 2**40] * 2000, dtype=np.int64)  # packed varints
    shape = tensor_shape_pb2.TensorShapeProto(dim=[tensor_shape_pb2.TensorShapeProto.Dim(
        size=big.size)])
    ints = tensor_pb2.TensorProto(dtype=9, int64_val=big.tolist(), tensor_shape=shape)
    raw = ints.SerializeToString()
    np.testing.assert_array_equal(decode_tensor(raw, (0, len(raw))), big)
    flags = tensor_pb2.TensorProto(dtype=10, bool_val=[True, False, True]).SerializeToString()
    assert decode_tensor(flags, (0, len(flags))).tolist() == [True, False, True]
    with pytest.raises(proto.DecodeError, match="truncated packed varint"):
        proto.packed_varints(b"\x96")


# -- reading runs ------------------------------------------------------------------------------


def test_reads_torch_written_logdir_like_tbparse(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    tbparse = pytest.importorskip("tbparse")
    from torch.utils.tensorboard import SummaryWriter

    for run in ("a", "b/nested"):
        with SummaryWriter(str(tmp_path / run)) as writer:
            for step in range(300):
                writer.add_scalar("loss/train", 1 / (step + 1), step)
                writer.add_scalar("acc", step / 300, step)
            writer.add_scalar("tensor_style", 2.5, 7, new_style=True)
            writer.add_scalar("double", 1 / 3, 8, new_style=True, double_precision=True)
    everything = nbviz.read(tmp_path)
    theirs = tbparse.SummaryReader(str(tmp_path), extra_columns={"dir_name"}).scalars
    key = ["run", "tag", "step"]
    # tbparse reads simple_value scalars only; nbviz also reads tensor-style ones.
    ours = everything[~everything.tag.isin(["tensor_style", "double"])]
    ours = ours.sort_values(key).reset_index(drop=True)
    theirs = (theirs.rename(columns={"dir_name": "run"}).sort_values(key)
              .reset_index(drop=True))
    assert ours[key].astype({"run": str, "tag": str}).equals(  # ours: Categoricals
        theirs[key].astype({"run": str, "tag": str, "step": np.int64}))
    np.testing.assert_array_equal(ours.value.to_numpy(), theirs.value.to_numpy(np.float64))
    assert set(ours.run) == {"a", "b/nested"}
    assert ours.wall_time.between(1.5e9, 3e9).all()
    assert everything[everything.tag == "tensor_style"].value.tolist() == [2.5, 2.5]
    double = everything[everything.tag == "double"].value.iloc[0]
    assert double == 1 / 3  # DT_DOUBLE tensors keep their precision


def test_corrupt_middle_unknown_fields_and_non_utf8_tag(tmp_path: Path) -> None:
    run = tmp_path / "logs" / "run"
    good = [scalar_event("loss", float(i), i) for i in range(10)]
    # A newer TensorBoard: unknown fields at Event, Summary.Value and HistogramProto level.
    newer = Event(wall_time=1e9, step=10, summary=Summary(value=[Summary.Value(
        tag="loss", simple_value=10.0)])).SerializeToString()
    newer += b"\xa0\x06\x2a"  # field 100 (varint) = 42 appended to the Event
    histo = Summary(value=[Summary.Value(tag="h", histo=summary_pb2.HistogramProto(
        min=0, max=2, num=3, sum=3, sum_squares=5, bucket_limit=[1, 2], bucket=[1, 2]))])
    histo_bytes = bytearray(Event(wall_time=1e9, step=3, summary=histo).SerializeToString())
    bad_tag = scalar_event(b"bad\xfftag", 1.0, 4)
    path = write_events(run / "events.out.tfevents.1.host", [*good, newer, bytes(histo_bytes),
                                                             bad_tag])
    data = bytearray(path.read_bytes())
    # Flip a byte inside record 5's payload: bad CRC in the middle of the file.
    offset = 0
    for _ in range(6):  # file_version + 5 events
        (length,) = struct.unpack_from("<Q", data, offset)
        offset += 16 + length
    data[offset + 13] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.warns(RuntimeWarning, match="skipped or repaired"):
        frame_ = nbviz.read(tmp_path / "logs")
    problems = frame_.attrs["problems"]
    assert any("CRC" in p for p in problems), problems
    assert any("not valid UTF-8" in p for p in problems), problems
    loss = frame_[frame_.tag == "loss"]
    assert loss.step.tolist() == [0, 1, 2, 3, 4, 6, 7, 8, 9, 10]  # step 5 skipped, 10 read
    assert frame_[frame_.tag == "bad\\xfftag"].value.tolist() == [1.0]
    histograms = read_quiet(tmp_path / "logs", kind="histograms")
    assert histograms.counts.iloc[0].tolist() == [1.0, 2.0]


def test_unknown_plugin_is_reported_not_fatal(tmp_path: Path) -> None:
    value = tensor_value("mystery", np.ones(3, np.float32), plugin="some_future_plugin")
    event = Event(wall_time=1e9, step=1, summary=Summary(value=[value])).SerializeToString()
    write_events(tmp_path / "r" / "events.out.tfevents.1", [event, scalar_event("x", 1, 1)])
    with warnings.catch_warnings():  # reported only where it would have shown (issue 15)
        warnings.simplefilter("error")
        frame_ = nbviz.read(tmp_path, kind="scalars")
    assert frame_.tag.tolist() == ["x"] and frame_.attrs["problems"] == []
    with pytest.warns(RuntimeWarning, match="some_future_plugin"):
        tensors = nbviz.read(tmp_path, kind="tensors")
    assert tensors.empty
    assert any("some_future_plugin" in p for p in tensors.attrs["problems"])


def test_tf2_tensor_scalars_keep_plugin_from_first_event(tmp_path: Path) -> None:
    first = Summary(value=[tensor_value("loss", np.array(0.5, np.float32), plugin="scalars")])
    later = Summary(value=[tensor_value("loss", np.array(0.25, np.float32))])  # no metadata
    histogram = np.array([[0, 1, 2], [1, 2, 3]], np.float64)  # left, right, count
    hist = Summary(value=[tensor_value("w", histogram, plugin="histograms")])
    events = [Event(wall_time=1e9, step=s, summary=m).SerializeToString()
              for s, m in ((0, first), (1, later), (2, hist))]
    write_events(tmp_path / "tf2" / "events.out.tfevents.2", events)
    frame_ = nbviz.read(tmp_path)
    assert frame_.value.tolist() == [0.5, 0.25]
    histograms = nbviz.read(tmp_path, kind="histograms")
    row = histograms.iloc[0]
    assert row.limits.tolist() == [1, 2] and row.counts.tolist() == [2, 3] and row.num == 5


def test_tailing_a_growing_file(tmp_path: Path) -> None:
    run_dir = tmp_path / "live"
    path = write_events(run_dir / "events.out.tfevents.1", [scalar_event("x", 0.0, 0)])
    run = EventRun(run_dir)
    run.refresh()
    columns, cursor = run.scalars_since(0)
    assert columns.value.tolist() == [0.0]
    second = frame(scalar_event("x", 1.0, 1))
    with open(path, "ab") as handle:
        handle.write(second[:10])  # a writer in the middle of a record
    run.refresh()
    assert run.scalars_since(cursor)[0].value.tolist() == []
    assert not run.problems
    with open(path, "ab") as handle:
        handle.write(second[10:] + frame(scalar_event("y", 2.0, 2)))
    run.refresh()
    columns, cursor = run.scalars_since(cursor)
    assert columns.value.tolist() == [1.0, 2.0] and columns.tags == ["x", "y"]
    # A second event file of the same run (a restarted writer) is read too, in name order.
    write_events(run_dir / "events.out.tfevents.2", [scalar_event("x", 3.0, 3)])
    run.refresh()
    assert run.scalars_since(cursor)[0].value.tolist() == [3.0]


def test_logdir_source_follows_tfevents_runs(tmp_path: Path) -> None:
    from nbviz.sources import LogdirSource

    write_events(tmp_path / "a" / "events.out.tfevents.1", [scalar_event("x", 1.0, 0)])
    with nbviz.init("nb", logdir=tmp_path) as run:
        run.log({"x": 2.0}, step=0)
    source = LogdirSource(tmp_path, rescan_interval=0.0)
    runs = {batch.run: batch.columns.value.tolist() for batch in source.poll()}
    assert runs == {"a": [1.0], "nb": [2.0]}
    write_events(tmp_path / "b" / "events.out.tfevents.1", [scalar_event("x", 3.0, 0)])
    later = {batch.run: batch.columns.value.tolist() for batch in source.poll()}
    assert later == {"b": [3.0]}
    assert source.run_dirs()["a"][1] == "tensorboard"
    hist_source = LogdirSource(tmp_path, kinds=frozenset({"histogram"}))
    assert hist_source.poll() == []


def test_media_hparams_graph_and_projector(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    import torch
    from torch.utils.tensorboard import SummaryWriter

    image = (np.arange(3 * 4 * 5) % 7 / 7).reshape(3, 4, 5)
    sound = np.sin(np.linspace(0, 20, 800))
    with SummaryWriter(str(tmp_path / "m")) as writer:
        writer.add_image("img", image, 1)
        writer.add_audio("snd", sound, 2, sample_rate=8000)
        writer.add_hparams({"lr": 0.1, "opt": "adam"}, {"hp/acc": 0.75}, run_name="hp")
        writer.add_graph(torch.nn.Sequential(torch.nn.Linear(3, 2)), torch.zeros(1, 3))
        writer.add_embedding(torch.arange(12.0).reshape(4, 3), metadata=["a", "b", "c", "d"],
                             label_img=torch.rand(4, 3, 2, 2), tag="emb")
        writer.add_custom_scalars_marginchart(["v", "lo", "hi"], category="c", title="t")
        writer.add_mesh("cloud", torch.rand(1, 5, 3))
    images = nbviz.read(tmp_path, kind="images")
    expected = np.clip(image.transpose(1, 2, 0).astype(np.float32) * 255, 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(images.image.iloc[0], expected)
    audio = nbviz.read(tmp_path, kind="audio").iloc[0]
    assert audio.sample_rate == 8000
    # torch writes int16(x * 32767), read back as PCM / 32768: off by at most 2 / 32768
    np.testing.assert_allclose(audio.audio, sound, atol=2 / 32768 + 1e-6)
    hparams = nbviz.read(tmp_path, kind="hparams")
    # add_hparams' sub-run "m/hp" is joined to the writer's run "m" (the HParams join)
    assert hparams[["run", "hparams_from", "lr", "opt", "hp/acc"]].values.tolist() == [
        ["m", "m/hp", 0.1, "adam", float(np.float32(0.75))]]
    graph = nbviz.read(tmp_path, kind="graphs").iloc[0]
    assert graph.format == "tensorboard.GraphDef"
    assert any("Linear" in node["name"] or "linear" in node["op"] for node in graph.graph["nodes"])
    embedding = nbviz.read(tmp_path, kind="embeddings").iloc[0]
    assert (embedding.tag, embedding.step) == ("emb", 0)
    np.testing.assert_array_equal(embedding.embedding, np.arange(12.0).reshape(4, 3))
    assert embedding.metadata == ["a", "b", "c", "d"]
    sprite_run = EventRun(tmp_path / "m", wanted=frozenset({"sprite", "embedding"}))
    sprite_run.refresh()
    sprites = [r for r in sprite_run.tensors_since(0)[0] if r.kind == "sprite"]
    assert sprites and sprites[0].array.shape == (4, 2, 2, 3)
    layout = nbviz.read(tmp_path, kind="custom_scalars")
    assert layout.to_dict("records") == [
        {"run": "m", "category": "c", "chart": "t", "type": "Margin", "tags": ["v", "lo", "hi"]}]
    meshes = nbviz.read(tmp_path, kind="meshes")
    assert meshes.component.tolist() == ["vertices"] and meshes.mesh.iloc[0].shape == (1, 5, 3)


def test_video_gif_is_read_as_frames(tmp_path: Path) -> None:
    from PIL import Image

    frames = [Image.fromarray(np.full((4, 6, 3), 40 * i, np.uint8)) for i in range(3)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=250,
                   loop=0)
    value = Summary.Value(tag="vid", image=Summary.Image(height=4, width=6, colorspace=3,
                                                         encoded_image_string=buffer.getvalue()))
    event = Event(wall_time=1e9, step=0, summary=Summary(value=[value])).SerializeToString()
    write_events(tmp_path / "v" / "events.out.tfevents.1", [event])
    video = nbviz.read(tmp_path, kind="videos").iloc[0]
    assert video.video.shape == (3, 4, 6, 3) and video.fps == 4.0


def test_wav_decoding_widths() -> None:
    from nbviz.store.tfevents import decode_wav

    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(100)
        out.writeframes(np.array([[32767, -32767], [0, 16384]], "<i2").tobytes())
    samples, rate = decode_wav(buffer.getvalue())
    assert rate == 100 and samples.shape == (2, 2)
    # PCM / 2**15, as tf.audio.decode_wav reads it (issue 15: TF's 0.5 must read as 0.5)
    np.testing.assert_allclose(samples, [[32767 / 32768, -32767 / 32768], [0, 0.5]])


def test_purge_step_hides_events_of_the_crashed_run(tmp_path: Path) -> None:
    events = [scalar_event("x", float(s), s) for s in range(6)]
    restart = Event(wall_time=1e9, step=3, session_log=pb.SessionLog(
        status=pb.SessionLog.START)).SerializeToString()
    events += [restart, scalar_event("x", 30.0, 3), scalar_event("x", 40.0, 4)]
    write_events(tmp_path / "p" / "events.out.tfevents.1", events)
    frame_ = nbviz.read(tmp_path)
    assert frame_.step.tolist() == [0, 1, 2, 3, 4]
    assert frame_.value.tolist() == [0.0, 1.0, 2.0, 30.0, 40.0]


def test_projector_config_parser() -> None:
    text = textwrap.dedent("""
        embeddings {
          tensor_name: "default:00003"
          tensor_path: "00003/default/tensors.tsv"
          metadata_path: "00003/default/metadata.tsv"
          sprite {
            image_path: "00003/default/sprite.png"
            single_image_dim: 10
            single_image_dim: 32
          }
        }
        embeddings { tensor_name: "b" tensor_path: "x.tsv" }
    """)
    entries = parse_projector_config(text)
    assert entries[0]["tensor_name"] == "default:00003"
    assert entries[0]["sprite"][0]["single_image_dim"] == [10, 32]
    assert entries[1] == {"tensor_name": "b", "tensor_path": "x.tsv"}
    with pytest.raises(ValueError, match="unbalanced"):
        parse_projector_config("embeddings { tensor_name: 'x'")


def test_bad_inputs_to_read(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        nbviz.read(tmp_path / "missing")
    with pytest.raises(ValueError, match="'kind' must be one of"):
        nbviz.read(tmp_path, kind="scalar")
    with pytest.raises(TypeError, match="'logdir' must be a path"):
        nbviz.read(42)  # type: ignore[arg-type]
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "events.out.tfevents.0").write_bytes(b"\x00" * 5 + b"garbage" * 9)
    with pytest.warns(RuntimeWarning):
        frame_ = nbviz.read(tmp_path)
    assert frame_.empty and frame_.attrs["problems"]
    assert find_event_runs(tmp_path) == {"junk": tmp_path / "junk"}


def test_big_file_reads_vectorised(tmp_path: Path) -> None:
    """200k scalar events: the vectorised path must read them all, in order, quickly."""
    rng = np.random.default_rng(3)
    count = 200_000
    steps = np.arange(count) // 4
    values = rng.standard_normal(count).astype(np.float32)
    tags = [f"tag/{i}" for i in range(4)]
    chunks = [frame(scalar_event(tags[i % 4], float(values[i]), int(steps[i]), 1e9 + i))
              for i in range(count)]
    write_events(tmp_path / "big" / "events.out.tfevents.9", [])
    with open(tmp_path / "big" / "events.out.tfevents.9", "ab") as handle:
        handle.write(b"".join(chunks))
    import time

    started = time.perf_counter()
    frame_ = nbviz.read(tmp_path)
    elapsed = time.perf_counter() - started
    assert len(frame_) == count
    np.testing.assert_array_equal(frame_.value.to_numpy(), values.astype(np.float64))
    np.testing.assert_array_equal(frame_.step.to_numpy(), steps)
    assert frame_.tag.tolist()[:5] == ["tag/0", "tag/1", "tag/2", "tag/3", "tag/0"]
    np.testing.assert_array_equal(frame_.wall_time.to_numpy(), 1e9 + np.arange(count))
    assert elapsed < 10, f"reading 200k scalars took {elapsed:.1f} s"


def test_import_without_tensorboard_or_protobuf(tmp_path: Path) -> None:
    write_events(tmp_path / "r" / "events.out.tfevents.1", [scalar_event("x", 1.5, 2)])
    code = textwrap.dedent(f"""
        import sys
        for name in ("tensorboard", "google.protobuf", "google", "tbparse", "torch"):
            sys.modules[name] = None  # any import of them now fails
        import nbviz
        frame = nbviz.read({str(tmp_path)!r})
        print(frame.value.tolist(), frame.step.tolist())
        from nbviz import SummaryWriter
        with SummaryWriter({str(tmp_path / 'nb')!r}) as writer:
            writer.add_scalar("y", 2.0, 1)
        print(sorted(nbviz.read({str(tmp_path)!r}).run.unique()))
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["[1.5] [2]", "['nb', 'r']"]


def test_text_suffix_removed_and_graph_json(tmp_path: Path) -> None:
    value = Summary.Value(tag="notes/text_summary", tensor=tensor_pb2.TensorProto(
        dtype=7, string_val=["héllo".encode()],
        tensor_shape=tensor_shape_pb2.TensorShapeProto(
            dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=1)])))
    value.metadata.plugin_data.plugin_name = "text"
    event = Event(wall_time=1e9, step=4, summary=Summary(value=[value])).SerializeToString()
    write_events(tmp_path / "t" / "events.out.tfevents.1", [event])
    text = nbviz.read(tmp_path, kind="text")
    assert text[["tag", "step", "text"]].values.tolist() == [["notes", 4, "héllo"]]
    assert json.loads(json.dumps(text.iloc[0].to_dict(), default=str))


def test_small_files_framed_in_python_match_the_vectorised_path(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(str(tmp_path / "run"))
    for step in range(5):
        writer.add_scalar("loss", 1.0 / (step + 1), step)
    writer.add_hparams({"lr": 0.1, "opt": "adam", "bn": True}, {"hparam/acc": 0.5}, run_name=".")
    writer.close()
    files = sorted((tmp_path / "run").glob("*tfevents*"))
    assert files
    for path in files:
        data = path.read_bytes()
        assert len(data) <= proto._SMALL_TOTAL
        small = proto.frame_records(data)
        assert proto._frame_small(data, 0) is not None  # the plain-Python path took it
        with monkeypatch.context() as patch:
            patch.setattr(proto, "_SMALL_TOTAL", -1)  # force the numpy path
            vectorised = proto.frame_records(data)
        assert small.starts.tolist() == vectorised.starts.tolist()
        assert small.lengths.tolist() == vectorised.lengths.tolist()
        assert small.consumed == vectorised.consumed == len(data)
    # one flipped payload byte: the plain path steps aside, the record is reported
    data = bytearray(files[-1].read_bytes())
    data[20] ^= 0xFF
    assert proto._frame_small(bytes(data), 0) is None
    assert proto.frame_records(bytes(data)).problems
    # the hparams sub-run decodes the same with and without the vectorised scalar match
    run = EventRun(tmp_path / "run")
    run.refresh()
    (record,) = run.tensors_since(0, frozenset({"hparams"}))[0]
    assert record.extra["hparams"] == {"lr": 0.1, "opt": "adam", "bn": True}
    columns, _ = run.scalars_since(0)
    assert sorted(columns.tags) == ["hparam/acc", "loss"]


def test_find_event_runs_names_skips_hidden_and_symlinked_dirs(tmp_path: Path) -> None:
    logdir = tmp_path / "sweep"
    for sub in ("", "a", "a/b", ".hidden", "c/d"):
        (logdir / sub).mkdir(parents=True, exist_ok=True)
        (logdir / sub / "events.out.tfevents.1.host").write_bytes(b"")
    (logdir / "e").mkdir()
    (logdir / "e" / "projector_config.pbtxt").write_text("")
    (logdir / "c" / "notes.txt").write_text("")
    (logdir / "link").symlink_to(logdir / "a", target_is_directory=True)
    assert find_event_runs(logdir) == {
        "a": logdir / "a", "a/b": logdir / "a/b", "c/d": logdir / "c/d", "e": logdir / "e",
        "sweep": logdir}
