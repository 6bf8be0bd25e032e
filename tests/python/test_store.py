from __future__ import annotations

import math
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import nbviz
from nbviz.store.discover import find_runs
from nbviz.store.fsinfo import filesystem_type, is_network_filesystem
from nbviz.store.sqlite import DB_FILENAME, StoreReader


def test_roundtrip_read_dataframe(logdir: Path) -> None:
    with nbviz.init("a", logdir=logdir, config={"lr": 0.1, "layers": [64, 10]}) as run:
        for step in range(5):
            run.log({"loss": 1.0 / (step + 1), "acc": step / 10}, step=step)
    frame = nbviz.read(logdir)
    assert list(frame.columns) == ["run", "tag", "step", "wall_time", "value"]
    assert len(frame) == 10
    assert frame["step"].dtype == np.int64
    loss = frame[frame.tag == "loss"].sort_values("step")
    np.testing.assert_allclose(loss.value, [1, 1 / 2, 1 / 3, 1 / 4, 1 / 5])
    assert set(frame.run) == {"a"}
    meta = StoreReader(logdir / "a").meta()
    assert meta["config"] == {"lr": 0.1, "layers": [64, 10]}
    assert meta["name"] == "a" and "finished" in meta


def test_nan_and_inf_are_kept(logdir: Path) -> None:
    with nbviz.init("a", logdir=logdir) as run:
        run.log({"x": math.nan}, step=0)
        run.log({"x": math.inf}, step=1)
        run.log({"x": -math.inf}, step=2)
        run.log({"x": 2.5}, step=3)
    values = nbviz.read(logdir).value.to_numpy()
    assert np.isnan(values[0]) and values[1] == np.inf and values[2] == -np.inf
    assert values[3] == 2.5


def test_wal_mode_and_network_fallback(logdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nbviz.init("wal", logdir=logdir).finish()
    mode = sqlite3.connect(logdir / "wal" / DB_FILENAME).execute("PRAGMA journal_mode").fetchone()
    assert mode[0] == "wal"
    monkeypatch.setenv("NBVIZ_FORCE_JOURNAL", "1")
    with nbviz.init("nfs", logdir=logdir) as run:
        run.log({"x": 1.0})
    mode = sqlite3.connect(logdir / "nfs" / DB_FILENAME).execute("PRAGMA journal_mode").fetchone()
    assert mode[0] == "delete"
    assert len(nbviz.read(logdir)) == 1


def test_filesystem_type_reads_mounts(tmp_path: Path) -> None:
    mounts = tmp_path / "mounts"
    mounts.write_text(
        "rootfs / ext4 rw 0 0\nserver:/export /mnt/cluster nfs4 rw 0 0\n", encoding="utf-8"
    )
    assert filesystem_type(Path("/mnt/cluster/runs"), str(mounts)) == "nfs4"
    assert filesystem_type(Path("/home/me"), str(mounts)) == "ext4"
    assert not is_network_filesystem(tmp_path)


def test_if_exists_modes(logdir: Path) -> None:
    with nbviz.init("r", logdir=logdir) as run:
        run.log({"x": 1.0}, step=0)
    second = nbviz.init("r", logdir=logdir)
    assert second.name == "r-1"
    second.finish()
    with nbviz.init("r", logdir=logdir, if_exists="append") as run:
        assert run.name == "r"
        run.log({"x": 2.0}, step=1)
    frame = nbviz.read(logdir)
    assert frame[frame.run == "r"].value.tolist() == [1.0, 2.0]
    with nbviz.init("r", logdir=logdir, if_exists="overwrite") as run:
        run.log({"x": 3.0}, step=0)
    frame = nbviz.read(logdir)
    assert frame[frame.run == "r"].value.tolist() == [3.0]


def test_nested_runs_are_discovered(logdir: Path) -> None:
    for name in ("exp1/lr=0.1", "exp1/lr=1", "exp2"):
        with nbviz.init(name, logdir=logdir) as run:
            run.log({"x": 1.0})
    assert list(find_runs(logdir)) == ["exp1/lr=0.1", "exp1/lr=1", "exp2"]
    assert sorted(nbviz.read(logdir).run.unique()) == ["exp1/lr=0.1", "exp1/lr=1", "exp2"]


def test_read_validates(logdir: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        nbviz.read(logdir / "missing")
    with pytest.raises(ValueError, match="'kind' must be one of"):
        nbviz.read(logdir, kind="nope")
    with pytest.raises(TypeError, match="'logdir' must be a path"):
        nbviz.read(42)  # type: ignore[arg-type]
    empty = nbviz.read(logdir)
    assert isinstance(empty, pd.DataFrame) and empty.empty
    assert list(empty.columns) == ["run", "tag", "step", "wall_time", "value"]


def test_read_includes_unflushed_values_of_live_run(logdir: Path) -> None:
    run = nbviz.init("live", logdir=logdir, flush_secs=3600)
    run.log({"x": 1.0}, step=0)
    assert nbviz.read(logdir).value.tolist() == [1.0]
    assert StoreReader(logdir / "live").scalars_between(0).value.size == 0  # not yet flushed
    run.flush()
    assert StoreReader(logdir / "live").scalars_between(0).value.tolist() == [1.0]


def test_tensor_records_roundtrip_and_tail(logdir: Path) -> None:
    from nbviz.sources import TensorTail

    run = nbviz.init("t", logdir=logdir, flush_secs=3600)
    tail = TensorTail(run.dir, "t", frozenset({"histogram"}))
    counts = np.arange(6, dtype=np.float32).reshape(2, 3)
    run.log_tensor("histogram", "w", counts, 3, {"bins": 3})
    run.log_tensor("pr_curve", "pr", np.zeros((6, 4)), 3)
    (batch,) = tail.poll()
    assert [r.tag for r in batch.records] == ["w"]  # live, before any flush
    run.log_tensor("histogram", "w", counts + 1, 4)
    run.flush()
    run.log_tensor("histogram", "w", counts + 2, 5)
    (batch,) = tail.poll()
    assert [r.step for r in batch.records] == [4, 5]  # across a flush, exactly once
    run.finish()
    stored = StoreReader(logdir / "t").tensors_between(0)
    assert [(r.kind, r.tag, r.step) for r in stored] == [
        ("histogram", "w", 3), ("pr_curve", "pr", 3), ("histogram", "w", 4), ("histogram", "w", 5)
    ]
    np.testing.assert_array_equal(stored[0].array, counts)
    assert stored[0].array.dtype == np.float32 and stored[0].extra == {"bins": 3}
    cold = TensorTail(logdir / "t", "t", frozenset({"pr_curve"}))
    (batch,) = cold.poll()
    assert [r.tag for r in batch.records] == ["pr"]
