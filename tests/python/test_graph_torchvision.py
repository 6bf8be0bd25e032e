"""Every torchvision classification model captures into a graph that accounts for each
parameterised module its forward runs (issue 11's acceptance), with ``weights=None``.

Models are built on the ``meta`` device (shapes only: no memory for weights, no compute),
except the RegNets, whose constructors read tensor values: those are built on the CPU and
moved to ``meta``. ``make setup`` installs torchvision 0.28.0 (see torchvision_loader).
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest
import torch
from torchvision_loader import torchvision_models

from nbviz.panels.graph.capture import capture_graph
from nbviz.panels.graph.hierarchy import view

models = torchvision_models()
pytestmark = pytest.mark.skipif(models is None, reason="torchvision is not installed "
                                "(make setup installs it)")
NAMES = models.list_models(module=models) if models is not None else []


def _build(name: str) -> tuple[torch.nn.Module, torch.Tensor]:
    assert models is not None
    size = 299 if name.startswith("inception") else 224
    if name.startswith("regnet"):  # its constructor computes widths from tensor values
        model = models.get_model(name, weights=None).to("meta")
    else:
        with torch.device("meta"):
            model = models.get_model(name, weights=None)
    return model.eval(), torch.zeros(1, 3, size, size, device="meta")


def _parameterised_modules_that_run(model: torch.nn.Module, x: torch.Tensor) -> set[str]:
    """Paths of the modules owning parameters that the eval-mode forward calls (GoogLeNet's
    and Inception's auxiliary classifiers run only in training)."""
    ran: set[str] = set()
    handles = [module.register_forward_hook(lambda m, a, o, p=path: ran.add(p))
               for path, module in model.named_modules()
               if any(True for _ in module.parameters(recurse=False))]
    try:
        with torch.no_grad():
            model(x)
    finally:
        for handle in handles:
            handle.remove()
    return ran


def _covered(drawable: dict[str, Any]) -> set[str]:
    return {n["key"] for n in drawable["nodes"]} | {g["path"] for g in drawable["groups"]}


def test_there_are_the_classification_models_of_torchvision_0_28() -> None:
    assert len(NAMES) >= 80
    assert {"resnet50", "vit_b_16", "convnext_tiny", "regnet_y_128gf", "swin_v2_b"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_classification_model_graph_has_every_parameterised_module(name: str) -> None:
    model, x = _build(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        graph = capture_graph(model, x)
    drawable = view(graph)
    assert graph["capture"]["method"] == "torch.fx", graph["capture"]
    assert drawable["params"] == sum(p.numel() for p in model.parameters())
    covered = _covered(drawable)
    missing = sorted(path for path in _parameterised_modules_that_run(model, x)
                     if path not in covered and path.rsplit(".", 1)[0] not in covered)
    assert missing == []
