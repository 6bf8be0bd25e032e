"""Store at scale (issue 18): many runs × tags × steps in nbviz's columnar store.

Claims, measured in one run (the machine is shared and noisy: same-run ratios,
medians of ``--repeat``):

* ``nbviz.read(logdir)`` of R runs × T tags × S steps (full size: 500 × 50 × 400 =
  10 M scalars) from nbviz stores: goal ≤ 1 s; also a subset read (one tag of every
  run, last tenth of the steps) and the per-tag summaries of every run;
* the same values written by torch (``torch.utils.tensorboard``'s event-file writer):
  ``nbviz.read`` of the nbviz stores vs nbviz's own tfevents reader vs ``tbparse``
  on those event files. torch writes ~1/(40 µs) values per second here, so this part
  uses ``--tb-steps`` steps per run (printed) — the same runs and tags;
* bytes per value on disk: nbviz store vs event files, and which codec the big
  logdir's wall-time columns took (their offsets' width follows how fast values came);
* where the read's time goes: wall and CPU of each phase (discovery, open + queries +
  checksums, decode into log order, DataFrame) on one thread, medians;
* the kernel-side build of ``nbviz.Scalars(logdir)`` and ``nbviz.Dashboard(logdir)``
  over the big logdir (constructor + first sync; the browser is not involved), the
  first in the process (it pays imports: the HParams tab's sklearn) and again;
* the process's RSS after each phase (``/proc/self/status`` VmRSS, and the peak).

Run: ``.venv/bin/python benchmarks/store_scale.py [--quick] [--runs R --tags T
--steps S --tb-steps S2 --repeat K] [--keep DIR] [--no-panels]`` (``--keep``: write the
logdirs under DIR once and reuse them; every read is timed warm, wall and CPU);
``--quick`` (40 × 20 × 100, tb 20 steps) takes under a minute (~45 s with the load
average at 11 on 2 cores).
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import fmt_bytes, fmt_secs, summary


def rss_bytes() -> int:
    """Resident set size of this process now (VmRSS)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def curves(runs: int, tags: int, steps: int) -> np.ndarray:
    """Realistic values [run, step, tag]: noisy decaying curves (random walks around them)."""
    rng = np.random.default_rng(18)
    step = np.arange(steps, dtype=np.float64)[None, :, None]
    scale = rng.uniform(0.5, 2.0, size=(runs, 1, tags))
    noise = rng.standard_normal((runs, steps, tags)).cumsum(axis=1) * 0.01
    return scale / (1.0 + 0.05 * step) + noise


def tag_names(tags: int) -> list[str]:
    groups = ("loss", "acc", "grad_norm", "lr", "weights")
    return [f"{groups[i % len(groups)]}/{i:03d}" for i in range(tags)]


def write_nbviz(logdir: Path, values: np.ndarray, names: list[str]) -> float:
    """Log every value with ``run.log`` (one call per step, all tags); returns seconds."""
    import nbviz

    started = time.perf_counter()
    for run_index in range(values.shape[0]):
        with nbviz.init(f"run{run_index:03d}", logdir=logdir, config={"seed": run_index}) as run:
            log = run.log
            for step, row in enumerate(values[run_index].tolist()):
                log(dict(zip(names, row, strict=True)), step=step)
    return time.perf_counter() - started


def write_torch(logdir: Path, values: np.ndarray, names: list[str]) -> float:
    """The same values with torch's event-file writer: one event per step holding every
    tag's value (the layout of ``add_scalars``-style loggers, and far quicker to write
    than one ``add_scalar`` call per value); returns seconds."""
    from tensorboard.compat.proto.summary_pb2 import Summary
    from torch.utils.tensorboard import SummaryWriter

    started = time.perf_counter()
    for run_index in range(values.shape[0]):
        writer = SummaryWriter(log_dir=str(logdir / f"run{run_index:03d}"))
        file_writer = writer._get_file_writer()
        for step, row in enumerate(values[run_index].tolist()):
            file_writer.add_summary(Summary(value=[
                Summary.Value(tag=name, simple_value=value)
                for name, value in zip(names, row, strict=True)]), step)
        writer.close()
    return time.perf_counter() - started


def load_average() -> str:
    """The 1-minute load average (the machine is shared: read timings against it)."""
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def timed(label: str, action: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Median wall seconds of ``repeat`` runs of ``action`` (its last result kept); the
    median CPU seconds of the process (all threads) are printed beside it."""
    wall, _, result = timed_cpu(label, action, repeat)
    return wall, result


def timed_cpu(label: str, action: Callable[[], Any], repeat: int
              ) -> tuple[float, float, Any]:
    """:func:`timed`, with the median CPU seconds returned too."""
    times, cpus, result = [], [], None
    for _ in range(repeat):
        result = None  # the previous result is not kept alive while the next is built
        gc.collect()
        started, cpu = time.perf_counter(), time.process_time()
        result = action()
        times.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    median = statistics.median(times)
    print(f"  {label:<46} {fmt_secs(median):>10}   cpu {fmt_secs(statistics.median(cpus)):>9}"
          f"   (runs: {', '.join(fmt_secs(t) for t in times)}; load {load_average()})",
          flush=True)
    return median, statistics.median(cpus), result


def disk_bytes(logdir: Path, pattern: str) -> int:
    return sum(path.stat().st_size for path in logdir.rglob(pattern))


def empty_store_bytes(directory: Path) -> int:
    """Bytes of a store holding no value (its tables' and indexes' first pages): what every
    run costs whatever it logs, so a logdir of short runs shows a high B/value."""
    import nbviz

    run = nbviz.init("empty", logdir=directory / "empty-store", config={"seed": 0})
    run.finish()
    checkpoint(directory / "empty-store")
    return disk_bytes(directory / "empty-store", "nbviz.sqlite")


def bytes_line(used: int, values: int, runs: int, empty: int) -> str:
    """B/value of ``used`` bytes, and how much of it is the fixed cost of ``runs`` stores."""
    fixed = runs * empty
    return (f"{used / values:.1f} B/value ({fixed / values:.1f} of it the {fmt_bytes(empty)} "
            f"every store costs empty; the values themselves "
            f"{(used - fixed) / values:.1f} B/value)")


def checkpoint(logdir: Path) -> None:
    """Fold every store's WAL into its file, so that file sizes are what the data costs."""
    import sqlite3

    for path in logdir.rglob("nbviz.sqlite"):
        with sqlite3.connect(path) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def read_everything(logdir: Path) -> Any:
    import nbviz

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return nbviz.read(logdir)


def read_tfevents_with_nbviz(logdir: Path) -> int:
    from nbviz.store.tfevents import EventRun, find_event_runs

    total = 0
    for run_dir in find_event_runs(logdir).values():
        run = EventRun(run_dir, wanted=frozenset({"scalar"}))
        run.refresh()
        columns, _ = run.scalars_since(0)
        total += len(columns)
    return total


def read_tbparse(logdir: Path) -> int:
    from tbparse import SummaryReader

    return len(SummaryReader(str(logdir), pivot=False, extra_columns={"dir_name"}).scalars)


def all_summaries(logdir: Path) -> int:
    from nbviz.store.discover import find_runs
    from nbviz.store.query import tag_summaries

    return sum(len(tag_summaries(run_dir)) for run_dir in find_runs(logdir).values())


def many_summaries(logdir: Path) -> int:
    from nbviz.store.discover import find_runs
    from nbviz.store.query import tag_summaries_many

    return len(tag_summaries_many(find_runs(logdir)))


def read_run_by_run(logdir: Path) -> Any:
    """The anchor: the read path before issue 18's bulk reader — each store read alone by
    ``StoreReader`` (its chunks decoded per run), the frame's run/tag as strings."""
    import pandas as pd

    from nbviz.store.discover import find_runs
    from nbviz.store.sqlite import StoreReader

    parts = []
    for name, run_dir in find_runs(logdir).items():
        reader = StoreReader(run_dir)
        try:
            columns = reader.scalars_between(0)
        finally:
            reader.close()
        parts.append(pd.DataFrame({
            "run": pd.Categorical.from_codes(np.zeros(len(columns), np.int8), [name]),
            "tag": pd.Categorical.from_codes(columns.tag_index, columns.tags),
            "step": columns.step.astype(np.int64), "wall_time": columns.wall_time,
            "value": columns.value}))
    frame = pd.concat(parts, ignore_index=True)
    frame["run"] = frame["run"].astype(str)
    frame["tag"] = frame["tag"].astype(str)
    return frame


def read_with_threads(logdir: Path, threads: int) -> Any:
    """``nbviz.read`` with the store reader's thread count set to ``threads``."""
    from nbviz.store import bulk

    saved = bulk.BULK_READ_THREADS
    bulk.BULK_READ_THREADS = threads
    try:
        return read_everything(logdir)
    finally:
        bulk.BULK_READ_THREADS = saved


def read_phases(logdir: Path) -> dict[str, tuple[float, float]]:
    """(wall, CPU) seconds of each phase of the store read, one thread: discovery, per-run
    open + queries + checksums, decoding every chunk into ordered columns, the
    DataFrame."""
    from nbviz.store import bulk
    from nbviz.store.discover import find_runs
    from nbviz.store.settled import is_settled, locked_inodes
    from nbviz.store.subset import Subset

    everything = Subset(None, None, None)
    phases: dict[str, tuple[float, float]] = {}
    clock = (time.perf_counter(), time.process_time())

    def lap(name: str) -> None:
        nonlocal clock
        now = (time.perf_counter(), time.process_time())
        phases[name] = (now[0] - clock[0], now[1] - clock[1])
        clock = now

    runs = find_runs(logdir)
    lap("discovery")
    locked = locked_inodes()
    fetched = [bulk._fetch(name, run_dir, everything, is_settled(run_dir, locked))
               for name, run_dir in runs.items()]
    lap("open + SELECT + CRC")
    table, _ = bulk._decode([f for f in fetched if f is not None], everything)
    lap("decode + log order")
    table.frame()
    lap("DataFrame")
    return phases


def median_phases(logdir: Path, repeat: int) -> dict[str, tuple[float, float]]:
    """:func:`read_phases`, the median wall and CPU of each phase over ``repeat`` runs."""
    runs = []
    for _ in range(repeat):
        gc.collect()
        runs.append(read_phases(logdir))
    return {name: (statistics.median(run[name][0] for run in runs),
                   statistics.median(run[name][1] for run in runs)) for name in runs[0]}


def store_costs(logdir: Path, repeat: int) -> dict[str, float]:
    """Median CPU µs per store of each step of the bulk reader's per-run work, one thread,
    every step timed over all stores at once: open + close (``open_read_only``, as the
    reader opens it), the schema (a first statement on a fresh connection), the tag-name
    query, the chunk query, the chunk checksums. Each step but the first and the last is
    measured as the difference of two passes (a pass with it minus a pass without)."""
    import sqlite3

    from nbviz.store import bulk, readonly
    from nbviz.store.chunks import chunk_crcs
    from nbviz.store.discover import find_runs
    from nbviz.store.settled import is_settled, locked_inodes

    locked = locked_inodes()
    paths = [(run_dir / "nbviz.sqlite", is_settled(run_dir, locked))
             for run_dir in find_runs(logdir).values()]

    def through(statements: tuple[str, ...]) -> list[list[Any]]:
        fetched = []
        for path, immutable in paths:
            connection = readonly.open_read_only(path, immutable=immutable)
            try:
                fetched = [connection.execute(sql).fetchall() for sql in statements]
            finally:
                connection.close()
        return fetched

    def cpu_us(action: Callable[[], Any]) -> float:
        samples = []
        for _ in range(repeat):
            started = time.process_time()
            action()
            samples.append((time.process_time() - started) / len(paths) * 1e6)
        return statistics.median(samples)

    chunk_rows = []
    for path, immutable in paths:
        connection = readonly.open_read_only(path, immutable=immutable)
        try:
            chunk_rows.append(connection.execute(bulk._CHUNKS).fetchall())
        except sqlite3.Error:
            continue
        finally:
            connection.close()
    columns = [list(zip(*rows, strict=True)) for rows in chunk_rows if rows]
    passes = {"open + close": cpu_us(lambda: through(())),
              "+ schema": cpu_us(lambda: through(("SELECT 1 FROM meta LIMIT 0",))),
              "+ tag names": cpu_us(lambda: through((bulk._TAGS,))),
              "+ chunk rows": cpu_us(lambda: through((bulk._TAGS, bulk._CHUNKS)))}
    crc = cpu_us(lambda: [chunk_crcs(*column[3:7]) for column in columns])
    steps = list(passes.values())
    return {"open + close": steps[0], "schema": steps[1] - steps[0],
            "tag query": steps[2] - steps[1], "chunk query": steps[3] - steps[2],
            "checksums": crc}


def wall_codecs(logdir: Path) -> dict[str, int]:
    """How many chunks of the stores under ``logdir`` keep their wall times in each codec
    (``1``/``2``/``4``: offsets of that many bytes; ``X``/``R``: zlib / raw, see
    nbviz/store/chunks.py): the offset width depends on how fast the values came."""
    import sqlite3
    from collections import Counter

    counts: Counter[str] = Counter()
    for path in logdir.rglob("nbviz.sqlite"):
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            counts.update(dict(db.execute(
                "SELECT CAST(substr(walls, 1, 1) AS TEXT), COUNT(*) FROM scalar_chunks "
                "GROUP BY 1")))
        db.close()
    return dict(sorted(counts.items()))


def write_once(directory: Path, values: np.ndarray, names: list[str], torch: bool = False
               ) -> float | None:
    """Write ``values`` into ``directory`` unless a previous --keep run did (then None)."""
    marker = directory / ".store_scale_done"
    if marker.exists() and marker.read_text() == repr(values.shape):
        return None
    seconds = (write_torch if torch else write_nbviz)(directory, values, names)
    marker.write_text(repr(values.shape))
    return seconds


def build_panel(kind: str, logdir: Path) -> str:
    import nbviz

    panel = nbviz.Scalars(logdir) if kind == "Scalars" else nbviz.Dashboard(logdir)
    try:
        panel.sync() if hasattr(panel, "sync") else None
        return type(panel).__name__
    finally:
        panel.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (< 60 s)")
    parser.add_argument("--runs", type=int, default=None)
    parser.add_argument("--tags", type=int, default=None)
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--tb-steps", type=int, default=None,
                        help="steps per run of the torch-written comparison")
    parser.add_argument("--repeat", type=int, default=None, help="median of this many reads")
    parser.add_argument("--no-panels", action="store_true", help="skip the panel builds")
    parser.add_argument("--keep", type=Path, default=None,
                        help="write the logdirs here and reuse them on the next run "
                             "(the default is a temporary directory)")
    args = parser.parse_args()
    runs = args.runs or (40 if args.quick else 500)
    tags = args.tags or (20 if args.quick else 50)
    steps = args.steps or (100 if args.quick else 400)
    tb_steps = args.tb_steps or (20 if args.quick else 40)
    repeat = args.repeat or 3
    names = tag_names(tags)
    total = runs * tags * steps
    total_tb = runs * tags * tb_steps
    print(f"store_scale: {runs} runs × {tags} tags × {steps} steps = {total:,} scalars; "
          f"torch comparison {runs} × {tags} × {tb_steps} = {total_tb:,}; median of {repeat}")
    print(f"RSS at start {fmt_bytes(rss_bytes())}", flush=True)
    record: dict[str, Any] = {"runs": runs, "tags": tags, "steps": steps, "tb_steps": tb_steps,
                              "values": total, "values_tb": total_tb}

    with tempfile.TemporaryDirectory(prefix="nbviz-scale-") as tmp:
        root = Path(tmp) if args.keep is None else args.keep / f"{runs}x{tags}x{steps}x{tb_steps}"
        big, same_nb, same_tb = root / "big", root / "same_nb", root / "same_tb"
        values = curves(runs, tags, steps)
        seconds = write_once(big, values, names)
        checkpoint(big)
        big_bytes = disk_bytes(big, "nbviz.sqlite")
        empty = empty_store_bytes(Path(tmp))
        if seconds is None:
            print(f"\nreusing the big logdir {big} (--keep): {fmt_bytes(big_bytes)} = "
                  f"{bytes_line(big_bytes, total, runs, empty)}", flush=True)
        else:
            print(f"\nwrote the big logdir with run.log: {fmt_secs(seconds)} "
                  f"({total / seconds / 1e6:.2f} M values/s), {fmt_bytes(big_bytes)} = "
                  f"{bytes_line(big_bytes, total, runs, empty)}", flush=True)
        codecs = wall_codecs(big)
        print(f"wall-time column codecs (chunks): {codecs}", flush=True)
        record.update(write_s=seconds, bytes_per_value=big_bytes / total,
                      empty_store_bytes=empty,
                      data_bytes_per_value=(big_bytes - runs * empty) / total,
                      wall_codecs=codecs)

        print(f"\nreading {total:,} scalars ({runs} runs; load average {load_average()} on "
              f"{os.cpu_count()} cores):")
        read_everything(big)  # warm the page cache and the imports: every read below is warm
        read_s, read_cpu_s, frame = timed_cpu("nbviz.read(logdir)",
                                              lambda: read_everything(big), repeat)
        assert len(frame) == total, (len(frame), total)
        del frame
        rss_after_read = rss_bytes()
        peak_after_read = peak_rss_bytes()
        print(f"  RSS after the reads: {fmt_bytes(rss_after_read)}, peak "
              f"{fmt_bytes(peak_after_read)} (the write of the logdir included when it ran "
              "in this process)", flush=True)
        thread_s = {}
        for threads in (1, 2):
            thread_s[threads], _ = timed(f"nbviz.read(logdir), store reader {threads} thread(s)",
                                         lambda threads=threads: read_with_threads(big, threads),
                                         repeat)
        print(f"  2 threads / 1 thread: {thread_s[2] / thread_s[1]:.2f}×")
        anchor_s, frame = timed("anchor: StoreReader run by run, str columns",
                                lambda: read_run_by_run(big), 1)
        assert len(frame) == total, (len(frame), total)
        del frame
        print(f"  anchor / nbviz.read: {anchor_s / read_s:.1f}× (same run)")
        record["read_anchor_s"] = anchor_s
        phases = median_phases(big, repeat)
        print("  wall / CPU per phase (1 thread, median): " + ", ".join(
            f"{name} {fmt_secs(wall)} / {fmt_secs(cpu)}" for name, (wall, cpu)
            in phases.items()), flush=True)
        costs = store_costs(big, repeat)
        print("  CPU per store, 1 thread (median; what the 'open + SELECT + CRC' phase is "
              "made of): " + ", ".join(f"{name} {us:.0f} µs" for name, us in costs.items())
              + f" = {sum(costs.values()):.0f} µs", flush=True)
        record["store_cpu_us"] = costs
        record.update(read_1_thread_s=thread_s[1], read_2_threads_s=thread_s[2],
                      read_phases_cpu_s={name: cpu for name, (_, cpu) in phases.items()},
                      read_phases_wall_s={name: wall for name, (wall, _) in phases.items()},
                      peak_rss_after_read=peak_after_read)
        import nbviz

        last = (steps - steps // 10, None)
        subset_s, part = timed(f"nbviz.read(tags=['{names[0]}'], steps={last})",
                               lambda: nbviz.read(big, tags=[names[0]], steps=last), repeat)
        assert len(part) == runs * (steps // 10), len(part)
        summaries_s, count = timed(f"tag_summaries() of all {runs} runs",
                                   lambda: all_summaries(big), repeat)
        assert count == runs * tags, count
        many_s, count = timed(f"tag_summaries_many() of all {runs} runs",
                              lambda: many_summaries(big), repeat)
        assert count == runs * tags, count
        record.update(read_s=read_s, read_subset_s=subset_s, summaries_s=summaries_s,
                      summaries_many_s=many_s, rss_after_read=rss_after_read)
        print(f"  RSS after reading: {fmt_bytes(rss_after_read)} (peak so far "
              f"{fmt_bytes(peak_rss_bytes())})", flush=True)

        panel_times: dict[str, float] = {}
        if not args.no_panels:
            print(f"\nkernel-side panel build over {runs} runs × {tags} tags (constructor + "
                  "sync):")
            for kind in ("Scalars", "Dashboard"):  # the first build imports (sklearn …)
                panel_times[f"{kind} (first)"], _ = timed(
                    f"nbviz.{kind}(logdir), first in the process",
                    lambda kind=kind: build_panel(kind, big), 1)
                panel_times[kind], _ = timed(f"nbviz.{kind}(logdir), again",
                                             lambda kind=kind: build_panel(kind, big), 1)
            print(f"  RSS after the panels: {fmt_bytes(rss_bytes())} (peak "
                  f"{fmt_bytes(peak_rss_bytes())})", flush=True)
        record["panel_build_s"] = panel_times

        print(f"\nsame values written twice ({total_tb:,}): nbviz run.log vs torch's writer")
        small = np.ascontiguousarray(values[:, :tb_steps, :])
        nb_write = write_once(same_nb, small, names)
        tb_write = write_once(same_tb, small, names, torch=True)
        checkpoint(same_nb)
        nb_bytes = disk_bytes(same_nb, "nbviz.sqlite")
        tb_bytes = disk_bytes(same_tb, "events.out.tfevents.*")
        if nb_write is not None and tb_write is not None:
            print(f"  write: nbviz {fmt_secs(nb_write)}, torch {fmt_secs(tb_write)}")
        print(f"  bytes/value: nbviz {bytes_line(nb_bytes, total_tb, runs, empty)}, "
              f"tfevents {tb_bytes / total_tb:.1f}")
        nb_s, nb_cpu_s, frame = timed_cpu("nbviz.read(nbviz stores)",
                                          lambda: read_everything(same_nb), repeat)
        assert len(frame) == total_tb
        del frame
        tbr_s, tbr_cpu_s, count = timed_cpu("nbviz's tfevents reader (EventRun)",
                                            lambda: read_tfevents_with_nbviz(same_tb), repeat)
        assert count == total_tb, count
        nbtb_s, frame = timed("nbviz.read(tfevents logdir)",
                              lambda: read_everything(same_tb), repeat)
        assert len(frame) == total_tb
        del frame
        try:
            tbp_s, tbp_cpu_s, count = timed_cpu("tbparse.SummaryReader(...).scalars",
                                                lambda: read_tbparse(same_tb), 1)
            assert count == total_tb, count
        except ImportError:
            tbp_s = tbp_cpu_s = float("nan")
            print("  tbparse is not installed: skipped")
        print(f"  ratios: tfevents reader / nbviz store {tbr_s / nb_s:.1f}×, "
              f"tbparse / nbviz store {tbp_s / nb_s:.1f}×")
        record.update(same_read_nbviz_s=nb_s, same_read_tfevents_reader_s=tbr_s,
                      same_read_nbviz_tfevents_s=nbtb_s, same_read_tbparse_s=tbp_s,
                      same_bytes_per_value_nbviz=nb_bytes / total_tb,
                      same_bytes_per_value_tfevents=tb_bytes / total_tb)

    record["peak_rss"] = peak_rss_bytes()
    record.update(read_cpu_s=read_cpu_s, same_read_nbviz_cpu_s=nb_cpu_s,
                  same_read_tfevents_reader_cpu_s=tbr_cpu_s, same_read_tbparse_cpu_s=tbp_cpu_s)

    def per_value(seconds: float, values: int) -> str:
        return f"{seconds / values * 1e9:,.0f} ns/value"

    print(f"\nnbviz.read of {total:,} scalars over {runs} runs (nbviz stores): "
          f"{fmt_secs(read_s)} wall, {fmt_secs(read_cpu_s)} CPU (goal ≤ 1 s wall; load "
          f"average {load_average()} on {os.cpu_count()} cores: on a busy machine wall "
          f"exceeds CPU); {record['bytes_per_value']:.1f} B/value on disk (aim ≤ 16).")
    print(f"The same runs and tags written by torch: {total_tb:,} values ({tb_steps} of the "
          f"{steps} steps; torch writes ~25 k values/s, 10 M would take minutes). Read "
          f"(wall / CPU): nbviz store {fmt_secs(nb_s)} / {fmt_secs(nb_cpu_s)}; nbviz's "
          f"tfevents reader {fmt_secs(tbr_s)} / {fmt_secs(tbr_cpu_s)} ({tbr_s / nb_s:.1f}× / "
          f"{tbr_cpu_s / nb_cpu_s:.1f}× the store); tbparse {fmt_secs(tbp_s)} / "
          f"{fmt_secs(tbp_cpu_s)} ({tbp_s / nb_s:.1f}× / {tbp_cpu_s / nb_cpu_s:.1f}×).")
    print(f"CPU per value: nbviz.read of the big stores {per_value(read_cpu_s, total)}; "
          f"tfevents reader {per_value(tbr_cpu_s, total_tb)} "
          f"({tbr_cpu_s / total_tb / (read_cpu_s / total):.0f}×), tbparse "
          f"{per_value(tbp_cpu_s, total_tb)} ({tbp_cpu_s / total_tb / (read_cpu_s / total):.0f}×)"
          f": {total:,} values would take them ~{fmt_secs(tbr_cpu_s / total_tb * total)} and "
          f"~{fmt_secs(tbp_cpu_s / total_tb * total)} of CPU (linear).")
    if panel_times:
        print("panels: " + ", ".join(f"{k} {fmt_secs(v)}" for k, v in panel_times.items())
              + " (goal ≤ 1 s)")
    print(f"peak RSS {fmt_bytes(record['peak_rss'])}")
    summary("store_scale", quick=args.quick, **record,
            meets_goal=bool(total >= 10_000_000 and read_s <= 1.0))


if __name__ == "__main__":
    main()
