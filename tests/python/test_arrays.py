"""One conversion (nbviz._arrays.to_numpy / is_tensor) and one tag check for every
recorder and the SummaryWriter facade."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import nbviz
from nbviz._arrays import is_tensor, numpy_if_tensor, to_numpy


def test_to_numpy_converts_tensors_like_each_caller_needs() -> None:
    half = torch.tensor([1.0, 2.0], dtype=torch.bfloat16)
    assert to_numpy(half, where="f()", argument="x").dtype == np.float32
    assert to_numpy(half, where="f()", argument="x", like_torch=True).dtype == np.float16
    f16 = np.array([1.0], dtype=np.float16)
    assert to_numpy(f16, where="f()", argument="x").dtype == np.float16
    assert to_numpy(f16, where="f()", argument="x", widen_half=True).dtype == np.float32
    parameter = torch.nn.Parameter(torch.ones(3))
    assert is_tensor(parameter) and not is_tensor(np.ones(3)) and not is_tensor([1.0])
    assert to_numpy(parameter, where="f()", argument="x").tolist() == [1.0, 1.0, 1.0]
    assert numpy_if_tensor(["a"]) == ["a"] and isinstance(numpy_if_tensor(parameter), np.ndarray)


@pytest.mark.parametrize(
    ("value", "kinds", "error", "message"),
    [
        (None, "biuf", TypeError, r"f\(\): 'x' is None; pass a numpy array"),
        ("abc", "biuf", TypeError, r"'x' must be numbers"),
        (["a", "b"], "biuf", TypeError, r"'x' must hold real numbers, got an array of dtype <U1"),
        (torch.ones(2, dtype=torch.complex64), "biuf", TypeError, "is a complex tensor"),
        (torch.empty(2, device="meta"), "biuf", ValueError, "is a meta tensor"),
    ],
)
def test_to_numpy_errors_name_the_argument(value: object, kinds: str, error: type[Exception],
                                           message: str) -> None:
    with pytest.raises(error, match=message):
        to_numpy(value, where="f()", argument="x", kinds=kinds)


def test_complex_passes_only_where_allowed() -> None:
    array = to_numpy(torch.ones(2, dtype=torch.complex64), where="f()", argument="x",
                     kinds="biufc")
    assert array.dtype == np.complex64


def test_summary_writer_rejects_control_characters_in_tags(logdir: Path) -> None:
    with nbviz.SummaryWriter(str(logdir / "w")) as writer:
        with pytest.raises(ValueError, match=r"add_scalar\(\): 'tag' 'a\\nb' contains control"):
            writer.add_scalar("a\nb", 1.0, 0)
        with pytest.raises(TypeError, match="'tag' must be a string"):
            writer.add_scalar(3, 1.0, 0)  # type: ignore[arg-type]
        writer.add_scalar("fine/tag", 1.0, 0)
    assert nbviz.read(logdir)["tag"].tolist() == ["fine/tag"]
