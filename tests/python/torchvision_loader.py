"""Import torchvision's models beside this project's CPU torch.

The registry's torchvision 0.28.0 (the release paired with torch 2.13.0) is a CUDA build:
its ``_C.so`` links ``libtorch_cuda.so``, which the CPU torch wheel lacks, so its custom ops
(nms, roi_align …) cannot load. The models are plain ``torch.nn`` code and do not need
them, but ``torchvision._meta_registrations`` registers fake kernels for ``torchvision::nms``
and ``torchvision::qnms`` at import, which fails when those ops were never defined. When —
and only when — the extension cannot load, this defines the two op schemas (no kernels)
so the import succeeds; on a machine where ``_C.so`` loads, nothing is changed.

``make setup`` installs it into ``.venv/torchvision-0.28``, outside site-packages, so that
other libraries (transformers imports torchvision when it finds it) never meet it; only
the tests that ask for it here put it on ``sys.path``.
"""

from __future__ import annotations

import ctypes
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import torch

_SCHEMAS = ("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
            "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
_library: torch.library.Library | None = None
TARGET = Path(sys.prefix) / "torchvision-0.28"  # make setup: pip install --target


def _extension_loads(package_dir: Path) -> bool:
    for candidate in package_dir.glob("_C*.so"):
        try:
            ctypes.CDLL(str(candidate))
        except OSError:
            return False
        return True
    return False


def torchvision_models() -> ModuleType | None:
    """``torchvision.models``, or None when torchvision is not installed."""
    global _library
    if TARGET.is_dir() and str(TARGET) not in sys.path:
        sys.path.append(str(TARGET))
    spec = importlib.util.find_spec("torchvision")
    if spec is None or spec.origin is None:
        return None
    if _library is None and not _extension_loads(Path(spec.origin).parent):
        _library = torch.library.Library("torchvision", "DEF")
        for schema in _SCHEMAS:
            _library.define(schema)
    import torchvision.models

    return torchvision.models
