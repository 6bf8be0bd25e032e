"""What a panel's recorder needs of a run (``nbviz.Run`` provides it), as a Protocol:
``nbviz/panels/<kind>/record.py`` writes through it without importing
:mod:`nbviz.record.run`, which imports the recorders (its one-line delegates)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import numpy as np

__all__ = ["Recorder"]


class Recorder(Protocol):
    """A run that takes tensor records (``nbviz.Run``)."""

    @property
    def name(self) -> str: ...

    @property
    def finished(self) -> bool: ...

    def resolve_step(self, step: Any, *, where: str) -> int: ...

    def log_tensor(
        self, kind: str, tag: str, array: np.ndarray, step: int,
        extra: Mapping[str, Any] | None = None, *, wall_time: float | None = None,
    ) -> None: ...
