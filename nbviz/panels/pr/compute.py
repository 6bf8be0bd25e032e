"""Precision–recall and ROC math in vectorised numpy (no torch, no Python loop over points).

Two families of functions:

* **Binned** (TensorBoard's layout, what is stored and sent): a curve is a
  float64 ``[6, T]`` array — rows TP, FP, TN, FN, precision, recall — at the
  thresholds ``i / (T - 1)``; a prediction ``p`` falls in bucket
  ``floor(p * (T - 1))`` and counts as positive at every threshold ``<=`` its
  bucket. :func:`tb_pr_curve` is bit-for-bit what
  ``torch.utils.tensorboard.summary.compute_curve`` returns (and what
  ``SummaryWriter.add_pr_curve`` stores, rounded to float32);
  :func:`bucket_counts` / :func:`curve_from_buckets` are the fast path
  ``Run.log_pr`` uses (one ``np.bincount``; equal to torch's for unweighted
  input, equal up to float rounding of the weighted sums otherwise).
* **Exact** (unbinned, scikit-learn's definitions, for AP / ROC AUC / best F1):
  :func:`precision_recall_curve`, :func:`roc_curve`, :func:`average_precision`,
  :func:`roc_auc`, :func:`best_f1_threshold`. They sort the scores
  (O(N log N)); :func:`curve_metrics` uses them up to ``EXACT_LIMIT``
  predictions and a ``FINE_THRESHOLDS``-bucket histogram above (error in AP of
  order 1e-5, a few milliseconds instead of a multi-second sort).

>>> import numpy as np
>>> curve = tb_pr_curve(np.array([0, 1, 1]), np.array([0.2, 0.6, 0.9]), num_thresholds=3)
>>> curve[:, 1].tolist()   # threshold 0.5: TP, FP, TN, FN, precision, recall
[2.0, 0.0, 1.0, 0.0, 1.0, 1.0]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from nbviz._arrays import to_numpy
from nbviz._validate import describe
from nbviz.panels.pr._arrays import check_num_thresholds, check_probabilities

__all__ = [
    "EXACT_LIMIT",
    "FINE_THRESHOLDS",
    "MAX_THRESHOLDS",
    "MIN_COUNT",
    "TB_MAX_THRESHOLDS",
    "CurveMetrics",
    "average_precision",
    "best_f1_threshold",
    "binned_average_precision",
    "binned_best_f1",
    "binned_roc_auc",
    "bucket_counts",
    "class_bucket_counts",
    "curve_from_buckets",
    "curve_metrics",
    "macro_curve",
    "precision_recall_curve",
    "roc_auc",
    "roc_curve",
    "tb_pr_curve",
    "tb_pr_curve_raw",
]

MIN_COUNT = 1e-7  # torch / TensorBoard's floor for the precision and recall denominators
TB_MAX_THRESHOLDS = 127  # torch clamps num_thresholds to this ("> 127 breaks protobuf")
MAX_THRESHOLDS = 4097  # nbviz's own records: bounded curves on the wire
FINE_THRESHOLDS = 65537  # histogram used for AP / AUC / F1 above EXACT_LIMIT predictions
EXACT_LIMIT = 1_000_000  # sort-based exact metrics up to this many predictions


# ------------------------------------------------------------------------------- validation


def _labels_binary(array: np.ndarray, *, where: str, name: str = "labels") -> np.ndarray:
    """``array`` (0/1, bool) as a bool array; raise naming the bad values otherwise."""
    if array.dtype.kind == "b":
        return array
    if array.dtype.kind == "f" and np.isnan(array).any():
        nan = np.isnan(array)
        raise ValueError(
            f"{where}: '{name}' holds {int(nan.sum())} NaN value(s) (first at flat index "
            f"{int(np.flatnonzero(nan.reshape(-1))[0])}); labels must be 0 or 1."
        )
    positive: np.ndarray = array == 1
    bad = ~(positive | (array == 0))
    if bad.any():
        values = np.unique(array[bad])[:5].tolist()
        raise ValueError(
            f"{where}: '{name}' must be 0/1 (or bool) for a binary curve, but holds other "
            f"values such as {values}; for class indices pass predictions of shape (N, C)."
        )
    return positive


def _scores(value: Any, *, where: str, name: str = "scores") -> np.ndarray:
    array = to_numpy(value, where=where, argument=name, widen_half=True)
    if array.size and not np.isfinite(array).all():
        bad = ~np.isfinite(array)
        raise ValueError(
            f"{where}: '{name}' holds {int(bad.sum())} NaN/Inf value(s) (first at flat index "
            f"{int(np.flatnonzero(bad.reshape(-1))[0])}); scores must be finite."
        )
    return array


def _weights(value: Any, size: int, *, where: str) -> np.ndarray | None:
    """Per-sample weights: None, or a finite non-negative float64 array of ``size`` values."""
    if value is None:
        return None
    array = to_numpy(value, where=where, argument="weights", widen_half=True)
    if array.ndim == 0:
        array = np.full(size, float(array), dtype=np.float64)
    array = array.reshape(-1).astype(np.float64, copy=False)
    if array.size != size:
        raise ValueError(
            f"{where}: 'weights' has {array.size} value(s) but there are {size} samples; "
            "pass one weight per sample (or None)."
        )
    if not np.isfinite(array).all() or (array < 0).any():
        bad = ~np.isfinite(array) | (array < 0)
        raise ValueError(
            f"{where}: 'weights' must be finite and >= 0, but {int(bad.sum())} value(s) are not "
            f"(first at index {int(np.flatnonzero(bad)[0])})."
        )
    return array


def same_size(labels: np.ndarray, scores: np.ndarray, *, where: str,
              scores_name: str = "predictions", doing: str = "compute") -> None:
    """Raise unless ``labels`` and ``scores`` hold the same, non-zero number of values."""
    if labels.size != scores.size:
        raise ValueError(
            f"{where}: 'labels' and '{scores_name}' must have the same length, got "
            f"{labels.size} labels (shape {labels.shape}) and {scores.size} {scores_name} "
            f"(shape {scores.shape})."
        )
    if scores.size == 0:
        raise ValueError(f"{where}: 'labels' and '{scores_name}' are empty; nothing to {doing}.")


# ----------------------------------------------------------------- TensorBoard-identical


def tb_pr_curve(
    labels: Any, predictions: Any, num_thresholds: int = 127, weights: Any = None
) -> np.ndarray:
    """The ``[6, T]`` float64 curve ``torch.utils.tensorboard`` computes for these inputs.

    Bit-identical to ``torch.utils.tensorboard.summary.compute_curve`` after torch's
    clamp of ``num_thresholds`` to 127 (what ``SummaryWriter.add_pr_curve`` stores,
    as float32): bucket ``floor(p * (T - 1))`` computed in the predictions' dtype,
    reverse cumulative sums, ``precision = TP / max(TP + FP, 1e-7)``,
    ``recall = TP / max(TP + FN, 1e-7)``. Unlike torch, it refuses NaN predictions and
    predictions outside [0, 1] (torch drops them silently, giving a wrong curve).

    >>> tb_pr_curve([0, 1, 1, 0], [0.1, 0.8, 0.6, 0.4]).shape
    (6, 127)
    """
    where = "tb_pr_curve()"
    count = min(check_num_thresholds(num_thresholds, where=where, maximum=1 << 31),
                TB_MAX_THRESHOLDS)
    label_array = to_numpy(labels, where=where, argument="labels", like_torch=True)
    prediction_array = to_numpy(predictions, where=where, argument="predictions", like_torch=True)
    same_size(label_array, prediction_array, where=where)
    check_probabilities(prediction_array, where=where, name="predictions")
    if label_array.dtype.kind == "f" and not np.isfinite(label_array).all():
        raise ValueError(f"{where}: 'labels' holds NaN/Inf values; labels must be 0 or 1.")
    if label_array.size and (label_array.min() < 0 or label_array.max() > 1):
        raise ValueError(
            f"{where}: 'labels' must lie in [0, 1] (0/1 or soft labels), got values from "
            f"{float(label_array.min()):.6g} to {float(label_array.max()):.6g}."
        )
    label_array = label_array.reshape(prediction_array.shape)
    weight: Any = 1.0
    if weights is not None:
        weight_array = to_numpy(weights, where=where, argument="weights", like_torch=True)
        if weight_array.ndim and weight_array.size != prediction_array.size:
            raise ValueError(
                f"{where}: 'weights' has {weight_array.size} value(s) but there are "
                f"{prediction_array.size} predictions; pass one weight per prediction or a "
                "scalar."
            )
        if not np.isfinite(weight_array).all():
            raise ValueError(f"{where}: 'weights' holds NaN/Inf values; weights must be finite.")
        weight = weight_array.reshape(prediction_array.shape) if weight_array.ndim else weight_array
    # torch.utils.tensorboard.summary.compute_curve, expression by expression.
    bucket_indices = np.int32(np.floor(prediction_array * (count - 1)))
    float_labels = label_array.astype(np.float64)
    histogram_range = (0, count - 1)
    tp_buckets, _ = np.histogram(bucket_indices, bins=count, range=histogram_range,
                                 weights=float_labels * weight)
    fp_buckets, _ = np.histogram(bucket_indices, bins=count, range=histogram_range,
                                 weights=(1.0 - float_labels) * weight)
    return curve_from_buckets(tp_buckets, fp_buckets)


def tb_pr_curve_raw(
    true_positive_counts: Any,
    false_positive_counts: Any,
    true_negative_counts: Any,
    false_negative_counts: Any,
    precision: Any,
    recall: Any,
    num_thresholds: int = 127,
) -> np.ndarray:
    """Stack raw counts and rates into the ``[6, T]`` float64 layout (``add_pr_curve_raw``).

    Like torch, the arrays are stored as given (T is their common length;
    ``num_thresholds`` is metadata only and is validated, not enforced). NaN precision /
    recall values are kept (the panel skips them); counts must be finite and >= 0.

    >>> tb_pr_curve_raw([2, 1], [2, 0], [0, 2], [0, 1], [0.5, 1.0], [1.0, 0.5]).shape
    (6, 2)
    """
    where = "tb_pr_curve_raw()"
    check_num_thresholds(num_thresholds, where=where, maximum=1 << 31)
    names = ("true_positive_counts", "false_positive_counts", "true_negative_counts",
             "false_negative_counts", "precision", "recall")
    values = (true_positive_counts, false_positive_counts, true_negative_counts,
              false_negative_counts, precision, recall)
    rows = []
    for name, value in zip(names, values, strict=True):
        array = to_numpy(value, where=where, argument=name, widen_half=True)
        if array.ndim != 1:
            raise ValueError(
                f"{where}: '{name}' must be 1-D (one value per threshold), got shape "
                f"{array.shape}."
            )
        rows.append(array.astype(np.float64))
    length = rows[0].size
    for name, row in zip(names, rows, strict=True):
        if row.size != length:
            raise ValueError(
                f"{where}: all six arrays must have the same length, but "
                f"'true_positive_counts' has {length} and '{name}' has {row.size}."
            )
    if length < 2:
        raise ValueError(f"{where}: a curve needs at least 2 thresholds, got {length}.")
    counts = np.stack(rows[:4])
    if not np.isfinite(counts).all() or (counts < 0).any():
        raise ValueError(
            f"{where}: the four count arrays must be finite and >= 0; got "
            f"min {float(np.nanmin(counts)):.6g} and {int((~np.isfinite(counts)).sum())} "
            "non-finite value(s)."
        )
    return np.stack(rows)


# ----------------------------------------------------------------------- fast binned path


def _fine_thresholds(num_thresholds: int, scores: np.ndarray, where: str, name: str) -> int:
    """Check a fine threshold count and that ``scores`` are probabilities."""
    count = check_num_thresholds(num_thresholds, where=where, maximum=FINE_THRESHOLDS)
    check_probabilities(scores, where=where, name=name)
    return count


def bucket_counts(
    positive: np.ndarray, predictions: np.ndarray, num_thresholds: int,
    weights: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-bucket (TP, FP) weight: one ``np.bincount`` pass (plus a min/max range check).

    ``positive`` is a bool array, ``predictions`` probabilities of the same size
    (any float dtype; the bucket product is computed in that dtype, as torch does),
    ``weights`` None or float64 of the same size. Returns two float64 arrays of
    ``num_thresholds`` values.

    >>> tp, fp = bucket_counts(np.array([True, False]), np.array([0.9, 0.2]), 3)
    >>> tp.tolist(), fp.tolist()
    ([0.0, 1.0, 0.0], [1.0, 0.0, 0.0])
    """
    if positive.dtype.kind != "b":
        raise TypeError(f"bucket_counts(): 'positive' must be a bool array, got {positive.dtype}.")
    if positive.size != predictions.size:
        raise ValueError(
            f"bucket_counts(): 'positive' has {positive.size} values, 'predictions' "
            f"{predictions.size}; they must match."
        )
    count = _fine_thresholds(num_thresholds, predictions, "bucket_counts()", "predictions")
    flat = predictions.reshape(-1)
    if flat.dtype.kind != "f":
        flat = flat.astype(np.float64)
    # truncation == floor for the non-negative products of validated probabilities
    index = (flat * flat.dtype.type(count - 1)).astype(np.intp)
    index += positive.reshape(-1) * count  # bool * int -> intp offsets, vectorised
    flat_weights = None if weights is None else weights.reshape(-1)
    both = np.bincount(index, weights=flat_weights, minlength=2 * count).astype(np.float64)
    return both[count:2 * count], both[:count]


def class_bucket_counts(
    positive: np.ndarray, probabilities: np.ndarray, num_thresholds: int,
    weights: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """One-vs-rest bucket counts for every class at once (one ``np.bincount``).

    ``positive`` bool ``(N, C)``, ``probabilities`` ``(N, C)``, ``weights`` None or
    ``(N,)``. Returns TP and FP bucket weights of shape ``(C, T)``.

    >>> tp, fp = class_bucket_counts(np.eye(2, dtype=bool), np.eye(2) * 0.8 + 0.1, 3)
    >>> tp.tolist()
    [[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]]
    """
    if positive.shape != probabilities.shape or positive.ndim != 2:
        raise ValueError(
            f"class_bucket_counts(): 'positive' {positive.shape} and 'probabilities' "
            f"{probabilities.shape} must both have shape (N, C)."
        )
    count = _fine_thresholds(num_thresholds, probabilities, "class_bucket_counts()",
                             "probabilities")
    classes = positive.shape[1]
    values = probabilities if probabilities.dtype.kind == "f" else probabilities.astype(np.float64)
    index = (values * values.dtype.type(count - 1)).astype(np.intp)
    index += positive * count
    index += np.arange(classes, dtype=np.intp) * (2 * count)
    flat_weights = None
    if weights is not None:
        flat_weights = np.broadcast_to(weights.reshape(-1, 1), positive.shape).reshape(-1)
    both = np.bincount(index.reshape(-1), weights=flat_weights,
                       minlength=2 * count * classes).astype(np.float64)
    both = both.reshape(classes, 2, count)
    return both[:, 1, :], both[:, 0, :]


def curve_from_buckets(tp_buckets: np.ndarray, fp_buckets: np.ndarray) -> np.ndarray:
    """TensorBoard's curve from bucket weights: ``(..., T)`` buckets → ``(..., 6, T)``.

    >>> curve_from_buckets(np.array([0.0, 1.0]), np.array([1.0, 0.0]))[:, 0].tolist()
    [1.0, 1.0, 0.0, 0.0, 0.5, 1.0]
    """
    tp_buckets = np.asarray(tp_buckets, dtype=np.float64)
    fp_buckets = np.asarray(fp_buckets, dtype=np.float64)
    if tp_buckets.shape != fp_buckets.shape or tp_buckets.ndim < 1:
        raise ValueError(
            f"curve_from_buckets(): bucket arrays must have the same shape, got "
            f"{tp_buckets.shape} and {fp_buckets.shape}."
        )
    tp = np.cumsum(tp_buckets[..., ::-1], axis=-1)[..., ::-1]
    fp = np.cumsum(fp_buckets[..., ::-1], axis=-1)[..., ::-1]
    tn = fp[..., :1] - fp
    fn = tp[..., :1] - tp
    precision = tp / np.maximum(MIN_COUNT, tp + fp)
    recall = tp / np.maximum(MIN_COUNT, tp + fn)
    return np.stack((tp, fp, tn, fn, precision, recall), axis=-2)


def macro_curve(curves: np.ndarray) -> np.ndarray:
    """Macro average of per-class curves ``(C, 6, T)`` → ``(6, T)``.

    Counts are summed over classes (they equal the micro-average counts). Only
    classes with at least one positive take part: recall is their mean; precision
    is the mean over those that predict something at the threshold (TP + FP > 0;
    a class with no prediction there has no precision) and 0 where none does.

    >>> tp, fp = np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> c = curve_from_buckets(tp, fp)
    >>> macro_curve(c)[5].tolist()   # recall: mean of [1, 1] and [1, 0]
    [1.0, 0.5]
    >>> macro_curve(c)[4].tolist()   # precision: mean of [0.5, 1] and [0.5, 0]
    [0.5, 0.5]
    """
    if curves.ndim != 3 or curves.shape[1] != 6:
        raise ValueError(f"macro_curve(): expected (C, 6, T) curves, got shape {curves.shape}.")
    present = curves[:, 0, 0] + curves[:, 3, 0] > 0  # TP + FN at threshold 0 = positives
    out = np.empty(curves.shape[1:], dtype=np.float64)
    out[:4] = curves[:, :4].sum(axis=0)
    chosen = curves[present] if present.any() else curves
    predicting = chosen[:, 0] + chosen[:, 1] > 0  # (classes, T)
    count = predicting.sum(axis=0)
    total = np.where(predicting, chosen[:, 4], 0.0).sum(axis=0)
    out[4] = np.divide(total, count, out=np.zeros_like(total), where=count > 0)
    out[5] = chosen[:, 5].mean(axis=0)
    return out


# ------------------------------------------------------------------- metrics of a curve


def _check_curve(curve: np.ndarray, where: str) -> np.ndarray:
    array = np.asarray(curve, dtype=np.float64)
    if array.ndim != 2 or array.shape[0] != 6 or array.shape[1] < 2:
        raise ValueError(f"{where}: expected a [6, T] curve (T >= 2), got shape {array.shape}.")
    return array


def binned_average_precision(curve: np.ndarray) -> float:
    """AP of a binned curve: ``sum_i (R_i - R_{i+1}) * P_i`` (``R_T = 0``).

    Equals scikit-learn's ``average_precision_score`` on the bucketed scores
    ``floor(p * (T - 1))``. NaN when the curve has no positives.

    >>> binned_average_precision(tb_pr_curve([0, 1], [0.2, 0.9], num_thresholds=3))
    1.0
    """
    array = _check_curve(curve, "binned_average_precision()")
    if not array[0, 0] + array[3, 0] > 0:
        return float("nan")
    recall = array[5]
    drops = recall - np.append(recall[1:], 0.0)
    return float(max(0.0, np.sum(drops * array[4])))


def binned_roc_auc(curve: np.ndarray) -> float:
    """ROC AUC of a binned curve (trapezoids through the thresholds and (0, 0)).

    Equals scikit-learn's ``roc_auc_score`` on the bucketed scores. NaN when the
    curve has only one class.

    >>> binned_roc_auc(tb_pr_curve([0, 1], [0.2, 0.9], num_thresholds=3))
    1.0
    """
    array = _check_curve(curve, "binned_roc_auc()")
    positives = array[0, 0] + array[3, 0]
    negatives = array[1, 0] + array[2, 0]
    if not (positives > 0 and negatives > 0):
        return float("nan")
    tpr = np.append(array[0] / positives, 0.0)
    fpr = np.append(array[1] / negatives, 0.0)
    return float(np.sum((fpr[:-1] - fpr[1:]) * (tpr[:-1] + tpr[1:])) / 2.0)


def binned_best_f1(curve: np.ndarray) -> tuple[float, float]:
    """(threshold, F1) at the threshold ``i / (T - 1)`` that maximises F1.

    >>> binned_best_f1(tb_pr_curve([0, 1], [0.2, 0.9], num_thresholds=3))
    (0.5, 1.0)
    """
    array = _check_curve(curve, "binned_best_f1()")
    tp, fp, fn = array[0], array[1], array[3]
    denominator = 2 * tp + fp + fn
    f1 = np.divide(2 * tp, denominator, out=np.zeros_like(tp), where=denominator > 0)
    best = int(np.argmax(f1))
    return best / (array.shape[1] - 1), float(f1[best])


# ------------------------------------------------------------------- exact (scikit-learn)


def _exact_counts(
    positive: np.ndarray, scores: np.ndarray, weights: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """scikit-learn's ``confusion_matrix_at_thresholds``: (fps, tps, thresholds), descending."""
    positive = positive.reshape(-1)
    scores = scores.reshape(-1)
    if weights is not None:
        keep = weights != 0
        positive, scores, weights = positive[keep], scores[keep], weights[keep]
    if scores.dtype.kind != "f":
        scores = scores.astype(np.float64)
    order = np.argsort(-scores, kind="stable")  # stable descending, ties in input order
    scores = scores[order]
    truth = positive[order].astype(np.float64)
    threshold_idxs = np.append(np.flatnonzero(np.diff(scores)), truth.size - 1)
    if weights is None:
        tps = np.cumsum(truth * 1.0, dtype=np.float64)[threshold_idxs]
        fps = 1 + threshold_idxs.astype(np.float64) - tps
    else:
        weight = weights[order]
        tps = np.cumsum(truth * weight, dtype=np.float64)[threshold_idxs]
        fps = np.cumsum((1 - truth) * weight, dtype=np.float64)[threshold_idxs]
    return fps, tps, scores[threshold_idxs]


def _exact_inputs(
    labels: Any, scores: Any, weights: Any, where: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    label_array = to_numpy(labels, where=where, argument="labels", widen_half=True)
    score_array = _scores(scores, where=where)
    same_size(label_array, score_array, where=where, scores_name="scores")
    positive = _labels_binary(label_array, where=where).reshape(-1)
    weight_array = _weights(weights, positive.size, where=where)
    if weight_array is not None and not weight_array.any():
        raise ValueError(f"{where}: every weight is 0; nothing to compute.")
    return positive, score_array.reshape(-1), weight_array


def _pr_from_counts(fps: np.ndarray, tps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ps = tps + fps
    precision = np.divide(tps, ps, out=np.zeros_like(tps), where=ps != 0)
    recall = tps / tps[-1]
    return np.append(precision[::-1], 1.0), np.append(recall[::-1], 0.0)


def precision_recall_curve(
    labels: Any, scores: Any, weights: Any = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact (unbinned) precision, recall and thresholds, as scikit-learn returns them.

    Same values as ``sklearn.metrics.precision_recall_curve(labels, scores,
    sample_weight=weights)``: one point per distinct score (ties grouped), thresholds
    ascending, then a final (precision 1, recall 0). Raises when there is no positive.

    >>> p, r, t = precision_recall_curve([0, 1, 1], [0.1, 0.4, 0.35])
    >>> p.round(3).tolist(), r.tolist()
    ([0.667, 1.0, 1.0, 1.0], [1.0, 1.0, 0.5, 0.0])
    """
    where = "precision_recall_curve()"
    positive, score_array, weight_array = _exact_inputs(labels, scores, weights, where)
    fps, tps, thresholds = _exact_counts(positive, score_array, weight_array)
    if not tps[-1] > 0:
        raise ValueError(f"{where}: 'labels' has no positive (1) sample; recall is undefined.")
    precision, recall = _pr_from_counts(fps, tps)
    return precision, recall, thresholds[::-1]


def roc_curve(
    labels: Any, scores: Any, weights: Any = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact ROC curve (FPR, TPR, thresholds), scikit-learn's ``roc_curve`` with
    ``drop_intermediate=False``. Raises unless both classes are present.

    >>> fpr, tpr, _ = roc_curve([0, 1], [0.2, 0.9])
    >>> fpr.tolist(), tpr.tolist()
    ([0.0, 0.0, 1.0], [0.0, 1.0, 1.0])
    """
    where = "roc_curve()"
    positive, score_array, weight_array = _exact_inputs(labels, scores, weights, where)
    fps, tps, thresholds = _exact_counts(positive, score_array, weight_array)
    _need_both_classes(fps, tps, where)
    fps = np.append(0.0, fps)
    tps = np.append(0.0, tps)
    return fps / fps[-1], tps / tps[-1], np.append(np.inf, thresholds.astype(np.float64))


def _need_both_classes(fps: np.ndarray, tps: np.ndarray, where: str) -> None:
    if not (tps[-1] > 0 and fps[-1] > 0):
        present = "positive (1)" if tps[-1] > 0 else "negative (0)"
        raise ValueError(
            f"{where}: 'labels' holds only {present} samples; ROC needs both classes."
        )


def _ap(fps: np.ndarray, tps: np.ndarray) -> float:
    precision, recall = _pr_from_counts(fps, tps)
    return float(max(0.0, -np.sum(np.diff(recall) * precision[:-1])))


def _auc(fps: np.ndarray, tps: np.ndarray) -> float:
    fpr = np.append(0.0, fps) / fps[-1]
    tpr = np.append(0.0, tps) / tps[-1]
    return float((np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2.0).sum())  # numpy's trapezoid


def _best_f1(fps: np.ndarray, tps: np.ndarray, thresholds: np.ndarray) -> tuple[float, float]:
    fns = tps[-1] - tps
    denominator = 2 * tps + fps + fns
    f1 = np.divide(2 * tps, denominator, out=np.zeros_like(tps), where=denominator > 0)
    best = int(np.argmax(f1))
    return float(thresholds[best]), float(f1[best])


def average_precision(labels: Any, scores: Any, weights: Any = None) -> float:
    """Exact average precision, scikit-learn's ``average_precision_score`` (binary).

    >>> round(average_precision([0, 1, 1, 0], [0.1, 0.4, 0.35, 0.8]), 4)
    0.5833
    """
    where = "average_precision()"
    positive, score_array, weight_array = _exact_inputs(labels, scores, weights, where)
    fps, tps, _ = _exact_counts(positive, score_array, weight_array)
    if not tps[-1] > 0:
        raise ValueError(f"{where}: 'labels' has no positive (1) sample; AP is undefined.")
    return _ap(fps, tps)


def roc_auc(labels: Any, scores: Any, weights: Any = None) -> float:
    """Exact ROC AUC, scikit-learn's ``roc_auc_score`` (binary).

    >>> roc_auc([0, 1, 1, 0], [0.1, 0.4, 0.35, 0.8])
    0.5
    """
    where = "roc_auc()"
    positive, score_array, weight_array = _exact_inputs(labels, scores, weights, where)
    fps, tps, _ = _exact_counts(positive, score_array, weight_array)
    _need_both_classes(fps, tps, where)
    return _auc(fps, tps)


def best_f1_threshold(labels: Any, scores: Any, weights: Any = None) -> tuple[float, float]:
    """(threshold, F1): the score threshold (predict positive when ``score >= threshold``)
    with the highest F1, computed on the exact curve.

    >>> best_f1_threshold([0, 1, 1, 0], [0.1, 0.4, 0.35, 0.2])
    (0.35, 1.0)
    """
    where = "best_f1_threshold()"
    positive, score_array, weight_array = _exact_inputs(labels, scores, weights, where)
    fps, tps, thresholds = _exact_counts(positive, score_array, weight_array)
    if not tps[-1] > 0:
        raise ValueError(f"{where}: 'labels' has no positive (1) sample; F1 is undefined.")
    return _best_f1(fps, tps, thresholds)


# --------------------------------------------------------------- metrics stored per record


@dataclass(frozen=True)
class CurveMetrics:
    """Summary numbers of one curve; None where undefined (a single class present)."""

    ap: float | None
    auc: float | None
    best_f1: float | None
    best_f1_threshold: float | None
    exact: bool

    def as_extra(self) -> dict[str, Any]:
        """JSON-ready extras of a ``pr_curve`` record (``exact`` says how they were computed)."""
        return {"ap": self.ap, "auc": self.auc, "best_f1": self.best_f1,
                "best_f1_threshold": self.best_f1_threshold, "exact": self.exact}


def curve_metrics(
    positive: np.ndarray, scores: np.ndarray, weights: np.ndarray | None = None
) -> CurveMetrics:
    """AP, ROC AUC and best F1 of validated inputs: exact (sorted) up to ``EXACT_LIMIT``
    predictions, else from a ``FINE_THRESHOLDS``-bucket histogram (probabilities only).

    >>> curve_metrics(np.array([False, True]), np.array([0.2, 0.9])).ap
    1.0
    """
    if positive.dtype.kind != "b" or positive.size != scores.size:
        raise ValueError(
            f"curve_metrics(): 'positive' must be a bool array the size of 'scores', got "
            f"{describe(positive)} and {describe(scores)}."
        )
    if scores.size <= EXACT_LIMIT:
        fps, tps, thresholds = _exact_counts(positive, scores, weights)
        has_pos, has_neg = bool(tps[-1] > 0), bool(fps[-1] > 0)
        f1 = _best_f1(fps, tps, thresholds) if has_pos else (None, None)
        return CurveMetrics(
            ap=_ap(fps, tps) if has_pos else None,
            auc=_auc(fps, tps) if has_pos and has_neg else None,
            best_f1=f1[1], best_f1_threshold=f1[0], exact=True,
        )
    tp_buckets, fp_buckets = bucket_counts(positive, scores, FINE_THRESHOLDS, weights)
    curve = curve_from_buckets(tp_buckets, fp_buckets)
    ap = binned_average_precision(curve)
    auc = binned_roc_auc(curve)
    has_pos = bool(curve[0, 0] > 0)
    threshold, best = binned_best_f1(curve) if has_pos else (None, None)
    return CurveMetrics(
        ap=None if np.isnan(ap) else ap, auc=None if np.isnan(auc) else auc,
        best_f1=best, best_f1_threshold=threshold, exact=False,
    )
