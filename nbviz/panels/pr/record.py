"""``Run.log_pr``: validate labels / predictions, reduce them to bounded curves, record them.

A call reduces N predictions (binary) or an ``(N, C)`` probability matrix
(multiclass, one-vs-rest) to ``pr_curve`` records — float64 ``[6, T]`` arrays in
TensorBoard's layout (docs/store.md) — plus exact (or finely binned) AP, ROC AUC
and best-F1 in each record's extras. Everything is validated and computed first;
records are appended only when every one of them is ready, so a bad input
writes nothing.

Records of one call (all with ``num_thresholds``, ``ap``, ``auc``, ``best_f1``,
``best_f1_threshold``, ``exact``, ``positives``, ``negatives`` in ``extra``):

* binary: one record;
* multiclass: one record per class (``class_name``, ``class_index``) — for at most
  ``MAX_CLASS_RECORDS`` classes — plus ``average: "micro"`` (all one-vs-rest
  decisions pooled) and ``average: "macro"`` (mean precision / recall over
  classes with a positive, see ``compute.macro_curve``; its AP / AUC are the
  mean of the per-class values).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from nbviz._arrays import to_numpy
from nbviz._validate import check_tag, describe
from nbviz.panels.pr._arrays import check_num_thresholds, check_probabilities
from nbviz.panels.pr.compute import (
    EXACT_LIMIT,
    FINE_THRESHOLDS,
    MAX_THRESHOLDS,
    CurveMetrics,
    _labels_binary,
    _weights,
    binned_average_precision,
    binned_best_f1,
    binned_roc_auc,
    bucket_counts,
    class_bucket_counts,
    curve_from_buckets,
    curve_metrics,
    macro_curve,
    same_size,
)
from nbviz.store.kinds import PR_CURVE

if TYPE_CHECKING:
    from nbviz._recorder import Recorder

__all__ = ["KIND", "MAX_CLASS_RECORDS", "PRRecord", "log_pr", "pr_records"]

KIND = PR_CURVE
MAX_CLASS_RECORDS = 64
ROW_SUM_TOLERANCE = 1e-3


@dataclass(frozen=True)
class PRRecord:
    """One ``pr_curve`` record ready to store: the ``[6, T]`` curve and its extras."""

    curve: np.ndarray
    extra: dict[str, Any]


def _class_names(value: Any, classes: int, where: str) -> list[str]:
    if value is None:
        return [str(index) for index in range(classes)]
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise TypeError(
            f"{where}: 'class_names' must be a list of {classes} strings, got {describe(value)}."
        )
    names = list(value)
    if len(names) != classes:
        raise ValueError(
            f"{where}: 'class_names' has {len(names)} name(s) but 'predictions' has {classes} "
            "columns; give one name per column."
        )
    bad = [name for name in names if not isinstance(name, str)]
    if bad:
        raise TypeError(
            f"{where}: 'class_names' must be strings, got {describe(bad[0])}; "
            "convert them with [str(n) for n in names]."
        )
    if len(set(names)) != len(names):
        seen: set[str] = set()
        duplicate = next(name for name in names if name in seen or seen.add(name))  # type: ignore[func-returns-value]
        raise ValueError(f"{where}: 'class_names' must be unique; {duplicate!r} appears twice.")
    return names


def _class_positive(labels: np.ndarray, probabilities: np.ndarray, where: str) -> np.ndarray:
    """Bool ``(N, C)`` one-vs-rest truth from class indices ``(N,)`` or an indicator ``(N, C)``."""
    rows, classes = probabilities.shape
    if labels.shape == probabilities.shape:
        return _labels_binary(labels, where=where)
    if labels.ndim == 1 and labels.shape[0] == rows:
        if labels.dtype.kind == "b":
            raise TypeError(
                f"{where}: 'labels' are bools but 'predictions' has {classes} columns; "
                "pass class indices (ints in [0, C)) or a 0/1 indicator of shape (N, C)."
            )
        if labels.dtype.kind == "f" and (
            not np.isfinite(labels).all() or (labels != np.round(labels)).any()
        ):
            raise ValueError(
                f"{where}: 'labels' must be integer class indices in [0, {classes}), got "
                "non-integer or NaN values."
            )
        if labels.size and (labels.min() < 0 or labels.max() >= classes):
            bad = labels[(labels < 0) | (labels >= classes)]
            raise ValueError(
                f"{where}: 'labels' must be class indices in [0, {classes}) (predictions have "
                f"{classes} columns), got {bad.size} out-of-range value(s) such as "
                f"{bad[:3].tolist()}."
            )
        index = labels.astype(np.intp, copy=False)
        positive: np.ndarray = index[:, None] == np.arange(classes)
        return positive
    raise ValueError(
        f"{where}: 'labels' and 'predictions' must have the same length: got labels of shape "
        f"{labels.shape} for predictions of shape {probabilities.shape}; pass class indices "
        f"of shape ({rows},) or a 0/1 indicator of shape {probabilities.shape}."
    )


def _warn(message: str) -> None:
    warnings.warn(message, UserWarning, stacklevel=4)


def _binary_records(
    labels: np.ndarray, predictions: np.ndarray, count: int, weights: Any, where: str
) -> list[PRRecord]:
    same_size(labels, predictions, where=where, doing="record")
    check_probabilities(predictions, where=where, name="predictions")
    positive = _labels_binary(labels, where=where).reshape(-1)
    flat = predictions.reshape(-1)
    weight_array = _weights(weights, flat.size, where=where)
    tp_buckets, fp_buckets = bucket_counts(positive, flat, count, weight_array)
    curve = curve_from_buckets(tp_buckets, fp_buckets)
    positives, negatives = float(curve[0, 0]), float(curve[1, 0])
    if positives == 0 or negatives == 0:
        present = "negative (0)" if positives == 0 else "positive (1)"
        _warn(
            f"{where}: 'labels' holds only {present} samples at this step, so "
            f"{'precision, recall and ' if positives == 0 else ''}ROC AUC are undefined; "
            "the curve is recorded anyway. Log a batch that contains both classes."
        )
    metrics = curve_metrics(positive, flat, weight_array)
    extra = {"num_thresholds": count, **metrics.as_extra(),
             "positives": positives, "negatives": negatives}
    return [PRRecord(curve, extra)]


def _mean(values: list[float | None]) -> float | None:
    defined = [value for value in values if value is not None]
    return float(np.mean(defined)) if defined else None


def _multiclass_records(
    labels: np.ndarray, probabilities: np.ndarray, count: int, weights: Any,
    class_names: Any, where: str,
) -> list[PRRecord]:
    rows, classes = probabilities.shape
    if rows == 0:
        raise ValueError(f"{where}: 'labels' and 'predictions' are empty; nothing to record.")
    names = _class_names(class_names, classes, where)
    check_probabilities(probabilities, where=where, name="predictions")
    positive = _class_positive(labels, probabilities, where)
    weight_array = _weights(weights, rows, where=where)
    single_label = labels.ndim == 1 or bool((positive.sum(axis=1) == 1).all())
    if single_label:
        sums = probabilities.sum(axis=1, dtype=np.float64)
        off = np.abs(sums - 1.0) > ROW_SUM_TOLERANCE
        if off.any():
            first = int(np.flatnonzero(off)[0])
            _warn(
                f"{where}: 'predictions' rows should sum to 1 for single-label multiclass "
                f"probabilities, but {int(off.sum())} of {rows} rows do not (row {first} sums to "
                f"{float(sums[first]):.4g}); pass softmax probabilities (e.g. "
                "logits.softmax(dim=1)). Curves are computed from the values as given."
            )
    tp_buckets, fp_buckets = class_bucket_counts(positive, probabilities, count, weight_array)
    curves = curve_from_buckets(tp_buckets, fp_buckets)  # (C, 6, T)
    class_positives = curves[:, 0, 0]
    missing = np.flatnonzero(class_positives == 0)
    if missing.size:
        shown = ", ".join(repr(names[i]) for i in missing[:5].tolist())
        _warn(
            f"{where}: 'labels' has no positive sample for {missing.size} class(es) ({shown}"
            f"{' …' if missing.size > 5 else ''}) at this step; their AP and recall are "
            "undefined and the macro average leaves them out."
        )
    exact = rows * classes <= EXACT_LIMIT
    per_class: list[CurveMetrics] = []
    for index in range(classes):  # a loop over classes, each vectorised over N samples
        column = np.ascontiguousarray(probabilities[:, index])
        if exact:
            per_class.append(curve_metrics(positive[:, index], column, weight_array))
        else:
            fine_tp, fine_fp = bucket_counts(positive[:, index], column, FINE_THRESHOLDS,
                                             weight_array)
            per_class.append(_binned_metrics(curve_from_buckets(fine_tp, fine_fp)))
    micro_weights = (None if weight_array is None
                     else np.broadcast_to(weight_array[:, None], positive.shape).reshape(-1))
    if exact:
        micro_metrics = curve_metrics(positive.reshape(-1), probabilities.reshape(-1),
                                      micro_weights)
    else:
        micro_metrics = _binned_metrics(
            curve_from_buckets(*bucket_counts(positive.reshape(-1), probabilities.reshape(-1),
                                              FINE_THRESHOLDS, micro_weights)))
    micro_curve = curve_from_buckets(tp_buckets.sum(axis=0), fp_buckets.sum(axis=0))
    macro = macro_curve(curves)
    records: list[PRRecord] = []
    if classes > MAX_CLASS_RECORDS:
        _warn(
            f"{where}: {classes} classes: only the micro and macro averages are stored (per-class "
            f"curves are stored for at most {MAX_CLASS_RECORDS} classes); log a subset of the "
            "columns under another tag to see single classes."
        )
    else:
        for index, name in enumerate(names):
            extra = {"num_thresholds": count, "class_name": name, "class_index": index,
                     **per_class[index].as_extra(),
                     "positives": float(curves[index, 0, 0]),
                     "negatives": float(curves[index, 1, 0])}
            records.append(PRRecord(curves[index], extra))
    records.append(PRRecord(micro_curve, {
        "num_thresholds": count, "average": "micro", **micro_metrics.as_extra(),
        "positives": float(micro_curve[0, 0]), "negatives": float(micro_curve[1, 0]),
    }))
    precision, recall = macro[4], macro[5]
    sums = precision + recall
    f1 = np.divide(2 * precision * recall, sums, out=np.zeros_like(sums), where=sums > 0)
    best = int(np.argmax(f1))
    records.append(PRRecord(macro, {
        "num_thresholds": count, "average": "macro",
        "ap": _mean([m.ap for m in per_class]), "auc": _mean([m.auc for m in per_class]),
        "best_f1": float(f1[best]), "best_f1_threshold": best / (count - 1),
        "exact": exact, "positives": float(macro[0, 0]), "negatives": float(macro[1, 0]),
    }))
    return records


def _binned_metrics(curve: np.ndarray) -> CurveMetrics:
    ap = binned_average_precision(curve)
    auc = binned_roc_auc(curve)
    has_pos = bool(curve[0, 0] > 0)
    threshold, best = binned_best_f1(curve) if has_pos else (None, None)
    return CurveMetrics(ap=None if np.isnan(ap) else ap, auc=None if np.isnan(auc) else auc,
                        best_f1=best, best_f1_threshold=threshold, exact=False)


def pr_records(
    labels: Any,
    predictions: Any,
    *,
    class_names: Sequence[str] | None = None,
    num_thresholds: int = 127,
    weights: Any = None,
) -> list[PRRecord]:
    """Validate and reduce one step's labels / predictions to ``pr_curve`` records.

    Binary: ``labels`` 0/1 (or bool) and ``predictions`` probabilities of the same
    length (any shape, flattened). Multiclass: ``predictions`` of shape ``(N, C)``
    (softmax probabilities) with ``labels`` class indices ``(N,)`` or a 0/1 indicator
    ``(N, C)`` (multi-label). ``predictions`` is treated as multiclass when
    ``class_names`` is given or when it is 2-D with ``labels`` 1-D of N values.
    Inputs may be numpy arrays, lists or torch tensors on any device.

    >>> [r.extra["ap"] for r in pr_records([0, 1, 1], [0.2, 0.7, 0.9])]
    [1.0]
    """
    where = "log_pr()"
    count = check_num_thresholds(num_thresholds, where=where, maximum=MAX_THRESHOLDS)
    label_array = to_numpy(labels, where=where, argument="labels", widen_half=True)
    prediction_array = to_numpy(predictions, where=where, argument="predictions", widen_half=True)
    two_d = prediction_array.ndim == 2
    multiclass = two_d and prediction_array.shape[1] > 1 and (
        class_names is not None
        or (label_array.ndim == 1 and label_array.shape[0] == prediction_array.shape[0])
    )
    if class_names is not None and not (two_d and prediction_array.shape[1] > 1):
        raise ValueError(
            f"{where}: 'class_names' was given, so 'predictions' must be class probabilities "
            f"of shape (N, C) with C >= 2, got shape {prediction_array.shape}."
        )
    if multiclass:
        return _multiclass_records(label_array, prediction_array, count, weights, class_names,
                                   where)
    return _binary_records(label_array, prediction_array, count, weights, where)


def log_pr(
    run: Recorder,
    tag: str,
    labels: Any,
    predictions: Any,
    step: int | None = None,
    *,
    class_names: Sequence[str] | None = None,
    num_thresholds: int = 127,
    weights: Any = None,
) -> None:
    """Record PR curves of ``predictions`` against ``labels`` under ``tag`` at ``step``.

    See :func:`pr_records` for the accepted inputs; ``step`` defaults to the run's
    current step. Nothing is written if any input is invalid.

    >>> log_pr(run, "val/pr", labels, probs, step=3)   # doctest: +SKIP
    """
    where = "log_pr()"
    if run.finished:
        raise RuntimeError(f"{where}: run {run.name!r} is finished; start a new one with init().")
    check_tag(tag, where=where)
    step_value = run.resolve_step(step, where=where)
    records = pr_records(labels, predictions, class_names=class_names,
                         num_thresholds=num_thresholds, weights=weights)
    for record in records:
        run.log_tensor(KIND, tag, record.curve, step_value, record.extra)
