"""Every torchvision classification model captures into a graph that accounts for each
parameterised module its forward runs (issue 11's acceptance), with ``weights=None``.

Models are built on the ``meta`` device (shapes only: no memory for weights, no compute;
the RegNets compute their stage widths on the CPU, see torchvision_sweep.py). The sweep
runs in child processes (torchvision_sweep.py, the models shared among one per core) so its
memory does not change later tests.
``make setup`` installs torchvision 0.28.0 (see torchvision_loader).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from torchvision_loader import torchvision_models

HERE = Path(__file__).resolve().parent
models = torchvision_models()
pytestmark = pytest.mark.skipif(models is None, reason="torchvision is not installed "
                                "(make setup installs it)")
NAMES = models.list_models(module=models) if models is not None else []


@pytest.fixture(scope="module")
def sweep() -> dict[str, dict[str, Any]]:
    """Every model's result; the models are shared among one child process per core (the
    sweep is CPU-bound and the rest of the suite runs on one core)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(HERE.parents[1]), str(HERE), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    count = max(1, min(2, os.cpu_count() or 1))
    shards = [subprocess.Popen([sys.executable, str(HERE / "torchvision_sweep.py"), str(shard),
                                str(count)], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True) for shard in range(count)]
    lines = []
    try:
        for shard in shards:
            out, err = shard.communicate(timeout=1200)
            assert shard.returncode == 0, f"the sweep failed ({shard.returncode}): {err}"
            lines.extend(json.loads(line) for line in out.splitlines() if line.startswith("{"))
    finally:
        for shard in shards:
            if shard.poll() is None:
                shard.kill()
                shard.wait()
    return {line["name"]: line for line in lines if "name" in line}


def test_there_are_the_classification_models_of_torchvision_0_28() -> None:
    assert len(NAMES) >= 80
    assert {"resnet50", "vit_b_16", "convnext_tiny", "regnet_y_128gf", "swin_v2_b"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_classification_model_graph_has_every_parameterised_module(
        name: str, sweep: dict[str, dict[str, Any]]) -> None:
    result = sweep[name]
    assert "error" not in result, result
    assert result["method"] == "torch.fx", result
    assert result["graph_params"] == result["model_params"]
    assert result["missing"] == []
