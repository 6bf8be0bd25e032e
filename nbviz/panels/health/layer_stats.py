"""One layer's summary values at one step, from the statistics watch() records.

The Health panel's heat map and the Graph panel's node overlay both colour a layer
(module) by the same numbers: the gradient norm of its parameters, the size of the last
update relative to the weights, and its output's mean, spread and share of dead units.

>>> combine_layer_stats({"grads": [("fc.weight", {"norm": 3.0}), ("fc.bias", {"norm": 4.0})]})
{'grad_norm': 5.0}
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from nbviz.store.kinds import STATS
from nbviz.store.sqlite import TensorRecord

__all__ = [
    "ROOT_LAYER", "LayerSources", "combine_layer_stats", "layer_label", "stats_by_layer_step"]

# source ("grads", "updates", "weights", "activations") -> [(parameter or layer, stats)]
LayerSources = dict[str, list[tuple[str, dict[str, float]]]]

ROOT_LAYER = "<model>"  # how the model itself (module path "") is named to people


def layer_label(layer: str, param: str = "") -> str:
    """A layer (module path) and optional parameter as shown and used in tags.

    >>> layer_label("fc1", "weight"), layer_label("")
    ('fc1.weight', '<model>')
    """
    base = layer or ROOT_LAYER
    return f"{base}.{param}" if param else base


_ACTIVATION_KEYS = (("mean", "act_mean"), ("std", "act_std"), ("dead_frac", "dead_frac"))


def combine_layer_stats(by_source: LayerSources) -> dict[str, float]:
    """The layer's ``grad_norm``, ``update_ratio``, ``act_mean``, ``act_std`` and
    ``dead_frac`` (those its sources carry) from its parameters' and output's stats."""
    out: dict[str, float] = {}
    grads = by_source.get("grads", [])
    if grads:
        out["grad_norm"] = math.sqrt(sum(v.get("norm", math.nan) ** 2 for _, v in grads))
    updates = by_source.get("updates", [])
    if updates:
        weights = dict(by_source.get("weights", []))
        delta = sum(v.get("norm", math.nan) ** 2 for _, v in updates)
        base = sum(weights[p].get("norm", math.nan) ** 2 for p, _ in updates if p in weights)
        ratios = [v["ratio"] for _, v in updates if "ratio" in v]
        if base > 0:
            out["update_ratio"] = math.sqrt(delta) / math.sqrt(base)
        elif ratios:
            out["update_ratio"] = ratios[0]
    for _, values in by_source.get("activations", []):
        for name, key in _ACTIVATION_KEYS:
            if name in values:
                out[key] = values[name]
    return out


def stats_by_layer_step(records: Iterable[TensorRecord], *, unnamed_layer: str = ""
                        ) -> dict[tuple[str, int], LayerSources]:
    """Group watch()'s ``stats`` records by (layer, step), then by source; other kinds and
    records whose ``names`` do not match their values are skipped."""
    pending: dict[tuple[str, int], LayerSources] = {}
    for record in records:
        if record.kind != STATS:
            continue
        extra = record.extra
        names = extra.get("names")
        if not isinstance(names, list) or len(names) != record.array.size:
            continue
        values = dict(zip((str(n) for n in names),
                          np.asarray(record.array, np.float64).ravel().tolist(), strict=True))
        layer = str(extra.get("layer", "")) or unnamed_layer
        pending.setdefault((layer, int(record.step)), {}).setdefault(
            str(extra.get("source", "")), []).append((str(extra.get("param", "")), values))
    return pending
