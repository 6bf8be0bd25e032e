"""Small helpers that make boundary errors name the argument, the value and the fix."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["MAX_STEP", "check_run_name", "check_step", "check_tag", "describe"]

MAX_STEP = 2**53  # steps are float64 on the wire and in the reader: exact up to here


def describe(value: Any, limit: int = 60) -> str:
    """Return a short, safe description of ``value`` for error messages.

    >>> describe("loss")
    "str 'loss'"
    """
    type_name = type(value).__qualname__
    module = type(value).__module__
    if module not in ("builtins", "__main__"):
        type_name = f"{module.split('.')[0]}.{type_name}"
    shape = getattr(value, "shape", None)
    if shape is not None and not isinstance(value, (int, float)):
        return f"{type_name} of shape {tuple(shape)}"
    text = repr(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f"{type_name} {text}"


def check_step(step: Any, *, where: str) -> int:
    """Validate a training step: a non-negative integer (numpy/torch integers accepted).

    >>> check_step(3, where="log()")
    3
    """
    if isinstance(step, bool):
        raise TypeError(f"{where}: 'step' must be a non-negative integer, got {describe(step)}.")
    if isinstance(step, int):
        value = step
    elif hasattr(step, "__index__") and not isinstance(step, float):
        try:
            value = step.__index__()
        except TypeError:
            raise TypeError(
                f"{where}: 'step' must be a non-negative integer, got {describe(step)}; "
                "pass an int such as step=10."
            ) from None
    elif isinstance(step, float) and math.isfinite(step) and step.is_integer():
        value = int(step)
    else:
        raise TypeError(
            f"{where}: 'step' must be a non-negative integer, got {describe(step)}; "
            "pass an int such as step=10 (or omit it to auto-increment)."
        )
    if value < 0:
        raise ValueError(
            f"{where}: 'step' must be >= 0, got {value}; steps count up from 0."
        )
    if value > MAX_STEP:
        raise ValueError(
            f"{where}: 'step' {value} is too large; steps must be <= 2**53 "
            "(they travel as float64, which holds integers exactly up to 2**53)."
        )
    return value


def check_tag(tag: Any, *, where: str, argument: str | None = None) -> str:
    """Validate a metric name / tag: a non-empty string without control characters.

    Messages name the argument (``argument="tag"``: SummaryWriter) or speak of metric
    names (``log()``).

    >>> check_tag("loss/train", where="log()")
    'loss/train'
    """
    subject = f"'{argument}'" if argument else f"metric name {tag!r}"
    if not isinstance(tag, str):
        if argument:
            raise TypeError(f"{where}: '{argument}' must be a string, got {describe(tag)}.")
        raise TypeError(
            f"{where}: metric names must be strings, got {describe(tag)}; "
            "use e.g. {'loss/train': value}."
        )
    if not tag.strip():
        raise ValueError(
            f"{where}: {subject} is empty; give each value a name such as 'loss'."
        )
    if any(ord(ch) < 32 for ch in tag):
        raise ValueError(
            f"{where}: {subject} {tag!r} contains control characters; remove them."
            if argument else f"{where}: {subject} contains control characters; remove them."
        )
    return tag


def check_run_name(name: Any) -> str:
    """Validate a run name: a relative path without '..' (nested runs use '/')."""
    if not isinstance(name, str):
        raise TypeError(f"init(): 'name' must be a string, got {describe(name)}.")
    stripped = name.strip().strip("/")
    if not stripped:
        raise ValueError("init(): 'name' is empty; pass a run name such as 'lr=0.1'.")
    parts = stripped.split("/")
    if any(part in ("", ".", "..") for part in parts) or "\\" in stripped:
        raise ValueError(
            f"init(): 'name' {name!r} must be a relative run name without '.', '..' "
            "or empty path parts; use e.g. 'exp1/lr=0.1'."
        )
    if any(ord(ch) < 32 for ch in stripped):
        raise ValueError(f"init(): 'name' {name!r} contains control characters.")
    return stripped
