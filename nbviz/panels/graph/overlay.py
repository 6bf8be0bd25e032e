"""The live overlay of the Graph panel: the latest training statistic of each module
(from the ``stats`` records ``nbviz.watch`` writes) and its health findings.

>>> state = OverlayState()
>>> state.ingest([])  # TensorRecord list from a source
False
>>> state.buffer(["fc"]).size
5
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nbviz.store.kinds import FINDING, STATS
from nbviz.store.sqlite import TensorRecord

__all__ = ["OVERLAY_STATISTICS", "OverlayState"]

# what a node can be coloured by, in the order of the overlay buffer's rows
OVERLAY_STATISTICS = ("grad_norm", "update_ratio", "act_mean", "act_std", "dead_frac")


def _combine(by_source: dict[str, list[tuple[str, dict[str, float]]]]) -> dict[str, float]:
    """One module's overlay values at one step from its parameters' / output's stats."""
    out: dict[str, float] = {}
    grads = by_source.get("grads", [])
    if grads:
        out["grad_norm"] = math.sqrt(sum(v.get("norm", math.nan) ** 2 for _, v in grads))
    updates = by_source.get("updates", [])
    if updates:
        weights = {p: v for p, v in by_source.get("weights", [])}
        delta = sum(v.get("norm", math.nan) ** 2 for _, v in updates)
        base = sum(weights[p].get("norm", math.nan) ** 2 for p, _ in updates if p in weights)
        ratios = [v["ratio"] for _, v in updates if "ratio" in v]
        if base > 0:
            out["update_ratio"] = math.sqrt(delta) / math.sqrt(base)
        elif ratios:
            out["update_ratio"] = ratios[0]
    for _, values in by_source.get("activations", []):
        for name, key in (("mean", "act_mean"), ("std", "act_std"), ("dead_frac", "dead_frac")):
            if name in values:
                out[key] = values[name]
    return out


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
        pending: dict[tuple[str, int], dict[str, list[tuple[str, dict[str, float]]]]] = {}
        changed = False
        for record in records:
            extra = record.extra
            if record.kind == FINDING:
                layer = str(extra.get("layer", ""))
                key = (layer, str(extra.get("rule", "")))
                self.findings[key] = {"layer": layer, "rule": key[1], "step": int(record.step),
                                      "severity": str(extra.get("severity", "")),
                                      "message": str(extra.get("message", ""))}
                changed = True
                continue
            if record.kind != STATS:
                continue
            names = extra.get("names")
            if not isinstance(names, list) or len(names) != record.array.size:
                continue
            values = dict(zip((str(n) for n in names),
                              np.asarray(record.array, np.float64).tolist(), strict=True))
            layer = str(extra.get("layer", ""))
            pending.setdefault((layer, int(record.step)), {}).setdefault(
                str(extra.get("source", "")), []).append((str(extra.get("param", "")), values))
        for (layer, step), by_source in pending.items():
            if step < self.steps.get(layer, -1):
                continue
            combined = _combine(by_source)
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
