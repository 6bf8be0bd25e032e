"""Checks that keep one bad value from poisoning a run.

``log_tensor`` validates every record when it is logged (``check_tensor_record``),
so a flush cannot fail on content. Should a batch still be refused for its
content, the flusher finds the offending rows with ``scalar_row_problem`` /
``tensor_record_problem``, reports and drops only those, and stores the rest.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

from nbviz._validate import MAX_STEP, check_step, check_tag, describe, short_text
from nbviz.store.sqlite import TensorRecord, storable_dtype

__all__ = ["check_tensor_record", "scalar_row_problem", "tensor_record_problem"]


def check_tensor_record(kind: Any, tag: Any, array: Any, step: Any, extra: Any
                        ) -> tuple[str, str, np.ndarray, int, dict[str, Any]]:
    """Validate a ``log_tensor`` call; returns (kind, tag, array, step, extra) ready to queue.

    >>> check_tensor_record("text", "notes", np.zeros(3, np.uint8), 0, None)[3]
    0
    """
    where = "log_tensor()"
    if not isinstance(kind, str) or not kind.isidentifier():
        raise ValueError(f"{where}: 'kind' must be a record kind name such as 'histogram' "
                         f"(see docs/store.md), got {describe(kind)}.")
    check_tag(tag, where=f"{where} ({kind})")
    step_value = check_step(step, where=where)
    if not isinstance(array, np.ndarray):
        raise TypeError(f"{where}: 'array' must be a numpy array, got {describe(array)}.")
    if not storable_dtype(array.dtype):
        raise TypeError(f"{where}: 'array' of tag {short_text(tag)!r} has dtype {array.dtype}, "
                        "which the store cannot hold; use a numeric or bool dtype (text: "
                        "UTF-8 bytes as uint8).")
    if extra is None:
        extra = {}
    if not isinstance(extra, dict):
        raise TypeError(f"{where}: 'extra' must be a dict, got {describe(extra)}.")
    try:
        json.dumps(extra, allow_nan=True)
    except (TypeError, ValueError, RecursionError) as error:
        raise TypeError(f"{where}: 'extra' of tag {short_text(tag)!r} must hold JSON values "
                        f"(numbers, strings, lists, dicts): {error}.") from None
    return kind, tag, np.ascontiguousarray(array), step_value, dict(extra)


def _text_problem(name: str, text: Any) -> str | None:
    if not isinstance(text, str):
        return f"{name} is {describe(text)}, not a string"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        return f"{name} {short_text(text)!r} is not valid Unicode ({error.reason})"
    return None


def scalar_row_problem(row: tuple[Any, ...]) -> str | None:
    """Why a pending scalar row (tag, step, wall_time, value) cannot be stored, or None."""
    tag, step, wall, value = row
    problem = _text_problem("tag", tag)
    if problem is None and not (isinstance(step, int) and 0 <= step <= MAX_STEP):
        problem = f"tag {short_text(tag)!r}: step {describe(step)} is not in 0..2**53"
    if problem is None:
        try:
            float(value)
            if not math.isfinite(float(wall)):
                problem = f"tag {short_text(tag)!r}: wall time {describe(wall)} is not finite"
        except (TypeError, ValueError, OverflowError) as error:
            problem = f"tag {short_text(tag)!r}: value {describe(value)} ({error})"
    return problem


def tensor_record_problem(record: TensorRecord) -> str | None:
    """Why a pending tensor record cannot be stored, or None."""
    problem = _text_problem("tag", record.tag) or _text_problem("kind", record.kind)
    if problem is None and not storable_dtype(record.array.dtype):
        problem = f"tag {short_text(record.tag)!r}: array dtype {record.array.dtype}"
    if problem is None and not (isinstance(record.step, int) and 0 <= record.step <= MAX_STEP):
        problem = f"tag {short_text(record.tag)!r}: step {describe(record.step)}"
    if problem is None:
        try:
            json.dumps(record.extra, allow_nan=True)
        except (TypeError, ValueError, RecursionError) as error:
            problem = f"tag {short_text(record.tag)!r}: extra is not JSON ({error})"
    return problem
