"""Capture every torchvision classification model's graph; print one JSON line per model.

Run by test_graph_torchvision.py in a child process: building the largest RegNets on the
CPU allocates up to ~3 GB, and the allocator's memory (and its raised mmap threshold)
must not change what later tests in the pytest process measure (the Profile panel's
memory-growth rule reads RSS).

    PYTHONPATH=.:tests/python python tests/python/torchvision_sweep.py
"""

from __future__ import annotations

import json
import sys
import warnings
from typing import Any

import torch
from torchvision_loader import torchvision_models

from nbviz.panels.graph.capture import capture_graph
from nbviz.panels.graph.hierarchy import view


def _build(models: Any, name: str) -> tuple[torch.nn.Module, torch.Tensor]:
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


def main() -> int:
    models = torchvision_models()
    if models is None:
        print(json.dumps({"error": "torchvision is not installed"}))
        return 0
    for name in models.list_models(module=models):
        try:
            result = sweep(name, models)
        except Exception as error:  # reported per model by the test
            result = {"name": name, "error": f"{type(error).__name__}: {error}"}
        print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
