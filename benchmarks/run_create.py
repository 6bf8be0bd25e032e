"""Run creation: ``nbviz.init`` + one ``log`` + ``finish`` vs torch's ``SummaryWriter``.

Claim: creating a run is cheap enough for sweeps of thousands of trials and test suites
of hundreds of runs. Anchor, measured in the same run on the same filesystem:
``torch.utils.tensorboard.SummaryWriter(log_dir)`` + ``add_scalar`` + ``close()``.

Each side creates ``--runs`` runs per repeat (default 200, ``--quick`` 50), each with one
value logged, then finished. The sides alternate in blocks of ``--block`` runs, every run
timed on its own; per repeat the mean per-run time of each side (a sweep pays the mean)
and their ratio; printed: the median over ``--repeat`` repeats, with a bootstrap 95 % CI
of the ratio (benchmarks/_stats.py). ``--against DIR`` adds a third side: the nbviz of
another checkout (e.g. main's, for a before/after), run in a worker process with
``PYTHONPATH=DIR`` and interleaved block by block with the other two.

The goal (informational): a run costs at most 2 ms more than torch's plus the 3 fsyncs of
its durable finish (the last checkpoint syncs the WAL, its directory and the database;
torch's ``close()`` syncs nothing). Those syncs are also made by hand on the same
filesystem, once per block (same run), and the figure judged is nbviz per run minus
torch's minus them: "beyond torch's + those".

Then a breakdown of nbviz's run lifecycle (cProfile over ``--profile-runs`` runs of each
nbviz side, cumulative time per phase: run directory, writer lock, filesystem check,
SQLite open + PRAGMAs, schema transaction, caches, meta writes, flusher thread, live registry,
log, flusher join, commit, compact, checkpoint + close, release).

Run: ``.venv/bin/python benchmarks/run_create.py [--quick] [--against /path/to/checkout]``
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import summary
from _stats import median_ci

# A finished run is durable: its last checkpoint syncs the WAL, the WAL's directory and the
# database file (torch's close() syncs nothing). The goal (informational): nbviz per run
# costs at most GOAL_OVER_FLOOR_MS more than torch's plus those SYNCS_AT_FINISH fsyncs.
SYNCS_AT_FINISH = 3
GOAL_OVER_FLOOR_MS = 2.0

# Phases of a run's life: name -> alternatives, each a list of (file, function, caller)
# whose cumulative times add up; the first alternative found in the profile is used (the
# code of two checkouts may differ). ``caller`` None: every call; else only calls made from
# that (file, function).
Matcher = tuple[str, str, tuple[str, str] | None]
PHASES: dict[str, list[list[Matcher]]] = {
    "run directory (mkdir)": [[("~", "<built-in method posix.mkdir>", None)]],
    "writer lock": [[("lock.py", "try_acquire", None)]],
    "network-filesystem check": [[("sqlite.py", "_journal_fallback", None)],
                                 [("fsinfo.py", "is_network_filesystem", None)]],
    "store file from the schema image": [[("template.py", "create_store_file", None)]],
    "SQLite open + PRAGMAs": [[("sqlite.py", "_connect", None)]],
    "schema transaction (+ meta, COMMIT)": [
        [("~", "<method 'executescript' of 'sqlite3.Connection' objects>",
          ("sqlite.py", "__init__")),
         ("~", "<method 'execute' of 'sqlite3.Connection' objects>",
          ("sqlite.py", "__init__"))]],
    "caches (tags, summaries, seqs)": [[("sqlite.py", "_load_summaries", None),
                                        ("sqlite.py", "_reload_tag_ids", None),
                                        ("sqlite.py", "_has_table", ("sqlite.py", "__init__")),
                                        ("sqlite.py", "next_seq", None),
                                        ("sqlite.py", "next_step", None)]],
    "meta writes at init (own commits)": [[("sqlite.py", "set_meta", ("run.py", "__init__")),
                                           ("sqlite.py", "set_meta", ("sqlite.py", "__init__"))]],
    "flusher thread start": [[("run.py", "_start_flusher", ("run.py", "__init__"))]],
    "live registry (join + leave)": [[("live.py", "_register_live", None),
                                      ("live.py", "_unregister_live", None)]],
    "log() one value": [[("run.py", "log", None)]],
    "finish: flusher join": [[("run.py", "_join_flusher", ("run.py", "finish"))],
                             [("threading.py", "join", ("run.py", "finish"))]],
    "finish: defer checkpoint": [[("sqlite.py", "checkpoint_at_close_only",
                                   ("run.py", "finish"))]],
    "finish: commit pending": [[("run.py", "_commit", ("run.py", "finish"))]],
    "finish: compact": [[("run.py", "_compact", ("run.py", "finish"))]],
    "finish: meta 'finished'": [[("sqlite.py", "set_meta", ("run.py", "finish"))]],
    "finish: checkpoint + close (fsyncs)": [[("sqlite.py", "close", ("run.py", "_close"))]],
    "finish: lock release": [[("lock.py", "release", None)]],
}


def _logdirs(root: Path) -> Iterator[Path]:
    for index in range(1_000_000):
        yield root / f"logdir{index}"


# -- the sides ------------------------------------------------------------------------------

def nbviz_runs(logdir: Path, first: int, count: int) -> list[float]:
    """Seconds of each of ``count`` runs: init, log one value, finish."""
    import nbviz

    times = []
    for index in range(first, first + count):
        started = time.perf_counter()
        run = nbviz.init(f"trial{index}", logdir=logdir, config={"lr": 1e-3, "index": index})
        run.log({"loss": 0.5}, step=0)
        run.finish()
        times.append(time.perf_counter() - started)
    return times


def torch_runs(logdir: Path, first: int, count: int) -> list[float]:
    """Seconds of each of ``count`` torch SummaryWriter runs: create, add_scalar, close."""
    from torch.utils.tensorboard import SummaryWriter

    times = []
    for index in range(first, first + count):
        started = time.perf_counter()
        writer = SummaryWriter(str(logdir / f"trial{index}"))
        writer.add_scalar("loss", 0.5, 0)
        writer.close()
        times.append(time.perf_counter() - started)
    return times


def _matches(key: tuple[str, int, str], file: str, function: str) -> bool:
    return key[2] == function and (key[0] == file or key[0].endswith(os.sep + file))


def breakdown(logdir: Path, count: int) -> dict[str, Any]:
    """Per-phase milliseconds per run (cProfile cumulative times) over ``count`` runs."""
    profile = cProfile.Profile()
    gc.collect()
    started = time.perf_counter()
    profile.enable()
    nbviz_runs(logdir, 0, count)
    profile.disable()
    wall = time.perf_counter() - started
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]

    def cumulative(file: str, function: str, caller: tuple[str, str] | None) -> float | None:
        total, found = 0.0, False
        for key, (_, _, _, ct, callers) in stats.items():
            if not _matches(key, file, function):
                continue
            if caller is None:
                total, found = total + ct, True
                continue
            for caller_key, values in callers.items():
                if _matches(caller_key, *caller):
                    total, found = total + values[3], True
        return total if found else None

    phases: dict[str, float | None] = {}
    for phase, alternatives in PHASES.items():
        phases[phase] = None
        for alternative in alternatives:
            parts = [cumulative(*matcher) for matcher in alternative]
            if any(part is not None for part in parts):
                phases[phase] = sum(part or 0.0 for part in parts) / count * 1e3
                break
    return {"profiled_ms_per_run": wall / count * 1e3, "phases_ms": phases}


def _datasync(fd: int) -> None:
    """fdatasync (what SQLite uses on Linux), fsync where there is none."""
    getattr(os, "fdatasync", os.fsync)(fd)


def durable_finish_ms(directory: Path, index: int) -> float:
    """Milliseconds of the syncs a durable finish of a one-value run makes, done by hand in
    ``directory`` with the sizes SQLite writes (strace): 9 frames of 4 KiB + 24 B written
    to a new file and fdatasync'ed (the WAL), the directory fsync'ed (the new WAL's
    entry), 8 pages of a 40 KiB file overwritten and fdatasync'ed (the database)."""
    page = b"\1" * 4096
    frame = b"\2" * (4096 + 24)
    database = directory / f"floor{index}.db"
    database.write_bytes(b"\0" * 40960)
    wal = directory / f"floor{index}.db-wal"
    started = time.perf_counter()
    fd = os.open(wal, os.O_CREAT | os.O_WRONLY, 0o644)
    try:
        os.write(fd, frame * 9)
        _datasync(fd)
    finally:
        os.close(fd)
    if os.name == "posix":
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    fd = os.open(database, os.O_WRONLY)
    try:
        os.lseek(fd, 4096, os.SEEK_SET)
        os.write(fd, page * 8)
        _datasync(fd)
    finally:
        os.close(fd)
    took = time.perf_counter() - started
    wal.unlink()
    database.unlink()
    return took * 1e3


SIDES: dict[str, Callable[[Path, int, int], list[float]]] = {
    "nbviz": nbviz_runs, "torch": torch_runs}


# -- a worker: the nbviz of another checkout, driven over stdin/stdout ----------------------

def worker() -> None:
    """Answer one JSON request per stdin line: {"op": "runs", "logdir", "first", "count"}
    or {"op": "breakdown", "logdir", "count"} or {"op": "where"}."""
    for line in sys.stdin:
        request = json.loads(line)
        if request["op"] == "runs":
            answer: Any = nbviz_runs(Path(request["logdir"]), request["first"],
                                     request["count"])
        elif request["op"] == "breakdown":
            answer = breakdown(Path(request["logdir"]), request["count"])
        else:
            import nbviz

            answer = str(Path(nbviz.__file__).resolve().parent.parent)
        print(json.dumps(answer), flush=True)


class Worker:
    """A ``--worker`` child importing nbviz from ``checkout``."""

    def __init__(self, checkout: Path) -> None:
        env = {**os.environ, "PYTHONPATH": str(checkout)}
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--worker"], env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def ask(self, **request: Any) -> Any:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(request, default=str) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the worker ({self.process.args}) exited: "
                               f"{self.process.wait()}")
        return json.loads(line)

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=60)


# -- main -----------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="50 runs per repeat, 3 repeats")
    parser.add_argument("--runs", type=int, default=None, help="runs per side per repeat")
    parser.add_argument("--repeat", type=int, default=None, help="repeats (default 5)")
    parser.add_argument("--block", type=int, default=10, help="runs per side between switches")
    parser.add_argument("--profile-runs", type=int, default=None,
                        help="runs profiled for the breakdown (default runs / 2)")
    parser.add_argument("--against", type=Path, default=None,
                        help="another checkout whose nbviz is measured too (before/after)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker()
        return
    runs = args.runs or (50 if args.quick else 200)
    repeat = args.repeat or (3 if args.quick else 5)
    profile_runs = args.profile_runs or max(runs // 2, 10)
    if runs < 1 or repeat < 2 or args.block < 1:
        parser.error("--runs and --block must be >= 1, --repeat >= 2")

    import nbviz

    here = str(Path(nbviz.__file__).resolve().parent.parent)
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPU(s); "
          f"{runs} runs per side × {repeat} repeats, blocks of {args.block}")
    print(f"nbviz: {here}")
    other = Worker(args.against) if args.against else None
    try:
        with tempfile.TemporaryDirectory(prefix="nbviz-run-create-") as tmp:
            root = Path(tmp)
            names = ["torch", "nbviz"] + (["against"] if other else [])
            if other:
                print(f"against: {other.ask(op='where')}")
            logdirs = _logdirs(root)
            per_run: dict[str, list[float]] = {name: [] for name in names}  # ms, per repeat
            floors: list[float] = []  # ms, per repeat: the durable finish's syncs by hand
            floor_dir = root / "floor"
            floor_dir.mkdir()
            SIDES["torch"](next(logdirs), 0, 2)  # imports and first-use costs, both sides
            SIDES["nbviz"](next(logdirs), 0, 2)
            if other:
                other.ask(op="runs", logdir=next(logdirs), first=0, count=2)
            for _ in range(repeat):
                times: dict[str, list[float]] = {name: [] for name in names}
                dirs = {name: next(logdirs) for name in names}
                floor_samples = []
                for first in range(0, runs, args.block):
                    count = min(args.block, runs - first)
                    floor_samples.append(durable_finish_ms(floor_dir, first))
                    for name in names:
                        gc.collect()
                        if name == "against" and other:
                            times[name] += other.ask(op="runs", logdir=dirs[name],
                                                     first=first, count=count)
                        else:
                            times[name] += SIDES[name](dirs[name], first, count)
                for name in names:
                    per_run[name].append(statistics.fmean(times[name]) * 1e3)
                floors.append(statistics.median(floor_samples))
                print("  repeat: " + ", ".join(f"{name} {per_run[name][-1]:.2f} ms/run"
                                               for name in names)
                      + f", the finish's syncs by hand {floors[-1]:.2f} ms", flush=True)
            ratios = [n / t for n, t in zip(per_run["nbviz"], per_run["torch"], strict=True)]
            ratio = median_ci(ratios)
            medians = {name: statistics.median(values) for name, values in per_run.items()}
            print(f"\nper run (median of {repeat} repeats of the mean of {runs} runs):")
            for name in names:
                print(f"  {name:<8} {medians[name]:8.2f} ms")
            print(f"nbviz / torch: {ratio.fmt(2, noun='repeats')}")
            speedup = None
            if other:
                speedups = [a / n for a, n in zip(per_run["against"], per_run["nbviz"],
                                                   strict=True)]
                speedup = median_ci(speedups)
                against_ratio = statistics.median(
                    a / t for a, t in zip(per_run["against"], per_run["torch"], strict=True))
                print(f"against / torch: {against_ratio:.2f}×; against / nbviz (speed-up): "
                      f"{speedup.fmt(2, noun='repeats')}")
                print(f"10,000 trials: nbviz {medians['nbviz'] * 10:.0f} s, against "
                      f"{medians['against'] * 10:.0f} s, torch {medians['torch'] * 10:.0f} s")

            breakdowns = {"nbviz": breakdown(next(logdirs), profile_runs)}
            if other:
                breakdowns["against"] = other.ask(op="breakdown", logdir=next(logdirs),
                                                  count=profile_runs)
            floor = statistics.median(floors)
            over_floor = statistics.median(
                n - t - f for n, t, f in zip(per_run["nbviz"], per_run["torch"], floors,
                                             strict=True))
            print(f"\nbreakdown (cProfile, {profile_runs} runs; ms per run; profiling adds "
                  "overhead to Python code):")
            print(f"  {'phase':<38}" + "".join(f"{name:>10}" for name in breakdowns))
            for phase in PHASES:
                cells = [breakdowns[name]["phases_ms"][phase] for name in breakdowns]
                if all(cell is None for cell in cells):
                    continue
                print(f"  {phase:<38}" + "".join(
                    f"{'—':>10}" if cell is None else f"{cell:10.2f}" for cell in cells))
            print(f"  {'total (profiled)':<38}" + "".join(
                f"{breakdowns[name]['profiled_ms_per_run']:10.2f}" for name in breakdowns))
            print(f"the {SYNCS_AT_FINISH} syncs of a durable finish, by hand on this filesystem: "
                  f"{floor:.2f} ms (median of the repeats); nbviz per run beyond torch's + those: "
                  f"{over_floor:.2f} ms (median of the repeats; goal ≤ {GOAL_OVER_FLOOR_MS:g} ms)")
            print(f"load average at the end {os.getloadavg()[0]:.2f}")
    finally:
        if other:
            other.close()

    summary("run_create", runs=runs, repeat=repeat,
            nbviz_ms_per_run=medians["nbviz"], torch_ms_per_run=medians["torch"],
            against_ms_per_run=medians.get("against"), ratio=ratio.median,
            ratio_ci=[ratio.low, ratio.high],
            speedup_vs_against=None if speedup is None else speedup.median,
            durable_finish_ms=floor, over_floor_ms=over_floor, breakdown=breakdowns,
            meets_goal=over_floor <= GOAL_OVER_FLOOR_MS)


if __name__ == "__main__":
    main()
