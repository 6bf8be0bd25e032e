"""The module table of a model: every module's type, own parameter count and, for
leaf modules, their hyperparameters (kernel size, stride …) as JSON values.

>>> module_table(torch.nn.Conv2d(3, 8, 3))[""]["attrs"]["kernel_size"]  # doctest: +SKIP
[3, 3]
"""

from __future__ import annotations

from typing import Any

__all__ = ["HYPERPARAMETERS", "module_table"]

HYPERPARAMETERS = (
    "in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups",
    "in_features", "out_features", "num_features", "eps", "momentum", "affine", "p",
    "num_heads", "embed_dim", "normalized_shape", "num_embeddings", "embedding_dim",
    "padding_idx", "input_size", "hidden_size", "num_layers", "bidirectional", "batch_first",
    "negative_slope", "dim", "output_size", "scale_factor", "mode", "approximate", "inplace",
    "d_model", "nhead", "dim_feedforward", "num_groups", "start_dim", "end_dim", "ceil_mode",
)


def _json_value(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else str(value)
    if isinstance(value, (tuple, list)) and all(isinstance(v, (int, float)) for v in value):
        return [_json_value(v) for v in value]
    return None


def module_table(model: Any) -> dict[str, dict[str, Any]]:
    """Module path (``""`` for the model) → ``{"type", "params", "attrs"}``; ``params``
    counts the module's own parameters (not its children's)."""
    table: dict[str, dict[str, Any]] = {}
    for path, module in model.named_modules():
        params = int(sum(p.numel() for p in module.parameters(recurse=False)))
        attrs: dict[str, Any] = {}
        if next(module.children(), None) is None or params:
            for key in HYPERPARAMETERS:
                if hasattr(module, key):
                    value = _json_value(getattr(module, key, None))
                    if value is not None:
                        attrs[key] = value
            if getattr(module, "bias", None) is not None and "bias" not in attrs:
                attrs["bias"] = True
        table[path] = {"type": type(module).__name__, "params": params, "attrs": attrs}
    return table
