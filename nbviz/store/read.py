"""``nbviz.read``: a logdir's data as tidy pandas DataFrames (nbviz and TensorBoard runs)."""

from __future__ import annotations

import json
import math
import os
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nbviz._validate import describe
from nbviz.store.kinds import READ_KINDS
from nbviz.store.subset import Subset
from nbviz.store.table import ScalarTable

__all__ = ["KINDS", "read"]

# read() kind -> stored record kind (nbviz/store/kinds.py); "scalars" and "custom_scalars"
# are special.
_RECORD_KINDS = READ_KINDS
KINDS = ("scalars", *_RECORD_KINDS, "custom_scalars")

# Name of the array column per record kind, and how the array is presented.
_ARRAY_COLUMN = {"image": "image", "audio": "audio", "video": "video", "embedding": "embedding",
                 "mesh": "mesh", "tensor": "tensor", "stats": "stats"}
_BASE = ["run", "tag", "step", "wall_time"]
EVERYTHING = Subset(None, None, None)


def read(logdir: str | os.PathLike[str], kind: str = "scalars", *,
         decode: bool = True, runs: str | Sequence[str] | None = None,
         tags: str | Sequence[str] | None = None,
         steps: tuple[int | None, int | None] | None = None) -> pd.DataFrame:
    """Read every run under ``logdir`` — nbviz stores and TensorBoard event files — into
    one tidy DataFrame.

    Columns by ``kind`` (all start with ``run, tag, step, wall_time`` except hparams and
    custom_scalars):

    - ``"scalars"``: ``value`` (one row per logged value, runs in name order, each run's
      rows in log order; NaN/±Inf kept); ``run`` and ``tag`` are pandas Categoricals
      (they compare, filter and group like strings; ``.astype(str)`` for plain strings);
    - ``"histograms"``: ``min, max, num, sum, sum_squares`` and ``limits`` / ``counts``
      (arrays: upper bucket limits and counts, TensorBoard's ``bucket_limit`` / ``bucket``);
    - ``"pr_curves"``: ``num_thresholds``, ``thresholds`` and ``tp, fp, tn, fn, precision,
      recall`` (arrays, one value per threshold);
    - ``"text"``: ``text``;
    - ``"images"`` / ``"videos"``: ``image`` uint8 ``[H, W, C]`` / ``video`` ``[T, H, W, C]``
      arrays plus ``height, width, channels``; images logged with ``log_image`` add
      ``sample`` (index in the batch), ``mask`` (uint8 ``[H, W]`` class indices, or None),
      ``boxes`` / ``box_labels`` / ``box_scores`` / ``class_names`` when logged;
    - ``"audio"``: ``audio`` (float32 in [-1, 1]), ``sample_rate``;
    - ``"tables"``: ``table`` (a DataFrame; image cells uint8 ``[H, W, C]``);

    Media (images, videos, audio, table images) are stored encoded (PNG, animated PNG,
    16-bit WAV). ``decode=False`` skips decoding: the media column then holds the encoded
    ``bytes`` and ``encoding`` names the format (metadata columns are unchanged), which
    is much faster for a large logdir.
    - ``"graphs"``: ``graph`` (dict), ``format``;
    - ``"embeddings"``: ``embedding`` (float32 ``[N, D]``), ``metadata``, ``sprite`` (the
      label images as uint8 ``[N, h, w, 3]`` pixels, or None), …;
    - ``"meshes"``, ``"tensors"``, ``"stats"``: the array plus its extra fields;
    - ``"hparams"``: one row per run: ``run, hparams_from, step, wall_time``, one column
      per hyperparameter (``config=`` flattened with dots, ``add_hparams`` records —
      joined to the writer's run, ``hparams_from`` names the record's own run), then per
      metric tag its final value, ``(min)``, ``(max)`` and ``(last-5 mean)``
      (``df.attrs["hparams"]`` / ``df.attrs["metrics"]`` name them);
    - ``"custom_scalars"``: ``run, category, chart, type, tags`` (the layouts of
      ``add_custom_scalars``).

    For ``kind="scalars"`` a part can be asked for, and only that part is read: ``runs``
    and ``tags`` — a regular expression (``re.search``) or a list of exact names —,
    ``steps`` — ``(lo, hi)``, both inclusive, None for an open end.

    Values logged by a run of this process that are not yet flushed are included.
    Nothing in the logdir makes this raise: a corrupt event record, an unknown field or
    plugin, a non-UTF-8 tag, a corrupt or unreadable ``nbviz.sqlite`` are skipped,
    salvaged or repaired, listed in ``df.attrs["problems"]`` (path and cause) and
    summarised in one warning; every other run is read as usual.

    >>> df = nbviz.read("runs", kind="scalars")  # doctest: +SKIP
    >>> df.pivot_table(index="step", columns=["run", "tag"], values="value")  # doctest: +SKIP
    >>> nbviz.read("runs", kind="histograms").iloc[0].counts  # doctest: +SKIP
    >>> nbviz.read("runs", runs=r"^lr=", tags=["loss"], steps=(1000, None))  # doctest: +SKIP
    """
    from nbviz.store.discover import discover_runs
    from nbviz.store.sprites import attach_sprites
    from nbviz.store.sqlite import ScalarColumns
    from nbviz.store.tfevents import ALL_KINDS, EventRun, apply_purges
    from nbviz.store.tfevents_bulk import read_event_runs

    if not isinstance(logdir, (str, os.PathLike)):
        raise TypeError(f"read(): 'logdir' must be a path, got {describe(logdir)}.")
    if kind not in KINDS:
        raise ValueError(f"read(): 'kind' must be one of {', '.join(KINDS)}, got {kind!r}.")
    subset = Subset.parse(runs, tags, steps)
    if kind != "scalars" and not subset.everything:
        raise ValueError(f"read(): runs=, tags= and steps= choose part of kind='scalars'; "
                         f"for kind={kind!r} read everything and filter the DataFrame.")
    path = Path(logdir)
    if not path.exists():
        raise FileNotFoundError(
            f"read(): logdir {str(path)!r} does not exist; pass the folder your runs are "
            "written to (e.g. 'runs')."
        )
    problems: list[str] = []
    # ONE walk of the logdir finds both kinds of run. Scalars are read in bulk (no need
    # for nbviz.sources: ~60 ms of imports); other kinds poll the stores through a
    # LogdirSource, whose first scan takes this one (scan_logdir keeps it for reuse).
    if kind == "scalars":
        stores, found_events = discover_runs(path)
    else:
        from nbviz.sources import scan_logdir

        stores, found_events = scan_logdir(path)
    event_runs = {name: run_dir for name, run_dir in found_events.items()
                  if subset.run_ok(name)}

    def read_events(wanted: frozenset[str], *, bulk: bool = False) -> dict[str, EventRun]:
        runs: dict[str, EventRun] = {}
        if not wanted <= ALL_KINDS:  # e.g. "stats": nbviz-only records
            return runs
        loaded = read_event_runs(event_runs, wanted) if bulk else {}  # a sweep's many runs
        for name, run_dir in event_runs.items():
            run = loaded.get(name) or EventRun(run_dir, wanted=wanted)
            if name not in loaded:
                run.refresh()
            pending = sum(max(0, state.size - state.offset) for state in run._files.values())
            if pending:
                problems.append(f"{run_dir}: {pending} byte(s) at the end of an event file "
                                "are not a complete record yet (a writer may still be "
                                "running); read again later")
            problems.extend(str(problem) for problem in run.problems)
            runs[name] = run
        return runs

    if kind == "scalars":
        frame = _scalars_frame(path, stores, read_events(frozenset({"scalar"})), problems,
                               subset)
    elif kind == "custom_scalars":
        frame = _custom_scalars_frame(path, read_events(frozenset({"custom_scalars"})),
                                      problems)
    elif kind == "hparams":  # the join lives in nbviz/panels/hparams (one row per run)
        from nbviz.panels.hparams.collect import read_hparams_table
        from nbviz.panels.hparams.summaries import MetricTable
        from nbviz.store.tfevents_bulk import gc_paused

        with gc_paused():  # a sweep of 10,000 runs: many objects, no cycles
            hparams_events = read_events(frozenset({"hparams", "scalar"}), bulk=True)
            metrics = MetricTable()  # every run's scalars read once, summarised at once
            metrics.update_many(_scalar_batches(path, stores, hparams_events, problems))
            frame = read_hparams_table(
                path, _hparams_frame(path, hparams_events, problems, metrics), metrics,
                stores=_store_runs(path, stores, EVERYTHING), event_runs=event_runs)
    else:
        record_kind = _RECORD_KINDS[kind]
        # embeddings come with their label images (sprite records), as pixels
        kinds = frozenset({record_kind, "sprite"} if kind == "embeddings" else {record_kind})
        batches = _poll_stores(path, kinds, problems)
        pairs: list[tuple[str, Any]] = [(b.run, r) for b in batches for r in b.records]
        for name, run in read_events(kinds).items():
            records, _ = run.tensors_since(0, kinds)
            _, records = apply_purges(run, ScalarColumns.empty(), records)
            pairs.extend((name, record) for record in records)
        if kind == "embeddings":
            pairs = attach_sprites(pairs)
        frame = _records_frame(record_kind, pairs, decode)
    frame.attrs["problems"] = problems
    if problems:
        shown = "; ".join(problems[:3])
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        warnings.warn(f"nbviz.read(): skipped or repaired data in {len(problems)} place(s): "
                      f"{shown}{more}. The rest was read; see df.attrs['problems'].",
                      RuntimeWarning, stacklevel=2)
    return frame


def _poll_stores(path: Path, kinds: frozenset[str] | None, problems: list[str]) -> list[Any]:
    """Everything in the nbviz stores under ``path`` (scalars when ``kinds`` is None); what
    cannot be read (a corrupt or unreadable store) goes to ``problems``, never raises."""
    from nbviz.sources import LogdirSource

    source = LogdirSource(path, kinds=kinds, tfevents=False)
    try:
        batches = source.poll()
        for problem in source.problems():
            if str(problem) not in problems:
                problems.append(str(problem))
    finally:
        source.close()
    return batches


def _store_runs(path: Path, stores: dict[str, Path], subset: Subset) -> dict[str, Path]:
    """The chosen runs' store directories under ``path`` (``stores``: the ones its walk
    found; name order), with the runs this process is writing there even before their
    store file exists."""
    from nbviz.record.live import live_run_dirs
    from nbviz.store.discover import run_name

    runs = dict(stores)
    root = os.path.realpath(path)
    for run_dir in live_run_dirs():
        if str(run_dir).startswith(root + os.sep):
            runs.setdefault(run_name(Path(root), run_dir), run_dir)
    return {name: run_dir for name, run_dir in sorted(runs.items()) if subset.run_ok(name)}


def _scalar_table(path: Path, stores: dict[str, Path], event_runs: dict[str, Any],
                  problems: list[str], subset: Subset = EVERYTHING) -> ScalarTable:
    """The chosen scalars of every run, runs in name order (a directory with a store and
    event files: the store's rows first), each run's rows in log order."""
    from nbviz.store.bulk import read_stores
    from nbviz.store.tfevents import apply_purges

    parts = [read_stores(_store_runs(path, stores, subset), subset, problems)]
    for name, run in event_runs.items():
        columns, _ = run.scalars_since(0)
        columns, _ = apply_purges(run, columns, [])
        parts.append(ScalarTable.of_columns(name, subset.filter(columns)))
    return ScalarTable.join(parts).sorted_by()


def _scalar_batches(path: Path, stores: dict[str, Path], event_runs: dict[str, Any],
                    problems: list[str], subset: Subset = EVERYTHING) -> list[tuple[str, Any]]:
    """(run, ScalarColumns) of every run with scalars, in run name order."""
    return _scalar_table(path, stores, event_runs, problems, subset).split()


def _scalars_frame(path: Path, stores: dict[str, Path], event_runs: dict[str, Any],
                   problems: list[str], subset: Subset) -> pd.DataFrame:
    return _scalar_table(path, stores, event_runs, problems, subset).frame()


def _records_frame(record_kind: str, pairs: list[tuple[str, Any]], decode: bool = True
                   ) -> pd.DataFrame:
    """One row per record: run, tag, step, wall_time, kind-specific columns, extras."""
    pairs = sorted(pairs, key=lambda item: item[0])  # by run, stable within a run
    rows: list[dict[str, Any]] = []
    for run, record in pairs:
        row: dict[str, Any] = {"run": run, "tag": record.tag, "step": int(record.step),
                               "wall_time": float(record.wall_time)}
        row.update(_record_columns(record_kind, record.array, record.extra, decode))
        rows.append(row)
    columns = _BASE + _kind_columns(record_kind)
    if not rows:
        frame = pd.DataFrame({name: pd.Series(dtype=object) for name in columns})
        frame["step"] = frame["step"].astype(np.int64)
        frame["wall_time"] = frame["wall_time"].astype(np.float64)
        return frame
    frame = pd.DataFrame(rows)
    ordered = [c for c in columns if c in frame.columns]
    ordered += [c for c in frame.columns if c not in ordered]
    frame = frame[ordered]
    frame["step"] = frame["step"].astype(np.int64)
    return frame


def _kind_columns(record_kind: str) -> list[str]:
    return {
        "histogram": ["min", "max", "num", "sum", "sum_squares", "limits", "counts"],
        "pr_curve": ["num_thresholds", "thresholds", "tp", "fp", "tn", "fn", "precision",
                     "recall"],
        "text": ["text"],
        "image": ["image", "height", "width", "channels"],
        "video": ["video", "height", "width", "channels"],
        "audio": ["audio", "sample_rate"],
        "graph": ["graph", "format"],
        "embedding": ["embedding", "metadata", "sprite"],
        "mesh": ["mesh", "component"],
        "tensor": ["tensor"],
        "stats": ["stats"],
        "table": ["table"],
    }.get(record_kind, [])


def _record_columns(record_kind: str, array: np.ndarray, extra: dict[str, Any],
                    decode: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if record_kind in ("image", "video", "audio", "table"):
        from nbviz.panels.media.codec import is_encoded, media_columns

        if is_encoded(extra) or record_kind == "table":
            return media_columns(record_kind, array, extra, decode)
    if record_kind == "histogram":
        out.update({key: extra.get(key, math.nan)
                    for key in ("min", "max", "num", "sum", "sum_squares")})
        out["limits"] = np.asarray(array[0], dtype=np.float64)
        out["counts"] = np.asarray(array[1], dtype=np.float64)
    elif record_kind == "pr_curve":
        count = array.shape[1]
        out["num_thresholds"] = int(extra.get("num_thresholds") or count)
        out["thresholds"] = np.arange(count, dtype=np.float64) / max(count - 1, 1)
        for index, name in enumerate(("tp", "fp", "tn", "fn", "precision", "recall")):
            out[name] = np.asarray(array[index], dtype=np.float64)
    elif record_kind == "text":
        out["text"] = np.asarray(array, dtype=np.uint8).tobytes().decode("utf-8", "replace")
    elif record_kind in ("image", "video"):
        out[record_kind] = array
        out["height"], out["width"], out["channels"] = (int(d) for d in array.shape[-3:])
    elif record_kind == "audio":
        out["audio"] = array
        out["sample_rate"] = float(extra.get("sample_rate", math.nan))
    elif record_kind == "graph":
        text = np.asarray(array, dtype=np.uint8).tobytes().decode("utf-8", "replace")
        try:
            out["graph"] = json.loads(text)
        except ValueError:
            out["graph"] = text
        out["format"] = extra.get("format", "")
    else:
        out[_ARRAY_COLUMN.get(record_kind, "array")] = array
    for key, value in extra.items():
        if key not in out and key not in _BASE:
            out[key] = value
    return out


def _all_records(path: Path, event_runs: dict[str, Any], kind: str, problems: list[str]
                 ) -> list[tuple[str, Any]]:
    """(run, record) for every ``kind`` record: nbviz stores, then TensorBoard runs."""
    pairs = [(batch.run, record)
             for batch in _poll_stores(path, frozenset({kind}), problems)
             for record in batch.records]
    for name, run in event_runs.items():
        records, _ = run.tensors_since(0, frozenset({kind}))
        pairs.extend((name, record) for record in records)
    return pairs


def _custom_scalars_frame(path: Path, event_runs: dict[str, Any], problems: list[str]
                          ) -> pd.DataFrame:
    pairs = _all_records(path, event_runs, "custom_scalars", problems)
    latest: dict[str, Any] = {}
    for run, record in pairs:  # a later layout replaces an earlier one, as in TensorBoard
        try:
            layout = json.loads(np.asarray(record.array, np.uint8).tobytes().decode("utf-8"))
        except ValueError as error:
            problems.append(f"run {run!r}: custom-scalars layout {record.tag!r} at step "
                            f"{record.step} is not valid JSON ({error}); skipped")
            continue
        if isinstance(layout, dict):
            latest[run] = layout
    rows = [
        {"run": run, "category": category, "chart": title, "type": spec[0], "tags": list(spec[1])}
        for run, layout in sorted(latest.items())
        for category, charts in layout.items()
        for title, spec in charts.items()
    ]
    return pd.DataFrame(rows, columns=["run", "category", "chart", "type", "tags"])


def _hparams_frame(path: Path, event_runs: dict[str, Any], problems: list[str],
                   metrics: Any) -> pd.DataFrame:
    from nbviz.store.hparams_sessions import attach_experiments, metric_value
    from nbviz.store.tfevents import SESSION_KEY

    pairs = _all_records(path, {}, "hparams", problems)  # nbviz stores
    event_pairs = [(name, record) for name, run in event_runs.items()
                   for record in run.tensors_since(0, frozenset({"hparams"}))[0]]
    pairs.extend(attach_experiments(event_pairs, event_runs))  # TF's parent hparams_config
    pairs.sort(key=lambda item: item[0])
    hparam_names: list[str] = []
    metric_names: list[str] = []
    for _, record in pairs:
        for name in record.extra.get("hparams", {}):
            if name not in hparam_names:
                hparam_names.append(name)
        for name in record.extra.get("metric_names", []):
            if name not in metric_names:
                metric_names.append(name)
    # Metric values: the record's, else the run's last logged value of that tag.
    need = {run for run, record in pairs if np.isnan(np.asarray(record.array, float)).any()}
    last_values = _last_scalar_values(metrics, need) if need else {}
    rows = []
    for run, record in pairs:
        row: dict[str, Any] = {"run": run, "step": int(record.step),
                               "wall_time": float(record.wall_time)}
        hparams = record.extra.get("hparams", {})
        for name in hparam_names:
            row[name] = hparams.get(name)
        names = list(record.extra.get("metric_names", []))
        values = np.asarray(record.array, dtype=np.float64).reshape(-1)
        for name in metric_names:
            value = math.nan
            if name in names and names.index(name) < values.size:
                value = float(values[names.index(name)])
            if math.isnan(value):
                value = metric_value(last_values, run, name)
            column = name if name not in hparam_names else f"{name} (metric)"
            row[column] = value
        rows.append(row)
    metric_columns = [n if n not in hparam_names else f"{n} (metric)" for n in metric_names]
    frame = pd.DataFrame(rows, columns=["run", "step", "wall_time", *hparam_names,
                                        *metric_columns])
    frame["step"] = frame["step"].astype(np.int64)
    frame.attrs["hparams"] = hparam_names
    frame.attrs["metrics"] = metric_columns
    frame.attrs["sessions"] = sorted({run for run, record in pairs  # TF sessions: own rows
                                      if record.extra.get(SESSION_KEY) is True})
    return frame


def _last_scalar_values(metrics: Any, runs: Iterable[str]) -> dict[tuple[str, str], float]:
    """(run, tag) -> last logged value, for ``runs`` and their subruns (a metric group's),
    from the runs' summaries (a ``MetricTable``: its ``final`` is the last value)."""
    wanted = set(runs)

    def chosen(run: str) -> bool:  # the run, or a run below one of them
        return run in wanted or any(run[:at] in wanted
                                    for at, char in enumerate(run) if char == "/")

    return {(run, tag): summary.final for run, tags in metrics.runs.items() if chosen(run)
            for tag, summary in tags.items()}
