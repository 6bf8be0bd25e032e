"""What ``Run.log_hparams`` records: one ``hparams`` record in the run itself (not a stray
child run as torch's ``add_hparams`` writes), so the HParams join puts the hyperparameters
on the same row as the run's curves, and ``metrics`` as that row's declared final values.

Hyperparameters are flattened with dots like ``config=`` (``{"opt": {"lr": 0.1}}`` →
``opt.lr``); each leaf must be a number, bool, string or None (left out), or a one-element
numpy array / torch tensor. Metrics are numbers (NaN allowed: "no value").

>>> run.log_hparams({"lr": 1e-3, "opt": {"name": "adam"}}, {"val/acc": 0.93})  # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from nbviz._arrays import is_tensor, to_numpy
from nbviz._recorder import Recorder
from nbviz._validate import check_tag, describe

__all__ = ["RECORD_KIND", "check_hparams", "check_metrics", "log_hparams"]

RECORD_KIND = "hparams"

HparamValue = bool | float | str


def _leaf(value: Any, name: str, where: str) -> HparamValue:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    if is_tensor(value) or isinstance(value, np.ndarray):
        array = to_numpy(value, where=where, argument=f"hparams[{name!r}]", kinds="biuf")
        if array.size == 1:
            item = array.reshape(-1)[0]
            return bool(item) if array.dtype.kind == "b" else float(item)
    raise ValueError(f"{where}: hparams[{name!r}] must be a number, bool or string, got "
                     f"{describe(value)}; pass one value (a list of choices is config, not an "
                     "hparam: turn it into a string, e.g. str(widths)).")


def check_hparams(hparams: Any, *, where: str, prefix: str = "") -> dict[str, HparamValue]:
    """``hparams`` flattened with dots, every leaf checked; None leaves are dropped.

    >>> check_hparams({"opt": {"lr": 1, "name": "sgd"}, "bn": True, "seed": None}, where="f()")
    {'opt.lr': 1.0, 'opt.name': 'sgd', 'bn': True}
    """
    if not isinstance(hparams, Mapping):
        raise TypeError(f"{where}: 'hparams' must be a dict of name -> value, got "
                        f"{describe(hparams)}.")
    out: dict[str, HparamValue] = {}
    for key, value in hparams.items():
        if not isinstance(key, str) or not key:
            raise TypeError(f"{where}: hparam names must be non-empty strings, got "
                            f"{describe(key)}.")
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(check_hparams(value, where=where, prefix=f"{name}."))
        elif value is not None:
            out[name] = _leaf(value, name, where)
    return out


def check_metrics(metrics: Any, *, where: str) -> dict[str, float]:
    """``metrics`` as ``{tag: float}`` (tags checked like ``log``'s; NaN kept).

    >>> check_metrics({"val/acc": 0.5}, where="f()")
    {'val/acc': 0.5}
    """
    if metrics is None:
        return {}
    if not isinstance(metrics, Mapping):
        raise TypeError(f"{where}: 'metrics' must be a dict of tag -> number or None, got "
                        f"{describe(metrics)}.")
    out: dict[str, float] = {}
    for tag, value in metrics.items():
        check_tag(tag, where=where, argument="metrics key")
        if isinstance(value, (bool, np.bool_, str)):
            raise TypeError(f"{where}: metrics[{tag!r}] must be a number, got {describe(value)}.")
        if isinstance(value, (int, float, np.integer, np.floating)):
            out[tag] = float(value)
            continue
        array = to_numpy(value, where=where, argument=f"metrics[{tag!r}]", kinds="iuf")
        if array.size != 1:
            raise ValueError(f"{where}: metrics[{tag!r}] must be one number, got an array of "
                             f"{array.size} values; log curves with run.log().")
        out[tag] = float(array.reshape(-1)[0])
    if any(math.isinf(v) for v in out.values()):
        bad = next(t for t, v in out.items() if math.isinf(v))
        raise ValueError(f"{where}: metrics[{bad!r}] is {out[bad]}; pass a finite number or "
                         "NaN for 'no value'.")
    return out


def log_hparams(run: Recorder, hparams: Any, metrics: Any = None,
                step: int | None = None) -> None:
    """Record ``hparams`` (and optional final ``metrics``) on ``run`` itself: one row of
    ``nbviz.read(logdir, kind="hparams")`` / ``nbviz.HParams`` with the run's curves.

    A later call replaces the earlier one's values in the join (the latest record wins).
    Nothing is written when an argument is invalid.

    >>> run.log_hparams({"lr": 0.01, "width": 64}, {"val/acc": 0.91})  # doctest: +SKIP
    """
    where = "log_hparams()"
    flat = check_hparams(hparams, where=where)
    declared = check_metrics(metrics, where=where)
    step_value = run.resolve_step(step, where=where)
    run.log_tensor(RECORD_KIND, RECORD_KIND, np.array(list(declared.values()), np.float64),
                   step_value, {"hparams": flat, "metric_names": list(declared)})
