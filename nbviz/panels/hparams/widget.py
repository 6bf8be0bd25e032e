"""The HParams panel: parallel coordinates, a sortable table, a metric-vs-hparam scatter
and parameter importance, over the joined table of a sweep — live.

Wire contract: docs/wire.md ("HParams"). Python ``HParams`` ↔ ``js/src/panels/hparams``.
The kernel follows the sweep (``SweepCollector``), re-joins when something changed and
sends the whole table as one binary snapshot (``columns`` infos + ``table`` float64,
column after column; categories as codes), at most once per ``SEND_INTERVAL``. All
interaction — brushing, axis reorder / hide, hover, sorting, filtering, the scatter —
happens in the page. Importance is recomputed in the kernel (scikit-learn) when the
metric changes or finished runs change the data, at most every ``IMPORTANCE_INTERVAL``,
on a worker thread: neither the cell that shows the panel nor the ticker waits for it
(importing scikit-learn alone takes seconds); the bars arrive when it is done.
"""

from __future__ import annotations

import os
import threading
import time
import warnings
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

import numpy as np
import pandas as pd
import traitlets

from nbviz._validate import describe
from nbviz.panels.hparams.collect import SweepCollector
from nbviz.panels.hparams.encode import encode_table
from nbviz.panels.hparams.importance import hparam_importance
from nbviz.record.run import Run, live_run_dirs
from nbviz.sources import check_targets
from nbviz.store.tfevents_bulk import gc_paused
from nbviz.widgets._base import LivePanel

__all__ = ["HParams"]

SEND_INTERVAL = 0.5  # seconds between table snapshots while a sweep writes
IMPORTANCE_INTERVAL = 3.0
LOSS_WORDS = ("loss", "err", "mse", "mae", "rmse", "perplexity", "nll", "time")


def default_goal(metric: str) -> str:
    """"min" for losses and errors, else "max".

    >>> default_goal("val/loss"), default_goal("val/acc")
    ('min', 'max')
    """
    low = metric.lower()
    return "min" if any(word in low for word in LOSS_WORDS) else "max"




_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _importance_pool() -> ThreadPoolExecutor:
    """One worker thread for the importance of every HParams panel (made on first use)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nbviz-importance")
        return _POOL


def _importance_rows(result: pd.DataFrame) -> list[dict[str, Any]]:
    """The ``importance`` trait: one JSON row per hparam (NaN → None)."""
    def number(value: float) -> float | None:
        return None if np.isnan(value) else float(value)

    importance = result["importance"].to_numpy(dtype=np.float64)
    correlation = result["correlation"].to_numpy(dtype=np.float64)
    return [{"hparam": str(name), "importance": number(importance[k]),
             "correlation": number(correlation[k]), "correlation_kind": str(kind)}
            for k, (name, kind) in enumerate(zip(result["hparam"], result["correlation_kind"],
                                                 strict=True))]


def _writing_here(targets: list[Any]) -> bool:
    """True when a run of this process writes under one of the targets (a sweep starting)."""
    roots = [os.path.realpath(t) for t in targets if not isinstance(t, Run)]
    if any(isinstance(t, Run) and not t.finished for t in targets):
        return True
    return any(str(d).startswith(root + os.sep) for d in live_run_dirs() for root in roots)


class HParams(LivePanel):
    """Which hyperparameters matter: parallel coordinates (canvas; brush any axis, brushes
    combine; drag an axis title to reorder, × to hide; lines coloured by ``metric``; hover
    shows the run, click selects it), a virtualised sortable / filterable table, the metric
    against one hparam with the best runs marked, and random-forest importance +
    correlation. Follows the sweep live: a run appears when it starts and moves as it logs.

    >>> display(nbviz.HParams("sweep", metric="val/acc", goal="max"))   # doctest: +SKIP

    ``metric`` is a metric column of ``nbviz.read(logdir, kind="hparams")`` — a tag (its
    final value) or a summary such as ``"val/acc (max)"``; default: the first metric.
    ``goal`` "max" or "min" (default from the name: losses and errors are minimised).
    In the Dashboard, ``hidden_runs`` is the shared run selector: hidden runs are left out
    of the table, scatter and brushing (drawn as faint context), and clicking a line shows
    only that run in every panel.
    """

    _bundle = "hparams"

    columns = traitlets.List(traitlets.Dict()).tag(sync=True)
    runs = traitlets.List(traitlets.Unicode()).tag(sync=True)
    table = traitlets.Bytes(b"").tag(sync=True)
    table_seq = traitlets.Int(0).tag(sync=True)
    metric = traitlets.Unicode("").tag(sync=True)
    goal = traitlets.Enum(("max", "min"), default_value="max").tag(sync=True)
    hidden_runs = traitlets.List(traitlets.Unicode()).tag(sync=True)
    hidden_axes = traitlets.List(traitlets.Unicode()).tag(sync=True)
    axis_order = traitlets.List(traitlets.Unicode()).tag(sync=True)
    brushes = traitlets.Dict().tag(sync=True)
    scatter_x = traitlets.Unicode("").tag(sync=True)
    table_columns = traitlets.List(traitlets.Unicode()).tag(sync=True)
    importance = traitlets.List(traitlets.Dict()).tag(sync=True)
    importance_message = traitlets.Unicode("").tag(sync=True)
    status = traitlets.Unicode("").tag(sync=True)

    def __init__(self, source: Any, *, metric: str | None = None, goal: str | None = None,
                 last_n: int = 5, title: str = "") -> None:
        targets = check_targets(source, where="HParams()", must_exist=True)
        if metric is not None and (not isinstance(metric, str) or not metric):
            raise TypeError(f"HParams(): 'metric' must be a metric name such as 'val/acc', "
                            f"got {describe(metric)}.")
        if goal is not None and goal not in ("max", "min"):
            raise ValueError(f"HParams(): 'goal' must be 'max' or 'min', got {describe(goal)}.")
        if isinstance(last_n, bool) or not isinstance(last_n, int) or last_n < 1:
            raise ValueError(f"HParams(): 'last_n' must be an int >= 1, got {describe(last_n)}.")
        if not isinstance(title, str):
            raise TypeError(f"HParams(): 'title' must be a string, got {describe(title)}.")
        self._targets = targets
        self._collector = SweepCollector(targets, last_n=last_n)
        self._metric_given = metric
        self._goal_given = goal is not None
        self._frame = pd.DataFrame()
        self._dirty = False
        self._last_send = -1e9
        self._importance_key: tuple[Any, ...] = ()
        self._importance_job: Future[None] | None = None
        self._last_importance = -1e9
        super().__init__(title=title, metric=metric or "",
                         goal=goal or default_goal(metric or ""))
        self.observe(self._on_metric, names=["metric", "goal"])

    def _first_poll(self) -> None:
        self._collector.poll()
        self._rebuild()
        metrics = self._metric_columns()
        metric = self._metric_given
        if metric is not None and metric not in metrics and metrics \
                and not _writing_here(self._targets):
            self._collector.close()
            shown = ", ".join(repr(m) for m in metrics[:10])
            raise ValueError(f"HParams(): metric {metric!r} is not logged by any run of "
                             f"{self._collector.describe()}; metrics: {shown}.")
        self._send_table()
        self._update_importance(force=True)

    # -- data --------------------------------------------------------------------------------

    @property
    def frame(self) -> pd.DataFrame:
        """The joined table shown (as ``nbviz.read(kind="hparams")`` returns it)."""
        with self._lock:
            return self._frame.copy()

    def _metric_columns(self) -> list[str]:
        attrs = self._frame.attrs
        return [*attrs.get("metrics", []), *attrs.get("metric_summaries", [])]

    def _rebuild(self) -> None:
        with gc_paused():  # one row per run of a sweep: many objects, no cycles
            self._frame = self._collector.table()
        self._dirty = True
        self._data_version += 1
        metrics = self._metric_columns()
        if metrics and self.metric not in metrics and (
                not self.metric or not _writing_here(self._targets)):
            first = self._frame.attrs.get("metrics", metrics)[0]
            if self.metric:
                self.status = (f"metric {self.metric!r} not found; showing {first!r}")
            self.metric = first
            if not self._goal_given:
                self.goal = default_goal(first)

    def _send_table(self) -> None:
        infos, data = encode_table(self._frame)
        runs = [str(r) for r in self._frame.get("run", pd.Series(dtype=object)).tolist()]
        with self.hold_sync():
            self.columns = infos
            self.runs = runs
            self.table = data.tobytes()
            self.table_seq = self.table_seq + 1
            if not self.scatter_x and self._frame.attrs.get("hparams"):
                self.scatter_x = self._frame.attrs["hparams"][0]
            if not self.hidden_axes and not self.axis_order:
                self.hidden_axes = [i["name"] for i in infos if i["role"] == "summary"]
            if not self.runs:
                self.status = "no runs with hyperparameters yet: waiting for data."
            elif self.status.startswith("no runs"):
                self.status = ""
        self._dirty = False
        self._last_send = time.monotonic()

    def _tick(self) -> None:
        with self._lock:
            if self._collector.poll():
                self._rebuild()
            now = time.monotonic()
            if self._dirty and now - self._last_send >= SEND_INTERVAL:
                self._send_table()
            if now - self._last_importance >= IMPORTANCE_INTERVAL:
                self._update_importance(force=False)

    def sync(self) -> None:
        """Poll now and send the complete table (e.g. before saving the notebook)."""
        with self._lock:
            if self._collector.poll():
                self._rebuild()
            if self._dirty:
                self._send_table()
            self._update_importance(force=False)

    # -- importance --------------------------------------------------------------------------

    def _on_metric(self, _change: Any) -> None:
        with self._lock:
            self._update_importance(force=True)

    def _update_importance(self, *, force: bool) -> None:
        """Start computing importance for the current table and metric (on the worker
        thread) unless the finite metric values are unchanged since the last start."""
        frame, metric = self._frame, self.metric
        self._last_importance = time.monotonic()
        if frame.empty or metric not in frame.columns:
            if self.importance or force:
                self._importance_key = ()
                self.importance = []
                self.importance_message = ("no runs yet" if frame.empty
                                           else f"metric {metric!r} not logged yet")
            return
        finite = np.isfinite(frame[metric].to_numpy(dtype=np.float64, na_value=np.nan))
        hparams = list(frame.attrs.get("hparams", []))
        key = (metric, tuple(frame["run"][finite]), hparams,
               frame[metric][finite].round(12).tolist())
        if not force and key == self._importance_key:
            return
        self._importance_key = key
        if not self.importance:
            self.importance_message = "computing parameter importance…"
        self._importance_job = _importance_pool().submit(
            self._compute_importance, frame, metric, hparams, key)

    def _compute_importance(self, frame: pd.DataFrame, metric: str, hparams: list[str],
                            key: tuple[Any, ...]) -> None:
        """Worker thread: fit, then publish unless a newer request superseded this one."""
        try:
            result = hparam_importance(frame, metric, hparams)
            rows, message = _importance_rows(result), str(result.attrs.get("message", ""))
        except (TypeError, ValueError) as error:
            rows, message = [], str(error)
        except Exception as error:  # a worker never dies silently (unless its panel closed)
            if self.comm is None:
                return
            warnings.warn(f"nbviz.HParams: parameter importance failed ({error!r}); the "
                          "rest of the panel is unaffected.", RuntimeWarning, stacklevel=1)
            rows, message = [], f"importance failed: {error}"
        with self._lock:
            if key != self._importance_key or self.comm is None:
                return
            with self.hold_sync():
                self.importance = rows
                self.importance_message = message

    def wait_importance(self, timeout: float = 60.0) -> bool:
        """Block until the importance being computed is shown (True), or ``timeout`` s pass
        or the panel was closed first (False).

        >>> panel = nbviz.HParams("sweep")                  # doctest: +SKIP
        >>> panel.wait_importance(); panel.importance[0]    # doctest: +SKIP
        """
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout < 0:
            raise ValueError(f"wait_importance(): 'timeout' must be a number of seconds >= 0, "
                             f"got {describe(timeout)}.")
        job = self._importance_job
        if job is None:
            return True
        try:
            job.result(timeout=timeout)
        except (FutureTimeout, CancelledError):
            return False
        return True

    # -- selection ---------------------------------------------------------------------------

    @property
    def selected_runs(self) -> list[str]:
        """Runs passing every brush of the page (``brushes``) and not hidden."""
        with self._lock:
            frame = self._frame
            infos, _ = encode_table(frame) if not frame.empty else ([], None)
        if frame.empty:
            return []
        keep = ~frame["run"].isin(set(self.hidden_runs)).to_numpy()
        by_name = {info["name"]: info for info in infos}
        for axis, bounds in self.brushes.items():
            info = by_name.get(axis)
            if info is None or not isinstance(bounds, (list, tuple)) or len(bounds) != 2:
                continue
            lo, hi = float(bounds[0]), float(bounds[1])
            if info["kind"] == "categorical":
                codes = pd.Categorical(frame[axis].astype("string"),
                                       categories=info["categories"]).codes.astype(np.float64)
                values = np.where(codes < 0, np.nan, codes)
            else:
                values = frame[axis].to_numpy(dtype=np.float64, na_value=np.nan)
            with np.errstate(invalid="ignore"):
                keep &= (values >= lo) & (values <= hi)
        return [str(r) for r in frame["run"][keep]]

    # -- pictures ----------------------------------------------------------------------------

    def _render_png(self) -> bytes:
        from nbviz.panels.hparams.picture import render_png

        with self._lock:
            frame = self._frame
        return render_png(frame, self.metric, self.goal, hidden_axes=list(self.hidden_axes),
                          axis_order=list(self.axis_order), hidden_runs=list(self.hidden_runs))

    def summary(self) -> str:
        """One-line text summary: runs, hparams, metric and the best run."""
        with self._lock:
            frame = self._frame
        if frame.empty:
            return f"nbviz.HParams: no runs with hyperparameters yet in " \
                   f"{self._collector.describe()}"
        hparams = frame.attrs.get("hparams", [])
        text = (f"nbviz.HParams: {len(frame)} run(s), {len(hparams)} hparam(s) "
                f"[{', '.join(hparams[:6])}{' …' if len(hparams) > 6 else ''}]")
        if self.metric in frame.columns:
            values = frame[self.metric].to_numpy(dtype=np.float64, na_value=np.nan)
            if np.isfinite(values).any():
                best = int(np.nanargmax(values) if self.goal == "max" else np.nanargmin(values))
                text += (f"; best {self.metric} ({self.goal}) = {values[best]:.4g} by "
                         f"{frame['run'].iloc[best]}")
        return text

    def close(self) -> None:
        """Stop following the sweep and close the widget."""
        job = getattr(self, "_importance_job", None)
        if job is not None:
            job.cancel()  # not started yet: never runs; running: its result is dropped
        super().close()
        collector = getattr(self, "_collector", None)
        if collector is not None:
            collector.close()
