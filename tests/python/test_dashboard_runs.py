"""The Dashboard's run selector data: every run with the config values it can be grouped by."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import nbviz
from nbviz.widgets.dashboard import Dashboard, selector_config

pytestmark = pytest.mark.usefixtures("built_js")


def test_runs_carry_their_config_for_grouping(logdir: Path) -> None:
    for lr, name in ((0.1, "fast"), (0.001, "slow")):
        with nbviz.init(name, logdir=logdir,
                        config={"lr": lr, "model": {"depth": 4, "act": "relu"},
                                "layers": [1, 2]}) as run:
            run.log({"loss": 1.0}, step=0)
    with nbviz.init("plain", logdir=logdir) as run:
        run.log({"loss": 2.0}, step=0)
    dashboard = Dashboard(logdir)
    try:
        configs = {r["name"]: r["config"] for r in dashboard.runs}
        assert configs["fast"] == {"lr": 0.1, "model.depth": 4, "model.act": "relu"}
        assert configs["slow"]["lr"] == 0.001
        assert configs["plain"] == {}
    finally:
        dashboard.close()


def test_selector_config_keeps_json_safe_scalars_only() -> None:
    config = {"lr": math.inf, "name": "x" * 500, "ok": True, "none": None, 3: "int key",
              "nested": {"deeper": {"k": 1}}, "obj": object()}
    assert selector_config(config) == {"lr": "inf", "name": "x" * 200, "ok": True,
                                       "none": None, "nested.deeper.k": 1}
    assert selector_config(["not", "a", "dict"]) == {}
    assert len(selector_config({f"k{i}": i for i in range(100)})) == 40
