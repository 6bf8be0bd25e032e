"""Decode the Scalars wire format (docs/wire.md) in tests."""

from __future__ import annotations

from typing import Any

import numpy as np


def decode(
    series: list[dict[str, Any]], payload: bytes | memoryview
) -> dict[tuple[str, str], np.ndarray]:
    """Map (run, tag) -> array of shape (3, count): step, wall_time, value."""
    data = np.frombuffer(bytes(payload), dtype="<f8")
    out: dict[tuple[str, str], np.ndarray] = {}
    offset = 0
    for info in series:
        count = int(info["count"])
        out[(info["run"], info["tag"])] = data[offset : offset + 3 * count].reshape(3, count)
        offset += 3 * count
    assert offset == data.size, "buffer longer than the series announce"
    return out
