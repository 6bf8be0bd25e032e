"""Precision–recall curves: vectorised math (:mod:`nbviz.pr.compute`) and recording
(:mod:`nbviz.pr.record`, behind ``Run.log_pr``).

>>> from nbviz.pr.compute import tb_pr_curve            # doctest: +SKIP
>>> tb_pr_curve(labels, predictions).shape              # doctest: +SKIP
(6, 127)
"""

from nbviz.pr.compute import (
    average_precision,
    best_f1_threshold,
    precision_recall_curve,
    roc_auc,
    roc_curve,
    tb_pr_curve,
    tb_pr_curve_raw,
)
from nbviz.pr.record import log_pr, pr_records

__all__ = [
    "average_precision",
    "best_f1_threshold",
    "log_pr",
    "pr_records",
    "precision_recall_curve",
    "roc_auc",
    "roc_curve",
    "tb_pr_curve",
    "tb_pr_curve_raw",
]
