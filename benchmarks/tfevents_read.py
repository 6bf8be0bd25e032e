"""Benchmark: reading TensorBoard logdirs into a DataFrame — nbviz vs tbparse vs EventAccumulator.

Two logdirs, written once by ``torch.utils.tensorboard.SummaryWriter`` into a cache
directory outside the repository (``$NBVIZ_BENCH_CACHE``, default
``~/.cache/nbviz-bench``) and reused by later runs:

* ``big``: one run, 10 tags x 100,000 steps = 1,000,000 scalars (~42 MB of tfevents);
* ``many``: 200 runs x 5 tags x 200 steps = 200,000 scalars.

Each reader turns the whole logdir into one tidy DataFrame (run, tag, step, value):

* nbviz: ``nbviz.read(logdir, kind="scalars")``;
* tbparse: ``SummaryReader(logdir, extra_columns={"dir_name"}).scalars``;
* TensorBoard: ``EventAccumulator`` per run with no size guidance limit
  (``{"scalars": 0}``, i.e. keep every point), ``Reload()``, then the scalars
  of every tag into a DataFrame.

The anchor is tbparse (the goal: nbviz >= 5x faster). Each reader runs ``--repeat``
times (default 1; the machine has 2 shared cores) and the best time is kept. The
frames are compared for equal content before timing is reported.

Usage::

    .venv/bin/python benchmarks/tfevents_read.py            # both logdirs, all readers
    .venv/bin/python benchmarks/tfevents_read.py --only many --repeat 3
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import fmt_secs, summary

CACHE = Path(os.environ.get("NBVIZ_BENCH_CACHE", Path.home() / ".cache" / "nbviz-bench"))
BIG_TAGS, BIG_STEPS = 10, 100_000
MANY_RUNS, MANY_TAGS, MANY_STEPS = 200, 5, 200


def _write_big(path: Path) -> None:
    from torch.utils.tensorboard import SummaryWriter

    rng = np.random.default_rng(0)
    values = rng.standard_normal((BIG_STEPS, BIG_TAGS)).astype(np.float64)
    writer = SummaryWriter(str(path / "run"), max_queue=1000)
    tags = [f"group{t % 3}/metric{t}" for t in range(BIG_TAGS)]
    for step in range(BIG_STEPS):
        row = values[step]
        for t, tag in enumerate(tags):
            writer.add_scalar(tag, float(row[t]), step)
    writer.close()


def _write_many(path: Path) -> None:
    from torch.utils.tensorboard import SummaryWriter

    rng = np.random.default_rng(1)
    for run in range(MANY_RUNS):
        writer = SummaryWriter(str(path / f"lr={run:03d}"), max_queue=1000)
        values = rng.standard_normal((MANY_STEPS, MANY_TAGS))
        for step in range(MANY_STEPS):
            for t in range(MANY_TAGS):
                writer.add_scalar(f"loss/{t}", float(values[step, t]), step)
        writer.close()


def ensure_logdir(name: str) -> Path:
    """The cached logdir ``name`` ("big" or "many"), written by torch on first use."""
    path = CACHE / name
    done = path / ".complete"
    if done.exists():
        return path
    import shutil

    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    print(f"writing the {name!r} logdir with torch.utils.tensorboard into {path} "
          "(once; minutes) …", flush=True)
    started = time.perf_counter()
    (_write_big if name == "big" else _write_many)(path)
    done.write_text(f"{time.perf_counter() - started:.1f} s\n")
    print(f"  written in {fmt_secs(time.perf_counter() - started)}", flush=True)
    return path


def read_nbviz(logdir: Path) -> pd.DataFrame:
    import nbviz

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return nbviz.read(logdir, kind="scalars")


def read_tbparse(logdir: Path) -> pd.DataFrame:
    from tbparse import SummaryReader

    frame = SummaryReader(str(logdir), extra_columns={"dir_name"}).scalars
    return frame.rename(columns={"dir_name": "run"})


def read_event_accumulator(logdir: Path) -> pd.DataFrame:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    frames = []
    for directory, _, files in os.walk(logdir):
        if not any("tfevents" in name for name in files):
            continue
        accumulator = EventAccumulator(directory, size_guidance={"scalars": 0})
        accumulator.Reload()
        run = os.path.relpath(directory, logdir)
        for tag in accumulator.Tags()["scalars"]:
            events = accumulator.Scalars(tag)
            frames.append(pd.DataFrame({
                "run": run, "tag": tag,
                "step": np.fromiter((e.step for e in events), np.int64, len(events)),
                "value": np.fromiter((e.value for e in events), np.float64, len(events)),
            }))
    return pd.concat(frames, ignore_index=True)


READERS: dict[str, Callable[[Path], pd.DataFrame]] = {
    "nbviz": read_nbviz,
    "tbparse": read_tbparse,
    "EventAccumulator": read_event_accumulator,
}


def _canonical(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame[["run", "tag", "step", "value"]].copy()
    out["run"] = out["run"].astype(str).str.replace(os.sep, "/")
    out["tag"] = out["tag"].astype(str)
    out["step"] = out["step"].astype(np.int64)
    out["value"] = out["value"].astype(np.float32).astype(np.float64)
    return out.sort_values(["run", "tag", "step"], kind="stable").reset_index(drop=True)


def bench(name: str, repeat: int, readers: list[str]) -> dict[str, float]:
    logdir = ensure_logdir(name)
    size = sum(p.stat().st_size for p in logdir.rglob("*tfevents*"))
    runs = sum(1 for _ in logdir.rglob("*tfevents*"))
    print(f"\n== {name}: {logdir} ({runs} event file(s), {size / 1e6:.1f} MB)", flush=True)
    times: dict[str, float] = {}
    reference: pd.DataFrame | None = None
    for reader in readers:
        best = float("inf")
        frame = pd.DataFrame()
        for _ in range(repeat):
            started = time.perf_counter()
            frame = READERS[reader](logdir)
            best = min(best, time.perf_counter() - started)
        times[reader] = best
        canonical = _canonical(frame)
        if reference is None:
            reference = canonical
        else:
            pd.testing.assert_frame_equal(canonical, reference, check_exact=True)
        print(f"  {reader:>17}: {fmt_secs(best):>9}  ({len(frame):,} rows)", flush=True)
    if "nbviz" in times:
        for reader in readers:
            if reader != "nbviz":
                print(f"  nbviz is {times[reader] / times['nbviz']:.1f}x faster than {reader}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=["big", "many"], action="append")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--readers", default=",".join(READERS),
                        help="comma-separated subset of " + ", ".join(READERS))
    parser.add_argument("--generate-only", action="store_true",
                        help="only write the cached logdirs")
    args = parser.parse_args()
    names = args.only or ["big", "many"]
    if args.generate_only:
        for name in names:
            ensure_logdir(name)
        return
    readers = [r for r in args.readers.split(",") if r]
    unknown = set(readers) - set(READERS)
    if unknown:
        parser.error(f"unknown reader(s) {sorted(unknown)}")
    results = {name: bench(name, args.repeat, readers) for name in names}
    fields: dict[str, float] = {}
    for name, times in results.items():
        for reader, seconds in times.items():
            fields[f"{name}_{reader}_s"] = round(seconds, 3)
        if "nbviz" in times and "tbparse" in times:
            fields[f"{name}_speedup_vs_tbparse"] = round(times["tbparse"] / times["nbviz"], 1)
        if "nbviz" in times and "EventAccumulator" in times:
            fields[f"{name}_speedup_vs_event_accumulator"] = round(
                times["EventAccumulator"] / times["nbviz"], 1)
    summary("tfevents_read", **fields)


if __name__ == "__main__":
    main()
