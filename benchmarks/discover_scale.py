"""Run discovery at scale: how long finding the runs of a logdir takes, this tree vs an old one.

``nbviz.sources.scan_logdir`` is the discovery of a Dashboard, of every LogdirSource (the
Scalars panel of a logdir) and of ``nbviz.read``: it finds the nbviz stores and the
TensorBoard runs under a logdir. Until the mend of issue 18 it walked the tree twice (once
per kind of run); now one walk finds both. Measured in one run, the trees interleaved,
each call timed warm (the directory entries cached, as on a second open), wall and CPU,
median of ``--calls`` calls per process and of ``--repeat`` processes per tree.

Run: ``.venv/bin/python benchmarks/discover_scale.py [--runs 500] [--event-runs 0]
[--repeat 5] [--calls 20] [--old-ref main | --old-tree DIR] [--keep DIR]``.
Ends with a BENCH_JSON line.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import REPO, fmt_secs, summary
from scalars_scale import python_in, write_logdir

DISCOVER_CODE = textwrap.dedent("""
    import json, statistics, sys, time
    from pathlib import Path
    from nbviz.sources import scan_logdir
    logdir, calls = Path(sys.argv[1]), int(sys.argv[2])
    scan_logdir(logdir)  # warm: imports done, directory entries cached
    walls, cpus = [], []
    for _ in range(calls):
        wall, cpu = time.perf_counter(), time.process_time()
        stores, events = scan_logdir(logdir)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    print(json.dumps({"wall": statistics.median(walls), "cpu": statistics.median(cpus),
                      "stores": len(stores), "events": len(events)}))
""")


def old_nbviz(ref: str, into: Path) -> Path:
    """nbviz/ of git ``ref`` under ``into`` (Python only: discovery needs no bundle)."""
    into.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", ref, "nbviz"], cwd=REPO, check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def write_event_runs(logdir: Path, runs: int) -> None:
    """``runs`` TensorBoard runs written by torch (one scalar each), under ``tb/``."""
    from torch.utils.tensorboard import SummaryWriter

    for r in range(runs):
        with SummaryWriter(str(logdir / "tb" / f"run{r:03d}")) as writer:
            writer.add_scalar("loss", 1.0 / (r + 1), 0)


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=500, help="nbviz runs in the logdir")
    parser.add_argument("--event-runs", type=int, default=0,
                        help="TensorBoard runs (written by torch) in the logdir as well")
    parser.add_argument("--repeat", type=int, default=5, help="processes per tree")
    parser.add_argument("--calls", type=int, default=20, help="timed calls per process")
    parser.add_argument("--old-ref", default="main",
                        help="git ref whose nbviz/ is the old tree (default: main)")
    parser.add_argument("--old-tree", type=Path, default=None,
                        help="an nbviz checkout to use as the old tree instead of --old-ref")
    parser.add_argument("--keep", type=Path, default=None,
                        help="write the logdir under this folder once and reuse it")
    args = parser.parse_args()
    for name in ("runs", "repeat", "calls"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be >= 1, got {getattr(args, name)}")
    if args.event_runs < 0:
        parser.error(f"--event-runs must be >= 0, got {args.event_runs}")
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        logdir = root / f"discover_{args.runs}_{args.event_runs}"
        if not logdir.exists():
            wrote = write_logdir(logdir, args.runs, tags=1, steps=1)
            write_event_runs(logdir, args.event_runs)
            print(f"wrote {args.runs} nbviz runs + {args.event_runs} TensorBoard runs in "
                  f"{wrote:.1f} s", flush=True)
        old = args.old_tree or old_nbviz(args.old_ref, Path(tmp) / "old")
        trees = {"old": old, "new": REPO}
        results: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
        print(f"load average before: {load_average()}", flush=True)
        for _ in range(args.repeat):  # interleaved: the machine's noise hits both trees
            for name, tree in trees.items():
                results[name].append(python_in(tree, DISCOVER_CODE, str(logdir),
                                               str(args.calls)))
        print(f"load average after: {load_average()}", flush=True)
    found = {name: (runs[0]["stores"], runs[0]["events"]) for name, runs in results.items()}
    if found["old"] != found["new"]:
        raise SystemExit(f"the trees found different runs: {found}")
    medians = {name: {key: statistics.median(run[key] for run in runs)
                      for key in ("wall", "cpu")} for name, runs in results.items()}
    print(f"scan_logdir of {found['new'][0]} nbviz + {found['new'][1]} TensorBoard runs "
          f"(median of {args.repeat} x {args.calls} warm calls):")
    for name in trees:
        print(f"  {name:3s} ({trees[name]}): wall {fmt_secs(medians[name]['wall'])}, "
              f"CPU {fmt_secs(medians[name]['cpu'])}")
    ratio = medians["old"]["wall"] / medians["new"]["wall"]
    cpu_ratio = medians["old"]["cpu"] / medians["new"]["cpu"]
    print(f"  discovery {ratio:.2f}x faster (wall), {cpu_ratio:.2f}x (CPU), same run")
    summary("discover_scale", runs=found["new"][0], event_runs=found["new"][1],
            old_wall_s=medians["old"]["wall"], new_wall_s=medians["new"]["wall"],
            old_cpu_s=medians["old"]["cpu"], new_cpu_s=medians["new"]["cpu"],
            speedup=ratio, cpu_speedup=cpu_ratio)


if __name__ == "__main__":
    main()
