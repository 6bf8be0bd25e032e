"""Run.log_hparams (nbviz/panels/hparams/record.py): the nbviz-native hparams call — one row
with the run's own curves, nested dicts flattened, declared metrics, validation."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import nbviz
from nbviz.panels.hparams.widget import HParams

torch = pytest.importorskip("torch")


def _sweep(logdir: Path) -> None:
    for lr, width in ((0.1, 32), (0.01, 64)):
        with nbviz.init(f"lr={lr}", logdir=logdir) as run:
            for step in range(4):
                run.log({"val/acc": width * step / 1000}, step=step)
            run.log_hparams({"lr": lr, "net": {"width": width, "bn": lr < 0.05},
                             "opt": "adam", "seed": None},
                            {"best/acc": torch.tensor(width / 100.0)})


def test_log_hparams_is_one_row_with_the_runs_curves(logdir: Path) -> None:
    _sweep(logdir)
    df = nbviz.read(logdir, kind="hparams")
    assert df["run"].tolist() == ["lr=0.01", "lr=0.1"]  # no stray sub-run rows
    assert df["hparams_from"].tolist() == ["lr=0.01", "lr=0.1"]
    assert df.attrs["hparams"] == ["lr", "net.width", "net.bn", "opt"]  # seed=None left out
    assert df.attrs["hparam_kinds"]["net.bn"] == "bool"
    row = df.set_index("run").loc["lr=0.01"]
    assert (row["lr"], row["net.width"], bool(row["net.bn"]), row["opt"]) == (0.01, 64, True,
                                                                             "adam")
    assert row["best/acc"] == pytest.approx(0.64)  # the declared metric
    assert row["val/acc"] == pytest.approx(64 * 3 / 1000)  # the run's own curve
    assert row["val/acc (max)"] == pytest.approx(64 * 3 / 1000)
    assert row["step"] == 3


def test_log_hparams_shows_in_the_panel_live_and_the_latest_call_wins(logdir: Path) -> None:
    run = nbviz.init("trial", logdir=logdir, config={"depth": 2})
    try:
        run.log({"loss": 1.0}, step=0)
        run.log_hparams({"lr": 0.5})
        run.log_hparams({"lr": 0.25}, {"final/loss": 0.5})
        run.flush()
        panel = HParams(run)
        try:
            frame = panel.frame
            assert frame["run"].tolist() == ["trial"]
            assert frame.loc[0, "lr"] == 0.25 and frame.loc[0, "depth"] == 2
            assert frame.loc[0, "final/loss"] == 0.5
        finally:
            panel.close()
    finally:
        run.finish()


def test_log_hparams_bad_input_names_the_argument_and_writes_nothing(logdir: Path) -> None:
    with nbviz.init("bad", logdir=logdir) as run:
        with pytest.raises(TypeError, match=r"log_hparams\(\): 'hparams' must be a dict"):
            run.log_hparams([("lr", 0.1)])  # type: ignore[arg-type]
        with pytest.raises(ValueError, match=r"hparams\['widths'\] must be a number.*list"):
            run.log_hparams({"widths": [64, 32]})
        with pytest.raises(ValueError, match=r"hparams\['w'\] must be a number"):
            run.log_hparams({"w": np.ones(3)})
        with pytest.raises(TypeError, match="hparam names must be non-empty strings"):
            run.log_hparams({3: 0.1})  # type: ignore[dict-item]
        with pytest.raises(TypeError, match=r"'metrics' must be a dict"):
            run.log_hparams({"lr": 0.1}, metrics=0.9)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match=r"metrics\['acc'\] must be a number, got"):
            run.log_hparams({"lr": 0.1}, {"acc": "high"})
        with pytest.raises(ValueError, match=r"metrics\['acc'\] must be one number"):
            run.log_hparams({"lr": 0.1}, {"acc": torch.ones(2)})
        with pytest.raises(ValueError, match=r"metrics\['acc'\] is inf"):
            run.log_hparams({"lr": 0.1}, {"acc": math.inf})
        run.log_hparams({"lr": torch.tensor(0.1), "bn": np.bool_(True)}, {"acc": math.nan})
    df = nbviz.read(logdir, kind="hparams")
    assert df["run"].tolist() == ["bad"]
    assert df.loc[0, "lr"] == pytest.approx(0.1) and bool(df.loc[0, "bn"])
    assert "acc" not in df.columns or math.isnan(df.loc[0, "acc"])
