"""Run.log_pr: inputs, records written (kinds and extras per docs/store.md), bad input."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import nbviz
from nbviz.panels.pr import record as pr_record
from nbviz.panels.pr.compute import tb_pr_curve
from nbviz.panels.pr.record import pr_records
from nbviz.store.sqlite import StoreReader

metrics = pytest.importorskip("sklearn.metrics")


def _binary(seed: int = 0, n: int = 500) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = (rng.random(n) < 0.15).astype(np.int64)
    return labels, np.clip(rng.normal(0.3 + 0.35 * labels, 0.2), 0, 1)


def _multiclass(seed: int = 0, n: int = 600, classes: int = 4) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, n)
    logits = rng.normal(size=(n, classes)) + 1.5 * np.eye(classes)[labels]
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return labels, probs


def _stored(run: nbviz.Run) -> list[Any]:
    run.flush()
    reader = StoreReader(run.dir)
    try:
        return reader.tensors_between(0, None, frozenset({"pr_curve"}))
    finally:
        reader.close()


def _pending(run: nbviz.Run) -> int:
    return len(run._tensor_pending_since(0)[1])


def test_binary_record_matches_torch_layout_and_sklearn_metrics(logdir: Path) -> None:
    labels, scores = _binary()
    run = nbviz.init("bin", logdir=logdir)
    run.log_pr("val/pr", labels, scores, step=3)
    (stored,) = _stored(run)
    assert (stored.kind, stored.tag, stored.step) == ("pr_curve", "val/pr", 3)
    assert stored.array.dtype == np.float64 and stored.array.shape == (6, 127)
    np.testing.assert_array_equal(stored.array, tb_pr_curve(labels, scores))
    extra = stored.extra
    assert extra["num_thresholds"] == 127 and extra["exact"] is True
    assert extra["ap"] == pytest.approx(metrics.average_precision_score(labels, scores), rel=1e-12)
    assert extra["auc"] == pytest.approx(metrics.roc_auc_score(labels, scores), rel=1e-12)
    assert extra["positives"] == labels.sum() and extra["negatives"] == (1 - labels).sum()
    assert metrics.f1_score(labels, scores >= extra["best_f1_threshold"]) == pytest.approx(
        extra["best_f1"])
    assert not {"class_name", "class_index", "average"} & set(extra)


def test_multiclass_records_per_class_plus_micro_and_macro(logdir: Path) -> None:
    labels, probs = _multiclass()
    names = ["cat", "dog", "bird", "fish"]
    weights = np.random.default_rng(1).random(labels.size)
    run = nbviz.init("multi", logdir=logdir)
    run.log_pr("val/pr", labels, probs, step=0, class_names=names, weights=weights)
    stored = _stored(run)
    assert len(stored) == 6
    onehot = np.eye(4)[labels]
    for index, (record, name) in enumerate(zip(stored[:4], names, strict=True)):
        assert record.extra["class_name"] == name and record.extra["class_index"] == index
        np.testing.assert_allclose(
            record.array, tb_pr_curve(onehot[:, index], probs[:, index], weights=weights),
            rtol=1e-12)
        assert record.extra["ap"] == pytest.approx(metrics.average_precision_score(
            onehot[:, index], probs[:, index], sample_weight=weights), rel=1e-12)
    micro, macro = stored[4], stored[5]
    assert micro.extra["average"] == "micro" and macro.extra["average"] == "macro"
    assert micro.extra["ap"] == pytest.approx(metrics.average_precision_score(
        onehot, probs, average="micro", sample_weight=weights), rel=1e-12)
    assert macro.extra["ap"] == pytest.approx(metrics.average_precision_score(
        onehot, probs, average="macro", sample_weight=weights), rel=1e-12)
    assert macro.extra["auc"] == pytest.approx(metrics.roc_auc_score(
        labels, probs, multi_class="ovr", average="macro", sample_weight=weights), rel=1e-12)
    np.testing.assert_allclose(
        micro.array, tb_pr_curve(onehot.ravel(), probs.ravel(), weights=np.repeat(weights, 4)),
        rtol=1e-12)
    per_class = np.stack([r.array for r in stored[:4]])
    np.testing.assert_allclose(macro.array[5], per_class[:, 5].mean(axis=0))
    predicting = per_class[:, 0] + per_class[:, 1] > 0  # classes without predictions
    count = predicting.sum(axis=0)  # are left out of the precision mean
    expected = np.where(predicting, per_class[:, 4], 0).sum(axis=0) / np.maximum(count, 1)
    assert not predicting[:, -1].all()  # the top threshold exercises that rule
    np.testing.assert_allclose(macro.array[4], expected)
    np.testing.assert_allclose(macro.array[:4], micro.array[:4])


@pytest.mark.parametrize("weighted", [False, True])
def test_multiclass_with_tied_scores_matches_scikit_learn(weighted: bool) -> None:
    labels, probs = _multiclass(10, n=900, classes=3)
    probs = np.round(probs * 8) / 8  # heavy ties (rows no longer sum to 1 exactly)
    weights = np.random.default_rng(11).random(labels.size) if weighted else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the row-sum warning is expected
        records = pr_records(labels, probs, weights=weights)
    onehot = np.eye(3)[labels]
    for index in range(3):
        assert records[index].extra["ap"] == pytest.approx(metrics.average_precision_score(
            onehot[:, index], probs[:, index], sample_weight=weights), rel=1e-12)
        assert records[index].extra["auc"] == pytest.approx(metrics.roc_auc_score(
            onehot[:, index], probs[:, index], sample_weight=weights), rel=1e-12)
    for position, average in ((3, "micro"), (4, "macro")):
        assert records[position].extra["ap"] == pytest.approx(metrics.average_precision_score(
            onehot, probs, average=average, sample_weight=weights), rel=1e-12)
        assert records[position].extra["auc"] == pytest.approx(metrics.roc_auc_score(
            onehot, probs, average=average, sample_weight=weights), rel=1e-12)


def test_multiclass_without_names_and_with_indicator_labels() -> None:
    labels, probs = _multiclass(2, classes=3)
    plain = pr_records(labels, probs)
    assert [r.extra.get("class_name") for r in plain[:3]] == ["0", "1", "2"]
    indicator = pr_records(np.eye(3)[labels], probs, class_names=["a", "b", "c"])
    for a, b in zip(plain, indicator, strict=True):
        np.testing.assert_array_equal(a.curve, b.curve)
    multilabel = (np.random.default_rng(3).random(probs.shape) < 0.4).astype(int)
    records = pr_records(multilabel, probs, class_names=["a", "b", "c"])  # no row-sum warning
    assert records[0].extra["ap"] == pytest.approx(
        metrics.average_precision_score(multilabel[:, 0], probs[:, 0]), rel=1e-12)


def test_inputs_may_be_lists_and_tensors_on_any_device() -> None:
    torch = pytest.importorskip("torch")
    labels, scores = _binary(4)
    reference = pr_records(labels, scores)[0].curve
    np.testing.assert_array_equal(pr_records(labels.tolist(), scores.tolist())[0].curve,
                                  reference)
    tensor = torch.tensor(scores, requires_grad=True)
    np.testing.assert_array_equal(pr_records(torch.tensor(labels), tensor)[0].curve, reference)
    as_bool = pr_records(torch.tensor(labels).bool(), torch.tensor(scores).float())[0]
    np.testing.assert_array_equal(
        as_bool.curve, tb_pr_curve(labels, scores.astype(np.float32)))
    half = pr_records(labels, torch.tensor(scores).to(torch.bfloat16))[0]  # upcast, no error
    assert half.curve.shape == (6, 127)
    m_labels, m_probs = _multiclass(5)
    multi = pr_records(torch.tensor(m_labels), torch.tensor(m_probs), class_names=list("abcd"))
    assert len(multi) == 6


def test_step_defaults_to_the_current_step(logdir: Path) -> None:
    run = nbviz.init("steps", logdir=logdir)
    run.log({"loss": 1.0}, step=7)
    run.log_pr("pr", *_binary())
    assert [r.step for r in _stored(run)] == [7]


def test_num_thresholds_is_configurable_and_bounded() -> None:
    labels, scores = _binary()
    assert pr_records(labels, scores, num_thresholds=1001)[0].curve.shape == (6, 1001)
    with pytest.raises(ValueError, match="'num_thresholds' must be between 2 and 4097"):
        pr_records(labels, scores, num_thresholds=10_000)


def test_ten_million_predictions_reduce_to_one_bounded_record() -> None:
    rng = np.random.default_rng(6)
    labels = rng.random(10_000_000) < 0.1
    scores = np.clip(rng.random(10_000_000) * 0.7 + 0.3 * labels, 0, 1).astype(np.float32)
    (record,) = pr_records(labels, scores)
    assert record.curve.nbytes == 6 * 127 * 8
    assert record.extra["exact"] is False  # above EXACT_LIMIT: fine-histogram metrics
    assert record.extra["positives"] == labels.sum()
    assert 0.5 < record.extra["ap"] < 1


# ------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    ("labels", "predictions", "kwargs", "error", "match"),
    [
        ([0, 1, 1], [0.2, 0.9], {}, ValueError,
         r"'labels' and 'predictions' must have the same length, got 3 labels"),
        ([0, 1], [0.2, 1.3], {}, ValueError,
         r"'predictions' must be probabilities in \[0, 1\], but 1 value"),
        ([0, 1], [0.2, -0.1], {}, ValueError, r"apply torch.sigmoid"),
        ([0, 1, 1], [0.2, np.nan, 0.4], {}, ValueError,
         r"'predictions' holds 1 NaN value\(s\) \(first at flat index 1\)"),
        ([0, 5], [0.2, 0.3], {}, ValueError, r"'labels' must be 0/1"),
        ([0, np.nan], [0.2, 0.3], {}, ValueError, r"'labels' holds 1 NaN"),
        (["a", "b"], [0.2, 0.3], {}, TypeError, r"'labels' must hold real numbers"),
        ([0, 1], [0.2, 0.3], {"weights": [1.0, -2.0]}, ValueError, r"'weights' must be finite"),
        ([0, 1], [0.2, 0.3], {"weights": [1.0]}, ValueError, r"'weights' has 1 value"),
        ([0, 1], [0.2, 0.3], {"num_thresholds": 1}, ValueError, r"'num_thresholds'"),
        ([0, 1], [0.2, 0.3], {"class_names": ["a", "b"]}, ValueError,
         r"'class_names' was given, so 'predictions' must be class probabilities"),
        ([0, 3], [[0.5, 0.5], [0.2, 0.8]], {}, ValueError,
         r"'labels' must be class indices in \[0, 2\)"),
        ([0, 1], [[0.5, 0.5], [0.2, 0.8]], {"class_names": ["a"]}, ValueError,
         r"'class_names' has 1 name\(s\) but 'predictions' has 2 columns"),
        ([0, 1], [[0.5, 0.5], [0.2, 0.8]], {"class_names": ["a", "a"]}, ValueError,
         r"'class_names' must be unique; 'a'"),
        ([0, 1], [[0.5, 0.5], [0.2, 0.8]], {"class_names": [1, 2]}, TypeError,
         r"'class_names' must be strings"),
        ([0, 1, 1], [[0.5, 0.5], [0.2, 0.8]], {"class_names": ["a", "b"]}, ValueError,
         r"'labels' and 'predictions' must have the same length"),
        ([0.5, 1], [[0.5, 0.5], [0.2, 0.8]], {}, ValueError, r"integer class indices"),
        ([], [], {}, ValueError, r"empty; nothing to record"),
    ],
)
def test_bad_input_is_a_clear_error_and_writes_nothing(
    logdir: Path, labels: Any, predictions: Any, kwargs: dict[str, Any],
    error: type[Exception], match: str,
) -> None:
    run = nbviz.init("bad", logdir=logdir)
    run.log_pr("ok", *_binary(), step=0)
    with pytest.raises(error, match=match) as info:
        run.log_pr("val/pr", labels, predictions, step=1, **kwargs)
    assert str(info.value).startswith("log_pr():")
    assert _pending(run) == 1  # only the valid record from before
    assert [r.tag for r in _stored(run)] == ["ok"]


def test_bad_tag_step_and_finished_run(logdir: Path) -> None:
    run = nbviz.init("bad2", logdir=logdir)
    with pytest.raises(TypeError, match="log_pr"):
        run.log_pr(3, [0, 1], [0.1, 0.9])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'step' must be >= 0"):
        run.log_pr("pr", [0, 1], [0.1, 0.9], step=-1)
    run.finish()
    with pytest.raises(RuntimeError, match="is finished"):
        run.log_pr("pr", [0, 1], [0.1, 0.9])


def test_single_class_warns_naming_labels_and_still_records(logdir: Path) -> None:
    run = nbviz.init("single", logdir=logdir)
    with pytest.warns(UserWarning, match=r"'labels' holds only negative \(0\) samples"):
        run.log_pr("pr", [0, 0, 0], [0.1, 0.5, 0.9], step=0)
    with pytest.warns(UserWarning, match=r"'labels' holds only positive \(1\) samples"):
        run.log_pr("pr", [1, 1], [0.1, 0.9], step=1)
    first, second = _stored(run)
    assert first.extra["ap"] is None and first.extra["auc"] is None
    assert second.extra["ap"] == 1.0 and second.extra["auc"] is None


def test_multiclass_rows_not_summing_to_one_warn(logdir: Path) -> None:
    labels, probs = _multiclass(7)
    sigmoid_like = np.clip(probs * 1.7, 0, 1)
    with pytest.warns(UserWarning, match=r"'predictions' rows should sum to 1.*softmax"):
        records = pr_records(labels, sigmoid_like)
    assert len(records) == 6
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pr_records(labels, probs)  # proper softmax: silent


def test_multiclass_missing_class_warns_and_macro_leaves_it_out() -> None:
    labels, probs = _multiclass(8, classes=3)
    labels = np.where(labels == 2, 0, labels)
    with pytest.warns(UserWarning, match=r"no positive sample for 1 class\(es\) \('c'\)"):
        records = pr_records(labels, probs, class_names=["a", "b", "c"])
    assert records[2].extra["ap"] is None
    assert records[-1].extra["ap"] == pytest.approx(
        (records[0].extra["ap"] + records[1].extra["ap"]) / 2)


def test_many_classes_store_only_the_averages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pr_record, "MAX_CLASS_RECORDS", 3)
    labels, probs = _multiclass(9, classes=5)
    with pytest.warns(UserWarning, match=r"5 classes: only the micro and macro averages"):
        records = pr_records(labels, probs)
    assert [r.extra.get("average") for r in records] == ["micro", "macro"]
