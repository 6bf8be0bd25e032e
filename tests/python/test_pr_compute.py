"""PR math against its anchors: torch.utils.tensorboard (bit-identical) and scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest

from nbviz.panels.pr import compute
from nbviz.panels.pr.compute import (
    average_precision,
    best_f1_threshold,
    binned_average_precision,
    binned_best_f1,
    binned_roc_auc,
    bucket_counts,
    curve_from_buckets,
    curve_metrics,
    precision_recall_curve,
    roc_auc,
    roc_curve,
    tb_pr_curve,
    tb_pr_curve_raw,
)

torch = pytest.importorskip("torch")
summary = pytest.importorskip("torch.utils.tensorboard.summary")
metrics = pytest.importorskip("sklearn.metrics")


def _data(seed: int, n: int = 2000, *, tied: bool = False, dtype: type = np.float64,
          ) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = (rng.random(n) < 0.2).astype(np.int64)
    scores = np.clip(rng.normal(0.35 + 0.3 * labels, 0.2), 0, 1)
    if tied:
        scores = np.round(scores * 12) / 12  # heavy ties, exact 0 and 1 included
    return labels, scores.astype(dtype)


# ------------------------------------------------------------------ torch-identical


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("tied", [False, True])
@pytest.mark.parametrize("num_thresholds", [2, 11, 127])
def test_tb_pr_curve_is_bit_identical_to_torch(dtype: type, tied: bool, num_thresholds: int,
                                               ) -> None:
    labels, scores = _data(1, tied=tied, dtype=dtype)
    ours = tb_pr_curve(labels, scores, num_thresholds=num_thresholds)
    theirs = summary.compute_curve(labels, scores, num_thresholds=num_thresholds)
    assert ours.dtype == np.float64 and ours.shape == (6, num_thresholds)
    np.testing.assert_array_equal(ours, theirs)


def test_tb_pr_curve_weighted_is_bit_identical_to_torch() -> None:
    labels, scores = _data(2, n=200_000, dtype=np.float32)  # > numpy's 65536 histogram block
    weights = np.random.default_rng(3).random(labels.size)
    ours = tb_pr_curve(labels, scores, weights=weights)
    theirs = summary.compute_curve(labels, scores, num_thresholds=127, weights=weights)
    np.testing.assert_array_equal(ours, theirs)


def test_tb_pr_curve_matches_what_add_pr_curve_stores() -> None:
    """The tensor torch writes (float32 proto) equals our curve rounded to float32; torch
    clamps num_thresholds to 127 and so do we."""
    labels, scores = _data(4, dtype=np.float32)
    tensor_labels, tensor_scores = torch.from_numpy(labels), torch.from_numpy(scores)
    proto = summary.pr_curve("t", labels, scores, num_thresholds=300)
    stored = np.array(proto.value[0].tensor.float_val, dtype=np.float32).reshape(6, 127)
    ours = tb_pr_curve(tensor_labels, tensor_scores, num_thresholds=300)
    assert ours.shape == (6, 127)
    np.testing.assert_array_equal(ours.astype(np.float32), stored)


def test_tb_pr_curve_accepts_tensors_and_lists_like_numpy() -> None:
    labels, scores = _data(5, n=300, dtype=np.float32)
    reference = summary.compute_curve(labels, scores, num_thresholds=127)
    np.testing.assert_array_equal(
        tb_pr_curve(torch.tensor(labels), torch.tensor(scores, requires_grad=True)), reference)
    np.testing.assert_array_equal(
        tb_pr_curve(labels.tolist(), scores.astype(np.float64).tolist()),
        summary.compute_curve(labels, scores.astype(np.float64), num_thresholds=127))
    half = torch.tensor(scores).to(torch.bfloat16)  # torch's make_np: bfloat16 -> float16
    np.testing.assert_array_equal(
        tb_pr_curve(labels, half),
        summary.compute_curve(labels, half.to(torch.float16).numpy(), num_thresholds=127))


def test_tb_pr_curve_raw_matches_torch_layout() -> None:
    curve = tb_pr_curve(*_data(6))
    rows = [curve[i] for i in range(6)]
    raw = tb_pr_curve_raw(*rows, num_thresholds=127)
    np.testing.assert_array_equal(raw, np.stack(rows))
    proto = summary.pr_curve_raw("t", *rows, num_thresholds=127)
    stored = np.array(proto.value[0].tensor.float_val, dtype=np.float32).reshape(6, 127)
    np.testing.assert_array_equal(raw.astype(np.float32), stored)


@pytest.mark.parametrize(
    ("labels", "scores", "match"),
    [
        ([0, 1, 1], [0.1, 0.2], r"'labels' and 'predictions' must have the same length"),
        ([0, 1], [0.1, 1.5], r"'predictions' must be probabilities in \[0, 1\].*sigmoid"),
        ([0, 1], [0.1, float("nan")], r"'predictions' holds 1 NaN"),
        ([0, 2], [0.1, 0.2], r"'labels' must lie in \[0, 1\]"),
        ([], [], r"empty"),
    ],
)
def test_tb_pr_curve_rejects_bad_input(labels: list[float], scores: list[float], match: str,
                                       ) -> None:
    with pytest.raises(ValueError, match=match):
        tb_pr_curve(labels, scores)


def test_tb_pr_curve_raw_rejects_ragged_or_negative() -> None:
    with pytest.raises(ValueError, match="'recall' has 2"):
        tb_pr_curve_raw([1, 0, 0], [1, 1, 0], [0, 0, 1], [0, 1, 1], [0.5, 0, 0], [1, 0])
    with pytest.raises(ValueError, match="finite and >= 0"):
        tb_pr_curve_raw([1, -1], [1, 1], [0, 0], [0, 1], [0.5, 0], [1, 0])
    with pytest.raises(TypeError, match="'num_thresholds' must be an int"):
        tb_pr_curve_raw([1, 0], [1, 1], [0, 0], [0, 1], [0.5, 0], [1, 0], num_thresholds=2.5)


# ------------------------------------------------------------------ exact vs scikit-learn


@pytest.mark.parametrize("tied", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_exact_curves_equal_scikit_learn(tied: bool, weighted: bool) -> None:
    labels, scores = _data(7, tied=tied)
    weights = np.random.default_rng(8).random(labels.size) if weighted else None
    if weights is not None:
        weights[::17] = 0.0  # zero weights are dropped, as sklearn does
    p, r, t = precision_recall_curve(labels, scores, weights)
    sp, sr, st = metrics.precision_recall_curve(labels, scores, sample_weight=weights)
    np.testing.assert_array_equal(t, st)
    np.testing.assert_allclose(p, sp, rtol=1e-13, atol=0)
    np.testing.assert_allclose(r, sr, rtol=1e-13, atol=0)
    assert average_precision(labels, scores, weights) == pytest.approx(
        metrics.average_precision_score(labels, scores, sample_weight=weights), rel=1e-12)
    assert roc_auc(labels, scores, weights) == pytest.approx(
        metrics.roc_auc_score(labels, scores, sample_weight=weights), rel=1e-12)
    fpr, tpr, _ = roc_curve(labels, scores, weights)
    sfpr, stpr, _ = metrics.roc_curve(labels, scores, sample_weight=weights,
                                      drop_intermediate=False)
    np.testing.assert_allclose(fpr, sfpr, rtol=1e-13)
    np.testing.assert_allclose(tpr, stpr, rtol=1e-13)


def test_unweighted_exact_values_are_bit_identical() -> None:
    labels, scores = _data(9, tied=True)
    p, r, _ = precision_recall_curve(labels, scores)
    sp, sr, _ = metrics.precision_recall_curve(labels, scores)
    np.testing.assert_array_equal(p, sp)
    np.testing.assert_array_equal(r, sr)
    assert average_precision(labels, scores) == metrics.average_precision_score(labels, scores)


@pytest.mark.parametrize("tied", [False, True])
def test_best_f1_threshold_is_the_best_over_every_threshold(tied: bool) -> None:
    labels, scores = _data(10, n=600, tied=tied)
    threshold, f1 = best_f1_threshold(labels, scores)
    candidates = np.unique(scores)
    brute = [metrics.f1_score(labels, scores >= c) for c in candidates]
    assert f1 == pytest.approx(max(brute), rel=1e-12)
    assert metrics.f1_score(labels, scores >= threshold) == pytest.approx(f1, rel=1e-12)


def test_exact_functions_reject_single_class_and_bad_weights() -> None:
    with pytest.raises(ValueError, match="'labels' holds only negative"):
        roc_auc([0, 0, 0], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="no positive"):
        average_precision([0, 0], [0.1, 0.2])
    with pytest.raises(ValueError, match="'weights' must be finite and >= 0"):
        average_precision([0, 1], [0.1, 0.2], weights=[1.0, -1.0])
    with pytest.raises(ValueError, match="'weights' has 1 value"):
        average_precision([0, 1], [0.1, 0.2], weights=[1.0])
    with pytest.raises(ValueError, match="'scores' holds 1 NaN/Inf"):
        average_precision([0, 1], [0.1, np.inf])
    with pytest.raises(ValueError, match=r"'labels' must be 0/1"):
        average_precision([0, 3], [0.1, 0.2])


# ------------------------------------------------------------------ binned


@pytest.mark.parametrize("num_thresholds", [11, 127, 1001])
@pytest.mark.parametrize("weighted", [False, True])
def test_binned_metrics_equal_scikit_learn_on_bucketed_scores(num_thresholds: int,
                                                              weighted: bool) -> None:
    labels, scores = _data(11)
    weights = np.random.default_rng(12).random(labels.size) if weighted else None
    positive = labels.astype(bool)
    curve = curve_from_buckets(*bucket_counts(positive, scores, num_thresholds, weights))
    bucketed = np.floor(scores * (num_thresholds - 1))
    assert binned_average_precision(curve) == pytest.approx(
        metrics.average_precision_score(labels, bucketed, sample_weight=weights), rel=1e-12)
    assert binned_roc_auc(curve) == pytest.approx(
        metrics.roc_auc_score(labels, bucketed, sample_weight=weights), rel=1e-12)
    # and the binned value is within binning tolerance of the exact one
    exact_ap = metrics.average_precision_score(labels, scores, sample_weight=weights)
    assert abs(binned_average_precision(curve) - exact_ap) < 3.0 / num_thresholds + 1e-3


def test_bucket_counts_equal_torch_unweighted_and_close_weighted() -> None:
    labels, scores = _data(13, n=300_000, dtype=np.float32)
    positive = labels.astype(bool)
    fast = curve_from_buckets(*bucket_counts(positive, scores, 127))
    np.testing.assert_array_equal(fast, summary.compute_curve(labels, scores, num_thresholds=127))
    weights = np.random.default_rng(14).random(labels.size)
    fast_w = curve_from_buckets(*bucket_counts(positive, scores, 127, weights))
    np.testing.assert_allclose(
        fast_w, summary.compute_curve(labels, scores, num_thresholds=127, weights=weights),
        rtol=1e-9)


def test_binned_best_f1_matches_counts() -> None:
    labels, scores = _data(15)
    curve = tb_pr_curve(labels, scores)
    threshold, f1 = binned_best_f1(curve)
    tp, fp, fn = curve[0], curve[1], curve[3]
    assert f1 == pytest.approx(float(np.max(2 * tp / (2 * tp + fp + fn))))
    predicted = np.floor(scores * 126) >= round(threshold * 126)
    assert metrics.f1_score(labels, predicted) == pytest.approx(f1)


def test_curve_metrics_above_exact_limit_use_a_fine_histogram(monkeypatch: pytest.MonkeyPatch,
                                                              ) -> None:
    labels, scores = _data(16, n=50_000)
    monkeypatch.setattr(compute, "EXACT_LIMIT", 10_000)
    result = curve_metrics(labels.astype(bool), scores)
    assert result.exact is False
    assert result.ap == pytest.approx(metrics.average_precision_score(labels, scores), abs=2e-4)
    assert result.auc == pytest.approx(metrics.roc_auc_score(labels, scores), abs=2e-4)
    exact = curve_metrics(labels[:5000].astype(bool), scores[:5000])
    assert exact.exact is True
    assert exact.ap == pytest.approx(
        metrics.average_precision_score(labels[:5000], scores[:5000]), rel=1e-12)


def test_bucket_counts_refuse_values_outside_the_unit_interval() -> None:
    with pytest.raises(ValueError, match=r"bucket_counts\(\): 'predictions' must be probabilities"):
        bucket_counts(np.array([True, False]), np.array([0.5, 1.5]), 127)
    with pytest.raises(ValueError, match=r"'probabilities' holds 1 NaN"):
        compute.class_bucket_counts(np.eye(2, dtype=bool), np.array([[0.5, np.nan], [0, 1]]), 3)
