"""Logging throughput: nbviz ``run.log`` vs ``torch.utils.tensorboard`` ``add_scalar``.

Claim: a log call is cheap enough to put in any training loop — at least 30×
(aim 100×) more calls/s than torch's ``SummaryWriter.add_scalar`` (the anchor,
measured in the same run on the same values).

Variants (same values, same steps on both sides):

* ``float``    ``run.log({"loss": v}, step=s)``    vs ``w.add_scalar("loss", v, s)``
* ``tensor0d`` the same with 0-d CPU ``torch`` tensors as values
* ``dict3``    ``run.log({"loss": a, "acc": b, "lr": c}, step=s)`` vs 3 ``add_scalar`` calls

For each: the time of the logging loop alone (calls/s), the time of
``run.finish()`` / ``writer.close()`` (flush to disk) reported separately, and
an end-to-end figure (loop + flush, per call). Best of ``--repeat`` runs.
Each side writes to its own fresh directory; the rows nbviz stored are counted
after finish() as a sanity check.

Run: ``.venv/bin/python benchmarks/log_throughput.py [--quick]``
"""

from __future__ import annotations

import argparse
import gc
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import fmt_rate, fmt_secs, summary

VARIANTS = ("float", "tensor0d", "dict3")


def make_values(variant: str, n: int) -> list:
    import torch

    base = [1.0 / (s + 1) + 0.001 * (s % 17) for s in range(n)]
    if variant == "float":
        return base
    if variant == "tensor0d":
        return [torch.tensor(v) for v in base]
    return [(v, 1.0 - v, 1e-3 * (1 + (s % 5))) for s, v in enumerate(base)]


def run_nbviz(variant: str, values: list, root: Path) -> tuple[float, float, int]:
    import nbviz

    run = nbviz.init(f"nbviz-{variant}", logdir=root, if_exists="new")
    log = run.log
    gc.collect()
    start = time.perf_counter()
    if variant == "dict3":
        for step, (a, b, c) in enumerate(values):
            log({"loss": a, "acc": b, "lr": c}, step=step)
    else:
        for step, v in enumerate(values):
            log({"loss": v}, step=step)
    loop = time.perf_counter() - start
    start = time.perf_counter()
    run.finish()
    flush = time.perf_counter() - start
    with sqlite3.connect(run.dir / "nbviz.sqlite") as db:
        stored = db.execute("SELECT COUNT(*) FROM scalars").fetchone()[0]
    return loop, flush, int(stored)


def run_tensorboard(variant: str, values: list, root: Path) -> tuple[float, float]:
    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(log_dir=str(root / f"tb-{variant}-{time.monotonic_ns()}"))
    add = writer.add_scalar
    gc.collect()
    start = time.perf_counter()
    if variant == "dict3":
        for step, (a, b, c) in enumerate(values):
            add("loss", a, step)
            add("acc", b, step)
            add("lr", c, step)
    else:
        for step, v in enumerate(values):
            add("loss", v, step)
    loop = time.perf_counter() - start
    start = time.perf_counter()
    writer.close()
    flush = time.perf_counter() - start
    return loop, flush


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, one repeat (<15 s)")
    parser.add_argument("--n-nbviz", type=int, default=None, help="log calls per nbviz run")
    parser.add_argument("--n-tb", type=int, default=None, help="log calls per torch TB run")
    parser.add_argument("--repeat", type=int, default=None, help="best of this many runs")
    args = parser.parse_args()
    n_nbviz = args.n_nbviz or (60_000 if args.quick else 150_000)
    n_tb = args.n_tb or (2_000 if args.quick else 5_000)
    repeat = args.repeat or (1 if args.quick else 3)

    import torch

    torch.set_num_threads(1)
    print(f"log_throughput: nbviz {n_nbviz:,} calls, torch SummaryWriter {n_tb:,} calls "
          f"per variant, best of {repeat}")
    print(f"torch {torch.__version__}, python {sys.version.split()[0]}\n")
    header = (f"{'variant':<9} {'side':<7} {'per call':>10} {'calls/s':>11} "
              f"{'flush':>10} {'end-to-end/call':>16}")
    print(header)
    print("-" * len(header))

    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="nbviz-bench-") as tmp:
        root = Path(tmp)
        for variant in VARIANTS:
            values_nb = make_values(variant, n_nbviz)
            values_tb = values_nb[:n_tb]
            best_nb = best_tb = None
            for _ in range(repeat):
                loop, flush, stored = run_nbviz(variant, values_nb, root)
                expected = n_nbviz * (3 if variant == "dict3" else 1)
                if stored != expected:
                    print(f"!! nbviz stored {stored} rows, expected {expected}")
                if best_nb is None or loop < best_nb[0]:
                    best_nb = (loop, flush)
                tb_loop, tb_flush = run_tensorboard(variant, values_tb, root)
                if best_tb is None or tb_loop < best_tb[0]:
                    best_tb = (tb_loop, tb_flush)
            assert best_nb is not None and best_tb is not None
            nb_call = best_nb[0] / n_nbviz
            tb_call = best_tb[0] / n_tb
            nb_e2e = (best_nb[0] + best_nb[1]) / n_nbviz
            tb_e2e = (best_tb[0] + best_tb[1]) / n_tb
            for side, per_call, flush, e2e in (
                ("nbviz", nb_call, best_nb[1], nb_e2e),
                ("torchTB", tb_call, best_tb[1], tb_e2e),
            ):
                print(f"{variant:<9} {side:<7} {fmt_secs(per_call):>10} "
                      f"{fmt_rate(1 / per_call):>11} {fmt_secs(flush):>10} "
                      f"{fmt_secs(e2e):>16}")
            ratio = tb_call / nb_call
            ratio_e2e = tb_e2e / nb_e2e
            print(f"{'':<9} ratio   {ratio:>9.1f}× calls/s   "
                  f"(end-to-end incl. flush: {ratio_e2e:.1f}×)\n")
            results[variant] = {
                "nbviz_us_per_call": nb_call * 1e6,
                "tb_us_per_call": tb_call * 1e6,
                "nbviz_calls_per_s": 1 / nb_call,
                "tb_calls_per_s": 1 / tb_call,
                "nbviz_finish_s": best_nb[1],
                "tb_close_s": best_tb[1],
                "nbviz_finish_us_per_call": best_nb[1] / n_nbviz * 1e6,
                "ratio": ratio,
                "ratio_end_to_end": ratio_e2e,
            }

    worst = min(r["ratio"] for r in results.values())
    worst_e2e = min(r["ratio_end_to_end"] for r in results.values())
    print(f"nbviz log() vs torch add_scalar: worst ratio {worst:.1f}× "
          f"(goal ≥ 30×, aim 100×); end-to-end incl. flush {worst_e2e:.1f}×")
    summary(
        "log_throughput",
        quick=args.quick,
        n_nbviz=n_nbviz,
        n_tb=n_tb,
        variants=results,
        ratio_min=worst,
        ratio_end_to_end_min=worst_e2e,
        goal_ratio=30,
        meets_goal=worst >= 30,
    )


if __name__ == "__main__":
    main()
