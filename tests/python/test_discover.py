"""Run discovery: one walk of the logdir finds nbviz stores and TensorBoard runs alike, and
nbviz.read / scan_logdir walk it once per call."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from torch.utils.tensorboard import SummaryWriter as TorchWriter

import nbviz
from nbviz import sources
from nbviz.store import discover
from nbviz.store.discover import FoundRuns, discover_runs, find_runs
from nbviz.store.tfevents import find_event_runs


def _mixed_logdir(logdir: Path) -> None:
    """nbviz runs (nested), torch-written runs, a directory holding both, a projector-only
    run, a hidden and a symlinked directory (neither entered)."""
    for name in ("exp/lr=0.1", "exp/lr=1", "both"):
        with nbviz.init(name, logdir=logdir) as run:
            run.log({"loss": 1.0}, step=0)
            run.log_histogram("hist", np.arange(4.0), step=0)
    for name in ("tb", "tb/sub", "both"):
        with TorchWriter(str(logdir / name)) as writer:
            writer.add_scalar("loss", 0.5, 0)
    (logdir / "proj").mkdir()
    (logdir / "proj" / "projector_config.pbtxt").write_text("")
    (logdir / ".hidden").mkdir()
    (logdir / ".hidden" / "events.out.tfevents.1.host").write_bytes(b"")
    (logdir / "link").symlink_to(logdir / "tb", target_is_directory=True)


@pytest.fixture
def walks(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Path]]:
    """The directories walk_files was asked to walk, in order."""
    seen: list[Path] = []
    real = discover.walk_files

    def counting(logdir: Path) -> Iterator[tuple[str, list[str]]]:
        seen.append(Path(logdir))
        return real(logdir)

    monkeypatch.setattr(discover, "walk_files", counting)
    yield seen


def test_one_walk_finds_stores_and_event_runs(logdir: Path, walks: list[Path]) -> None:
    _mixed_logdir(logdir)
    found = discover_runs(logdir)
    assert walks == [logdir]
    assert isinstance(found, FoundRuns)
    assert found.stores == {"both": logdir / "both", "exp/lr=0.1": logdir / "exp/lr=0.1",
                            "exp/lr=1": logdir / "exp/lr=1"}
    assert found.events == {"both": logdir / "both", "proj": logdir / "proj",
                            "tb": logdir / "tb", "tb/sub": logdir / "tb/sub"}
    assert list(found.stores) == sorted(found.stores)
    assert find_runs(logdir) == found.stores
    assert find_event_runs(logdir) == found.events
    assert discover_runs(str(logdir)) == found
    # the logdir itself as a run is named after its folder
    assert discover_runs(logdir / "tb").events == {"tb": logdir / "tb",
                                                   "sub": logdir / "tb/sub"}
    assert discover_runs(logdir / "missing") == FoundRuns({}, {})
    with pytest.raises(TypeError, match=r"discover_runs\(\): 'logdir' must be a path .* int"):
        discover_runs(3)  # type: ignore[arg-type]


def test_scan_logdir_walks_once(logdir: Path, walks: list[Path]) -> None:
    _mixed_logdir(logdir)
    stores, events = sources.scan_logdir(logdir)
    assert len(walks) == 1
    assert (stores, events) == tuple(discover_runs(logdir))


@pytest.mark.parametrize("kind", ["scalars", "histograms"])
def test_read_walks_the_logdir_once(logdir: Path, walks: list[Path], kind: str) -> None:
    _mixed_logdir(logdir)
    walks.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing here is a problem
        frame = nbviz.read(logdir, kind=kind)
    assert len(walks) == 1, walks
    if kind == "scalars":
        assert frame.groupby(frame["run"].astype(str)).size().to_dict() == {
            "both": 2, "exp/lr=0.1": 1, "exp/lr=1": 1, "tb": 1, "tb/sub": 1}
    else:
        assert sorted(frame["run"]) == ["both", "exp/lr=0.1", "exp/lr=1"]
