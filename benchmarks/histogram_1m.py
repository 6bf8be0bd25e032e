"""One histogram of a 1M-element float32 tensor: nbviz vs torch's ``add_histogram``.

Measured in the same run, interleaved, median of repeats (1 CPU thread, as in
the RECIPES anchor):

* anchor: ``torch.utils.tensorboard.SummaryWriter.add_histogram(tag, t, step)``
  (default ``bins="tensorflow"``: 1,549 buckets, numpy on the host);
* nbviz: ``run.log_histogram(tag, t, step)`` (64 equal bins over [min, max],
  computed on the tensor's device, only the counts travel; numpy-exact);
* also reported: ``run.log_histogram(..., bins="tensorflow")`` (bucket-for-bucket
  what torch stores) and the bare on-device histogram ``device_histogram``.

Goal (issue 4): nbviz ≥ 10× faster than ``add_histogram``.

Run: ``.venv/bin/python benchmarks/histogram_1m.py [--quick]``
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


def median_time(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    import torch
    from torch.utils.tensorboard import SummaryWriter

    import nbviz
    from nbviz.hooks.stats import device_histogram

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    values = torch.randn(args.size)
    rounds = 5 if args.quick else 15
    per_round = 3
    with tempfile.TemporaryDirectory() as tmp:
        writer = SummaryWriter(str(Path(tmp) / "tb"))
        run = nbviz.init("bench", logdir=Path(tmp) / "nbviz")
        step = {"n": 0}

        def torch_add_histogram() -> None:
            step["n"] += 1
            writer.add_histogram("w", values, step["n"])

        def nbviz_default() -> None:
            step["n"] += 1
            run.log_histogram("w", values, step["n"])

        def nbviz_tensorflow_bins() -> None:
            step["n"] += 1
            run.log_histogram("w_tb", values, step["n"], bins="tensorflow")

        def bare() -> None:
            device_histogram(values, 64)

        variants = {"torch_add_histogram": torch_add_histogram,
                    "nbviz_log_histogram": nbviz_default,
                    "nbviz_tensorflow_bins": nbviz_tensorflow_bins, "device_histogram": bare}
        for fn in variants.values():  # warm-up
            fn()
        samples: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(rounds):  # interleaved: machine load hits every variant alike
            for name, fn in variants.items():
                samples[name].append(median_time(fn, per_round))
        writer.close()
        run.finish()
    result = {name: statistics.median(times) for name, times in samples.items()}
    anchor = result["torch_add_histogram"]
    print(f"one histogram of {args.size:,} float32 values ({args.threads} thread(s)), "
          f"median of {rounds}×{per_round}:")
    for name, seconds in result.items():
        print(f"  {name:24s} {fmt_secs(seconds):>10s}   {anchor / seconds:6.1f}× vs add_histogram")
    ratio = anchor / result["nbviz_log_histogram"]
    print(f"nbviz log_histogram is {ratio:.1f}× faster than torch add_histogram (goal ≥ 10×)")
    summary("histogram_1m", size=args.size, threads=args.threads,
            seconds=result, ratio=ratio,
            ratio_tensorflow_bins=anchor / result["nbviz_tensorflow_bins"],
            meets_goal=ratio >= 10)


if __name__ == "__main__":
    main()
