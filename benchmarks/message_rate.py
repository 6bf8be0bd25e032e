"""Widget message rate under a fast logging loop, counted on the client, in a REAL kernel.

Claim: whatever the log rate, a live Scalars panel sends at most ~20 widget
messages per second (Jupyter's iopub limit silently drops messages past
~1000/s), and the last logged value still reaches the page within about one
send interval (50 ms) of the last log call.

A kernel is started with ``jupyter_client``; a client thread reads iopub and
stamps every message with its arrival time (``time.monotonic``, the same clock
the kernel uses on this machine). In the kernel one cell displays
``nbviz.Scalars(run)`` and logs ``--rate`` values per second (one value per
``run.log`` call, paced with short sleeps as a training loop would) for
``--seconds``. The client then:

* counts the widget ``comm_msg`` messages per second (fixed 1-s bins from the
  loop start — the goal —, and the worst sliding 1-s window, which client-side
  arrival jitter can push one above) and in total, against the naive design
  (one message per log call);
* decodes every message per docs/wire.md (snapshot trait updates and
  ``append`` custom messages: float64 columns step, wall_time, value per
  series), rebuilds what the page would hold, and checks it equals exactly the
  logged steps and values;
* reports the latency from the kernel's last ``log()`` to the arrival of the
  first message carrying the final step.

Run: ``.venv/bin/python benchmarks/message_rate.py [--quick]``
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Kernel, Message, ensure_scalars_bundle, last_json_line, summary

from nbviz.panels.scalars.infos import unpack_infos

CELL = r"""
import json, math, time
import nbviz
from IPython.display import display
_run = nbviz.init("rate", logdir={logdir!r})
_panel = nbviz.Scalars(_run)
display(_panel)
time.sleep(0.3)
_rate, _seconds = {rate}, {seconds}
_n = int(_rate * _seconds)
print("LOOP_START", flush=True)
_t0 = time.monotonic()
_log = _run.log
for _s in range(_n):
    _due = _t0 + _s / _rate
    _now = time.monotonic()
    if _due - _now > 0.0005:
        time.sleep(_due - _now)
    _log({{"loss": 1.0 / (_s + 1) + 0.1 * math.sin(_s)}}, step=_s)
_t_last = time.monotonic()
print("RESULT " + json.dumps({{"n": _n, "t0": _t0, "t_last": _t_last,
                               "loop_s": _t_last - _t0, "panel_sends": _panel.messages_sent}}),
      flush=True)
time.sleep({linger})
"""


def decode(series: list[dict[str, Any]], buffer: bytes) -> dict[int, tuple[np.ndarray, ...]]:
    """Split a snapshot/append buffer per docs/wire.md into {series id: (step, wall, value)}."""
    data = np.frombuffer(buffer, dtype="<f8")
    out: dict[int, tuple[np.ndarray, ...]] = {}
    offset = 0
    for info in series:
        count = int(info["count"])
        cols = data[offset : offset + 3 * count].reshape(3, count) if count else np.empty((3, 0))
        out[int(info["id"])] = (cols[0], cols[1], cols[2])
        offset += 3 * count
    if offset != data.size:
        raise ValueError(f"buffer holds {data.size} float64, series describe {offset}")
    return out


class Page:
    """What the page holds, rebuilt from the messages (the rules of docs/wire.md)."""

    def __init__(self) -> None:
        self.seq = 0
        self.data: dict[int, list[np.ndarray]] = {}  # id -> [step, wall, value]
        self.series: list[dict[str, Any]] = []

    def apply(self, message: Message) -> int | None:
        """Apply one comm message; return its seq if it changed the data."""
        data = message.content.get("data", {})
        method = data.get("method")
        if method == "update":
            state = data.get("state", {})
            paths = [tuple(p) for p in data.get("buffer_paths", [])]
            if isinstance(state.get("series"), dict):  # packed series infos (docs/wire.md)
                packed = dict(state["series"])
                packed["columns"] = message.buffers[paths.index(("series", "columns"))]
                self.series = unpack_infos(packed)
            elif "series" in state:
                self.series = state["series"]
            seq = state.get("snapshot_seq")
            if seq is None or ("snapshot",) not in paths or seq <= self.seq:
                return None
            buffer = message.buffers[paths.index(("snapshot",))]
            self.data = {k: list(v) for k, v in decode(self.series, buffer).items()}
            self.seq = seq
            return seq
        if method == "custom":
            content = data.get("content", {})
            if content.get("type") != "append" or content["seq"] <= self.seq:
                return None
            for key, cols in decode(content["series"], message.buffers[0]).items():
                if key not in self.data:
                    self.data[key] = [c.copy() for c in cols]
                else:
                    self.data[key] = [np.concatenate([a, b])
                                      for a, b in zip(self.data[key], cols, strict=True)]
            self.seq = content["seq"]
            return self.seq
        return None

    def max_step(self) -> float:
        steps = [cols[0][-1] for cols in self.data.values() if cols[0].size]
        return max(steps) if steps else -1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="shorter loop (<15 s)")
    parser.add_argument("--rate", type=float, default=10_000, help="values logged per second")
    parser.add_argument("--seconds", type=float, default=None, help="length of the logging loop")
    args = parser.parse_args()
    seconds = args.seconds or (3.0 if args.quick else 5.0)
    linger = 1.0
    ensure_scalars_bundle()
    print(f"message_rate: log {args.rate:,.0f} values/s for {seconds:.0f} s into a live "
          "Scalars panel in a real Jupyter kernel; count comm_msg on the client")

    with tempfile.TemporaryDirectory(prefix="nbviz-bench-") as tmp, Kernel(cwd=Path(tmp)) as kernel:
        out, msgs = kernel.execute(
            CELL.format(logdir=tmp, rate=args.rate, seconds=seconds, linger=linger), timeout=120
        )
    result = last_json_line(out)
    n, t0, t_last = int(result["n"]), result["t0"], result["t_last"]
    comms = [m for m in msgs if m.msg_type == "comm_msg"]

    # Rate: from the loop start until the loop end plus one send interval.
    in_loop = np.array([m.arrived for m in comms if t0 <= m.arrived <= t_last + 0.1])
    bins = np.histogram(in_loop - t0, bins=np.arange(0, np.ceil(t_last - t0) + 1))[0]
    sliding = max((int(np.sum((in_loop >= a) & (in_loop < a + 1.0))) for a in in_loop),
                  default=0)
    total_loop = int(in_loop.size)
    gaps = np.diff(np.sort(in_loop))
    min_gap_ms = float(gaps.min() * 1e3) if gaps.size else None
    median_gap_ms = float(np.median(gaps) * 1e3) if gaps.size else None
    naive = n  # one message per log call

    # What the page holds, and when the final step arrived.
    page = Page()
    final_arrival = None
    for m in comms:
        if page.apply(m) is not None and final_arrival is None and page.max_step() >= n - 1:
            final_arrival = m.arrived
    ids = list(page.data)
    complete = False
    detail = "no data"
    if len(ids) == 1:
        steps, _wall, values = page.data[ids[0]]
        expected = np.arange(n, dtype=np.float64)
        expected_values = 1.0 / (expected + 1) + 0.1 * np.sin(expected)
        complete = bool(steps.size == n and np.array_equal(steps, expected)
                        and np.allclose(values, expected_values, rtol=0, atol=1e-12))
        detail = f"{steps.size:,} points, steps {steps[:1]}…{steps[-1:]}"
    elif ids:
        detail = f"{len(ids)} series (expected 1)"
    latency = None if final_arrival is None else final_arrival - t_last

    print(f"\nlogged {n:,} values in {result['loop_s']:.2f} s "
          f"({n / result['loop_s']:,.0f}/s, one per log call)")
    print(f"widget comm_msg per 1-s bin during the loop: {bins.tolist()}")
    print(f"max per second: {int(bins.max()) if bins.size else 0} (fixed bins; goal ≤ 20/s), "
          f"{sliding} in the worst sliding 1-s window; gap between arrivals: median "
          f"{median_gap_ms or 0:.0f} ms, min {min_gap_ms or 0:.1f} ms")
    print(f"total during the loop: {total_loop} messages vs {naive:,} for one message per log "
          f"call (naive) → {naive / max(total_loop, 1):,.0f}× fewer; "
          f"all comm_msg of the cell: {len(comms)}")
    print(f"page rebuilt from the messages: {detail}; equals all logged steps/values: {complete}")
    if latency is None:
        print("!! no message carried the final step")
    else:
        print(f"final step {n - 1} arrived {latency * 1e3:.0f} ms after the last log() "
              "(goal ≤ ~100 ms)")
    max_fixed = int(bins.max()) if bins.size else 0
    summary(
        "message_rate",
        quick=args.quick,
        rate=args.rate,
        seconds=seconds,
        logged=n,
        per_second_bins=bins.tolist(),
        max_per_second=max_fixed,
        max_per_sliding_second=sliding,
        total_messages_in_loop=total_loop,
        median_gap_ms=median_gap_ms,
        min_gap_ms=min_gap_ms,
        naive_messages=naive,
        page_complete=complete,
        final_step_latency_ms=None if latency is None else latency * 1e3,
        goal_per_second=20,
        meets_goal=bool(max_fixed <= 20 and complete and latency is not None
                        and latency <= 0.1),
    )


if __name__ == "__main__":
    main()
