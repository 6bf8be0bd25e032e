"""Precision–recall curves: vectorised math (:mod:`nbviz.panels.pr.compute`) and recording
(:mod:`nbviz.panels.pr.record`, behind ``Run.log_pr``).

>>> from nbviz.panels.pr.compute import tb_pr_curve            # doctest: +SKIP
>>> tb_pr_curve(labels, predictions).shape              # doctest: +SKIP
(6, 127)
"""

from nbviz.panels.pr.compute import (
    average_precision,
    best_f1_threshold,
    precision_recall_curve,
    roc_auc,
    roc_curve,
    tb_pr_curve,
    tb_pr_curve_raw,
)
from nbviz.panels.pr.record import log_pr, pr_records

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
