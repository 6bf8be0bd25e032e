"""Run every nbviz benchmark (with --quick by default) and print a summary table.

Each benchmark is a standalone script that ends with one ``BENCH_JSON {...}``
line; this runner collects those lines. A benchmark that fails is reported
(and the runner exits 1), the others still run. Benchmarks print, they do not
assert: ``meets_goal`` is informational.

``browser_render.py`` (headless Chromium + built JS) runs only with
``--with-browser``; it has no ``--quick``, so it gets ``--repeat 1`` instead.

Run: ``.venv/bin/python benchmarks/run_all.py [--full] [--with-browser] [--only NAME ...]
[--json FILE]``
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SUMMARY_PREFIX = "BENCH_JSON "  # as printed by _common.summary()

BENCHMARKS = (
    "log_throughput", "live_panel_cost", "message_rate", "decimation_memory", "histogram_1m",
    "watch_overhead", "profile_overhead", "pr_reduce", "tfevents_read", "store_scale",
    "run_create",
)
BROWSER = "browser_render"  # needs /usr/bin/chromium, npm and the built JS: opt-in
BROWSER_EXTRA = (  # headless chromium too: with --with-browser
    "projector_scale", "export_size", "scalars_scale")
# scripts without a --quick flag: their smallest useful run
QUICK_ARGS = {BROWSER: ["--repeat", "1"], "tfevents_read": ["--only", "many"]}


def headline(record: dict) -> str:
    name = record.get("benchmark")
    if name == "log_throughput":
        v = record["variants"]
        return (f"log() vs add_scalar: float {v['float']['ratio']:.0f}×, 0-d tensor "
                f"{v['tensor0d']['ratio']:.0f}×, dict of 3 {v['dict3']['ratio']:.0f}× "
                f"(goal ≥ 30×); end to end {v['float']['ratio_end_to_end']:.0f}× / "
                f"{v['tensor0d']['ratio_end_to_end']:.0f}× / "
                f"{v['dict3']['ratio_end_to_end']:.0f}× (goal 100/50/100×); "
                f"{record['nbviz_bytes_per_value_max']:.1f} B/value vs tfevents "
                f"{record['tb_bytes_per_value_min']:.1f}")
    if name == "run_create":
        return (f"init + log + finish {record['nbviz_ms_per_run']:.1f} ms/run vs torch "
                f"SummaryWriter {record['torch_ms_per_run']:.1f} ms = {record['ratio']:.1f}×"
                f"; {record['over_floor_ms']:.1f} ms beyond torch + the 3 syncs of a durable "
                f"finish ({record['durable_finish_ms']:.1f} ms; goal ≤ 2)")
    if name == "store_scale":
        panels = ", ".join(f"{k} {t:.2f} s" for k, t in record["panel_build_s"].items())
        store = record["same_read_nbviz_s"]
        return (f"read {record['values']:,} scalars in {record['read_s']:.2f} s "
                f"(tfevents reader {record['same_read_tfevents_reader_s'] / store:.1f}×, "
                f"tbparse {record['same_read_tbparse_s'] / store:.1f}× slower on "
                f"{record['values_tb']:,}); {record['bytes_per_value']:.1f} B/value; {panels}")
    if name == "live_panel_cost":
        return (f"live panel {record['nbviz_panel_cost_us']:.1f} µs/step vs livelossplot "
                f"{record['livelossplot_cost_us'] / 1e3:.0f} ms/step = 1/{record['ratio']:,.0f} "
                "(goal ≤ 1/20)")
    if name == "message_rate":
        latency = record["final_step_latency_ms"]
        shown = "never" if latency is None else f"{latency:.0f} ms"
        return (f"max {record['max_per_second']} msg/s (goal ≤ 20; sliding window "
                f"{record['max_per_sliding_second']}), "
                f"{record['total_messages_in_loop']} vs {record['naive_messages']:,} naive; "
                f"final step after {shown}; page complete: {record['page_complete']}")
    if name == "decimation_memory":
        one = record["phase1"]
        return (f"{one['steps']:,} steps → kernel ≤ {one['kernel_points_max']:,} points, page ≤ "
                f"{one['page_points_max']:,}, snapshot {one['snapshot_bytes_final'] / 2**20:.1f} "
                f"MiB vs raw {record['raw_bytes'] / 2**20:.0f} MiB")
    if name == "histogram_1m":
        one = record.get("threads_1", {})
        return (f"1M float32 vs add_histogram (1 thread): exact {one.get('ratio_exact', 0):.1f}×, "
                f"sampled {one.get('ratio_sampled', 0):.1f}× (goal ≥ 10×)")
    if name == "watch_overhead":  # the CPU-time figures are the ones meets_goal judges
        every1 = record["cpu_time_ratios"]["every1"]
        return (f"watch every=1 {every1['median']:.3f}× CPU (IQR {every1['q1']:.3f}–"
                f"{every1['q3']:.3f}; goal ≤ 1.3×), {record['watch_every1_vs_plain']:.2f}× wall; "
                f"defaults {record['cpu_watch_default_predicted']:.3f}× CPU (goal ≤ 1.05×)")
    if name == "export_size":
        return (f"export of {record['runs']} runs × {record['tags']} tags: "
                f"{record['file_bytes'] / 1e6:.1f} MB (goal ≤ 20), first paint "
                f"{record['first_paint_s']:.2f} s (goal ≤ 2); vs Plotly size "
                f"{record['size_ratio']:.2f}×, paint {record['paint_ratio']:.2f}×")
    if name == "profile_overhead":
        cpu, parts = record["timer_cpu_ratio"], record["timer_ratio_decomposed"]
        return (f"step timer {cpu['median']:.4f}× CPU (95% CI {cpu['low']:.4f}–{cpu['high']:.4f}: "
                f"{record['verdict']}), {parts['median']:.4f}× from its per-step cost "
                f"(goal ≤ 1.01×); capture {record['capture_ratio']:.2f}× raw torch.profiler")
    if name == "scalars_scale":
        old, new = record["old"], record["new"]
        return (f"{record['runs']} runs x {record['tags']} tags: build {new['build_s']:.2f} s "
                f"(old {old['build_s']:.2f}), paint {new['paint_ms']:.0f} ms (old "
                f"{old['paint_ms']:.0f}), 10k-tag keystroke ≤ {new['key_ms_max']:.0f} ms (old "
                f"{old['key_ms_max']:.0f}); goals 1 s / 2 s / 200 ms")
    return str(record.get("note") or json.dumps(record)[:100])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--full", action="store_true", help="default sizes instead of --quick")
    parser.add_argument("--only", nargs="*", default=None, help="benchmark names to run")
    parser.add_argument("--with-browser", action="store_true",
                        help=f"also run {BROWSER}.py (headless Chromium)")
    parser.add_argument("--json", type=Path, default=None, help="write all summaries here")
    args = parser.parse_args()
    names = list(args.only or BENCHMARKS)
    if args.with_browser:
        names.extend(name for name in (BROWSER, *BROWSER_EXTRA) if name not in names)

    records: list[dict] = []
    failed: list[str] = []
    for name in names:
        script = HERE / f"{name}.py"
        quick = QUICK_ARGS.get(name, ["--quick"])
        command = [sys.executable, str(script)] + ([] if args.full else quick)
        print(f"\n=== {name} {'(full)' if args.full else '(--quick)'} " + "=" * 40, flush=True)
        started = time.monotonic()
        result = subprocess.run(command, capture_output=True, text=True, cwd=HERE.parent)
        elapsed = time.monotonic() - started
        print(result.stdout, end="", flush=True)
        found = [line[len(SUMMARY_PREFIX):] for line in result.stdout.splitlines()
                 if line.startswith(SUMMARY_PREFIX)]
        if result.returncode == 0 and not found:  # a script without a JSON summary line
            records.append({"benchmark": name, "elapsed_s": elapsed, "meets_goal": None,
                            "note": "no BENCH_JSON line; see its output above"})
            continue
        if result.returncode != 0:
            failed.append(name)
            print(result.stderr[-3000:], file=sys.stderr)
            print(f"!! {name} failed (exit {result.returncode}) after {elapsed:.1f} s")
            continue
        record = json.loads(found[-1])
        record["elapsed_s"] = elapsed
        records.append(record)

    print("\n=== summary " + "=" * 60)
    for record in records:
        goal = record.get("meets_goal")
        mark = {True: "ok  ", False: "MISS", None: "    "}[goal]
        print(f"{mark} {record['benchmark']:<18} {record['elapsed_s']:5.1f} s  {headline(record)}")
    for name in failed:
        print(f"FAIL {name}")
    if args.json:
        args.json.write_text(json.dumps(records, indent=2, default=float), encoding="utf-8")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
