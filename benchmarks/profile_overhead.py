"""Cost of the Profile panel's always-on step timer and of an ``nbviz.profile`` capture.

Same run, same small CNN and data as benchmarks/watch_overhead.py (64×1×28×28, 1 thread).

* **Step timer** (goal ≤ 1.01×): two identical models are trained alternately in many
  short chunks (``--steps`` steps each, default 1: many short chunks give a tighter CI
  in the same time than few long ones; the order swapped every chunk: ABBAABBA…, so
  drift and load hit both alike); one plain, iterating a list of batches, one with the
  step timer attached (its hooks, 7 scalars recorded per step, the rules every 5 steps,
  the meter thread sampling once a second) iterating the same batches through
  ``nbviz.timed``. Halfway the timer moves to the other model (after ``--warmup``
  discarded chunks again), so a difference between the two model instances cancels.
  Each chunk gives a ratio timed/plain in wall time and in CPU time
  (``time.process_time``: every thread of the process — the meter's and the flusher's
  included — and not the time spent waiting for a core, so far less sensitive to a
  loaded machine). The first ``--warmup`` chunks are discarded. Reported: the median
  ratio with a bootstrap 95 % CI (benchmarks/_stats.py); the **verdict is taken on the
  CPU-time median and its CI**: *met* when the whole CI is ≤ 1.01, *missed* when the whole
  CI is above, *inconclusive* otherwise.
* **Decomposed**, beside it: the timer's absolute CPU cost per step, measured the same
  way on a tiny model (``nn.Linear(8, 8)``, where the timer's µs stand out of the noise;
  median per-chunk difference with its CI), divided by the CNN's plain CPU step time.
* ``watch(every=10**9)`` with and without ``timer=``: the same interleaved measurement.
* **Capture** next to raw ``torch.profiler``: the same schedule (wait=1, warmup=1,
  active=5) around the same steps, alternating; raw writes its Chrome trace in
  ``on_trace_ready`` (what ``tensorboard_trace_handler`` does); nbviz also summarises
  (categories, operators, memory curve, timeline) and stores the records. Reported:
  median wall time of the whole with-block, and the ratio.

Run: ``.venv/bin/python benchmarks/profile_overhead.py [--quick] [--chunks N] [--steps K]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import fmt_secs, summary
from _stats import median_ci
from watch_overhead import build
from watch_overhead import train_chunk as chunk


def capture_raw(model: Any, optimizer: Any, steps: list[Any], trace: Path) -> float:
    """Raw torch.profiler around ``steps`` (wait 1, warmup 1, active 5), trace written."""
    from torch.profiler import ProfilerActivity, profile, schedule

    started = time.perf_counter()
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True,
                 schedule=schedule(wait=1, warmup=1, active=5, repeat=1),
                 on_trace_ready=lambda p: p.export_chrome_trace(str(trace))) as prof:
        for x, y in steps:
            chunk(model, optimizer, [(x, y)])
            prof.step()
    return time.perf_counter() - started


def capture_nbviz(model: Any, optimizer: Any, steps: list[Any], logdir: Path,
                  name: str) -> float:
    """nbviz.profile around the same steps: capture, summary, trace file, stored records."""
    import nbviz

    run = nbviz.init(name, logdir=logdir)
    started = time.perf_counter()
    with nbviz.profile(run, steps=5, wait=1, warmup=1, optimizer=optimizer) as capture:
        chunk(model, optimizer, steps)
    elapsed = time.perf_counter() - started
    if capture.result is None:
        raise RuntimeError("nbviz.profile captured nothing")
    run.finish()
    return elapsed


def summarise_seconds(model: Any, optimizer: Any, steps: list[Any]) -> float:
    """Time of nbviz's summary alone, on a raw capture of the same steps."""
    from torch.profiler import ProfilerActivity, profile, schedule

    from nbviz.panels.profile.capture import summarise

    done: list[Any] = []
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True,
                 schedule=schedule(wait=1, warmup=1, active=5, repeat=1),
                 on_trace_ready=done.append) as prof:
        for x, y in steps:
            chunk(model, optimizer, [(x, y)])
            prof.step()
    started = time.perf_counter()
    summarise(done[0], 0)
    return time.perf_counter() - started


def interleave(a: tuple[Any, Any, Any], b: tuple[Any, Any, Any], chunks: int,
               warmup: int) -> tuple[list[float], list[float], list[float], list[float]]:
    """Train (model, optimizer, batches) ``a`` and ``b`` alternately, the order swapped
    every chunk; after ``warmup`` discarded chunks, returns per-chunk (wall ratios b/a,
    CPU ratios b/a, CPU seconds of a, CPU seconds of b)."""
    wall_ratios: list[float] = []
    cpu_ratios: list[float] = []
    cpu_a: list[float] = []
    cpu_b: list[float] = []

    def timed_chunk(side: tuple[Any, Any, Any]) -> tuple[float, float]:
        cpu = time.process_time()
        wall = chunk(*side)
        return wall, time.process_time() - cpu

    for index in range(warmup + chunks):
        if index % 2:
            wb, cb = timed_chunk(b)
            wa, ca = timed_chunk(a)
        else:
            wa, ca = timed_chunk(a)
            wb, cb = timed_chunk(b)
        if index < warmup or ca <= 0:
            continue
        wall_ratios.append(wb / wa)
        cpu_ratios.append(cb / ca)
        cpu_a.append(ca)
        cpu_b.append(cb)
    return wall_ratios, cpu_ratios, cpu_a, cpu_b


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer chunks and repeats")
    parser.add_argument("--chunks", type=int, default=None,
                        help="interleaved chunk pairs kept (default 400; --quick 160)")
    parser.add_argument("--steps", type=int, default=1, help="training steps per chunk")
    parser.add_argument("--warmup", type=int, default=6, help="chunk pairs discarded first")
    args = parser.parse_args()
    chunks = args.chunks or (160 if args.quick else 400)
    if chunks < 4 or args.steps < 1 or args.warmup < 0:
        parser.error("--chunks must be >= 4, --steps >= 1, --warmup >= 0")

    import torch

    import nbviz
    from nbviz.panels.profile.timer import StepTimer

    torch.set_num_threads(1)
    tmp = Path(tempfile.mkdtemp(prefix="nbviz-profile-bench-"))
    generator = torch.Generator().manual_seed(0)
    batches = [(torch.randn(64, 1, 28, 28, generator=generator),
                torch.randint(0, 10, (64,), generator=generator)) for _ in range(args.steps)]

    # -- the step timer alone vs plain -------------------------------------------------
    run = nbviz.init("timer", logdir=tmp)
    models = [build(), build()]
    wall_ratios: list[float] = []
    cpu_ratios: list[float] = []
    cpu_plain: list[float] = []
    meter_samples = 0
    for timed_index in (1, 0):  # the timer on one model, then on the other
        (plain_model, plain_opt), (timed_model, timed_opt) = (models[1 - timed_index],
                                                              models[timed_index])
        timer = StepTimer(timed_model, timed_opt, run)
        plain = (plain_model, plain_opt, batches)
        timed = (timed_model, timed_opt, nbviz.timed(batches))
        half = interleave(plain, timed, chunks // 2 + timed_index * (chunks % 2), args.warmup)
        timer.remove()
        wall_ratios += half[0]
        cpu_ratios += half[1]
        cpu_plain += half[2]
        meter_samples += timer.meter.samples if timer.meter is not None else 0
    timer_wall = median_ci(wall_ratios)
    timer_cpu = median_ci(cpu_ratios)
    step_cpu = statistics.median(cpu_plain) / len(batches)

    # -- the timer's absolute CPU cost per step, on a tiny model ------------------------
    from torch import nn

    tiny = [(torch.randn(4, 8, generator=generator), torch.randint(0, 8, (4,),
                                                                   generator=generator))] * (
        80)  # a multiple of the rules' (5) and the calibration's (16) periods
    tiny_plain = nn.Linear(8, 8)
    tiny_timed = nn.Linear(8, 8)
    plain_sgd = torch.optim.SGD(tiny_plain.parameters(), lr=0.01)
    timed_sgd = torch.optim.SGD(tiny_timed.parameters(), lr=0.01)
    tiny_timer = StepTimer(tiny_timed, timed_sgd, run)
    _, _, tiny_a, tiny_b = interleave((tiny_plain, plain_sgd, tiny),
                                      (tiny_timed, timed_sgd, nbviz.timed(tiny)),
                                      chunks, args.warmup)
    tiny_timer.remove()
    timer_cost = median_ci([(tb - ta) / len(tiny) for ta, tb in zip(tiny_a, tiny_b,
                                                                     strict=True)])
    decomposed = median_ci([1.0 + (tb - ta) / len(tiny) / step_cpu
                            for ta, tb in zip(tiny_a, tiny_b, strict=True)])

    # -- watch's idle hooks with vs without the timer -----------------------------------
    off_model, off_opt = build()
    on_model, on_opt = build()
    off = nbviz.watch(off_model, off_opt, every=10**9, run=run, timer=False)
    on = nbviz.watch(on_model, on_opt, every=10**9, run=run)
    off.step = on.step = 1  # past the sampled step 0
    watch_wall, watch_cpu, _, _ = interleave((off_model, off_opt, batches),
                                             (on_model, on_opt, batches), chunks, args.warmup)
    off.remove()
    on.remove()
    run.finish()

    # -- a capture: nbviz.profile vs raw torch.profiler ---------------------------------
    repeats = 3 if args.quick else 6
    steps = [batches[i % len(batches)] for i in range(7)]  # wait 1 + warmup 1 + active 5
    raw_times: list[float] = []
    nbviz_times: list[float] = []
    summaries: list[float] = []
    for index in range(repeats):
        model, optimizer = build()
        chunk(model, optimizer, steps[:2])  # warm-up outside the capture
        raw_trace = tmp / f"raw-{index}.pt.trace.json"
        name = f"capture-{index}"
        if index % 2:
            nbviz_times.append(capture_nbviz(model, optimizer, steps, tmp, name))
            raw_times.append(capture_raw(model, optimizer, steps, raw_trace))
        else:
            raw_times.append(capture_raw(model, optimizer, steps, raw_trace))
            nbviz_times.append(capture_nbviz(model, optimizer, steps, tmp, name))
        summaries.append(summarise_seconds(model, optimizer, steps))

    raw_block = statistics.median(raw_times)
    nbviz_block = statistics.median(nbviz_times)
    verdict = timer_cpu.verdict(1.01)
    watch_cpu_ci = median_ci(watch_cpu)
    print(f"small CNN step (64×1×28×28, 1 thread): {fmt_secs(step_cpu)} CPU plain; "
          f"{chunks} interleaved chunk pairs of {args.steps} steps ({args.warmup} discarded)")
    print(f"step timer + timed() + meter vs plain, CPU time: {timer_cpu.fmt()} → "
          f"{verdict.upper()} (goal ≤ 1.01×: met when the whole CI is ≤ 1.01)")
    print(f"  decomposed, beside it: {timer_cost.median * 1e6:.1f} µs CPU per step (95% CI "
          f"{timer_cost.low * 1e6:.1f}–{timer_cost.high * 1e6:.1f}, tiny model, chunks of "
          f"{len(tiny)} steps) → {decomposed.fmt(5)} the CNN step")
    print(f"  wall time (noisier on a shared machine): {timer_wall.fmt()}; meter samples "
          f"taken: {meter_samples}")
    print(f"watch(every=1e9) with timer vs timer=False: CPU {watch_cpu_ci.fmt()}, wall "
          f"{median_ci(watch_wall).fmt()}")
    print(f"capture of 5 steps (wait 1, warmup 1): raw torch.profiler + trace "
          f"{fmt_secs(raw_block)}, nbviz.profile {fmt_secs(nbviz_block)} "
          f"→ {nbviz_block / raw_block:.2f}× (median of {repeats}); summarise alone "
          f"{fmt_secs(statistics.median(summaries))}")
    summary("profile_overhead", step_cpu_seconds=step_cpu, chunks=chunks,
            steps_per_chunk=args.steps, timer_cpu_ratio=timer_cpu.as_dict(),
            timer_wall_ratio=timer_wall.as_dict(), timer_cost_seconds=timer_cost.as_dict(),
            timer_ratio_decomposed=decomposed.as_dict(), verdict=verdict,
            watch_timer_cpu_ratio=watch_cpu_ci.as_dict(),
            capture_raw_seconds=raw_block, capture_nbviz_seconds=nbviz_block,
            capture_ratio=nbviz_block / raw_block,
            summarise_seconds=statistics.median(summaries), meets_goal=verdict == "met")


if __name__ == "__main__":
    main()
