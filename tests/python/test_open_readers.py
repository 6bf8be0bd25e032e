"""Store readers keep at most a capped number of SQLite connections open, process-wide:
a panel following hundreds of runs must not run out of file descriptors (1,024 by default
on Linux, 256 on macOS)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

import nbviz
from nbviz.store.open_readers import OPEN_READERS, ReaderPool, default_cap
from nbviz.store.sqlite import DB_FILENAME, StoreReader

REPO = Path(__file__).resolve().parents[2]


def store_fds(under: Path) -> int:
    """Open descriptors of this process on the run stores' files (database, WAL, shm)
    below ``under`` (readers of other tests may still be open elsewhere)."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        count += DB_FILENAME in target and target.startswith(str(under))
    return count


def make_runs(logdir: Path, runs: int) -> None:
    """``runs`` stores, each the same 10 steps of 'loss' (written once, then copied: the
    store does not record its directory)."""
    with nbviz.init("r000", logdir=logdir) as run:
        for step in range(10):
            run.log({"loss": 1.0 / (step + 1)}, step=step)
    for index in range(1, runs):
        shutil.copytree(logdir / "r000", logdir / f"r{index:03d}")


@pytest.fixture
def small_cap(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(OPEN_READERS, "cap", 4)
    return 4


pytestmark = pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")


def test_readers_past_the_cap_close_the_oldest_and_reopen_on_the_next_read(
    tmp_path: Path, small_cap: int
) -> None:
    make_runs(tmp_path, 20)
    before = store_fds(tmp_path)
    readers = [StoreReader(tmp_path / f"r{i:03d}") for i in range(20)]
    try:
        for reader in readers:
            assert list(reader.tag_names().values()) == ["loss"]
            assert store_fds(tmp_path) - before <= 3 * small_cap
        assert len(OPEN_READERS) <= small_cap
        # every reader, the closed ones included, still reads its rows
        for reader in readers:
            columns = reader.scalars_between(0)
            assert np.array_equal(columns.step, np.arange(10))
            assert np.allclose(columns.value, 1.0 / (np.arange(10) + 1))
            assert reader.problems() == []
        assert store_fds(tmp_path) - before <= 3 * small_cap
    finally:
        for reader in readers:
            reader.close()
    assert store_fds(tmp_path) == before
    assert len(OPEN_READERS) == 0


def test_a_reader_busy_in_another_thread_is_never_closed_under_it(
    tmp_path: Path, small_cap: int
) -> None:
    make_runs(tmp_path, 12)
    readers = [StoreReader(tmp_path / f"r{i:03d}") for i in range(12)]
    errors: list[BaseException] = []

    def read_all(offset: int) -> None:
        try:
            for turn in range(40):
                reader = readers[(offset + turn) % len(readers)]
                columns = reader.scalars_between(0)
                assert len(columns) == 10
                assert reader.problems() == []
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=read_all, args=(k * 3,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for reader in readers:
        reader.close()
    assert errors == []


def test_the_pool_rejects_a_bad_cap_and_derives_its_default_from_the_fd_limit() -> None:
    with pytest.raises(ValueError, match=r"'cap'.*positive int.*0"):
        ReaderPool(cap=0)
    with pytest.raises(ValueError, match="'cap'"):
        ReaderPool(cap=True)  # type: ignore[arg-type]
    assert 8 <= default_cap() <= 128


CHILD = """
import resource, sys, time
resource.setrlimit(resource.RLIMIT_NOFILE, (256, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
import nbviz
from nbviz.sources import LogdirSource
source = LogdirSource(sys.argv[1], rescan_interval=0.0)
rows = 0
for _ in range(3):
    for batch in source.poll():
        rows += len(getattr(batch, "columns", ()))
        history = getattr(batch, "history", None)
        if history is not None:
            rows += len(history.history(batch.tags))
    time.sleep(0.05)
frame = nbviz.read(sys.argv[1])
open(sys.argv[1] + "/../still-can-open-files.txt", "w").close()
print("ROWS", rows, len(frame), frame["run"].nunique())
"""


def test_following_300_runs_under_a_256_descriptor_limit(tmp_path: Path) -> None:
    """macOS's default limit: one tail per run used to keep ~3 descriptors each open."""
    logdir = tmp_path / "runs"
    make_runs(logdir, 300)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", CHILD, str(logdir)], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "ROWS 3000 3000 300" in done.stdout, done.stdout + done.stderr[-2000:]
