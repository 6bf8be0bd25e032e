"""TensorBoard HParams sessions whose experiment config lives in a parent directory.

TensorFlow's HParams tutorial writes ``hp.hparams_config(...)`` (the experiment: the
hyperparameters in order, their domains and the metrics) once, in the parent directory,
and each session's ``hp.hparams(...)`` in its own subdirectory. A session read on its own
knows its values but neither the metrics nor the column order; :func:`attach_experiments`
completes it from the nearest ancestor run (within the logdir read) holding an experiment.
:func:`metric_value` finds a metric's value where TensorBoard looks for it: the session's
scalar ``tag``, or for a metric with a group (``hp.Metric("epoch_accuracy",
group="validation")``, what Keras' ``hp.KerasCallback`` uses) the scalar ``tag`` of the
session's ``<group>`` subdirectory.

>>> metric_value({("s/validation", "epoch_accuracy"): 0.5}, "s", "validation/epoch_accuracy")
0.5
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from nbviz.store.sqlite import TensorRecord

__all__ = ["attach_experiments", "metric_value"]


def attach_experiments(pairs: list[tuple[str, TensorRecord]], event_runs: Mapping[str, Any]
                       ) -> list[tuple[str, TensorRecord]]:
    """``(run, hparams record)`` pairs, where a TensorBoard session without metric names
    gets them (and the experiment's hyperparameter order and discrete domains) from the
    nearest ancestor event run with an ``hparams_config`` experiment.

    >>> attach_experiments([], {})
    []
    """
    experiments: dict[str, dict[str, Any]] = {}
    for run in event_runs.values():
        experiment = run.meta.get("hparams_experiment")
        if experiment:
            experiments[os.path.realpath(run.dir)] = experiment
    if not experiments:
        return pairs
    out = []
    for name, record in pairs:
        run = event_runs.get(name)
        if record.extra.get("metric_names") or run is None:
            out.append((name, record))
            continue
        experiment = _nearest(Path(run.dir), experiments)
        out.append((name, record if experiment is None else _complete(record, experiment)))
    return out


def _nearest(run_dir: Path, experiments: Mapping[str, dict[str, Any]]) -> dict[str, Any] | None:
    directory = Path(os.path.realpath(run_dir))
    for candidate in (directory, *directory.parents):
        found = experiments.get(str(candidate))
        if found is not None:
            return found
    return None


def _complete(record: TensorRecord, experiment: Mapping[str, Any]) -> TensorRecord:
    infos = [info for info in experiment.get("hparam_infos", []) if isinstance(info, dict)]
    values = dict(record.extra.get("hparams", {}))
    ordered = {info["name"]: values[info["name"]] for info in infos if info["name"] in values}
    ordered.update({key: values[key] for key in sorted(values) if key not in ordered})
    metric_names = [str(n) for n in experiment.get("metric_names", [])]
    extra = {**record.extra, "hparams": ordered, "metric_names": metric_names}
    discrete = {info["name"]: info["domain_discrete"] for info in infos
                if "domain_discrete" in info}
    if discrete and "hparam_domain_discrete" not in extra:
        extra["hparam_domain_discrete"] = discrete
    return TensorRecord(kind=record.kind, tag=record.tag, step=record.step,
                        wall_time=record.wall_time,
                        array=np.full(len(metric_names), np.nan, dtype=np.float64),
                        extra=extra, seq=record.seq)


def metric_value(last_values: Mapping[tuple[str, str], float], run: str, name: str) -> float:
    """The last logged value of metric ``name`` for session ``run``: scalar ``name`` of the
    run, else ``<tag>`` of its subrun ``<group>`` for a metric named ``<group>/<tag>``
    (NaN when neither was logged).

    >>> metric_value({("s", "accuracy"): 0.9}, "s", "accuracy")
    0.9
    """
    value = last_values.get((run, name))
    if value is not None:
        return value
    position = name.find("/")
    while position > 0:
        value = last_values.get((f"{run}/{name[:position]}", name[position + 1:]))
        if value is not None:
            return value
        position = name.find("/", position + 1)
    return math.nan
