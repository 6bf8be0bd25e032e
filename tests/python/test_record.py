from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import nbviz
from nbviz.record.values import DeferredTensor, coerce_scalar, materialize


@pytest.mark.parametrize(
    ("data", "step", "error", "pattern"),
    [
        ("loss", None, TypeError, r"'data' must be a dict .* got str 'loss'"),
        ({"loss": "x"}, None, TypeError, r"value for 'loss' is str 'x'; log numbers only"),
        ({"loss": np.ones(10)}, None, ValueError, r"'loss' is an array with 10 elements"),
        ({"loss": torch.ones(10)}, None, ValueError, r"'loss' is a tensor with 10 elements"),
        ({"loss": 1.0}, -1, ValueError, r"'step' must be >= 0, got -1"),
        ({"loss": 1.0}, 1.5, TypeError, r"'step' must be a non-negative integer, got float 1.5"),
        ({"loss": 1.0}, "3", TypeError, r"'step' must be a non-negative integer"),
        ({"": 1.0}, None, ValueError, r"metric name '' is empty"),
        ({3: 1.0}, None, TypeError, r"metric names must be strings, got int 3"),
        ({"loss": None}, None, TypeError, r"value for 'loss' is NoneType"),
        ({"loss": 1j}, None, TypeError, r"complex"),
    ],
)
def test_bad_input_names_argument_and_writes_nothing(
    logdir: Path, data: object, step: object, error: type[Exception], pattern: str
) -> None:
    run = nbviz.init("bad", logdir=logdir)
    run.log({"ok": 1.0}, step=0)
    payload = {"good": 2.0, **data} if isinstance(data, dict) else data
    with pytest.raises(error, match=pattern):
        run.log(payload, step=step)  # type: ignore[arg-type]
    run.finish()
    frame = nbviz.read(logdir)
    assert frame.tag.tolist() == ["ok"], "a failed log() must not write part of its values"


def test_step_auto_increments_and_accepts_numpy_ints(logdir: Path) -> None:
    with nbviz.init("s", logdir=logdir) as run:
        run.log({"x": 1.0})
        run.log({"x": 2.0})
        run.log({"x": 3.0}, step=np.int64(10))
        run.log({"x": 4.0})
        run.log({"x": 5.0}, step=20.0)
    assert nbviz.read(logdir).step.tolist() == [0, 1, 10, 11, 20]


def test_accepts_numbers_numpy_and_tensors(logdir: Path) -> None:
    with nbviz.init("t", logdir=logdir) as run:
        run.log({"int": 3, "bool": True, "np32": np.float32(0.5), "np0d": np.array(2.0),
                 "np1": np.array([7.0]), "t0": torch.tensor(1.5), "t1": torch.tensor([2.5]),
                 "grad": torch.tensor(4.0, requires_grad=True) * 2}, step=0)
    frame = nbviz.read(logdir).set_index("tag").value
    assert frame.to_dict() == {"int": 3.0, "bool": 1.0, "np32": 0.5, "np0d": 2.0, "np1": 7.0,
                               "t0": 1.5, "t1": 2.5, "grad": 8.0}


def test_deferred_tensors_materialize_in_one_batch() -> None:
    values = [1.0, DeferredTensor(torch.tensor(2.0)), 3.0,
              DeferredTensor(torch.tensor(4, dtype=torch.int32))]
    assert materialize(values) == [1.0, 2.0, 3.0, 4.0]
    assert coerce_scalar("x", torch.tensor(5.0), where="log()") == 5.0  # CPU: converted now


def test_module_level_log_and_context_manager(logdir: Path) -> None:
    run = nbviz.init("m", logdir=logdir)
    assert nbviz.current_run() is run
    nbviz.log({"x": 1.0}, step=0)
    nbviz.finish()
    assert run.finished
    with pytest.raises(RuntimeError, match="no current run"):
        nbviz.log({"x": 1.0})
    with pytest.raises(RuntimeError, match="is finished"):
        run.log({"x": 1.0})
    assert nbviz.read(logdir).value.tolist() == [1.0]


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"name": ""}, "'name' is empty"),
        ({"name": "../escape"}, "relative run name"),
        ({"name": "a", "config": [1, 2]}, "'config' must be a dict"),
        ({"name": "a", "if_exists": "keep"}, "'if_exists' must be"),
        ({"name": "a", "flush_secs": 0}, "'flush_secs' must be"),
    ],
)
def test_init_validates(logdir: Path, kwargs: dict[str, object], pattern: str) -> None:
    with pytest.raises((TypeError, ValueError), match=pattern):
        nbviz.init(logdir=logdir, **kwargs)  # type: ignore[arg-type]


def test_flusher_commits_within_interval(logdir: Path) -> None:
    import time

    from nbviz.store.sqlite import StoreReader

    run = nbviz.init("f", logdir=logdir, flush_secs=0.2)
    run.log({"x": 1.0}, step=0)
    reader = StoreReader(run.dir)
    deadline = time.monotonic() + 3
    while reader.scalars_between(0).value.size == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert reader.scalars_between(0).value.tolist() == [1.0]


def test_huge_steps_are_refused_not_rounded(logdir: Path) -> None:
    with nbviz.init("big", logdir=logdir) as run:
        run.log({"x": 1.0}, step=2**53)
        with pytest.raises(ValueError, match=r"'step' 9007199254740993 is too large"):
            run.log({"x": 1.0}, step=2**53 + 1)
    assert nbviz.read(logdir).step.tolist() == [2**53]
