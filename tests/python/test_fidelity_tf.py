"""Issue 15, items 5-7: logdirs written by TensorFlow 2.21 / Keras 3.15, read by nbviz.

The logdirs are committed fixtures (tests/fixtures/tf/), written by
tests/fixtures/make_tf_logdirs.py with TensorFlow itself; CI does not install TensorFlow.
The expected values below are what that script logged.
"""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import nbviz
from nbviz.store.keras_graph import keras_model_graph

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "tf"


def read(logdir: Path, kind: str) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing in these logdirs is a problem
        frame = nbviz.read(logdir, kind=kind)
    assert frame.attrs["problems"] == []
    return frame


def test_fixtures_are_there() -> None:
    written = sorted(p.relative_to(FIXTURES).parts[0] for p in FIXTURES.rglob("*tfevents*"))
    assert set(written) == {"audio", "hparams", "hparams_keras", "keras", "keras_seq", "trace"}


# -- 5. audio ----------------------------------------------------------------------------------


def test_tf_audio_reads_back_at_its_scale() -> None:
    frame = read(FIXTURES / "audio", "audio").set_index("tag")
    rate = 8000
    t = np.arange(800, dtype=np.float32) / rate
    sine = frame.loc["sine", "audio"]
    assert frame.loc["sine", "sample_rate"] == rate and sine.dtype == np.float32
    assert sine.max() == 0.5 and sine.min() == -0.5  # was 0.5000153 (16384 / 32767)
    # TensorFlow writes round(x * 32768): read back within half a quantisation step
    np.testing.assert_allclose(sine, 0.5 * np.sin(2 * np.pi * 440 * t), atol=0.5 / 32768 + 1e-7)
    square = frame.loc["square", "audio"]
    assert sorted(set(square.tolist())) == [-1.0, 32767 / 32768]  # TF clips +1 to 32767


# -- 6. the HParams tutorial layout ------------------------------------------------------------


def test_hparams_sessions_get_metrics_and_order_from_the_parent_config() -> None:
    frame = read(FIXTURES / "hparams", "hparams")
    assert frame.attrs["hparams"] == ["num_units", "dropout", "optimizer"]  # config order
    assert frame.attrs["metrics"] == ["accuracy"]
    # the HParams join (issue 13): the run's columns, the config in its order, the metric
    # and its summaries
    assert frame.columns.tolist() == [
        "run", "hparams_from", "step", "wall_time", "num_units", "dropout", "optimizer",
        "accuracy", "accuracy (min)", "accuracy (max)", "accuracy (last-5 mean)"]
    scalars = read(FIXTURES / "hparams", "scalars")
    logged = dict(zip(scalars.run, scalars.value, strict=True))
    assert frame.run.tolist() == [f"run-{i}" for i in range(8)]
    assert dict(zip(frame.run, frame.accuracy, strict=True)) == logged
    assert not frame.accuracy.isna().any()
    assert frame[["num_units", "dropout", "optimizer"]].values.tolist() == [
        [units, dropout, optimizer] for units in (8.0, 16.0) for dropout in (0.1, 0.2)
        for optimizer in ("adam", "sgd")]
    again = read(FIXTURES / "hparams", "hparams")
    pd.testing.assert_frame_equal(again, frame)


def test_hparams_keras_callback_metric_comes_from_the_group_subrun() -> None:
    frame = read(FIXTURES / "hparams_keras", "hparams")
    assert frame.attrs["hparams"] == ["units"]
    assert frame.attrs["metrics"] == ["validation/epoch_accuracy"]
    scalars = read(FIXTURES / "hparams_keras", "scalars")
    last = scalars[(scalars.run == "s0/validation") & (scalars.tag == "epoch_accuracy")]
    assert len(last) == 2  # two epochs: the metric is the last one
    # a lone session under the experiment directory is a row of its own, as TensorBoard
    # shows it — not joined to the experiment's directory as torch's add_hparams sub-run is
    assert frame[["run", "hparams_from", "units", "validation/epoch_accuracy"]].values.tolist(
        ) == [["s0", "s0", 4.0, last.value.iloc[-1]]]


def test_hparams_read_from_a_logdir_above_the_experiment(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "hparams", tmp_path / "sweeps" / "tuning")
    frame = read(tmp_path / "sweeps", "hparams")
    assert frame.attrs["metrics"] == ["accuracy"]
    assert frame.run.tolist() == [f"tuning/run-{i}" for i in range(8)]
    assert not frame.accuracy.isna().any()


# -- 7. Keras and trace_export graphs, problems only for the kind read --------------------------


def _edges(graph: dict) -> set[tuple[str, str]]:
    return {(source, node["name"]) for node in graph["nodes"] for source in node["inputs"]}


def test_keras_model_graph_is_read_as_layers_and_connections() -> None:
    frame = read(FIXTURES, "graphs").set_index("run")
    functional = frame.loc["keras/train"]
    assert functional.tag == "keras" and functional.format == "keras"
    graph = functional.graph
    assert graph["name"] == "branchy"
    assert [(n["name"], n["op"]) for n in graph["nodes"]] == [
        ("features", "InputLayer"), ("hidden", "Dense"), ("drop", "Dropout"),
        ("skip", "Dense"), ("merge", "Concatenate"), ("probs", "Dense")]
    assert _edges(graph) == {("features", "hidden"), ("hidden", "drop"), ("features", "skip"),
                             ("drop", "merge"), ("skip", "merge"), ("merge", "probs")}
    assert graph["inputs"] == ["features"] and graph["outputs"] == ["probs"]
    hidden = next(n for n in graph["nodes"] if n["name"] == "hidden")
    assert hidden["attrs"]["units"] == 16 and hidden["attrs"]["activation"] == "relu"
    sequential = frame.loc["keras_seq/train"].graph
    names = [n["name"] for n in sequential["nodes"]]
    assert [n["op"] for n in sequential["nodes"]] == ["InputLayer", "Dense", "Dense"]
    assert _edges(sequential) == {(names[0], names[1]), (names[1], names[2])}
    assert sequential["outputs"] == [names[2]]


def test_trace_export_graph_is_read() -> None:
    row = read(FIXTURES / "trace", "graphs").iloc[0]
    assert row.tag == "scaled_sum" and row.format == "tensorboard.RunMetadata"
    ops = {n["name"]: n["op"] for n in row.graph["nodes"]}
    assert ops["MatMul"] == "MatMul" and ops["Relu"] == "Relu" and ops["Sum"] == "Sum"
    assert {("x", "MatMul"), ("w", "MatMul"), ("MatMul", "Relu"), ("Relu", "mul")} <= _edges(
        row.graph)


@pytest.mark.parametrize("kind", ["scalars", "histograms", "pr_curves", "text", "hparams",
                                  "images", "audio", "videos", "graphs", "embeddings", "meshes",
                                  "tensors", "custom_scalars"])
def test_no_problem_is_reported_for_any_kind(kind: str) -> None:
    read(FIXTURES, kind)  # read() asserts: no warning, no problem


def test_keras_graph_conversion_handles_keras2_and_nested_models() -> None:
    keras2 = {"class_name": "Model", "config": {
        "name": "m", "input_layers": [["in", 0, 0]], "output_layers": [["out", 0, 0]],
        "layers": [
            {"class_name": "InputLayer", "name": "in", "config": {"name": "in"},
             "inbound_nodes": []},
            {"class_name": "Sequential", "name": "block", "config": {"name": "block", "layers": [
                {"class_name": "Dense", "config": {"name": "d1", "units": 3}},
                {"class_name": "Dense", "config": {"name": "d2", "units": 3}}]},
             "inbound_nodes": [[["in", 0, 0, {}]]]},
            {"class_name": "Add", "name": "out", "config": {"name": "out"},
             "inbound_nodes": [[["block", 0, 0, {}], ["in", 0, 0, {}]]]}]}}
    graph = keras_model_graph(keras2)
    assert [n["name"] for n in graph["nodes"]] == ["in", "block/d1", "block/d2", "out"]
    assert _edges(graph) == {("in", "block/d1"), ("block/d1", "block/d2"), ("block/d2", "out"),
                             ("in", "out")}
    with pytest.raises(ValueError, match="without 'layers'"):
        keras_model_graph({"class_name": "Dense", "config": {}})
    with pytest.raises(TypeError, match="must be a dict"):
        keras_model_graph("model.json")
