"""Training-health rules: turn per-layer statistics into named findings.

numpy/pandas only (no torch). :class:`HealthMonitor` is fed the host-side
summaries of each sampled step (by ``watch``) and returns *new* findings; each
(rule, layer, parameter) is reported once, at the first step it holds.
:func:`loss_findings` applies the loss rules to logged scalars, and
:func:`run_findings` gathers everything a run knows (``Run.health()``).

Rules and their default thresholds (override with ``Thresholds(...)``, e.g.
``nbviz.watch(model, opt, health=Thresholds(dead_frac=0.6))``):

==========================  ========  ==============================================================
rule                        severity  fires when
==========================  ========  ==============================================================
``nonfinite``               error     a weight, gradient, activation or update holds NaN/Inf (first
                                      step, first layer in model order)
``nonfinite_loss``          error     a logged scalar whose tag contains "loss" is NaN/Inf
``exploding_gradients``     error     a gradient's L2 norm > ``grad_norm_max`` (1e3), or it grew
                                      ≥ ``grad_growth`` (100×) above its first observed norm and
                                      is > ``grad_growth_floor`` (1.0)
``vanishing_gradients``     warning   for ``patience`` sampled steps: a layer's RMS gradient is
                                      < ``vanish_depth_ratio`` (1e-3) of the output layer's, or
                                      ‖g‖/‖w‖ < ``vanish_grad_to_weight`` (1e-7)
``dead_units``              warning   ≥ ``dead_frac`` (40 %) of a ReLU layer's units output ≤ 0 for
                                      the whole batch, for ``patience`` sampled steps
``saturated_activations``   warning   ≥ ``saturated_frac`` (50 %) of tanh/sigmoid outputs within
                                      1 % of their bounds, for ``patience`` sampled steps
``update_ratio``            warning   ‖Δw‖/‖w‖ of a weight matrix outside [``update_ratio_low``
                                      (1e-6), ``update_ratio_high`` (0.1)] (healthy ≈ 1e-3), for
                                      ``patience`` sampled steps
``loss_divergence``         error     a loss rose above ``loss_divergence`` (100×) its minimum
``data_bound``              warning   waiting for data takes > ``data_bound_share`` (30 %) of the
                                      step (median over recent steps; nbviz.panels.profile.rules)
``memory_growth``           warning   memory rose > ``memory_growth_mb`` (64 MB) over the last 10
                                      meter samples, rising in ≥ 80 % of them (a leak)
``step_time_jump``          warning   the last 10 steps all took > ``step_jump`` (3×) the median
                                      step time before them
``host_bound``              warning   in a profiler capture the GPU idles > ``host_idle_share``
                                      (30 %) of the captured steps
==========================  ========  ==============================================================
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from nbviz._validate import describe
from nbviz.panels.health.layer_stats import layer_label as _name

if TYPE_CHECKING:
    import pandas as pd

    from nbviz.record.live import LiveRun

__all__ = [
    "COLUMNS",
    "Finding",
    "HealthMonitor",
    "Thresholds",
    "findings_frame",
    "loss_findings",
    "run_findings",
]

COLUMNS = ("step", "layer", "rule", "severity", "message", "value", "threshold")


@dataclass(frozen=True)
class Thresholds:
    """Thresholds of the health rules (see the module docstring for each rule).

    >>> Thresholds(dead_frac=0.6).dead_frac
    0.6
    """

    grad_norm_max: float = 1e3
    grad_growth: float = 1e2
    grad_growth_floor: float = 1.0
    vanish_depth_ratio: float = 1e-3
    vanish_grad_to_weight: float = 1e-7
    dead_frac: float = 0.4
    saturated_frac: float = 0.5
    update_ratio_low: float = 1e-6
    update_ratio_high: float = 1e-1
    loss_divergence: float = 1e2
    patience: int = 3
    data_bound_share: float = 0.3
    memory_growth_mb: float = 64.0
    step_jump: float = 3.0
    host_idle_share: float = 0.3

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
                math.isfinite(value) and value > 0
            ):
                raise ValueError(
                    f"Thresholds(): '{item.name}' must be a positive number, got {describe(value)}."
                )
        if not isinstance(self.patience, int):
            raise ValueError(
                f"Thresholds(): 'patience' must be a positive int, got {describe(self.patience)}."
            )
        if max(self.dead_frac, self.saturated_frac, self.data_bound_share,
               self.host_idle_share) > 1:
            raise ValueError(
                "Thresholds(): 'dead_frac', 'saturated_frac', 'data_bound_share' and "
                "'host_idle_share' are fractions in (0, 1].")
        if self.update_ratio_low >= self.update_ratio_high:
            raise ValueError(
                "Thresholds(): 'update_ratio_low' must be below 'update_ratio_high', got "
                f"{self.update_ratio_low} >= {self.update_ratio_high}."
            )

    @staticmethod
    def coerce(value: Any) -> Thresholds:
        """``None`` → defaults; a Thresholds; or a dict of overrides."""
        if value is None:
            return Thresholds()
        if isinstance(value, Thresholds):
            return value
        if isinstance(value, Mapping):
            known = {item.name for item in fields(Thresholds)}
            unknown = sorted(set(value) - known)
            if unknown:
                raise ValueError(
                    f"watch(): unknown health threshold(s) {unknown}; known: {sorted(known)}."
                )
            return Thresholds(**dict(value))
        raise TypeError(
            "watch(): 'health' must be None, a dict of thresholds or "
            f"nbviz.panels.health.rules.Thresholds, "
            f"got {describe(value)}."
        )


@dataclass(frozen=True)
class Finding:
    """One diagnosis: what rule fired, where, when, and why."""

    step: int
    layer: str
    rule: str
    severity: str  # "error" or "warning"
    message: str
    value: float
    threshold: float
    source: str = ""
    param: str = ""

    @property
    def tag(self) -> str:
        """Store tag of the finding record: ``health/<rule>/<layer>[.<param>]``."""
        return f"health/{self.rule}/{_name(self.layer, self.param)}"

    def extra(self) -> dict[str, Any]:
        """The JSON extra of the ``finding`` record (docs/store.md)."""
        return {"rule": self.rule, "severity": self.severity, "layer": self.layer,
                "param": self.param, "source": self.source, "message": self.message,
                "threshold": self.threshold}


class SummaryLike(Protocol):
    """What the monitor reads of a step summary (``nbviz.hooks.stats.Summary``)."""

    source: str
    layer: str
    param: str
    stats: dict[str, float]


def _fmt(value: float) -> str:
    if not math.isfinite(value):
        return str(value)
    return f"{value:.3g}"


@dataclass
class HealthMonitor:
    """Apply the rules step by step; report each (rule, layer, param) once.

    ``layer_order`` lists layer names input → output (model order); it decides
    which layer is "first" for NaN and which is the output layer for vanishing.

    >>> monitor = HealthMonitor(["fc1", "fc2"])
    >>> monitor.observe(0, [])
    []
    """

    layer_order: Sequence[str]
    thresholds: Thresholds = field(default_factory=Thresholds)
    _reported: set[tuple[str, str, str]] = field(default_factory=set)
    _streak: dict[tuple[str, str, str], int] = field(default_factory=dict)
    _first_grad: dict[tuple[str, str], float] = field(default_factory=dict)

    def _rank(self, layer: str) -> int:
        try:
            return list(self.layer_order).index(layer)
        except ValueError:
            return len(self.layer_order)

    def _persist(self, key: tuple[str, str, str], holds: bool) -> bool:
        """Count consecutive observations where the condition holds; True at `patience`."""
        if not holds:
            self._streak.pop(key, None)
            return False
        self._streak[key] = self._streak.get(key, 0) + 1
        return self._streak[key] >= self.thresholds.patience

    def _new(self, out: list[Finding], finding: Finding) -> None:
        key = (finding.rule, finding.layer, finding.param)
        if key in self._reported:
            return
        self._reported.add(key)
        out.append(finding)

    def observe(self, step: int, summaries: Iterable[SummaryLike]) -> list[Finding]:
        """New findings of one sampled step."""
        limits = self.thresholds
        items = sorted(summaries, key=lambda s: (self._rank(s.layer), s.param))
        out: list[Finding] = []
        # NaN/Inf: first layer (model order) per source, first step.
        for source in ("weights", "grads", "activations", "updates"):
            bad = [s for s in items if s.source == source and s.stats.get("nonfinite", 0) > 0]
            if bad:
                first = bad[0]
                count = first.stats["nonfinite"]
                self._new(out, Finding(
                    step, first.layer, "nonfinite", "error",
                    f"NaN/Inf in {source} of {_name(first.layer, first.param)} "
                    f"({int(count)} of {int(first.stats.get('num', 0))} values) at step {step}; "
                    f"{len(bad)} tensor(s) of {source} affected.",
                    float(count), 0.0, source, first.param))
        grads = [s for s in items if s.source == "grads" and s.stats.get("nonfinite", 0) == 0]
        weights = {(s.layer, s.param): s for s in items if s.source == "weights"}
        for s in grads:
            norm = s.stats.get("norm", math.nan)
            if not math.isfinite(norm):
                continue
            pair = (s.layer, s.param)
            first_norm = (self._first_grad.setdefault(pair, norm) if norm > 0
                          else self._first_grad.get(pair))
            if norm > limits.grad_norm_max:
                self._new(out, Finding(
                    step, s.layer, "exploding_gradients", "error",
                    f"gradient norm of {_name(s.layer, s.param)} is {_fmt(norm)} at step {step}, "
                    f"above {_fmt(limits.grad_norm_max)}: lower the learning rate or clip "
                    "gradients (torch.nn.utils.clip_grad_norm_).",
                    norm, limits.grad_norm_max, "grads", s.param))
            elif (first_norm is not None and first_norm > 0 and norm > limits.grad_growth_floor
                  and norm >= limits.grad_growth * first_norm):
                self._new(out, Finding(
                    step, s.layer, "exploding_gradients", "error",
                    f"gradient norm of {_name(s.layer, s.param)} grew {_fmt(norm / first_norm)}× "
                    f"(from {_fmt(first_norm)} to {_fmt(norm)}) by step {step}: lower the learning "
                    "rate or clip gradients.",
                    norm / first_norm, limits.grad_growth, "grads", s.param))
        # Vanishing: collapse toward the input, or tiny relative to the weights.
        matrices = [s for s in grads if s.stats.get("num", 0) > 1 and s.param == "weight"]
        if len(matrices) >= 2:
            def rms(s: SummaryLike) -> float:
                return s.stats["norm"] / math.sqrt(max(s.stats["num"], 1.0))
            output_rms = rms(matrices[-1])
            for s in matrices[:-1]:
                ratio = rms(s) / output_rms if output_rms > 0 else math.nan
                streak = ("vanishing_gradients", s.layer, s.param)
                vanishing = math.isfinite(ratio) and ratio < limits.vanish_depth_ratio
                if self._persist(streak, vanishing):
                    self._new(out, Finding(
                        step, s.layer, "vanishing_gradients", "warning",
                        f"gradients vanish toward the input: RMS gradient of "
                        f"{_name(s.layer, s.param)} is {_fmt(ratio)} of the output layer's "
                        f"({matrices[-1].layer}) at step {step}; use ReLU-family activations, "
                        "normalisation or residual connections, or a better initialisation.",
                        ratio, limits.vanish_depth_ratio, "grads", s.param))
        for s in grads:
            w = weights.get((s.layer, s.param))
            if w is None or s.param != "weight":
                continue
            w_norm = w.stats.get("norm", math.nan)
            ratio = s.stats["norm"] / w_norm if w_norm and math.isfinite(w_norm) else math.nan
            streak = ("vanishing_gradients/weight", s.layer, s.param)
            if self._persist(streak, math.isfinite(ratio) and ratio < limits.vanish_grad_to_weight):
                self._new(out, Finding(
                    step, s.layer, "vanishing_gradients", "warning",
                    f"gradient of {_name(s.layer, s.param)} is {_fmt(ratio)} of its weights' norm "
                    f"at step {step}: this layer has stopped learning.",
                    ratio, limits.vanish_grad_to_weight, "grads", s.param))
        for s in items:
            if s.source != "activations":
                continue
            for stat, rule, limit, advice in (
                ("dead_frac", "dead_units", limits.dead_frac,
                 "of the units of {layer} output ≤ 0 for the whole batch at step {step} (dead "
                 "ReLUs): check bias initialisation and learning rate, or use LeakyReLU/GELU."),
                ("saturated_frac", "saturated_activations", limits.saturated_frac,
                 "of the outputs of {layer} are saturated at step {step}: their gradients are "
                 "near 0; scale inputs/initialisation down or use normalisation."),
            ):
                share = s.stats.get(stat)
                if share is not None and self._persist(
                    (rule, s.layer, ""), math.isfinite(share) and share >= limit
                ):
                    message = f"{share:.0%} " + advice.format(layer=_name(s.layer), step=step)
                    self._new(out, Finding(step, s.layer, rule, "warning", message, share, limit,
                                           "activations"))
        for s in items:
            if s.source != "updates" or s.param != "weight" or "ratio" not in s.stats:
                continue
            ratio = s.stats["ratio"]
            for side, out_of_range, limit, verdict in (
                ("low", ratio < limits.update_ratio_low, limits.update_ratio_low,
                 "learning has stalled; raise the learning rate."),
                ("high", ratio > limits.update_ratio_high, limits.update_ratio_high,
                 "updates are too large; lower the learning rate."),
            ):
                holds = math.isfinite(ratio) and out_of_range
                if self._persist((f"update_ratio/{side}", s.layer, s.param), holds):
                    self._new(out, Finding(
                        step, s.layer, "update_ratio", "warning",
                        f"update ratio ‖Δw‖/‖w‖ of {_name(s.layer, s.param)} is {_fmt(ratio)} at "
                        f"step {step} (healthy ≈ 1e-3): {verdict}",
                        ratio, limit, "updates", s.param))
        return out


def loss_findings(tag: str, steps: np.ndarray, values: np.ndarray,
                  thresholds: Thresholds | None = None) -> list[Finding]:
    """Loss rules on one logged scalar series (vectorised): first NaN/Inf, first divergence.

    >>> [f.rule for f in loss_findings("loss", np.arange(3), np.array([1.0, np.nan, 2.0]))]
    ['nonfinite_loss']
    """
    limits = thresholds or Thresholds()
    steps = np.asarray(steps)
    values = np.asarray(values, np.float64)
    out: list[Finding] = []
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        i = int(bad[0])
        out.append(Finding(int(steps[i]), tag, "nonfinite_loss", "error",
                           f"'{tag}' is {values[i]} at step {int(steps[i])}: training diverged; "
                           "lower the learning rate or look for NaN in the data.",
                           float(values[i]), 0.0, "loss"))
    finite = np.where(np.isfinite(values), values, np.inf)
    running_min = np.minimum.accumulate(finite)
    positive = running_min > 0
    diverged = np.flatnonzero(positive & np.isfinite(values)
                              & (values > limits.loss_divergence * running_min))
    if diverged.size:
        i = int(diverged[0])
        out.append(Finding(int(steps[i]), tag, "loss_divergence", "error",
                           f"'{tag}' rose to {_fmt(values[i])} at step {int(steps[i])}, "
                           f"{_fmt(values[i] / running_min[i])}× its minimum "
                           f"{_fmt(running_min[i])}: "
                           "training diverges; lower the learning rate.",
                           float(values[i] / running_min[i]), limits.loss_divergence, "loss"))
    return out


def findings_frame(findings: Iterable[Finding]) -> pd.DataFrame:
    """Findings as a DataFrame with columns step, layer, rule, severity, message, value,
    threshold (sorted by step)."""
    import pandas as pd

    rows = [{"step": f.step, "layer": f.layer, "rule": f.rule, "severity": f.severity,
             "message": f.message, "value": f.value, "threshold": f.threshold} for f in findings]
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    frame["step"] = frame["step"].astype("int64")
    return frame.sort_values(["step", "severity"], kind="stable").reset_index(drop=True)


def run_findings(run: LiveRun, thresholds: Thresholds | None = None) -> pd.DataFrame:
    """Every finding of ``run``: stored ``finding`` records (written by ``watch``) plus
    the loss rules applied to its logged scalars whose tag contains "loss"."""
    from nbviz.sources import RunTail, TensorTail

    findings: list[Finding] = []
    tail = TensorTail(run.dir, run.name, frozenset({"finding"}))
    try:
        for batch in tail.poll():
            for record in batch.records:
                extra = record.extra
                findings.append(Finding(
                    step=record.step, layer=str(extra.get("layer", "")),
                    rule=str(extra.get("rule", "")), severity=str(extra.get("severity", "")),
                    message=str(extra.get("message", "")),
                    value=float(record.array.reshape(-1)[0]) if record.array.size else math.nan,
                    threshold=float(extra.get("threshold", math.nan)),
                    source=str(extra.get("source", "")), param=str(extra.get("param", ""))))
    finally:
        tail.close()
    scalars = RunTail(run.dir, run.name)
    try:
        for scalar_batch in scalars.poll():
            columns = scalar_batch.columns
            for index, tag in enumerate(columns.tags):
                if "loss" not in tag.lower():
                    continue
                rows = columns.tag_index == index
                order = np.argsort(columns.step[rows], kind="stable")
                findings.extend(loss_findings(tag, columns.step[rows][order].astype(np.int64),
                                              columns.value[rows][order], thresholds))
    finally:
        scalars.close()
    return findings_frame(findings)
