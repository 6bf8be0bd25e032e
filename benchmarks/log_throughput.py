"""Logging throughput: nbviz ``run.log`` vs ``torch.utils.tensorboard`` ``add_scalar``.

Claim: a log call is cheap enough to put in any training loop — at least 30×
(aim 100×) more calls/s than torch's ``SummaryWriter.add_scalar`` (the anchor,
measured in the same run on the same values) — and, counting the commit that makes
the values durable (issue 18), ≥ 100× end to end for floats and dicts, ≥ 50× for
0-d tensors. Also printed: bytes per value in the store vs the tfevents file
(goal ≤ tfevents' ~44–49 B/value, aim ≤ 16).

Variants (same values, same steps on both sides):

* ``float``    ``run.log({"loss": v}, step=s)``    vs ``w.add_scalar("loss", v, s)``
* ``tensor0d`` the same with 0-d CPU ``torch`` tensors as values
* ``dict3``    ``run.log({"loss": a, "acc": b, "lr": c}, step=s)`` vs 3 ``add_scalar`` calls

For each: the time of the logging loop alone (calls/s), the time of
``run.finish()`` / ``writer.close()`` (flush to disk) reported separately, and
an end-to-end figure (loop + flush, per call). The sides alternate within each of
``--repeat`` repeats; each repeat gives a same-run ratio, in wall time and in CPU time
(``time.process_time``: every thread of the process — nbviz's flusher, torch's event
writer — and not the wait for a core, so less sensitive to a loaded machine). Printed:
the median ratio over the repeats with its bootstrap 95 % CI (benchmarks/_stats.py);
the goals are judged on the wall-time medians, the CPU figures stand beside them.
Each side writes to its own fresh directory; the rows nbviz stored are counted
after finish() as a sanity check. Two floors run in the same loop: an empty Python
method (the ceiling of any pure-Python ``log()``: torchTB's end-to-end time over it) and
``time.time()`` plus one ``list.extend`` (the least a ``log()`` that timestamps and keeps
its values must do: the ceiling of such a ``log()``, however little it validates).

Run: ``.venv/bin/python benchmarks/log_throughput.py [--quick]``
"""

from __future__ import annotations

import argparse
import gc
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import fmt_rate, fmt_secs, summary
from _stats import median_ci

VARIANTS = ("float", "tensor0d", "dict3")


def make_values(variant: str, n: int) -> list:
    import torch

    base = [1.0 / (s + 1) + 0.001 * (s % 17) for s in range(n)]
    if variant == "float":
        return base
    if variant == "tensor0d":
        return [torch.tensor(v) for v in base]
    return [(v, 1.0 - v, 1e-3 * (1 + (s % 5))) for s, v in enumerate(base)]


def log_loop(log: Any, variant: str, values: list) -> float:
    """Seconds of the benchmark's logging loop: ``log`` called once per step with one
    value (``{"loss": v}``) or, for ``dict3``, three."""
    start = time.perf_counter()
    if variant == "dict3":
        for step, (a, b, c) in enumerate(values):
            log({"loss": a, "acc": b, "lr": c}, step=step)
    else:
        for step, v in enumerate(values):
            log({"loss": v}, step=step)
    return time.perf_counter() - start


def run_nbviz(variant: str, values: list, root: Path
              ) -> tuple[float, float, int, int, float]:
    import nbviz

    run = nbviz.init(f"nbviz-{variant}", logdir=root, if_exists="new")
    log = run.log
    gc.collect()
    cpu = time.process_time()
    loop = log_loop(log, variant, values)
    start = time.perf_counter()
    run.finish()
    flush = time.perf_counter() - start
    cpu = time.process_time() - cpu
    with sqlite3.connect(run.dir / "nbviz.sqlite") as db:
        stored = db.execute("SELECT COALESCE(SUM(count), 0) FROM scalar_chunks").fetchone()[0]
    return loop, flush, int(stored), _used_bytes(run.dir / "nbviz.sqlite"), cpu


class _Empty:
    """The floor of any pure-Python ``log()``: a method that does nothing, called exactly as
    ``run.log`` is (same loop, same arguments)."""

    def log(self, data: dict, step: int | None = None, *, wall_time: float | None = None
            ) -> None:
        return None


class _Floor:
    """The floor of any ``log()`` that keeps what it is given: read the clock and extend a
    list once (no validation, no copy of the dict), called exactly as ``run.log`` is."""

    def __init__(self) -> None:
        self.items: list[Any] = []

    def log(self, data: dict, step: int | None = None, *, wall_time: float | None = None
            ) -> None:
        self.items.extend((data, step, time.time()))


def run_empty(variant: str, values: list) -> tuple[float, float]:
    """Seconds of the benchmark's loop calling :meth:`_Empty.log`, then :meth:`_Floor.log`,
    instead of ``run.log``."""
    gc.collect()
    empty = log_loop(_Empty().log, variant, values)
    gc.collect()
    return empty, log_loop(_Floor().log, variant, values)


def _used_bytes(db_path: Path) -> int:
    """Bytes the store's pages hold (the file once the WAL is checkpointed, free pages
    left out): what the values cost on disk."""
    with sqlite3.connect(db_path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        pages, free, size = (db.execute(f"PRAGMA {name}").fetchone()[0]
                             for name in ("page_count", "freelist_count", "page_size"))
    return int((pages - free) * size)


def run_tensorboard(variant: str, values: list, root: Path
                    ) -> tuple[float, float, int, float]:
    from torch.utils.tensorboard import SummaryWriter

    log_dir = root / f"tb-{variant}-{time.monotonic_ns()}"
    writer = SummaryWriter(log_dir=str(log_dir))
    add = writer.add_scalar
    gc.collect()
    cpu = time.process_time()
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
    cpu = time.process_time() - cpu
    return loop, flush, sum(path.stat().st_size for path in log_dir.glob("events.out.*")), cpu


def _median_run(runs: list[tuple[float, float, int]]) -> tuple[float, float, int]:
    """The repeat whose end-to-end time (loop + flush) is the median one."""
    ordered = sorted(runs, key=lambda run: run[0] + run[1])
    return ordered[len(ordered) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, three repeats")
    parser.add_argument("--n-nbviz", type=int, default=None, help="log calls per nbviz run")
    parser.add_argument("--n-tb", type=int, default=None, help="log calls per torch TB run")
    parser.add_argument("--repeat", type=int, default=None, help="median of this many runs")
    args = parser.parse_args()
    n_nbviz = args.n_nbviz or (60_000 if args.quick else 150_000)
    n_tb = args.n_tb or (2_000 if args.quick else 5_000)
    repeat = args.repeat or (3 if args.quick else 7)
    if repeat < 2:
        parser.error("--repeat must be >= 2 (a median with a confidence interval)")

    import torch

    torch.set_num_threads(1)
    print(f"log_throughput: nbviz {n_nbviz:,} calls, torch SummaryWriter {n_tb:,} calls "
          f"per variant, median of {repeat}")
    print(f"torch {torch.__version__}, python {sys.version.split()[0]}\n")
    header = (f"{'variant':<9} {'side':<7} {'per call':>10} {'calls/s':>11} "
              f"{'flush':>10} {'end-to-end/call':>16} {'B/value':>8}")
    print(header)
    print("-" * len(header))

    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="nbviz-bench-") as tmp:
        root = Path(tmp)
        for variant in VARIANTS:
            values_nb = make_values(variant, n_nbviz)
            values_tb = values_nb[:n_tb]
            nb_runs, tb_runs, empty_runs, floor_runs = [], [], [], []
            wall_ratios, cpu_ratios = [], []
            per_call = 3 if variant == "dict3" else 1
            for index in range(repeat):  # alternate the sides: both see the same machine load
                if index % 2:
                    tb_loop, tb_flush, tb_used, tb_cpu = run_tensorboard(variant, values_tb, root)
                    loop, flush, stored, used, cpu = run_nbviz(variant, values_nb, root)
                else:
                    loop, flush, stored, used, cpu = run_nbviz(variant, values_nb, root)
                    tb_loop, tb_flush, tb_used, tb_cpu = run_tensorboard(variant, values_tb, root)
                if stored != n_nbviz * per_call:
                    print(f"!! nbviz stored {stored} rows, expected {n_nbviz * per_call}")
                empty, floor = run_empty(variant, values_nb)
                empty_runs.append(empty)
                floor_runs.append(floor)
                nb_runs.append((loop, flush, used))
                tb_runs.append((tb_loop, tb_flush, tb_used))
                wall_ratios.append(((tb_loop + tb_flush) / n_tb) / ((loop + flush) / n_nbviz))
                cpu_ratios.append((tb_cpu / n_tb) / (cpu / n_nbviz))
            wall_e2e, cpu_e2e = median_ci(wall_ratios), median_ci(cpu_ratios)
            nb_loop, nb_flush, nb_bytes = _median_run(nb_runs)
            tb_loop, tb_flush, tb_bytes = _median_run(tb_runs)
            nb_call, tb_call = nb_loop / n_nbviz, tb_loop / n_tb
            nb_e2e = (nb_loop + nb_flush) / n_nbviz
            tb_e2e = (tb_loop + tb_flush) / n_tb
            nb_bpv = nb_bytes / (n_nbviz * per_call)
            tb_bpv = tb_bytes / (n_tb * per_call)
            for side, call, flush, e2e, bpv in (
                ("nbviz", nb_call, nb_flush, nb_e2e, nb_bpv),
                ("torchTB", tb_call, tb_flush, tb_e2e, tb_bpv),
            ):
                print(f"{variant:<9} {side:<7} {fmt_secs(call):>10} "
                      f"{fmt_rate(1 / call):>11} {fmt_secs(flush):>10} "
                      f"{fmt_secs(e2e):>16} {bpv:>8.1f}")
            empty_call = statistics.median(empty_runs) / n_nbviz
            floor_call = statistics.median(floor_runs) / n_nbviz
            print(f"{variant:<9} {'empty':<7} {fmt_secs(empty_call):>10} "
                  f"{fmt_rate(1 / empty_call):>11}   (a Python method doing nothing, same loop)")
            print(f"{variant:<9} {'floor':<7} {fmt_secs(floor_call):>10} "
                  f"{fmt_rate(1 / floor_call):>11}   (time.time() + one list.extend, same loop)")
            ratio = tb_call / nb_call
            ratio_e2e = wall_e2e.median
            goal_e2e = 50 if variant == "tensor0d" else 100
            print(f"{'':<9} ratio   {ratio:>9.1f}× calls/s (median repeat)\n"
                  f"{'':<9} end-to-end incl. durable commit, same-run ratio: wall "
                  f"{wall_e2e.fmt(1, noun='repeats')}, CPU {cpu_e2e.fmt(1, noun='repeats')}; "
                  f"goal ≥ {goal_e2e}×\n"
                  f"{'':<9} ceiling of any pure-Python log() (torchTB / empty method): "
                  f"{tb_e2e / empty_call:.0f}×, of one that reads the clock and appends "
                  f"(torchTB / floor): {tb_e2e / floor_call:.0f}×; nbviz end to end costs "
                  f"{nb_e2e / empty_call:.1f}× the empty call, {nb_e2e / floor_call:.1f}× "
                  "the floor\n"
                  f"{'':<9} budget for the goal: ≤ {tb_e2e / goal_e2e * 1e6 / per_call:.2f} µs per "
                  f"value end to end; the floor alone takes {floor_call * 1e6 / per_call:.2f}, "
                  f"nbviz's log() {(nb_call - floor_call) * 1e6 / per_call:.2f} more "
                  "(checks, conversion), "
                  f"its commit at finish() {nb_flush / n_nbviz * 1e6 / per_call:.2f}\n")
            results[variant] = {
                "nbviz_us_per_call": nb_call * 1e6,
                "tb_us_per_call": tb_call * 1e6,
                "nbviz_calls_per_s": 1 / nb_call,
                "tb_calls_per_s": 1 / tb_call,
                "nbviz_finish_s": nb_flush,
                "tb_close_s": tb_flush,
                "nbviz_finish_us_per_call": nb_flush / n_nbviz * 1e6,
                "nbviz_end_to_end_us_per_call": nb_e2e * 1e6,
                "tb_end_to_end_us_per_call": tb_e2e * 1e6,
                "ratio": ratio,
                "ratio_end_to_end": ratio_e2e,
                "ratio_end_to_end_wall": wall_e2e.as_dict(),
                "ratio_end_to_end_cpu": cpu_e2e.as_dict(),
                "goal_end_to_end": goal_e2e,
                "empty_us_per_call": empty_call * 1e6,
                "ceiling_ratio_end_to_end": tb_e2e / empty_call,
                "floor_us_per_call": floor_call * 1e6,
                "floor_ratio_end_to_end": tb_e2e / floor_call,
                "nbviz_bytes_per_value": nb_bpv,
                "tb_bytes_per_value": tb_bpv,
            }

    worst = min(r["ratio"] for r in results.values())
    worst_e2e = min(r["ratio_end_to_end"] for r in results.values())
    e2e_ok = all(r["ratio_end_to_end"] >= r["goal_end_to_end"] for r in results.values())
    bytes_nb = max(r["nbviz_bytes_per_value"] for r in results.values())
    bytes_tb = min(r["tb_bytes_per_value"] for r in results.values())
    worst_cpu = min(r["ratio_end_to_end_cpu"]["median"] for r in results.values())
    print(f"nbviz log() vs torch add_scalar: worst ratio {worst:.1f}× "
          f"(goal ≥ 30×, aim 100×); end-to-end incl. durable commit {worst_e2e:.1f}× wall, "
          f"{worst_cpu:.1f}× CPU "
          f"(goal ≥ 100× floats/dicts, ≥ 50× 0-d tensors: {'met' if e2e_ok else 'missed'})")
    print(f"bytes per value: nbviz store ≤ {bytes_nb:.1f}, tfevents ≥ {bytes_tb:.1f} "
          "(goal ≤ tfevents, aim ≤ 16)")
    summary(
        "log_throughput",
        quick=args.quick,
        n_nbviz=n_nbviz,
        n_tb=n_tb,
        variants=results,
        ratio_min=worst,
        ratio_end_to_end_min=worst_e2e,
        end_to_end_goals_met=e2e_ok,
        nbviz_bytes_per_value_max=bytes_nb,
        tb_bytes_per_value_min=bytes_tb,
        goal_ratio=30,
        meets_goal=worst >= 30 and e2e_ok and bytes_nb <= bytes_tb,
    )


if __name__ == "__main__":
    main()
