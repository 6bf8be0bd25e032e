"""PR-curve reduction: nbviz ``log_pr`` vs ``torch.utils.tensorboard`` (and scikit-learn).

Claim: 10 million predictions per step are reduced in well under a second, and only
the reduced curve (≤ a few thousand points) crosses the wire.

Anchors, measured in the same run on the same arrays:

* ``torch``  ``torch.utils.tensorboard.summary.compute_curve`` — what
  ``SummaryWriter.add_pr_curve`` computes (two weighted ``np.histogram`` passes).
* ``sklearn`` ``sklearn.metrics.precision_recall_curve`` — exact, sort-based.

nbviz figures:

* ``reduce``  ``nbviz.panels.pr.record.pr_records`` — everything ``Run.log_pr`` does before it
  appends: input validation (NaN, range, 0/1 labels), the 127-threshold curve (one
  ``np.bincount``) and AP / ROC AUC / best F1 (exact up to 1M predictions, from a
  65,537-bucket histogram above).
* ``log_pr``  the ``Run.log_pr`` call itself (reduction + append to memory).
* ``wire``    bytes of the panel's snapshot for that step (what the browser receives).
* multiclass: 1M samples × 10 classes (10M probabilities), one-vs-rest + micro/macro.

Best of ``--repeat`` runs. Run: ``.venv/bin/python benchmarks/pr_reduce.py [--quick]``
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import fmt_bytes, fmt_secs, summary


def best_of(repeat: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def binary_data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.random(n) < 0.1
    scores = np.clip(rng.normal(0.35 + 0.3 * labels, 0.2), 0, 1).astype(np.float32)
    return labels, scores


def multiclass_data(n: int, classes: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, n)
    logits = rng.normal(size=(n, classes)).astype(np.float32)
    logits[np.arange(n), labels] += 1.5
    logits -= logits.max(axis=1, keepdims=True)
    probs = np.exp(logits)
    probs /= probs.sum(axis=1, keepdims=True)
    return labels, probs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=10_000_000, help="predictions per step")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="1M predictions, 2 repeats")
    args = parser.parse_args()
    n, repeat = (1_000_000, 2) if args.quick else (args.n, args.repeat)

    import nbviz
    from nbviz.panels.pr.record import pr_records
    from nbviz.panels.pr.widget import PRCurves
    from nbviz.widgets import _ticker

    labels, scores = binary_data(n)
    print(f"binary: {n:,} predictions (float32), {labels.mean():.1%} positives")

    t_reduce, records = best_of(repeat, lambda: pr_records(labels, scores))
    (record,) = records
    print(f"  nbviz reduce (validate + 127-threshold curve + AP/AUC/F1): {fmt_secs(t_reduce)}"
          f"  [metrics {'exact' if record.extra['exact'] else 'from a 65,537-bucket histogram'}"
          f", AP {record.extra['ap']:.4f}]")

    t_torch = float("nan")
    try:
        from torch.utils.tensorboard.summary import compute_curve

        t_torch, theirs = best_of(repeat, lambda: compute_curve(labels.astype(np.int64), scores,
                                                                num_thresholds=127))
        same = np.array_equal(theirs, record.curve)
        print(f"  torch compute_curve (add_pr_curve's math, curve only): {fmt_secs(t_torch)}"
              f"  -> nbviz/torch time ratio {t_reduce / t_torch:.2f}; identical curve: {same}")
    except ImportError:
        print("  torch not installed: anchor skipped")

    t_sklearn = float("nan")
    try:
        from sklearn.metrics import average_precision_score

        t_sklearn, sk_ap = best_of(1, lambda: average_precision_score(labels, scores))
        print(f"  sklearn average_precision_score (exact, sorts): {fmt_secs(t_sklearn)}"
              f"  AP {sk_ap:.4f} (nbviz {record.extra['ap']:.4f}, "
              f"|diff| {abs(sk_ap - record.extra['ap']):.1e})")
    except ImportError:
        print("  scikit-learn not installed: anchor skipped")

    with tempfile.TemporaryDirectory() as tmp:
        run = nbviz.init("bench", logdir=tmp)
        t_log, _ = best_of(repeat, lambda: run.log_pr("val/pr", labels, scores, step=0))
        panel = PRCurves(run)
        _ticker.unregister(panel)
        wire = len(panel.snapshot)
        points = sum(info["num_thresholds"] for info in panel.curves)
        panel.close()
        run.finish()
    print(f"  Run.log_pr call: {fmt_secs(t_log)};  on the wire: {fmt_bytes(wire)} "
          f"({points} thresholds × 6 float64) for {n:,} predictions "
          f"({fmt_bytes(scores.nbytes + labels.nbytes)} of input)")

    rows, classes = max(n // 10, 1000), 10
    m_labels, probs = multiclass_data(rows, classes)
    t_multi, m_records = best_of(repeat, lambda: pr_records(m_labels, probs))
    print(f"multiclass: {rows:,} × {classes} probabilities -> {len(m_records)} curves "
          f"in {fmt_secs(t_multi)}")

    summary(
        "pr_reduce", predictions=n, reduce_seconds=t_reduce, log_pr_seconds=t_log,
        torch_compute_curve_seconds=t_torch, sklearn_ap_seconds=t_sklearn,
        ratio_vs_torch=t_reduce / t_torch if t_torch == t_torch else None,
        wire_bytes=wire, multiclass_rows=rows, multiclass_classes=classes,
        multiclass_seconds=t_multi,
    )


if __name__ == "__main__":
    main()
