"""HParams drawing, this tree's bundle vs another tree's, in the same run: the browser part
of ``hparams_scale.py`` (first render, brush-drag frame p50 / p95 on a continuous and a
discrete axis, line drawing per frame, frames until every selected line is drawn after
the drag) for both bundles, alternating repeat by repeat, with new / old ratios.

    python benchmarks/hparams_ab.py --old /path/to/other/tree [--runs 1000] [--repeats 3]

``--old`` is a checkout whose ``nbviz/static/hparams.js`` is built (e.g. a worktree of
``main``); its screenshots land in this tree's ``screenshots/hparams_ab_old/``. The table
is encoded by this tree's kernel code for both (the bundles must read the same wire).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
from pathlib import Path
from typing import Any

import hparams_scale
from _common import REPO, summary


def _tree_with_bundle(tree: Path, into: Path) -> Path:
    """A stand-in repo root with only ``tree``'s hparams bundle (its screenshots go to ``into``)."""
    bundle = tree / "nbviz" / "static" / "hparams.js"
    if not bundle.is_file():
        raise SystemExit(f"--old: {bundle} is missing; build that tree's JS "
                         "(cd js && npm run build)")
    (into / "nbviz" / "static").mkdir(parents=True)
    shutil.copy(bundle, into / "nbviz" / "static" / "hparams.js")
    return into


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--old", type=Path, required=True,
                        help="tree with a built nbviz/static/hparams.js")
    parser.add_argument("--runs", type=int, default=1_000,
                        help="trials (hparams_scale --quick: 1,000)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--frames", type=int, default=40, help="brush-drag frames per repeat")
    args = parser.parse_args()
    if args.runs < 1 or args.repeats < 1 or args.frames < 1:
        raise SystemExit(f"--runs, --repeats and --frames must be >= 1, got {args.runs}, "
                         f"{args.repeats}, {args.frames}")
    frame = hparams_scale.sweep_frame(args.runs)
    axes = hparams_scale.HPARAMS + hparams_scale.METRICS
    print(f"HParams drawing A/B: {args.runs:,} runs × {axes} axes, {args.repeats} alternating "
          f"repeat(s); load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPU(s)")
    results: dict[str, list[dict[str, Any]]] = {"old": [], "new": []}
    with tempfile.TemporaryDirectory() as tmp:
        roots = {"old": _tree_with_bundle(args.old.resolve(), Path(tmp) / "old"), "new": REPO}
        for repeat in range(args.repeats):
            for name in (("old", "new") if repeat % 2 == 0 else ("new", "old")):
                hparams_scale.REPO = roots[name]  # bench_browser reads the bundle from REPO
                results[name].append(hparams_scale.bench_browser(frame, 1, args.frames))
        shots = Path(tmp) / "old" / "screenshots"
        if shots.is_dir():
            shutil.copytree(shots, REPO / "screenshots" / "hparams_ab_old", dirs_exist_ok=True)
    hparams_scale.REPO = REPO

    def med(name: str, *keys: str) -> float:
        values = []
        for r in results[name]:
            v: Any = r
            for k in keys:
                v = v[k]
            values.append(float(v))
        return statistics.median(values)

    rows = [("first render ms", ("first_render_ms",)), ("first paint ms", ("first_paint_ms",))]
    for axis, kind in hparams_scale.BRUSH_AXES.items():
        rows += [(f"{axis} ({kind}) frame p50 ms", (axis, "frame_ms_p50")),
                 (f"{axis} frame p95 ms", (axis, "frame_ms_p95")),
                 (f"{axis} line drawing p50 ms", (axis, "draw_ms_p50")),
                 (f"{axis} frames until all drawn (max)", (axis, "settle_frames_max"))]
    fields: dict[str, Any] = {"runs": args.runs}
    print(f"  {'median of repeats':<44} {'old':>8} {'new':>8} {'new/old':>8}")
    for label, keys in rows:
        old, new = med("old", *keys), med("new", *keys)
        ratio = f"{new / old:8.2f}" if old else f"{'=' if new == old else '—':>8}"
        print(f"  {label:<44} {old:8.1f} {new:8.1f} {ratio}")
        fields["_".join(keys)] = {"old": old, "new": new}
    print(f"  load average at the end: {os.getloadavg()[0]:.1f}")
    summary("hparams_ab", **fields)


if __name__ == "__main__":
    main()
