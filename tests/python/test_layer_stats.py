"""The per-layer numbers the Health heat map and the Graph overlay both show."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nbviz.panels.health.layer_stats import combine_layer_stats, stats_by_layer_step
from nbviz.store.sqlite import TensorRecord


def _stats(layer: str, step: int, source: str, param: str, **values: float) -> TensorRecord:
    return TensorRecord("stats", f"{source}/{param}", step, 0.0,
                        np.array(list(values.values())),
                        {"layer": layer, "source": source, "param": param,
                         "names": list(values)})


def test_gradient_norm_of_a_layer_is_the_norm_over_its_parameters() -> None:
    out = combine_layer_stats({"grads": [("w", {"norm": 3.0}), ("b", {"norm": 4.0})]})
    assert out == {"grad_norm": 5.0}


def test_update_ratio_is_update_norm_over_weight_norm_of_the_whole_layer() -> None:
    out = combine_layer_stats({
        "updates": [("w", {"norm": 0.3, "ratio": 0.1}), ("b", {"norm": 0.4})],
        "weights": [("w", {"norm": 30.0}), ("b", {"norm": 40.0})],
    })
    assert out["update_ratio"] == pytest.approx(0.5 / 50.0)
    # without weight norms, the recorded per-parameter ratio is used
    assert combine_layer_stats({"updates": [("w", {"norm": 0.3, "ratio": 0.1})]}) == {
        "update_ratio": 0.1}


def test_activation_values_are_renamed_and_missing_ones_left_out() -> None:
    out = combine_layer_stats({"activations": [("", {"mean": 0.5, "std": 2.0})]})
    assert out == {"act_mean": 0.5, "act_std": 2.0}
    nan_grad = combine_layer_stats({"grads": [("w", {})]})
    assert math.isnan(nan_grad["grad_norm"])


def test_records_group_by_layer_and_step_and_bad_ones_are_skipped() -> None:
    records = [
        _stats("fc", 3, "grads", "fc.weight", norm=3.0),
        _stats("fc", 3, "grads", "fc.bias", norm=4.0),
        _stats("", 3, "activations", "", mean=1.0),
        _stats("fc", 4, "grads", "fc.weight", norm=1.0),
        TensorRecord("stats", "x", 3, 0.0, np.zeros(2), {"layer": "fc", "names": ["a"]}),
        TensorRecord("finding", "x", 3, 0.0, np.zeros(1), {"layer": "fc"}),
    ]
    grouped = stats_by_layer_step(records, unnamed_layer="<model>")
    assert sorted(grouped) == [("<model>", 3), ("fc", 3), ("fc", 4)]
    assert [p for p, _ in grouped[("fc", 3)]["grads"]] == ["fc.weight", "fc.bias"]
    assert combine_layer_stats(grouped[("fc", 3)]) == {"grad_norm": 5.0}
