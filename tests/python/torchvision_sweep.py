"""Capture every torchvision classification model's graph; print one JSON line per model.

Every model is built on the ``meta`` device (shapes only: no memory for weights, no
weight init). The RegNets' constructors compute their stage widths from tensor values
(``BlockParams.from_init_params``), which a meta tensor has not: that one computation
runs on the CPU (a few small tensors), the modules still on ``meta``. Building them on
the CPU and moving them to ``meta`` instead cost 25 s of the sweep's ~100 s (12 s and
~3 GB for regnet_y_128gf's 645 M weights alone) for the same modules.

Run by test_graph_torchvision.py in a child process, so that the sweep's ~80 models and
their fx graphs do not change what later tests in the pytest process measure (the
Profile panel's memory-growth rule reads RSS).

    PYTHONPATH=.:tests/python python tests/python/torchvision_sweep.py [SHARD COUNT]
"""

from __future__ import annotations

import contextlib
import json
import sys
import warnings
from collections.abc import Iterator
from typing import Any

import torch
from torchvision_loader import torchvision_models

from nbviz.panels.graph.capture import capture_graph
from nbviz.panels.graph.hierarchy import view


@contextlib.contextmanager
def _regnet_widths_on_cpu(models: Any) -> Iterator[None]:
    """While it is entered, RegNet's width computation makes its tensors on the CPU (the
    innermost device context decides), whatever device the modules are built on."""
    params = models.regnet.BlockParams
    original = params.__dict__["from_init_params"]

    def on_cpu(cls: type, *args: Any, **kwargs: Any) -> Any:
        with torch.device("cpu"):
            return original.__func__(cls, *args, **kwargs)

    params.from_init_params = classmethod(on_cpu)
    try:
        yield
    finally:
        params.from_init_params = original


def _build(models: Any, name: str) -> tuple[torch.nn.Module, torch.Tensor]:
    size = 299 if name.startswith("inception") else 224
    with torch.device("meta"), _regnet_widths_on_cpu(models):
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


def sweep(name: str, models: Any) -> dict[str, Any]:
    """What the test checks of one model's captured graph."""
    model, x = _build(models, name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        graph = capture_graph(model, x)
    drawable = view(graph)
    covered = ({n["key"] for n in drawable["nodes"]}
               | {g["path"] for g in drawable["groups"]})
    missing = sorted(path for path in _parameterised_modules_that_run(model, x)
                     if path not in covered and path.rsplit(".", 1)[0] not in covered)
    return {"name": name, "method": graph["capture"]["method"],
            "graph_params": int(drawable["params"]),
            "model_params": int(sum(p.numel() for p in model.parameters())),
            "missing": missing}


def main(argv: list[str]) -> int:
    """``[shard count]``: sweep every ``count``-th model from the ``shard``-th (default all)."""
    shard, count = (int(argv[0]), int(argv[1])) if argv else (0, 1)
    models = torchvision_models()
    if models is None:
        print(json.dumps({"error": "torchvision is not installed"}))
        return 0
    for name in models.list_models(module=models)[shard::count]:
        try:
            result = sweep(name, models)
        except Exception as error:  # reported per model by the test
            result = {"name": name, "error": f"{type(error).__name__}: {error}"}
        print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
