"""HParams join (nbviz/panels/hparams): nbviz sweeps, torch's add_hparams sub-runs,
nested configs, value kinds, importance against scikit-learn, bad input."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import nbviz
from nbviz.panels.hparams.importance import FOREST, SAMPLE, design_matrix, hparam_importance
from nbviz.panels.hparams.join import RunInput, join_runs
from nbviz.panels.hparams.summaries import MetricTable

torch_tb = pytest.importorskip("torch.utils.tensorboard")


def _sweep(logdir: Path) -> None:
    grid = [(0.1, 32, "adam"), (0.01, 64, "sgd"), (0.001, 128, "adam")]
    for lr, width, opt in grid:
        config = {"lr": lr, "model": {"width": width, "act": {"name": "relu"}}, "opt": opt}
        with nbviz.init(f"lr={lr}", logdir=logdir, config=config) as run:
            for step in range(8):
                run.log({"loss": lr * (8 - step), "val/acc": width * step / 1000}, step=step)


def test_nbviz_sweep_one_row_per_run_with_nested_config_and_summaries(logdir: Path) -> None:
    _sweep(logdir)
    df = nbviz.read(logdir, kind="hparams")
    assert list(df["run"]) == ["lr=0.001", "lr=0.01", "lr=0.1"]
    assert df.attrs["hparams"] == ["lr", "model.act.name", "model.width", "opt"]  # stored sorted
    assert df.attrs["hparam_kinds"] == {"lr": "numeric", "model.width": "numeric",
                                        "model.act.name": "categorical", "opt": "categorical"}
    assert set(df["hparams_from"]) == {"config"}
    row = df.set_index("run").loc["lr=0.01"]
    assert row["model.width"] == 64 and row["opt"] == "sgd"
    losses = 0.01 * (8 - np.arange(8))
    accs = 64 * np.arange(8) / 1000
    assert row["loss"] == pytest.approx(losses[-1])
    assert row["loss (min)"] == pytest.approx(losses.min())
    assert row["loss (max)"] == pytest.approx(losses.max())
    assert row["val/acc (last-5 mean)"] == pytest.approx(accs[-5:].mean())
    assert row["step"] == 7
    assert df.attrs["metric_tags"]["val/acc (max)"] == ["val/acc", "max"]


def test_torch_add_hparams_joins_the_writers_run_not_a_stray_sub_run(tmp_path: Path) -> None:
    for name, lr, acc in (("exp1", 0.1, 0.9), ("exp2", 0.01, 0.7)):
        writer = torch_tb.SummaryWriter(str(tmp_path / name))
        for step in range(3):
            writer.add_scalar("train/loss", lr * (3 - step), step)
        writer.add_hparams({"lr": lr, "bsize": 32, "act": "relu", "bn": True},
                           {"hparam/accuracy": acc})
        writer.close()
    stray = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.glob("exp1/*")
                   if p.is_dir())
    assert len(stray) == 1  # torch really writes a sub-run …
    df = nbviz.read(tmp_path, kind="hparams").set_index("run")
    assert list(df.index) == ["exp1", "exp2"]  # … which is joined to the writer's run
    assert df.loc["exp1", "hparams_from"] == stray[0]  # while saying where it came from
    assert df.loc["exp1", "lr"] == pytest.approx(0.1)
    assert df.loc["exp1", "act"] == "relu"
    assert df.loc["exp1", "hparam/accuracy"] == pytest.approx(0.9)
    assert df.loc["exp1", "train/loss"] == pytest.approx(0.1)  # the curve of the parent
    assert df.loc["exp2", "train/loss (max)"] == pytest.approx(0.03)


def test_nbviz_summary_writer_add_hparams_joins_too(tmp_path: Path) -> None:
    writer = nbviz.SummaryWriter(tmp_path / "exp")
    writer.add_scalar("loss", 0.5, 0)
    writer.add_hparams({"lr": 0.1}, {"hparam/accuracy": 0.9}, run_name="trial")
    writer.close()
    df = nbviz.read(tmp_path, kind="hparams")
    assert df[["run", "hparams_from", "lr", "loss", "hparam/accuracy"]].values.tolist() == [
        ["exp", "exp/trial", 0.1, 0.5, pytest.approx(0.9)]]


def test_one_writer_add_hparams_in_a_loop_keeps_one_row_per_call(tmp_path: Path) -> None:
    writer = torch_tb.SummaryWriter(str(tmp_path / "grid"))
    for i in range(3):
        writer.add_hparams({"lr": 0.1 * (i + 1)}, {"hparam/accuracy": 0.5 + i / 10},
                           run_name=f"t{i}")
    writer.close()
    df = nbviz.read(tmp_path, kind="hparams")
    assert list(df["run"]) == ["grid/t0", "grid/t1", "grid/t2"]
    assert df["hparam/accuracy"].tolist() == pytest.approx([0.5, 0.6, 0.7])


def test_a_lone_tensorflow_session_is_its_own_row_not_joined_to_its_experiment(
        tmp_path: Path) -> None:
    from nbviz.panels.hparams.widget import HParams

    fixtures = Path(__file__).resolve().parent.parent / "fixtures" / "tf"
    tuning = tmp_path / "tuning"  # TensorFlow's layout: hparams_config here, one session below
    tuning.mkdir()
    for item in (fixtures / "hparams").iterdir():
        if item.is_file():
            shutil.copy(item, tuning / item.name)
    shutil.copytree(fixtures / "hparams" / "run-3", tuning / "run-3")
    df = nbviz.read(tuning, kind="hparams")
    assert df[["run", "hparams_from"]].values.tolist() == [["run-3", "run-3"]]
    assert df.attrs["hparams"] == ["num_units", "dropout", "optimizer"]
    for logdir in (tuning, fixtures / "hparams_keras"):  # the live path agrees
        panel = HParams(logdir)
        try:
            frame = panel.frame
            expected = nbviz.read(logdir, kind="hparams")
            assert frame["run"].tolist() == expected["run"].tolist()
            assert frame["hparams_from"].tolist() == expected["run"].tolist()
        finally:
            panel.close()


def test_categorical_bool_missing_and_nan_values(logdir: Path) -> None:
    configs = [{"opt": "adam", "bn": True, "wd": 1e-4, "layers": [64, 32]},
               {"opt": "sgd", "bn": False, "wd": float("nan")},
               {"opt": "adam", "drop": 0.5}]
    for i, config in enumerate(configs):
        with nbviz.init(f"r{i}", logdir=logdir, config=config) as run:
            run.log({"acc": [0.5, float("nan"), 0.7][i]}, step=0)
    df = nbviz.read(logdir, kind="hparams").set_index("run")
    assert str(df["bn"].dtype) == "boolean"
    assert df["bn"].tolist()[:2] == [True, False] and df["bn"].isna().tolist()[2]
    assert df["wd"].isna().tolist() == [False, True, True]  # NaN and missing are both NaN
    assert df["drop"].isna().tolist() == [True, True, False]
    assert df.loc["r0", "layers"] == "[64, 32]" and df.loc["r1", "layers"] is None
    assert df.attrs["hparam_kinds"]["layers"] == "categorical"
    assert math.isnan(df.loc["r1", "acc"]) and math.isnan(df.loc["r1", "acc (max)"])


def test_runs_without_hparams_get_no_row_and_empty_logdir_gives_empty_table(
        logdir: Path) -> None:
    assert nbviz.read(logdir, kind="hparams").empty
    with nbviz.init("plain", logdir=logdir) as run:
        run.log({"loss": 1.0}, step=0)
    assert nbviz.read(logdir, kind="hparams").empty


def test_metric_table_incremental_equals_one_batch() -> None:
    from nbviz.store.sqlite import ScalarColumns

    rng = np.random.default_rng(0)
    tags = rng.integers(0, 3, 200).astype(np.int32)
    values = rng.normal(size=200)
    values[[5, 50]] = np.nan

    def cols(sl: slice) -> ScalarColumns:
        return ScalarColumns(seq=np.empty(0, np.int64), tag_index=tags[sl],
                             step=np.arange(200, dtype=float)[sl], wall_time=np.zeros(200)[sl],
                             value=values[sl], tags=["a", "b", "c"])

    whole, parts = MetricTable(4), MetricTable(4)
    whole.update("r", cols(slice(None)))
    for start in range(0, 200, 37):
        parts.update("r", cols(slice(start, start + 37)))
    for index, tag in enumerate("abc"):
        mine = values[tags == index]
        for table in (whole, parts):
            s = table.runs["r"][tag]
            assert s.final == mine[-1] and s.min == np.nanmin(mine) and s.max == np.nanmax(mine)
            assert s.mean_last == pytest.approx(np.nanmean(mine[-4:]))
            assert s.count == mine.size


def test_importance_equals_sklearn_feature_importances_with_the_seed() -> None:
    from sklearn.ensemble import RandomForestRegressor

    rng = np.random.default_rng(1)
    n = 60
    lr = 10 ** rng.uniform(-4, -1, n)
    opt = rng.choice(["adam", "sgd", "rmsprop"], n)
    bn = rng.random(n) > 0.5
    width = rng.choice([32.0, 64.0, 128.0], n)
    width[3] = np.nan
    acc = -np.abs(np.log10(lr) + 2.5) + (opt == "adam") * 0.5 + rng.normal(0, 0.05, n)
    acc[7] = np.nan  # left out of the fit
    frame = pd.DataFrame({"lr": lr, "opt": opt, "bn": pd.array(bn, dtype="boolean"),
                          "width": width, "acc": acc})
    frame.attrs["hparams"] = ["lr", "opt", "bn", "width"]
    result = hparam_importance(frame, "acc").set_index("hparam")
    # the same data encoded by hand: sorted category codes, bools 0/1, NaN kept
    codes = {"adam": 0.0, "rmsprop": 1.0, "sgd": 2.0}
    x = np.column_stack([lr, [codes[o] for o in opt], bn.astype(float), width])
    keep = ~np.isnan(acc)
    assert FOREST == {"n_estimators": 32, "max_depth": 10, "max_features": 0.5}
    expected = RandomForestRegressor(n_estimators=32, max_depth=10, max_features=0.5,
                                     random_state=0).fit(
        x[keep], acc[keep]).feature_importances_
    assert result.loc[["lr", "opt", "bn", "width"], "importance"].to_numpy() == pytest.approx(
        expected, abs=1e-12)
    assert result.index[0] in ("lr", "opt")
    assert result.loc["bn", "correlation"] == pytest.approx(
        np.corrcoef(bn[keep].astype(float), acc[keep])[0, 1])
    assert result.loc["opt", "correlation_kind"] == "eta"
    assert 0 < result.loc["opt", "correlation"] <= 1
    assert result.attrs["runs"] == n - 1
    np.testing.assert_array_equal(design_matrix(frame, ["opt"])[:, 0],
                                  [codes[o] for o in opt])


@pytest.mark.parametrize("runs", [300, 4 * SAMPLE])  # all runs / SAMPLE-run bootstraps
def test_importance_ranks_a_known_dependence_like_a_big_forest(runs: int) -> None:
    """The fast forest (32 trees, SAMPLE-run bootstraps) ranks the hparams that matter in the
    same order as a 300-tree forest grown on every run, for several seeds."""
    from sklearn.ensemble import RandomForestRegressor

    rng = np.random.default_rng(7)
    data = {f"noise{j}": rng.normal(size=runs) for j in range(8)}
    data.update(lr=10 ** rng.uniform(-5, -1, runs), width=rng.choice([32.0, 64.0, 128.0], runs),
                opt=rng.choice(["adam", "sgd", "rmsprop"], runs))
    metric = (-np.abs(np.log10(data["lr"]) + 3) * 3.0  # strongest: lr (an optimum)
              + np.where(data["opt"] == "adam", 2.5, 0.0)  # then the optimizer
              + np.log2(data["width"]) * 0.9  # then the width
              + rng.normal(0, 0.1, runs))
    frame = pd.DataFrame({**data, "acc": metric})
    hparams = [c for c in frame.columns if c != "acc"]
    frame.attrs["hparams"] = hparams
    reference = RandomForestRegressor(n_estimators=300, max_features=0.5, random_state=0).fit(
        design_matrix(frame, hparams), metric).feature_importances_
    top = [hparams[i] for i in np.argsort(-reference)[:3]]
    assert top == ["lr", "opt", "width"]
    for seed in range(4):
        result = hparam_importance(frame, "acc", random_state=seed)
        assert result["hparam"].head(3).tolist() == top, (seed, result.head(4))


def test_importance_on_a_real_sweep_table(logdir: Path) -> None:
    _sweep(logdir)
    df = nbviz.read(logdir, kind="hparams")
    result = hparam_importance(df, "val/acc")
    assert set(result["hparam"]) == set(df.attrs["hparams"])
    assert result.attrs["message"] == ""
    assert result["importance"].sum() == pytest.approx(1.0)


def test_bad_input_gets_a_clear_error(logdir: Path) -> None:
    _sweep(logdir)
    df = nbviz.read(logdir, kind="hparams")
    with pytest.raises(ValueError, match=r"'metric' must name a column.*'nope'.*'loss'"):
        hparam_importance(df, "nope")
    with pytest.raises(TypeError, match="'frame' must be a DataFrame"):
        hparam_importance({"a": 1}, "loss")  # type: ignore[arg-type]
    bad = df.copy()
    bad["layers"] = [[1, 2]] * len(bad)
    with pytest.raises(ValueError, match=r"hparam 'layers' must hold scalars.*list"):
        hparam_importance(bad, "loss", ["lr", "layers"])
    with pytest.raises(ValueError, match="'unknown' is not a column"):
        hparam_importance(df, "loss", ["unknown"])
    with pytest.raises(TypeError, match="metric column 'opt' must be numeric"):
        hparam_importance(df, "opt", ["lr"])
    with pytest.raises(ValueError, match="hparam_dict\\['layers'\\] must be an int, float"):
        nbviz.SummaryWriter(logdir / "w").add_hparams({"layers": [1, 2]}, {"m": 1.0})


def test_too_few_runs_says_why() -> None:
    frame = join_runs({"a": RunInput("a", {"lr": 0.1})}, MetricTable())
    frame["m"] = [1.0]
    result = hparam_importance(frame, "m", ["lr"])
    assert "at least 3 runs" in result.attrs["message"]
    assert result["importance"].isna().all()
