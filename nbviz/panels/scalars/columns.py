"""Growable float64 columns for one series (amortised O(1) appends)."""

from __future__ import annotations

import numpy as np

__all__ = ["SeriesColumns"]

_EMPTY = np.empty((3, 0), dtype=np.float64)
_EMPTY.flags.writeable = False


class SeriesColumns:
    """step / wall_time / value columns of one series, kept in numpy buffers."""

    __slots__ = ("_data", "count")

    def __init__(self, capacity: int = 256) -> None:
        # capacity 0 shares one empty array (a panel may hold 25,000 series without
        # points): every write below replaces ``_data`` before it grows past it
        self._data = _EMPTY if capacity == 0 else np.empty((3, capacity), dtype=np.float64)
        self.count = 0

    def append(self, step: np.ndarray, wall_time: np.ndarray, value: np.ndarray) -> None:
        added = int(step.shape[0])
        needed = self.count + added
        if needed > self._data.shape[1]:
            grown = np.empty((3, max(needed, 2 * self._data.shape[1])), dtype=np.float64)
            grown[:, : self.count] = self._data[:, : self.count]
            self._data = grown
        self._data[0, self.count : needed] = step
        self._data[1, self.count : needed] = wall_time
        self._data[2, self.count : needed] = value
        self.count = needed

    def prepend(self, step: np.ndarray, wall_time: np.ndarray, value: np.ndarray) -> None:
        """Put earlier points before the held ones (a series' history, loaded late)."""
        added = int(step.shape[0])
        if not added:
            return
        grown = np.empty((3, max(256, 2 * (self.count + added))), dtype=np.float64)
        grown[0, :added] = step
        grown[1, :added] = wall_time
        grown[2, :added] = value
        grown[:, added : added + self.count] = self._data[:, : self.count]
        self._data = grown
        self.count += added

    def keep(self, indices: np.ndarray) -> None:
        """Keep only the points at ``indices`` (sorted), e.g. after decimation."""
        kept = self._data[:, indices]
        self._data = np.empty((3, max(256, 2 * kept.shape[1])), dtype=np.float64)
        self._data[:, : kept.shape[1]] = kept
        self.count = int(kept.shape[1])

    @property
    def step(self) -> np.ndarray:
        return self._data[0, : self.count]

    @property
    def wall_time(self) -> np.ndarray:
        return self._data[1, : self.count]

    @property
    def value(self) -> np.ndarray:
        return self._data[2, : self.count]

    def pack(self, start: int = 0) -> bytes:
        """Bytes of step[start:], wall_time[start:], value[start:] (float64, little-endian)."""
        return np.ascontiguousarray(self._data[:, start : self.count], dtype="<f8").tobytes()
