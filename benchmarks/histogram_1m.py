"""One histogram of a 1M-element float32 tensor: nbviz vs torch's ``add_histogram``.

Measured in the same run, interleaved, median of repeats, at 1 and 2 CPU threads:

* anchor: ``torch.utils.tensorboard.SummaryWriter.add_histogram(tag, t, step)``.
  What it computes: the tensor copied to the host as float64 numpy, then
  ``np.histogram`` over TensorBoard's default ~1,549 exponential buckets
  (±1e-12·1.1^k, RECIPES.md), trimmed to the occupied range, plus min/max/sum/
  sum of squares, serialised into a tfevents record. A finer, fixed bucketing
  than nbviz's 64 equal bins over [min, max] — different output, same purpose.
* ``nbviz_exact``: ``run.log_histogram(tag, t, step)`` — 64 equal bins over
  [min, max], computed on the tensor's device (aminmax, integer bucketing with
  numpy's exact-edge correction, bincount; no sort, no float64 copy), equal to
  ``np.histogram`` bin for bin; only the counts travel.
* ``nbviz_sampled``: ``run.log_histogram(tag, t, step, sample=65536)`` — the same
  record, min/max/sum/sum of squares/NaN-Inf count still exact, bucket counts from
  65,536 values at fixed random positions scaled to 1M. Its error against the exact
  histogram is printed (total-variation distance and largest bin error).
* also: ``nbviz_tensorflow_bins`` (``bins="tensorflow"``, bucket-for-bucket what torch
  stores, numpy on the host) and the bare on-device ``device_histogram`` (exact).

Goal (issue 16): nbviz ≥ 10× faster than ``add_histogram`` at 1 and 2 threads.

Run: ``.venv/bin/python benchmarks/histogram_1m.py [--quick] [--threads 1,2]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import fmt_secs, summary

SAMPLE = 65_536


def median_time(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def sampled_error(values: object, bins: int) -> tuple[float, float]:
    """(total-variation distance, largest |bin error| / num) of the sampled histogram
    against the exact one, on the benchmark's tensor."""
    import numpy as np

    from nbviz.hooks.stats import tensor_histogram

    exact, _ = tensor_histogram(values, bins)  # type: ignore[arg-type]
    sampled, _ = tensor_histogram(values, bins, sample=SAMPLE)  # type: ignore[arg-type]
    p = exact[1] / exact[1].sum()
    q = sampled[1] / sampled[1].sum()
    return float(0.5 * np.abs(p - q).sum()), float(np.abs(p - q).max())


def measure(values: object, threads: int, rounds: int, per_round: int,
            tmp: Path) -> dict[str, float]:
    import torch
    from torch.utils.tensorboard import SummaryWriter

    import nbviz
    from nbviz.hooks.stats import device_histogram

    torch.set_num_threads(threads)
    writer = SummaryWriter(str(tmp / f"tb{threads}"))
    run = nbviz.init(f"bench{threads}", logdir=tmp / "nbviz")
    step = {"n": 0}

    def torch_add_histogram() -> None:
        step["n"] += 1
        writer.add_histogram("w", values, step["n"])

    def nbviz_exact() -> None:
        step["n"] += 1
        run.log_histogram("w", values, step["n"])

    def nbviz_sampled() -> None:
        step["n"] += 1
        run.log_histogram("w_sampled", values, step["n"], sample=SAMPLE)

    def nbviz_tensorflow_bins() -> None:
        step["n"] += 1
        run.log_histogram("w_tb", values, step["n"], bins="tensorflow")

    def bare() -> None:
        device_histogram(values, 64)  # type: ignore[arg-type]

    variants = {"torch_add_histogram": torch_add_histogram, "nbviz_exact": nbviz_exact,
                "nbviz_sampled": nbviz_sampled, "nbviz_tensorflow_bins": nbviz_tensorflow_bins,
                "device_histogram": bare}
    for fn in variants.values():  # warm-up
        fn()
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(rounds):  # interleaved: machine load hits every variant alike
        for name, fn in variants.items():
            samples[name].append(median_time(fn, per_round))
    writer.close()
    run.finish()
    return {name: statistics.median(times) for name, times in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    args = parser.parse_args()

    import torch

    torch.manual_seed(0)
    values = torch.randn(args.size)
    rounds = 5 if args.quick else 15
    per_round = 3
    tv, worst = sampled_error(values, 64)
    report: dict[str, object] = {"size": args.size, "sample": SAMPLE,
                                 "sampled_tv_distance": tv, "sampled_max_bin_error": worst}
    exact_goal = sampled_goal = True
    with tempfile.TemporaryDirectory() as tmp:
        for threads in (int(t) for t in args.threads.split(",")):
            result = measure(values, threads, rounds, per_round, Path(tmp))
            anchor = result["torch_add_histogram"]
            print(f"one histogram of {args.size:,} float32 values ({threads} thread(s)), "
                  f"median of {rounds}×{per_round}:")
            for name, seconds in result.items():
                print(f"  {name:24s} {fmt_secs(seconds):>10s}   "
                      f"{anchor / seconds:6.1f}× vs add_histogram")
            exact = anchor / result["nbviz_exact"]
            sampled = anchor / result["nbviz_sampled"]
            print(f"nbviz log_histogram vs torch add_histogram: exact (numpy-equal) {exact:.1f}×, "
                  f"sampled ({SAMPLE:,} values) {sampled:.1f}× (goal ≥ 10×)")
            report[f"threads_{threads}"] = {"seconds": result, "ratio_exact": exact,
                                            "ratio_sampled": sampled}
            exact_goal = exact_goal and exact >= 10
            sampled_goal = sampled_goal and sampled >= 10
    print(f"sampled histogram error vs exact: total-variation distance {tv:.4f}, "
          f"largest bin error {worst:.4f} of all values")
    summary("histogram_1m", **report, meets_goal_exact=exact_goal,
            meets_goal_sampled=sampled_goal)


if __name__ == "__main__":
    main()
