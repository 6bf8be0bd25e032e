"""Small helpers that make boundary errors name the argument, the value and the fix."""

from __future__ import annotations

import math
import os
import re
from typing import Any

__all__ = [
    "MAX_STEP", "check_run_name", "check_step", "check_tag", "describe", "short_text",
    "visible_text",
]

MAX_STEP = 2**53  # steps are float64 on the wire and in the reader: exact up to here
MAX_NAME_PART_BYTES = 255  # a file name (one path component) on common filesystems
MAX_RUN_NAME_BYTES = 1024

# Characters that reorder or hide text (bidi overrides/isolates/marks, zero-width): shown
# as visible ⟨U+XXXX⟩ marks wherever nbviz displays a user's name, so a run or tag name
# cannot display as something it is not.
_INVISIBLE = frozenset(
    [0x061C, 0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x2060, 0xFEFF, *range(0x202A, 0x202F),
     *range(0x2066, 0x206A)]
)


def short_text(text: str, limit: int = 80) -> str:
    """``text`` cut to ``limit`` characters with "…" (for error messages and labels).

    >>> short_text("abcdef", 4)
    'abc…'
    """
    return text if len(text) <= limit else text[: limit - 1] + "…"


def visible_text(text: str, limit: int | None = None) -> str:
    """``text`` for display: bidi controls, zero-width and control characters (and lone
    surrogates) shown as ``⟨U+XXXX⟩``, cut to ``limit`` characters when given.

    >>> visible_text("abc\u202edef")
    'abc⟨U+202E⟩def'
    """
    if limit is not None:
        text = short_text(text, limit)
    if text.isprintable() and not any(ord(ch) in _INVISIBLE for ch in text):
        return text
    return "".join(
        f"⟨U+{ord(ch):04X}⟩" if (ord(ch) in _INVISIBLE or ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0
                                 or 0xD800 <= ord(ch) < 0xE000) else ch
        for ch in text
    )


def _unicode_problem(text: str) -> str | None:
    """Why ``text`` cannot be stored as UTF-8 (a lone surrogate), or None."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        return (f"contains a lone surrogate U+{ord(text[error.start]):04X} at position "
                f"{error.start}, which is not valid Unicode")
    return None


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
    if any(ord(ch) < 32 or ord(ch) == 0x7F for ch in tag):
        raise ValueError(
            f"{where}: {subject} {short_text(tag)!r} contains control characters; remove them."
            if argument else
            f"{where}: metric name {short_text(tag)!r} contains control characters; remove them."
        )
    problem = _unicode_problem(tag)
    if problem is not None:
        raise ValueError(f"{where}: metric name {short_text(tag)!r} {problem}; fix the string "
                         "(e.g. decode bytes with errors='replace').")
    return tag


def check_run_name(name: Any) -> str:
    """Validate a run name: a relative path inside the logdir (nested runs use '/').

    What the OS accepts in a directory name is accepted, as ``torch.utils.tensorboard``
    does: on POSIX a backslash is an ordinary character (``'C:\\Downloads\\exp'`` from a
    notebook written on Windows names one directory), on Windows it separates parts like
    '/'. Refused, with the reason: '.', '..' or empty parts (they would leave or alias the
    logdir), a drive (Windows) and control characters (NUL cannot be in a file name).

    >>> check_run_name("exp1/lr=0.1"), check_run_name("C:\\Downloads\\exp") == "C:\\Downloads\\exp"
    ('exp1/lr=0.1', True)
    """
    if not isinstance(name, str):
        raise TypeError(f"init(): 'name' must be a string, got {describe(name)}.")
    separators = "/\\" if "\\" in (os.sep, os.altsep) else "/"
    stripped = name.strip().strip(separators)
    if not stripped:
        raise ValueError("init(): 'name' is empty; pass a run name such as 'lr=0.1'.")
    shown = short_text(name)
    if any(ord(ch) < 32 or ord(ch) == 0x7F for ch in stripped):
        raise ValueError(f"init(): 'name' {shown!r} contains control characters, which "
                         "cannot be part of a directory name; remove them.")
    problem = _unicode_problem(stripped)
    if problem is not None:
        raise ValueError(f"init(): 'name' {shown!r} {problem}.")
    parts = re.split("[" + re.escape(separators) + "]", stripped)
    if any(part in ("", ".", "..") for part in parts):
        raise ValueError(
            f"init(): 'name' {shown!r} has a '.', '..' or empty path part, which would "
            "leave the logdir or alias another run; use a relative run name such as "
            "'exp1/lr=0.1'."
        )
    if os.path.splitdrive(stripped)[0]:  # Windows: 'C:exp' would leave the logdir
        raise ValueError(f"init(): 'name' {shown!r} starts with a drive; the run name is a "
                         "directory inside the logdir, e.g. 'exp1/lr=0.1'.")
    longest = max(len(part.encode("utf-8")) for part in parts)
    total = len(stripped.encode("utf-8"))
    if longest > MAX_NAME_PART_BYTES or total > MAX_RUN_NAME_BYTES:
        raise ValueError(
            f"init(): 'name' {shown!r} is too long ({len(stripped)} characters): each "
            f"path part becomes a directory name and must be at most "
            f"{MAX_NAME_PART_BYTES} bytes in UTF-8 (the whole name {MAX_RUN_NAME_BYTES}); "
            "put long descriptions in config= instead."
        )
    return "/".join(parts)
