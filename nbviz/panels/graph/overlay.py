"""The live overlay of the Graph panel: the latest training statistic of each module
(from the ``stats`` records ``nbviz.watch`` writes) and its health findings.

>>> state = OverlayState()
>>> state.ingest([])  # TensorRecord list from a source
False
>>> state.buffer(["fc"]).size
5
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nbviz.panels.health.layer_stats import combine_layer_stats, stats_by_layer_step
from nbviz.store.kinds import FINDING
from nbviz.store.sqlite import TensorRecord

__all__ = ["OVERLAY_STATISTICS", "OverlayState"]

# what a node can be coloured by, in the order of the overlay buffer's rows
OVERLAY_STATISTICS = ("grad_norm", "update_ratio", "act_mean", "act_std", "dead_frac")


class OverlayState:
    """Latest value per (module, statistic) and the findings per module."""

    def __init__(self) -> None:
        self.values: dict[str, dict[str, float]] = {}
        self.steps: dict[str, int] = {}
        self.findings: dict[tuple[str, str], dict[str, Any]] = {}
        self.step = -1
        self.run = ""

    def ingest(self, records: list[TensorRecord], run: str = "") -> bool:
        """Take in ``stats`` / ``finding`` records; True when something changed."""
        if run and not self.run:
            self.run = run
        if run and run != self.run:
            return False
        changed = False
        for record in records:
            if record.kind != FINDING:
                continue
            extra = record.extra
            layer = str(extra.get("layer", ""))
            key = (layer, str(extra.get("rule", "")))
            self.findings[key] = {"layer": layer, "rule": key[1], "step": int(record.step),
                                  "severity": str(extra.get("severity", "")),
                                  "message": str(extra.get("message", ""))}
            changed = True
        pending = stats_by_layer_step(records)
        for (layer, step), by_source in pending.items():
            if step < self.steps.get(layer, -1):
                continue
            combined = combine_layer_stats(by_source)
            if combined:
                merged = self.values.get(layer, {}) if step == self.steps.get(layer) else {}
                self.values[layer] = {**merged, **combined}
                self.steps[layer] = step
                self.step = max(self.step, step)
                changed = True
        return changed

    def keys(self) -> list[str]:
        """Modules with values or findings, in first-seen order."""
        return list(dict.fromkeys([*self.values, *(k[0] for k in self.findings)]))

    def buffer(self, keys: list[str]) -> np.ndarray:
        """float64 ``[len(OVERLAY_STATISTICS), len(keys)]`` (NaN where unknown), flattened."""
        matrix = np.full((len(OVERLAY_STATISTICS), len(keys)), np.nan)
        for column, key in enumerate(keys):
            for row, name in enumerate(OVERLAY_STATISTICS):
                value = self.values.get(key, {}).get(name)
                if value is not None:
                    matrix[row, column] = value
        return matrix.ravel()

    def finding_list(self) -> list[dict[str, Any]]:
        return sorted(self.findings.values(), key=lambda f: (f["layer"], f["rule"]))
