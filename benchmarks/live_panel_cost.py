"""Kernel-side cost of a live Scalars panel vs livelossplot, in a REAL Jupyter kernel.

Claim: watching training live with an nbviz panel costs the training loop at
most 1/20 of what livelossplot's ``PlotLosses().update(); .send()`` (the
anchor: matplotlib redraw + PNG display every step) costs.

A kernel is started with ``jupyter_client``; the client drains iopub on a
thread, so the panel's widget messages and livelossplot's figures really go
out over ZMQ. Inside the kernel one cell times loops whose only per-step work
is computing the 3 metric values (kept minimal so the logging cost is not lost
in the noise of a heavier step):

* ``baseline``  the loop with no logging at all;
* ``log only``  ``run.log({loss, acc, lr}, step=s)``, no panel displayed;
* ``nbviz``     the same with ``display(nbviz.Scalars(run))`` — the ticker
  thread polls, decimates and sends (≤ 20 messages/s) while the loop runs;
* ``livelossplot`` ``plot.update({loss, acc, lr}); plot.send()`` every step
  (fewer steps: ~0.3 s each), after one warm-up send.

Per-step cost = (loop time − baseline loop time) / steps, best of --repeat,
in wall time (what the training loop feels) and in kernel CPU time
(``process_time``: all kernel threads, so the panel's ticker thread and the
ZMQ sends are included even when they run on the other core). The nbviz loop
logs as fast as it can (hundreds of thousands of points), so the panel also
decimates and re-sends snapshots during it: a worst case for the panel.
Also printed: the widget comm messages the client received during the nbviz
loop (they must be few and bounded).

Run: ``.venv/bin/python benchmarks/live_panel_cost.py [--quick]``
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Kernel, ensure_scalars_bundle, fmt_secs, last_json_line, summary

SETUP = r"""
import json, math, time, gc
import nbviz
from IPython.display import display
def metrics(s):
    loss = 1.0 / (s + 1) + 0.01 * math.sin(s)
    return {"loss": loss, "acc": 1.0 - loss, "lr": 1e-3}

def timed(body, n):
    gc.collect(); t = time.perf_counter(); c = time.process_time()
    body(n)
    return [time.perf_counter() - t, time.process_time() - c]

def loop_baseline(n):
    def body(n):
        for s in range(n):
            m = metrics(s)
    return timed(body, n)

def loop_log(run, n):
    log = run.log
    def body(n):
        for s in range(n):
            log(metrics(s), step=s)
    return timed(body, n)

def loop_llp(plot, n):
    def body(n):
        for s in range(n):
            plot.update(metrics(s)); plot.send()
    return timed(body, n)

# warm up nbviz and the widget machinery
loop_baseline(200)
_w = nbviz.init("warmup", logdir=LOGDIR); loop_log(_w, 200); _w.finish()
print("ready")
"""

NBVIZ_REP = r"""
_r = {{}}
_r["baseline"] = loop_baseline({n})
_run = nbviz.init("log-only", logdir=LOGDIR)
_r["log_only"] = loop_log(_run, {n}); _run.finish()
_run = nbviz.init("panel", logdir=LOGDIR)
_panel = nbviz.Scalars(_run)
display(_panel)
time.sleep(0.2)  # let the first snapshot go out before timing
print("LOOP_START", time.monotonic(), flush=True)
_r["panel"] = loop_log(_run, {n})
print("LOOP_END", time.monotonic(), flush=True)
_r["panel_messages"] = _panel.messages_sent
time.sleep(0.3)
_run.finish(); _panel.close()
print("RESULT " + json.dumps(_r), flush=True)
"""

LLP_REP = r"""
from livelossplot import PlotLosses
if "_llp_warm" not in globals():
    _p = PlotLosses(); _p.update(metrics(0)); _p.send(); _llp_warm = True
_r = {{}}
_r["baseline"] = loop_baseline({n})
_plot = PlotLosses()
_r["llp"] = loop_llp(_plot, {n})
print("RESULT " + json.dumps(_r), flush=True)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps, one repeat (<15 s)")
    parser.add_argument("--steps", type=int, default=None, help="nbviz loop steps")
    parser.add_argument("--llp-steps", type=int, default=None, help="livelossplot loop steps")
    parser.add_argument("--repeat", type=int, default=None, help="best of this many runs")
    args = parser.parse_args()
    steps = args.steps or (100_000 if args.quick else 200_000)
    llp_steps = args.llp_steps or (3 if args.quick else 6)
    repeat = args.repeat or (1 if args.quick else 3)
    ensure_scalars_bundle()

    print(f"live_panel_cost: nbviz loop {steps:,} steps × 3 metrics, livelossplot "
          f"{llp_steps} steps (send every step), best of {repeat}, in a real Jupyter kernel")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="nbviz-bench-") as tmp, Kernel(cwd=Path(tmp)) as kernel:
        kernel.execute(f"LOGDIR = {json.dumps(tmp)}\n" + SETUP, timeout=120)
        nb_reps: list[dict[str, float]] = []
        comm_counts: list[tuple[int, float]] = []
        for _ in range(repeat):
            out, msgs = kernel.execute(NBVIZ_REP.format(n=steps), timeout=300)
            result = last_json_line(out)
            nb_reps.append(result)
            # Client-side count of widget messages that arrived during the timed loop.
            start = end = None
            for m in msgs:
                text = m.content.get("text", "") if m.msg_type == "stream" else ""
                if "LOOP_START" in text:
                    start = m.arrived
                if "LOOP_END" in text:
                    end = m.arrived
            in_loop = [m for m in msgs if m.msg_type == "comm_msg"
                       and start is not None and end is not None and start <= m.arrived <= end]
            comm_counts.append((len(in_loop), (end or 0) - (start or 0)))
        llp_reps: list[dict[str, float]] = []
        for _ in range(repeat):
            out, _msgs = kernel.execute(LLP_REP.format(n=llp_steps), timeout=300)
            llp_reps.append(last_json_line(out))
    elapsed = time.monotonic() - started

    def best(reps: list[dict[str, list[float]]], key: str, n: int) -> tuple[float, float]:
        return (min(r[key][0] for r in reps) / n, min(r[key][1] for r in reps) / n)

    base_nb = best(nb_reps, "baseline", steps)
    log_only = best(nb_reps, "log_only", steps)
    panel = best(nb_reps, "panel", steps)
    base_llp = best(llp_reps, "baseline", llp_steps)
    llp = best(llp_reps, "llp", llp_steps)

    def over(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
        return (max(a[0] - b[0], 0.0), max(a[1] - b[1], 0.0))

    cost_log = over(log_only, base_nb)
    cost_panel = over(panel, base_nb)
    cost_llp = over(llp, base_llp)
    ratio = cost_llp[0] / cost_panel[0] if cost_panel[0] > 0 else float("inf")
    ratio_cpu = cost_llp[1] / cost_panel[1] if cost_panel[1] > 0 else float("inf")
    messages, seconds = max(comm_counts, key=lambda c: c[0])

    print(f"\n{'loop (per step)':<28} {'wall':>10} {'over base':>10} "
          f"{'kernel CPU':>11} {'over base':>10}")
    print("-" * 73)
    for label, value, cost in (
        ("baseline (metrics only)", base_nb, None),
        ("nbviz log, no panel", log_only, cost_log),
        ("nbviz log + live Scalars", panel, cost_panel),
        ("livelossplot update+send", llp, cost_llp),
    ):
        extra = ("", "") if cost is None else (fmt_secs(cost[0]), fmt_secs(cost[1]))
        print(f"{label:<28} {fmt_secs(value[0]):>10} {extra[0]:>10} "
              f"{fmt_secs(value[1]):>11} {extra[1]:>10}")
    print(f"\nwidget comm_msg received by the client during the nbviz loop: {messages} in "
          f"{seconds:.2f} s ({messages / seconds if seconds else 0:.1f}/s; "
          f"the panel counted {max(int(r['panel_messages']) for r in nb_reps)} sends)")
    print(f"nbviz live panel per-step cost = 1/{ratio:,.0f} of livelossplot's in wall time, "
          f"1/{ratio_cpu:,.0f} in kernel CPU (goal ≤ 1/20)   [total {elapsed:.1f} s]")
    summary(
        "live_panel_cost",
        quick=args.quick,
        steps=steps,
        llp_steps=llp_steps,
        baseline_us=base_nb[0] * 1e6,
        nbviz_log_only_cost_us=cost_log[0] * 1e6,
        nbviz_panel_cost_us=cost_panel[0] * 1e6,
        nbviz_panel_cost_cpu_us=cost_panel[1] * 1e6,
        livelossplot_cost_us=cost_llp[0] * 1e6,
        livelossplot_cost_cpu_us=cost_llp[1] * 1e6,
        ratio=ratio,
        ratio_cpu=ratio_cpu,
        comm_msgs_in_loop=messages,
        loop_seconds=seconds,
        goal_ratio=20,
        meets_goal=ratio >= 20 and ratio_cpu >= 20,
    )


if __name__ == "__main__":
    main()
