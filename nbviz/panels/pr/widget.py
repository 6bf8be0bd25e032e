"""The PR curves panel: live precision–recall (and ROC) curves per tag, step by step.

Wire contract: docs/wire.md ("PR curves"). Python ``PRCurves`` ↔ ``js/src/panels/pr/``.
The kernel follows ``pr_curve`` records (``Run.log_pr``, the SummaryWriter's
``add_pr_curve`` / ``add_pr_curve_raw``, imported TensorBoard logs) through a
source, keeps at most ``max_steps`` steps per (run, tag), and sends the page a
full *snapshot* (synced traits) or an *append* custom message with only the new
curves, at most one message per ticker interval (50 ms). Each curve is a
``[6, T]`` float64 block (T ≤ ``MAX_WIRE_THRESHOLDS``); everything else — step
slider, overlays, hover readout, ROC view, confusion matrix — happens in the page.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import traitlets

from nbviz._validate import describe
from nbviz.sources import RunTensors, Source, as_source
from nbviz.store.kinds import PR_CURVE
from nbviz.widgets._base import StreamingPanel
from nbviz.widgets._palette import color_for, run_color
from nbviz.widgets._picture import chart_grid, empty_chart, png_bytes

__all__ = ["MAX_WIRE_THRESHOLDS", "PRCurves"]

KIND = PR_CURVE
MAX_WIRE_THRESHOLDS = 4097  # columns per curve on the wire; wider records are subsampled
MAX_PICTURE_CHARTS = 9
METRIC_KEYS = ("ap", "auc", "best_f1", "best_f1_threshold")


def _finite_or_none(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


@dataclass
class _Curve:
    id: int
    run: str
    tag: str
    series: str  # "" (binary), a class name, "micro" or "macro"
    kind: str  # "binary" | "class" | "micro" | "macro"
    class_index: int
    step: int
    wall_time: float
    data: np.ndarray  # float64 [6, T], C-contiguous
    metrics: dict[str, float | None]
    exact: bool | None
    color: int
    sent: bool = False

    def info(self) -> dict[str, Any]:
        return {
            "id": self.id, "run": self.run, "tag": self.tag, "series": self.series,
            "kind": self.kind, "class_index": self.class_index, "step": self.step,
            "wall_time": self.wall_time, "num_thresholds": int(self.data.shape[1]),
            "color": self.color, **self.metrics, "exact": self.exact,
        }

    def picture_metric(self, name: str) -> float | None:
        """Stored metric, else computed from the binned curve (records of the TB facade)."""
        value = self.metrics.get(name)
        if value is not None:
            return value
        from nbviz.panels.pr.compute import binned_average_precision, binned_roc_auc

        computed = (binned_average_precision(self.data) if name == "ap"
                    else binned_roc_auc(self.data))
        return None if math.isnan(computed) else computed


@dataclass
class _RunTag:
    steps: set[int] = field(default_factory=set)


class PRCurves(StreamingPanel):
    """Live precision–recall and ROC curves for a logdir, a run, or a list of them.

    One chart per tag; for multiclass tags one curve per class plus micro / macro
    averages (with a class filter). A step slider (with play), step overlays
    (newer steps darker), runs overlaid, hover readout of threshold / precision /
    recall / TP FP TN FN, AP (or AUC) in the legend, the no-skill baseline and
    iso-F1 contours, a ROC view and a confusion matrix at the hovered or pinned
    threshold.

    >>> run.log_pr("val/pr", labels, probs, step=epoch)   # doctest: +SKIP
    >>> display(nbviz.PRCurves(run))                      # doctest: +SKIP

    ``max_steps`` bounds the steps kept per (run, tag): beyond it every other
    older step is dropped (the first and the latest are always kept).
    """

    curves = traitlets.List(traitlets.Dict()).tag(sync=True)
    view = traitlets.Enum(("pr", "roc"), default_value="pr").tag(sync=True)
    overlay_steps = traitlets.Bool(False).tag(sync=True)
    tag_filter = traitlets.Unicode("").tag(sync=True)
    hidden_runs = traitlets.List(traitlets.Unicode()).tag(sync=True)
    hidden_series = traitlets.List(traitlets.Unicode()).tag(sync=True)
    max_steps = traitlets.Int(100).tag(sync=True)

    _bundle = "pr"

    def __init__(
        self,
        source: Any,
        *,
        view: str = "pr",
        overlay_steps: bool = False,
        tag_filter: str = "",
        hidden_series: list[str] | tuple[str, ...] = (),
        max_steps: int = 100,
        title: str = "",
    ) -> None:
        if view not in ("pr", "roc"):
            raise ValueError(f"PRCurves(): 'view' must be 'pr' or 'roc', got {describe(view)}.")
        if not isinstance(max_steps, int) or isinstance(max_steps, bool) or max_steps < 2:
            raise ValueError(
                f"PRCurves(): 'max_steps' must be an int >= 2, got {describe(max_steps)}."
            )
        if not isinstance(overlay_steps, bool):
            raise TypeError(
                f"PRCurves(): 'overlay_steps' must be True or False, got {describe(overlay_steps)}."
            )
        if not isinstance(tag_filter, str) or not isinstance(title, str):
            raise TypeError("PRCurves(): 'tag_filter' and 'title' must be strings.")
        if isinstance(hidden_series, str) or not all(isinstance(s, str) for s in hidden_series):
            raise TypeError(
                f"PRCurves(): 'hidden_series' must be a list of class names (strings), got "
                f"{describe(hidden_series)}."
            )
        self._source: Source = as_source(source, kinds=frozenset({KIND}))
        self._curves: dict[tuple[str, str, str, int], _Curve] = {}
        self._run_tags: dict[tuple[str, str], _RunTag] = {}
        self._run_colors: dict[str, int] = {}
        self._series_colors: dict[tuple[str, str], int] = {}
        self._next_id = 0
        self.skipped_records = 0
        super().__init__(view=view, overlay_steps=overlay_steps, tag_filter=tag_filter,
                         hidden_series=list(hidden_series), max_steps=max_steps, title=title)

    # -- data in ---------------------------------------------------------------------------

    @staticmethod
    def _identity(extra: dict[str, Any]) -> tuple[str, str, int]:
        """(series, kind, class_index) of a record from its extras."""
        average = extra.get("average")
        if average in ("micro", "macro"):
            return str(average), str(average), -1
        index = extra.get("class_index")
        class_index = int(index) if isinstance(index, (int, float)) and not isinstance(
            index, bool) and math.isfinite(index) else -1
        name = extra.get("class_name")
        if isinstance(name, str) and name:
            return name, "class", class_index
        if class_index >= 0:
            return str(class_index), "class", class_index
        return "", "binary", -1

    def _color(self, run: str, tag: str, series: str, kind: str, class_index: int) -> int:
        if kind == "binary":
            return self._run_colors.setdefault(run, run_color(run))
        self._run_colors.setdefault(run, run_color(run))
        if kind in ("micro", "macro"):
            return -1
        if class_index >= 0:
            return class_index
        key = (tag, series)
        if key not in self._series_colors:
            used = sum(1 for t, _ in self._series_colors if t == tag)
            self._series_colors[key] = used
        return self._series_colors[key]

    @staticmethod
    def _curve_array(array: np.ndarray) -> np.ndarray | None:
        if array.ndim != 2 or array.shape[0] != 6 or array.shape[1] < 2:
            return None
        data = np.asarray(array, dtype=np.float64)
        width = data.shape[1]
        if width > MAX_WIRE_THRESHOLDS:
            keep = np.unique(np.round(np.linspace(0, width - 1, MAX_WIRE_THRESHOLDS)).astype(int))
            data = data[:, keep]
        return np.ascontiguousarray(data)

    def _ingest(self, batches: list[RunTensors]) -> None:
        changed = False
        for batch in batches:
            for record in batch.records:
                if record.kind != KIND:
                    continue
                data = self._curve_array(record.array)
                if data is None:
                    if self.skipped_records == 0:
                        warnings.warn(
                            f"nbviz.PRCurves: skipping a pr_curve record of tag {record.tag!r} "
                            f"(run {batch.run!r}) with shape {record.array.shape}; expected "
                            "[6, T] with T >= 2.", RuntimeWarning, stacklevel=2)
                    self.skipped_records += 1
                    continue
                series, kind, class_index = self._identity(record.extra)
                key = (batch.run, record.tag, series, record.step)
                metrics = {name: _finite_or_none(record.extra.get(name)) for name in METRIC_KEYS}
                exact_value = record.extra.get("exact")
                exact = exact_value if isinstance(exact_value, bool) else None
                existing = self._curves.get(key)
                if existing is not None:  # the same step logged again: latest wins
                    existing.data, existing.metrics, existing.exact = data, metrics, exact
                    existing.wall_time = float(record.wall_time)
                    existing.sent = False
                else:
                    self._curves[key] = _Curve(
                        id=self._next_id, run=batch.run, tag=record.tag, series=series,
                        kind=kind, class_index=class_index, step=int(record.step),
                        wall_time=float(record.wall_time), data=data, metrics=metrics,
                        exact=exact,
                        color=self._color(batch.run, record.tag, series, kind, class_index),
                    )
                    self._next_id += 1
                    run_tag = self._run_tags.setdefault((batch.run, record.tag), _RunTag())
                    run_tag.steps.add(int(record.step))
                    if len(run_tag.steps) > self.max_steps:
                        self._thin(batch.run, record.tag, run_tag)
                changed = True
        if changed:
            self._data_version += 1
            self._last_data = time.monotonic()

    def _thin(self, run: str, tag: str, run_tag: _RunTag) -> None:
        """Drop every other older step of (run, tag); keep the first and the latest."""
        ordered = sorted(run_tag.steps)
        keep = set(ordered[::2]) | {ordered[-1]}
        dropped = run_tag.steps - keep
        run_tag.steps = keep
        for key in [k for k in self._curves if k[0] == run and k[1] == tag and k[3] in dropped]:
            del self._curves[key]
        self._needs_snapshot = True

    # -- data out --------------------------------------------------------------------------

    def _ordered(self) -> list[_Curve]:
        return sorted(self._curves.values(), key=lambda c: c.id)

    def _send_snapshot(self) -> None:
        ordered = self._ordered()
        payload = b"".join(c.data.tobytes() for c in ordered)
        self._seq += 1
        with self.hold_sync():
            self.curves = [c.info() for c in ordered]
            self.snapshot = payload
            self.snapshot_seq = self._seq
        for curve in ordered:
            curve.sent = True
        self._snapshot_sent(len(payload))

    def _send_append(self) -> None:
        fresh = [c for c in self._ordered() if not c.sent]
        if not fresh:
            return
        payload = b"".join(c.data.tobytes() for c in fresh)
        self._seq += 1
        self.send({"type": "append", "seq": self._seq, "curves": [c.info() for c in fresh]},
                  [payload])
        for curve in fresh:
            curve.sent = True
        self._append_sent(len(payload))

    def _ingest_new(self) -> None:
        self._ingest(self._source.poll())

    def _has_unsent(self) -> bool:
        return any(not c.sent for c in self._curves.values())

    # -- pictures for saved notebooks ------------------------------------------------------

    def _latest(self) -> dict[str, list[_Curve]]:
        """Per tag: the latest step of every visible (run, series) curve."""
        hidden_runs, hidden_series = set(self.hidden_runs), set(self.hidden_series)
        latest: dict[tuple[str, str, str], _Curve] = {}
        with self._lock:
            for curve in self._curves.values():
                if curve.run in hidden_runs or (curve.series and curve.series in hidden_series):
                    continue
                key = (curve.tag, curve.run, curve.series)
                if key not in latest or latest[key].step < curve.step:
                    latest[key] = curve
        by_tag: dict[str, list[_Curve]] = {}
        for curve in sorted(latest.values(), key=lambda c: (c.tag, c.run, c.id)):
            by_tag.setdefault(curve.tag, []).append(curve)
        return by_tag

    def _render_png(self) -> bytes:
        by_tag = self._latest()
        tags = sorted(by_tag)
        shown = tags[:MAX_PICTURE_CHARTS]
        roc = self.view == "roc"
        figure, axes = chart_grid(len(shown), width=10, row_height=3.3, dpi=96,
                                  constrained=True)
        if not shown:
            empty_chart(axes[0], "No PR curves yet", color="#666")
        for axis, tag in zip(axes, shown, strict=False):
            steps = sorted({c.step for c in by_tag[tag]})
            step_text = f"step {steps[-1]}" if len(steps) == 1 else f"steps ≤ {steps[-1]}"
            axis.set_title(f"{tag} ({step_text})", fontsize=9, loc="left")
            axis.set_xlim(0, 1)
            axis.set_ylim(0, 1.02)
            axis.grid(True, alpha=0.25)
            axis.tick_params(labelsize=7)
            axis.set_xlabel("false positive rate" if roc else "recall", fontsize=8)
            axis.set_ylabel("true positive rate" if roc else "precision", fontsize=8)
            if roc:
                axis.plot([0, 1], [0, 1], ":", color="#888", linewidth=1)
            else:
                self._iso_f1(axis)
            run_order = list(dict.fromkeys(c.run for c in by_tag[tag]))
            for curve in by_tag[tag][:24]:
                color = "#444" if curve.color < 0 else color_for(curve.color)
                dashes = (1, 2) if curve.kind == "micro" else (5, 2) if curve.kind == "macro" else (
                    (None, None) if run_order.index(curve.run) == 0 else (2, 2))
                label_parts = [p for p in (curve.run if len(run_order) > 1 else "",
                                           curve.series) if p]
                name = " · ".join(label_parts) or curve.run
                tp, fp = curve.data[0], curve.data[1]
                metric = curve.picture_metric("auc" if roc else "ap")
                label = f"{name} ({'AUC' if roc else 'AP'} {metric:.3f})" if metric is not None \
                    else name
                if roc:
                    negatives = fp[0] if fp[0] > 0 else 1.0
                    positives = tp[0] if tp[0] > 0 else 1.0
                    xs, ys = np.append(fp / negatives, 0.0), np.append(tp / positives, 0.0)
                else:
                    valid = tp + fp > 0
                    xs, ys = curve.data[5][valid], curve.data[4][valid]
                line, = axis.plot(xs, ys, color=color, linewidth=1.4, label=label)
                if dashes != (None, None):
                    line.set_dashes(dashes)
            axis.legend(fontsize=6.5, loc="lower left" if not roc else "lower right",
                        frameon=False)
        if len(tags) > len(shown):
            figure.suptitle(f"{len(tags) - len(shown)} more tags in the live panel", fontsize=8)
        return png_bytes(figure)

    @staticmethod
    def _iso_f1(axis: Any) -> None:
        for f1 in (0.2, 0.4, 0.6, 0.8):
            recall = np.linspace(f1 / (2 - f1), 1, 100)  # precision 1 … f1 / (2 - f1)
            precision = f1 * recall / (2 * recall - f1)
            axis.plot(recall, precision, color="#aaa", linewidth=0.6, alpha=0.6)
            axis.annotate(f"F1={f1}", (1, f1 / (2 - f1)), fontsize=6, color="#999",
                          ha="right", va="bottom")

    def summary(self) -> str:
        """One-line text summary: runs, tags, steps, curves, latest AP per tag."""
        with self._lock:
            runs = list(self._run_colors)
            tags = sorted({c.tag for c in self._curves.values()})
            steps = sorted({c.step for c in self._curves.values()})
            count = len(self._curves)
        shown_runs = ", ".join(runs[:5]) + (" …" if len(runs) > 5 else "")
        step_text = f"steps {steps[0]}–{steps[-1]}" if steps else "no steps"
        return (f"nbviz.PRCurves: {len(runs)} run(s) [{shown_runs}], {len(tags)} tag(s), "
                f"{count} curve(s), {step_text} from {self._source.describe()}")
