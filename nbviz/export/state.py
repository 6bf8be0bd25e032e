"""A widget's snapshot: its synced traits (binary buffers included) as plain JSON.

A snapshot is what the panel's own JS bundle needs to render offline: the panel's
synced traits (not anywidget's bookkeeping ones: ``_esm``, ``_model_*`` …), made
complete first (``sync``) and shaped by the panel where it must be (the
``_snapshot_state(max_points)`` hook of ``LivePanel``, e.g. Scalars decimates each
series to ``max_points`` with the live min/max decimation). Each bytes value is moved
out of the JSON into a list of buffers and replaced by ``{"$nbviz_buffer": <index>}``;
the page decodes it back into a ``DataView``, what anywidget hands a panel for a
``Bytes`` trait.

>>> buffers: list[bytes] = []
>>> encode_value({"snapshot": b"\\x00\\x01", "n": 2}, buffers), buffers
({'snapshot': {'$nbviz_buffer': 0}, 'n': 2}, [b'\\x00\\x01'])
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import anywidget

from nbviz._validate import describe

__all__ = ["BUFFER_KEY", "encode_value", "synced_state"]

BUFFER_KEY = "$nbviz_buffer"

# anywidget / ipywidgets bookkeeping traits (public ones; the private ``_esm``, ``_model_*``
# … are left out by name): the page's stand-in model does not need them.
_BASE_TRAITS = frozenset(anywidget.AnyWidget.class_trait_names(sync=True))


def encode_value(value: Any, buffers: list[bytes]) -> Any:
    """``value`` made JSON-ready: every bytes-like leaf appended to ``buffers`` and
    replaced by ``{"$nbviz_buffer": <its index>}``.

    Non-finite floats become None (JSON has no NaN); tuples become lists.

    >>> encode_value([1.5, float("nan"), (b"a",)], [])
    [1.5, None, [{'$nbviz_buffer': 0}]]
    """
    if isinstance(value, (bytes, bytearray, memoryview)):
        buffers.append(bytes(value))
        return {BUFFER_KEY: len(buffers) - 1}
    if isinstance(value, Mapping):
        return {str(key): encode_value(item, buffers) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode_value(item, buffers) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"snapshot: a synced trait holds {describe(value)}, which cannot be "
                    "written into a static page; sync only JSON values and bytes.")


def synced_state(widget: anywidget.AnyWidget) -> dict[str, Any]:
    """The widget's own synced traits (anywidget's bookkeeping left out), as they are now.

    >>> synced_state(nbviz.Scalars("runs"))["smoothing"]   # doctest: +SKIP
    0.6
    """
    if not isinstance(widget, anywidget.AnyWidget):
        raise TypeError(f"synced_state(): 'widget' must be an anywidget widget, got "
                        f"{describe(widget)}.")
    names = [name for name in widget.trait_names(sync=True)
             if not name.startswith("_") and name not in _BASE_TRAITS]
    state = widget.get_state(names)
    return {name: state[name] for name in names}
