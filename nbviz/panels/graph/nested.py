"""Nested model inputs and outputs: tensors inside tuples, lists, dicts and dataclasses,
and how a model is called with the ``inputs`` a user passed.

>>> [path for path, _ in flatten_tensors({"a": (t1, [t2])})]  # doctest: +SKIP
['a.0', 'a.1.0']
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any

from nbviz._validate import describe

__all__ = ["arguments", "flatten_tensors", "tensor_info"]

_MAX_DEPTH = 32


def _is_tensor(value: Any) -> bool:
    import torch

    return isinstance(value, torch.Tensor)


def flatten_tensors(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """``(path, tensor)`` for every tensor in ``value`` (tuple / list / dict / dataclass,
    nested), in order; paths like ``"0.logits"``.

    >>> flatten_tensors((torch.zeros(2), {"b": torch.ones(1)}))  # doctest: +SKIP
    [('0', tensor([0., 0.])), ('1.b', tensor([1.]))]
    """
    out: list[tuple[str, Any]] = []
    seen: set[int] = set()

    def visit(item: Any, path: str, depth: int) -> None:
        if depth > _MAX_DEPTH or id(item) in seen:
            return
        if _is_tensor(item):
            out.append((path, item))
            return
        if isinstance(item, (str, bytes, int, float, bool)) or item is None:
            return
        seen.add(id(item))

        def join(key: Any) -> str:
            return f"{path}.{key}" if path else str(key)

        if isinstance(item, dict):
            for key, child in item.items():
                visit(child, join(key), depth + 1)
        elif isinstance(item, (tuple, list)):
            for index, child in enumerate(item):
                visit(child, join(index), depth + 1)
        elif dataclasses.is_dataclass(item) and not isinstance(item, type):
            for field in dataclasses.fields(item):
                visit(getattr(item, field.name, None), join(field.name), depth + 1)
        elif hasattr(item, "keys") and hasattr(item, "__getitem__"):  # ModelOutput & co.
            try:
                for key in list(item.keys()):
                    visit(item[key], join(key), depth + 1)
            except Exception:  # an odd mapping: its tensors are not data flow we can see
                return

    visit(value, prefix, 0)
    return out


def tensor_info(tensor: Any, path: str) -> dict[str, Any]:
    """Shape and dtype of one tensor (plus its path inside a nested output when set)."""
    info: dict[str, Any] = {"shape": [int(d) for d in tensor.shape],
                            "dtype": str(tensor.dtype).replace("torch.", "")}
    if path:
        info["path"] = path
    return info


def _forward_parameters(model: Any) -> tuple[list[str], bool]:
    try:
        signature = inspect.signature(model.forward)
    except (TypeError, ValueError):
        return [], True
    names = [p.name for p in signature.parameters.values()
             if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    var_kw = any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values())
    return names, var_kw


def arguments(model: Any, inputs: Any, *, where: str, name: str = "inputs"
              ) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """``(args, kwargs)`` to call ``model`` with, from a user's ``inputs``; raises
    ``TypeError`` naming the inputs argument (``name``) when they do not fit ``model.forward``.

    >>> arguments(torch.nn.Linear(2, 2), torch.zeros(1, 2), where="f()")  # doctest: +SKIP
    ((tensor([[0., 0.]]),), {})
    """
    if inputs is None:
        raise TypeError(f"{where}: '{name}' is None; pass example inputs for the model's "
                        f"forward, e.g. a tensor of one batch.")
    args: tuple[Any, ...]
    kwargs: dict[str, Any] = {}
    if isinstance(inputs, (tuple, list)):
        args = tuple(inputs)
    elif isinstance(inputs, dict) and all(isinstance(k, str) for k in inputs):
        names, var_kw = _forward_parameters(model)
        if inputs and (set(inputs) <= set(names) or (var_kw and len(names) <= 1)):
            args, kwargs = (), dict(inputs)
        else:
            args = (inputs,)
    else:
        args = (inputs,)
    if not flatten_tensors((args, kwargs)):
        raise TypeError(f"{where}: '{name}' holds no tensor (got {describe(inputs)}); pass a "
                        f"tensor, a tuple/list/dict of tensors or a dataclass holding tensors.")
    try:
        inspect.signature(model.forward).bind(*args, **kwargs)
    except TypeError as error:
        raise TypeError(f"{where}: '{name}' do not match {type(model).__name__}.forward"
                        f"{inspect.signature(model.forward)}: {error}. Pass a tuple for several "
                        f"positional arguments or a dict of keyword arguments.") from None
    except ValueError:  # no signature (a builtin forward): let the call decide
        pass
    return args, kwargs


def named_inputs(model: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
                 ) -> list[tuple[str, Any]]:
    """``(name, tensor)`` of the call's input tensors, named by ``forward``'s parameters
    (``"x"``, ``"batch.mask"``), or by position when the signature is unknown."""
    try:
        bound = inspect.signature(model.forward).bind(*args, **kwargs)
    except (TypeError, ValueError):
        return [(f"input.{path}", t) for path, t in flatten_tensors((args, kwargs))]
    out: list[tuple[str, Any]] = []
    for name, value in bound.arguments.items():
        out.extend(flatten_tensors(value, name))
    return out
