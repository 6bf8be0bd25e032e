"""Issue 15, items 1-4: torch.utils.tensorboard code and data that used to trip over nbviz,
each checked against what torch's own SummaryWriter does or writes for the same calls."""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import nbviz
from nbviz import SummaryWriter

torch = pytest.importorskip("torch")
tb = pytest.importorskip("torch.utils.tensorboard")
summary = pytest.importorskip("torch.utils.tensorboard.summary")
TorchWriter = tb.SummaryWriter


def read(logdir: Path, kind: str = "scalars") -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # none of this data is a problem
        return nbviz.read(logdir, kind=kind)


# -- 1. the writer's attributes ---------------------------------------------------------------


def _attributes(writer_class: Any, log_dir: str) -> list[Any]:
    """What user code reads off a writer, through its life (relative to ``log_dir``)."""
    seen: list[Any] = []

    def keys(writers: Any) -> Any:
        return None if writers is None else sorted(k[len(log_dir):] for k in writers)

    writer = writer_class(log_dir)
    seen.append(("get_logdir", writer.get_logdir() == log_dir, writer.log_dir == log_dir))
    seen.append(("file_writer", writer.file_writer is not None,
                 writer.file_writer.get_logdir() == log_dir))
    writer.add_scalars("loss", {"train": 1.0, "val": 2.0}, 0)
    seen.append(("all_writers", keys(writer.all_writers)))
    writer.flush()
    writer.close()
    seen.append(("closed", writer.file_writer, writer.all_writers))
    writer.flush()  # flush and close after close: no error, no effect
    writer.close()
    writer.add_scalar("loss", 3.0, 1)  # reopens
    seen.append(("reopened", writer.file_writer is not None, keys(writer.all_writers)))
    seen.append(("_get_file_writer", writer._get_file_writer().get_logdir() == log_dir))
    writer.close()
    return seen


def test_writer_attributes_match_torch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # relative log_dir strings, as users pass them
    theirs = _attributes(TorchWriter, "tb/exp")
    ours = _attributes(SummaryWriter, "nb/exp")
    assert ours == theirs
    assert theirs[2] == ("all_writers", ["", "/loss_train", "/loss_val"])
    assert theirs[3] == ("closed", None, None)
    frame = read(tmp_path / "nb")  # what was logged before and after the reopen is there
    assert sorted(zip(frame.run, frame.step, frame.value, strict=True)) == [
        ("exp", 1, 3.0), ("exp/loss_train", 0, 1.0), ("exp/loss_val", 0, 2.0)]


def _lightning_style(writer: Any) -> None:
    """What PyTorch Lightning's TensorBoardLogger does: summaries built by torch, written
    through the file writer."""
    exp, ssi, sei = summary.hparams({"lr": 0.01, "optimizer": "adam", "layers": 3},
                                    {"hp_metric": -1.0})
    file_writer = writer._get_file_writer()
    for message in (exp, ssi, sei):
        file_writer.add_summary(message)
    file_writer.add_summary(summary.scalar("hp_metric", 0.25), global_step=7, walltime=1e9)
    file_writer.add_summary(summary.histogram("w", np.linspace(-1, 1, 50), 10), 7)
    writer.file_writer.add_summary(summary.text("note", "hello"), global_step=2)
    writer.close()


def test_file_writer_add_summary_records_what_torch_writes(tmp_path: Path) -> None:
    _lightning_style(TorchWriter(str(tmp_path / "tb" / "exp")))
    _lightning_style(SummaryWriter(tmp_path / "nb" / "exp"))
    for kind in ("scalars", "hparams", "histograms", "text"):
        theirs = read(tmp_path / "tb", kind).drop(columns="wall_time")
        ours = read(tmp_path / "nb", kind).drop(columns="wall_time")
        assert len(ours) >= 1
        pd.testing.assert_frame_equal(ours[theirs.columns], theirs, check_like=False)
    hparams = read(tmp_path / "nb", "hparams")
    assert hparams.attrs["metrics"] == ["hp_metric"]
    assert hparams[["lr", "optimizer", "layers", "hp_metric"]].values.tolist() == [
        [0.01, "adam", 3.0, 0.25]]


def test_file_writer_rejects_non_protobufs(tmp_path: Path) -> None:
    writer = SummaryWriter(tmp_path / "exp")
    with pytest.raises(TypeError, match="'summary' must be a protobuf message"):
        writer.file_writer.add_summary({"loss": 1.0})
    with pytest.raises(TypeError, match="'global_step' must be an integer"):
        writer.file_writer.add_summary(summary.scalar("x", 1.0), global_step="one")
    writer.close()


# -- 2. run directories with a backslash ------------------------------------------------------


@pytest.mark.skipif(os.sep == "\\", reason="on Windows a backslash separates directories")
def test_backslash_run_dir_is_created_like_torch(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    name = "C:\\Downloads\\exp"  # a notebook moved from Windows
    for side, writer_class in (("tb", TorchWriter), ("nb", SummaryWriter)):
        (tmp_path / side).mkdir()
        monkeypatch.chdir(tmp_path / side)
        with writer_class(name) as writer:
            writer.add_scalar("loss", 0.5, 1)
    assert os.listdir(tmp_path / "tb") == os.listdir(tmp_path / "nb") == [name]
    for side in ("tb", "nb"):
        frame = read(tmp_path / side)
        assert frame[["run", "tag", "step", "value"]].values.tolist() == [
            [name, "loss", 1, 0.5]]


@pytest.mark.parametrize(("name", "reason"), [
    ("../escape", "'..'"), ("a/./b", "'.'"), ("bad\x00name", "control characters"),
])
def test_unsafe_run_names_are_refused_with_the_reason(logdir: Path, name: str,
                                                      reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        nbviz.init(name, logdir=logdir)


# -- 3. embedding metadata: torch's metadata.tsv ----------------------------------------------

_LABELS = torch.arange(5).float() * 11
METADATA_CASES: dict[str, tuple[Any, Any]] = {
    "float tensor": (_LABELS, None),
    "int tensor": (_LABELS.int(), None),
    "long tensor with repeats": (torch.tensor([3, 1, 3, 3, 1]), None),
    "numpy floats": (np.array([0.0, 1.5, -0.0, np.nan, 1e20]), None),
    "float32 numpy": (np.array([0.1, 0.2, 0.3, 0.1, 2.0], np.float32), None),
    "list of floats": ([0.0, 11.0, 22.0, 33.0, 44.0], None),
    "list of tensors": (list(_LABELS), None),
    "mixed list": ([1, 2.5, "x", None, True], None),
    "rows of tensors": ([[m, m * 2] for m in _LABELS], ["a", "b"]),
    "rows of floats": (torch.stack([_LABELS, _LABELS * 2], 1).tolist(), ["a", "b"]),
    "rows of strings": ([["cat", "1"], ["dog", "2"], ["cat", "3"], ["eel", "4"],
                         ["dog", "5"]], ["name", "id"]),
}


def _metadata_column(logdir: Path, tag: str) -> Any:
    row = read(logdir, "embeddings").set_index("tag").loc[tag]
    return row.metadata, row.get("metadata_header")


@pytest.mark.parametrize("case", list(METADATA_CASES))
def test_embedding_metadata_equals_torchs_metadata_tsv(tmp_path: Path, case: str) -> None:
    metadata, header = METADATA_CASES[case]
    mat = torch.randn(5, 3)
    with TorchWriter(str(tmp_path / "tb" / "exp")) as writer:
        writer.add_embedding(mat, metadata=metadata, metadata_header=header, tag="e")
    with SummaryWriter(tmp_path / "nb" / "exp") as writer:
        writer.add_embedding(mat, metadata=metadata, metadata_header=header, tag="e")
    tsv = (tmp_path / "tb" / "exp" / "00000" / "e" / "metadata.tsv").read_text().splitlines()
    ours, our_header = _metadata_column(tmp_path / "nb", "e")
    if header is None:
        assert ours == tsv  # the file itself, line by line
    else:
        assert our_header == tsv[0].split("\t")
        assert [list(cells) for cells in zip(*ours.values(), strict=True)] == [
            line.split("\t") for line in tsv[1:]]
    theirs, their_header = _metadata_column(tmp_path / "tb", "e")
    assert ours == theirs and our_header == their_header


def test_2d_tensor_metadata_with_header_reads_like_rows_of_tensors(tmp_path: Path) -> None:
    table = torch.stack([_LABELS, _LABELS * 2], 1)  # torch's writer raises a TypeError here
    with TorchWriter(str(tmp_path / "tb" / "exp")) as writer:
        writer.add_embedding(torch.zeros(5, 2), metadata=[list(row) for row in table],
                             metadata_header=["a", "b"], tag="e")
    with SummaryWriter(tmp_path / "nb" / "exp") as writer:
        writer.add_embedding(torch.zeros(5, 2), metadata=table, metadata_header=["a", "b"],
                             tag="e")
    assert _metadata_column(tmp_path / "nb", "e") == _metadata_column(tmp_path / "tb", "e")
    assert _metadata_column(tmp_path / "nb", "e")[0]["a"][1] == "tensor(11.)"


def test_embedding_metadata_of_wrong_shape_is_refused(tmp_path: Path) -> None:
    with SummaryWriter(tmp_path / "exp") as writer:
        with pytest.raises(ValueError, match="has 2 entries but 'mat' has 3 rows"):
            writer.add_embedding(torch.zeros(3, 2), metadata=[1, 2])
        with pytest.raises(ValueError, match="list of 2 values to match 'metadata_header'"):
            writer.add_embedding(torch.zeros(3, 2), metadata=[[1], [2], [3]],
                                 metadata_header=["a", "b"])


# -- 4. label images / projector sprites as pixels --------------------------------------------


def _sprite_png_thumbnails(embedding_dir: Path, count: int, height: int,
                           width: int) -> np.ndarray:
    """Cut torch's sprite.png by hand (PIL): thumbnails row-major on a square grid."""
    from PIL import Image

    sheet = np.asarray(Image.open(embedding_dir / "sprite.png").convert("RGB"))
    per_row = sheet.shape[1] // width
    return np.stack([sheet[(i // per_row) * height:(i // per_row + 1) * height,
                           (i % per_row) * width:(i % per_row + 1) * width]
                     for i in range(count)])


@pytest.mark.parametrize("channels", [3, 1])
def test_label_images_read_back_as_the_pixels_of_torchs_sprite(tmp_path: Path,
                                                               channels: int) -> None:
    generator = torch.Generator().manual_seed(channels)
    images = torch.rand(10, channels, 5, 6, generator=generator)  # N=10: not a square
    mat = torch.randn(10, 4, generator=generator)
    for side, writer_class in (("tb", TorchWriter), ("nb", SummaryWriter)):
        with writer_class(str(tmp_path / side / "exp")) as writer:
            writer.add_embedding(mat, label_img=images, global_step=3, tag="digits")
            writer.add_embedding(mat, metadata=list(range(10)), tag="plain")
    expected = _sprite_png_thumbnails(tmp_path / "tb" / "exp" / "00003" / "digits", 10, 5, 6)
    for side in ("tb", "nb"):
        frame = read(tmp_path / side, "embeddings").set_index("tag")
        sprite = frame.loc["digits", "sprite"]
        assert isinstance(sprite, np.ndarray) and sprite.dtype == np.uint8
        np.testing.assert_array_equal(sprite, expected)
        assert frame.loc["plain", "sprite"] is None
    tb_row = read(tmp_path / "tb", "embeddings").set_index("tag").loc["digits"]
    assert tb_row.sprite_info == {"image_path": "00003/digits/sprite.png",
                                  "single_image_dim": [6, 5]}


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16", "int32",
                                   "int64", "uint8", "bool"])
def test_many_distinct_tensor_labels_are_formatted_as_str_does(dtype: str) -> None:
    from nbviz.record.embedding_meta import embedding_metadata

    generator = torch.Generator().manual_seed(0)
    base = torch.randn(400, generator=generator, dtype=torch.float64)
    magnitudes = 10.0 ** torch.randint(-7, 10, (400,), generator=generator)
    values = torch.cat([base * magnitudes, base.round() * 1000, torch.tensor(
        [0.0, -0.0, float("nan"), float("inf"), -float("inf"), 1e8, 1e8 + 1, 1e-4, 2.5])])
    tensor = values.to(getattr(torch, dtype)) if dtype != "bool" else values > 0
    expected = [str(item) for item in tensor]  # what torch's make_tsv writes, line by line
    assert embedding_metadata(tensor, None, len(tensor), "add_embedding()") == {
        "metadata": expected}


def test_changed_print_options_still_match_torch() -> None:
    from nbviz.record.embedding_meta import embedding_metadata

    tensor = torch.linspace(0, 1, 500)
    try:
        torch.set_printoptions(precision=2)
        expected = [str(item) for item in tensor]
        assert embedding_metadata(tensor, None, 500, "w")["metadata"] == expected
    finally:
        torch.set_printoptions(profile="default")
    assert expected[1] == "tensor(0.00)"


def test_file_writer_holds_no_decoded_records(tmp_path: Path) -> None:
    writer = SummaryWriter(tmp_path / "exp")
    file_writer = writer.file_writer
    image = summary.image("img", np.zeros((3, 8, 8)), dataformats="CHW")
    for step in range(20):
        file_writer.add_summary(image, global_step=step)
        file_writer.add_summary(summary.scalar("loss", 1.0 / (step + 1)), global_step=step)
    decoder = file_writer._decoder
    assert decoder.tensors_since(0)[0] == [] and decoder.scalar_count == 0
    writer.close()
    assert len(read(tmp_path, "images")) == 20
    assert read(tmp_path).value.tolist() == [np.float32(1.0 / (s + 1)) for s in range(20)]


# -- 6 (with torch's protobufs): sessions listing their hparams in any order --------------------


def test_hparams_columns_follow_the_parent_config_whatever_each_session_lists(
        tmp_path: Path) -> None:
    from torch.utils.tensorboard.writer import FileWriter

    experiment, _, _ = summary.hparams({"a": 1.0, "b": "x", "c": 2.0}, {"m": 0.0})
    parent = FileWriter(str(tmp_path))  # the config alone in the parent, as TF's tutorial
    parent.add_summary(experiment)
    parent.close()
    for index, order in enumerate((("c", "a", "b"), ("b", "c", "a"), ("a", "b", "c"))):
        values = {"a": float(index), "b": "y", "c": 3.0}
        _, start, end = summary.hparams({key: values[key] for key in order}, {"m": 0.0})
        writer = TorchWriter(str(tmp_path / f"s{index}"))
        writer.file_writer.add_summary(start)
        writer.file_writer.add_summary(end)
        writer.add_scalar("m", 0.5 + index, 1)
        writer.close()
    frame = read(tmp_path, "hparams")
    assert frame.columns.tolist() == ["run", "hparams_from", "step", "wall_time", "a", "b", "c",
                                      "m", "m (min)", "m (max)", "m (last-5 mean)"]
    assert frame[["run", "a", "b", "c", "m"]].values.tolist() == [
        ["s0", 0.0, "y", 3.0, 0.5], ["s1", 1.0, "y", 3.0, 1.5], ["s2", 2.0, "y", 3.0, 2.5]]
