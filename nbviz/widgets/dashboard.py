"""The Dashboard: every panel that has data, as tabs, over a logdir or a list of runs.

Wire contract: docs/wire.md ("Dashboard"). Python ``Dashboard`` ↔ ``js/src/dashboard/``.

Its tabs are the rows of the panel registry (:data:`nbviz.panels.PANELS`; a panel
from outside nbviz is added with :func:`register_panel`): a panel is a class (or
factory) taking the dashboard's target (a logdir, a Run, or a list of them) plus
the record kinds it shows. The dashboard watches which
kinds the runs hold (nbviz stores and TensorBoard event files alike, again every
``rescan_interval`` seconds) and lists a tab the first time one of its kinds
appears, so tabs appear live as training starts logging histograms, PR curves …

A tab's panel is built when the tab is first shown (the selected tab at once, the
others when the page selects them, or when ``dashboard.panels`` or an export asks):
over 500 runs a panel's build reads what it shows (HParams every run's metrics),
which a dashboard opened to look at its Scalars should not wait for.

One run selector is shared by all panels: the page sets ``hidden_runs`` on every
child panel that has that trait (Scalars, PR curves …), without a kernel round trip.

>>> nbviz.Dashboard("runs")   # doctest: +SKIP
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anywidget
import traitlets

from nbviz._validate import describe
from nbviz.panels import PANELS, PanelSpec
from nbviz.record.run import Run, live_run_dirs
from nbviz.run_overview import StoreOverview, overview, overviews
from nbviz.sources import UNCHANGED_RECHECK_SECS, check_targets, scan_logdir, store_stamp
from nbviz.store.discover import run_name
from nbviz.store.kinds import RUN_CONFIG
from nbviz.store.sqlite import StoreReader
from nbviz.store.tfevents import EventRun, shared_event_run
from nbviz.widgets import _display, _ticker
from nbviz.widgets._bundle import bundle_path
from nbviz.widgets._palette import run_color

if TYPE_CHECKING:  # nbviz.export is imported when a dashboard is exported, not when built
    from nbviz.export.collect import WidgetSnapshot

__all__ = ["PANELS", "Dashboard", "PanelSpec", "register_panel"]


def register_panel(name: str, label: str, kinds: Iterable[str],
                   factory: str | Callable[[Any], Any], *, order: int = 100) -> PanelSpec:
    """Add (or replace) a dashboard tab: one line per panel.

    >>> register_panel("images", "Images", {"image"}, "Images", order=60)  # doctest: +SKIP
    """
    where = "register_panel()"
    for value, argument in ((name, "name"), (label, "label")):
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{where}: '{argument}' must be a non-empty string, got "
                             f"{describe(value)}.")
    if isinstance(kinds, str):
        raise TypeError(f"{where}: 'kinds' must be a collection of record kinds such as "
                        f"{{'histogram'}}, got the string {kinds!r}.")
    kind_set = frozenset(kinds)
    if not kind_set or not all(isinstance(k, str) for k in kind_set):
        raise ValueError(f"{where}: 'kinds' must hold at least one record kind (string), got "
                         f"{describe(kinds)}.")
    if not (callable(factory) or isinstance(factory, str)):
        raise TypeError(f"{where}: 'factory' must be a callable or the name of an nbviz "
                        f"attribute, got {describe(factory)}.")
    if isinstance(order, bool) or not isinstance(order, int):
        raise TypeError(f"{where}: 'order' must be an int, got {describe(order)}.")
    spec = PanelSpec(name, label, kind_set, factory, order)
    PANELS[:] = [p for p in PANELS if p.name != name] + [spec]
    PANELS.sort(key=lambda p: p.order)
    return spec


def _store_kinds(run_dir: Path, quick: StoreOverview | None
                 ) -> tuple[set[str], dict[str, Any]]:
    """Record kinds in an nbviz store ("scalar" included when it has scalar tags, "config"
    when the run was started with a non-empty ``config=``: the HParams tab) and the run's
    config; read read-only (immutable in a read-only directory), never raising on a
    damaged store. A healthy columnar store is read in one query (its overview, which the
    Scalars tab built next reuses; ``quick``, read just now); any other through the
    careful reader."""
    if quick is not None:
        kinds = set(quick.kinds)
        try:
            config = json.loads(quick.config_json) if quick.config_json else None
        except ValueError:
            config = None  # the careful reader reports it, the selector shows no config
        if config:
            kinds.add(RUN_CONFIG)
        return kinds, selector_config(config)
    reader = StoreReader(run_dir)
    try:
        kinds = reader.kinds()
        config = reader.meta().get("config")
        if config:
            kinds.add(RUN_CONFIG)
        return kinds, selector_config(config)
    finally:
        reader.close()


def selector_config(config: Any, *, limit: int = 40) -> dict[str, str | float | bool | None]:
    """The config values the run selector can group runs by: scalars (str, number, bool,
    None) of a dict, nested dicts flattened to dotted keys, at most ``limit`` of them.

    >>> selector_config({"lr": 0.1, "model": {"depth": 4}, "layers": [1, 2]})
    {'lr': 0.1, 'model.depth': 4}
    """
    out: dict[str, str | float | bool | None] = {}
    stack: list[tuple[str, Any]] = [("", config)] if isinstance(config, dict) else []
    while stack and len(out) < limit:
        prefix, value = stack.pop(0)
        if isinstance(value, dict):
            stack.extend((f"{prefix}{key}.", item)
                         for key, item in value.items() if isinstance(key, str))
            continue
        key = prefix[:-1]
        if value is None or isinstance(value, (str, bool, int)):
            out[key] = value if not isinstance(value, str) else value[:200]
        elif isinstance(value, float):
            out[key] = value if math.isfinite(value) else str(value)
    return out


def _available(spec: PanelSpec) -> bool:
    """Whether tab ``spec``'s panel can be built in this install; nbviz's own panel modules
    are found, not imported (the import waits until the tab is first shown)."""
    if spec.module is not None and not callable(spec.factory):
        try:
            return importlib.util.find_spec(spec.module) is not None
        except (ImportError, ValueError):
            return False
    return spec.resolve() is not None


@dataclass
class _RunInfo:
    name: str
    directory: Path
    source: str  # "nbviz" or "tensorboard"
    kinds: set[str]
    config: dict[str, Any] = field(default_factory=dict)
    stamp: tuple[int, ...] = ()  # store_stamp when its kinds were last read
    read_at: float = -1e9


class _Catalog:
    """Which runs exist under the dashboard's targets and which record kinds they hold."""

    def __init__(self, targets: list[Any]) -> None:
        self.targets = targets
        self.runs: dict[str, _RunInfo] = {}
        self._event_runs: dict[str, EventRun] = {}  # strong refs: shared with panel tails
        self.missing: list[str] = []

    def _entries(self) -> list[tuple[str, Path, str]]:
        entries: list[tuple[str, Path, str]] = []
        self.missing = []
        for target in self.targets:
            if isinstance(target, Run):
                entries.append((target.name, target.dir, "nbviz"))
                continue
            logdir = Path(target)
            if not logdir.exists():
                self.missing.append(str(logdir))
                continue
            root = os.path.realpath(logdir)
            for run_dir in live_run_dirs():
                if str(run_dir).startswith(root + os.sep) or str(run_dir) == root:
                    entries.append((run_name(Path(root), run_dir), run_dir, "nbviz"))
            runs, event_runs = scan_logdir(logdir)  # kept for the tab built next
            entries.extend((name, d, "nbviz") for name, d in runs.items())
            entries.extend((name, d, "tensorboard") for name, d in event_runs.items())
        return entries

    def refresh(self, *, force: bool = False) -> bool:
        """Rescan; True when runs or their kinds changed. ``force`` reads every run's
        event files now, even when a tick read them a moment ago (what was written since
        must show: a forced rescan is never skipped)."""
        before = {name: (info.source, frozenset(info.kinds), len(info.config))
                  for name, info in self.runs.items()}
        entries = sorted(self._entries())
        stores = [directory for name, directory, source in entries if source == "nbviz"
                  and (name not in self.runs or time.monotonic() - self.runs[name].read_at
                       >= UNCHANGED_RECHECK_SECS)]
        # new or long-unread stores side by side (the Scalars tab built next reuses them)
        read = dict(zip(stores, overviews(stores), strict=True)) if len(stores) > 1 else {}
        for name, directory, source in entries:
            info = self.runs.get(name)
            if info is None:
                run_color(name)  # colours follow run names in order, in every panel
                info = self.runs[name] = _RunInfo(name, directory, source, set())
            elif info.source != source and source not in info.source:
                info.source = "nbviz+tensorboard"
            if source == "nbviz":
                quick = read.get(directory)  # its stamp was taken before it was read
                stamp = store_stamp(directory) if quick is None else quick.stamp
                now = time.monotonic()
                if stamp == info.stamp and now - info.read_at < UNCHANGED_RECHECK_SECS:
                    continue  # 500 idle runs: 1,000 stat calls a rescan, not 500 queries
                info.stamp, info.read_at = stamp, now
                kinds, config = _store_kinds(
                    directory, quick if directory in read else overview(directory))
                info.kinds |= kinds
                info.config = config or info.config
            else:
                key = os.path.realpath(directory)
                event_run = self._event_runs.get(key)
                if event_run is None:
                    event_run = self._event_runs[key] = shared_event_run(directory)
                event_run.refresh(min_interval=0.0 if force else 0.5)
                info.kinds |= event_run.kinds()
        after = {name: (info.source, frozenset(info.kinds), len(info.config))
                 for name, info in self.runs.items()}
        return after != before

    def kinds(self) -> set[str]:
        return {kind for info in self.runs.values() for kind in info.kinds}

    def problems(self) -> list[str]:
        return [str(p) for run in self._event_runs.values() for p in list(run.problems)]




class Dashboard(anywidget.AnyWidget):
    """Every panel that has data, as tabs, with one run selector; follows the logdir live.

    >>> nbviz.Dashboard("runs")               # doctest: +SKIP
    >>> nbviz.Dashboard([run, "old_runs"])    # doctest: +SKIP

    A logdir that does not exist yet is waited for (the dashboard says so).
    """

    tabs = traitlets.List(traitlets.Dict()).tag(sync=True)
    runs = traitlets.List(traitlets.Dict()).tag(sync=True)
    hidden_runs = traitlets.List(traitlets.Unicode()).tag(sync=True)
    selected_tab = traitlets.Unicode("").tag(sync=True)
    problems = traitlets.List(traitlets.Unicode()).tag(sync=True)
    unavailable = traitlets.List(traitlets.Dict()).tag(sync=True)
    status = traitlets.Unicode("").tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)

    def __init__(self, target: Any, *, title: str = "", rescan_interval: float = 2.0,
                 panels: Iterable[PanelSpec] | None = None) -> None:
        self._targets = check_targets(target, where="Dashboard()")
        if not isinstance(title, str):
            raise TypeError(f"Dashboard(): 'title' must be a string, got {describe(title)}.")
        if isinstance(rescan_interval, bool) or not isinstance(rescan_interval, (int, float)) \
                or not 0.1 <= rescan_interval <= 3600:
            raise ValueError(f"Dashboard(): 'rescan_interval' must be between 0.1 and 3600 "
                             f"seconds, got {describe(rescan_interval)}.")
        specs = list(PANELS if panels is None else panels)
        if not all(isinstance(spec, PanelSpec) for spec in specs):
            raise TypeError("Dashboard(): 'panels' must be PanelSpec objects (see "
                            "nbviz.widgets.dashboard.register_panel).")
        self._specs = sorted(specs, key=lambda spec: spec.order)
        self._esm = bundle_path("dashboard").read_text(encoding="utf-8")
        super().__init__(title=title)
        self.rescan_interval = float(rescan_interval)
        self._lock = threading.RLock()
        self._catalog = _Catalog(self._targets)
        self._panels: dict[str, Any] = {}  # spec name -> widget
        self._waiting: set[str] = set()  # tabs listed whose panel is built when first shown
        self._failed: dict[str, str] = {}
        self._last_scan = -1e9
        self._version = 0
        self._picture_version = -1
        self._closed = False
        with self._lock:
            self._rescan(force=True)
        _ticker.register(self)

    @property
    def target(self) -> Any:
        """What the dashboard follows (as given: one target or a list)."""
        return self._targets[0] if len(self._targets) == 1 else list(self._targets)

    @property
    def panels(self) -> dict[str, Any]:
        """Every tab's panel, by tab name (e.g. ``dashboard.panels["scalars"]``); tabs not
        shown yet have their panel built now."""
        with self._lock:
            if self._waiting and not self._closed:
                for spec in self._specs:
                    if spec.name in self._waiting:
                        self._build(spec)
                self._publish(self._catalog.problems())
            return dict(self._panels)

    @traitlets.observe("selected_tab")
    def _on_selected(self, change: dict[str, Any]) -> None:
        """The page shows a tab whose panel is not built yet: build it (then the page
        gets its reference with the next ``tabs``)."""
        name = change["new"]
        if name not in self._waiting or self._closed:
            return
        with self._lock:
            spec = next((spec for spec in self._specs if spec.name == name), None)
            if spec is not None and name in self._waiting:
                self._build(spec)
                self._publish(self._catalog.problems())

    def _build(self, spec: PanelSpec) -> None:
        """Create the panel of tab ``spec`` (under ``_lock``); a failure is listed as
        unavailable rather than raised."""
        self._waiting.discard(spec.name)
        factory = spec.resolve()
        if factory is None:
            self._failed[spec.name] = (f"the {spec.label} panel is not available in this "
                                       "nbviz install")
            return
        try:
            panel = factory(self.target)
        except Exception as error:  # a panel must not take the dashboard down
            self._failed[spec.name] = f"{type(error).__name__}: {error}"
            return
        if self.hidden_runs and panel.has_trait("hidden_runs"):
            panel.hidden_runs = list(self.hidden_runs)
        self._panels[spec.name] = panel

    # -- discovery ---------------------------------------------------------------------------

    def _tick(self) -> None:
        if self._closed:
            return
        with self._lock:
            self._rescan(force=False)

    def _rescan(self, *, force: bool) -> None:
        now = time.monotonic()
        if not force and now - self._last_scan < self.rescan_interval:
            return
        self._last_scan = now
        changed = self._catalog.refresh(force=force)
        kinds = self._catalog.kinds()
        for spec in self._specs:
            if (spec.name in self._panels or spec.name in self._failed
                    or spec.name in self._waiting or not spec.kinds & kinds):
                continue
            changed = True
            if not _available(spec):  # known before it is shown
                self._failed[spec.name] = (f"the {spec.label} panel is not available in this "
                                           "nbviz install")
                continue
            shown = self.selected_tab or next(
                (s.name for s in self._specs if s.name in self._panels or s.name in
                 self._waiting), spec.name)
            if spec.name == shown:
                self._build(spec)
            else:
                self._waiting.add(spec.name)
        problems = self._catalog.problems()
        if changed or force or problems != list(self.problems):
            self._publish(problems)

    def _publish(self, problems: list[str]) -> None:
        infos = sorted(self._catalog.runs.values(), key=lambda info: info.name)
        tabs: list[dict[str, Any]] = [  # a tab not shown yet has no panel: ref ""
            {"name": spec.name, "label": spec.label, "kinds": sorted(spec.kinds),
             "ref": f"anywidget:{self._panels[spec.name].model_id}"
             if spec.name in self._panels else ""}
            for spec in self._specs if spec.name in self._panels or spec.name in self._waiting
        ]
        runs = [{"name": info.name, "source": info.source, "kinds": sorted(info.kinds),
                 "config": info.config} for info in infos]
        unavailable = [{"name": spec.name, "label": spec.label, "reason": self._failed[spec.name]}
                       for spec in self._specs if spec.name in self._failed]
        missing = self._catalog.missing
        if missing and not infos:
            status = (f"{', '.join(repr(m) for m in missing)} does not exist yet: waiting for "
                      "runs to be written there.")
        elif not infos:
            status = "no runs yet: waiting for data."
        elif not tabs:
            status = f"{len(infos)} run(s), no data yet: waiting."
        else:
            status = ""
        with self.hold_sync():
            self.tabs = tabs
            self.runs = runs
            self.unavailable = unavailable
            self.problems = problems[:200]
            self.status = status
            if not self.selected_tab and tabs:
                self.selected_tab = str(tabs[0]["name"])
        self._version += 1

    # -- lifecycle and pictures ----------------------------------------------------------------

    def close(self) -> None:
        """Stop following the logdir and close every panel. Idempotent.

        The ticker is left alone here (``_tick`` returns at once once closed and the
        ticker holds panels weakly): ipywidgets calls ``close()`` again from ``__del__``,
        which may run inside the ticker thread while it holds its lock.
        """
        if getattr(self, "_closed", True):
            return
        self._closed = True
        with self._lock:
            panels = list(self._panels.values())
            self._panels.clear()
            self._waiting.clear()
        for panel in panels:
            panel.close()
        super().close()

    def summary(self) -> str:
        """One-line text summary: runs and tabs."""
        with self._lock:
            runs = sorted(self._catalog.runs)
            tabs = [spec.label for spec in self._specs
                    if spec.name in self._panels or spec.name in self._waiting]
        shown = ", ".join(runs[:5]) + (" …" if len(runs) > 5 else "")
        where = ", ".join(str(t.name if isinstance(t, Run) else t) for t in self._targets)
        return (f"nbviz.Dashboard({where}): {len(runs)} run(s) [{shown}], tabs: "
                f"{', '.join(tabs) or 'none yet'}")

    def _snapshots(self, max_points: int) -> list[WidgetSnapshot]:
        """The offline snapshots of this Dashboard (nbviz/export): its own state, then its
        tabs' panels; a tab whose panel cannot snapshot itself is listed as unavailable."""
        from nbviz.export.collect import WidgetSnapshot, can_snapshot, collect, reference
        from nbviz.export.state import synced_state

        self._before_picture_refresh()  # rescan the logdir, complete every panel
        panels = self.panels  # builds the tabs not shown yet: an offline page shows them all
        state = synced_state(self)
        children: list[WidgetSnapshot] = []
        tabs: list[dict[str, Any]] = []
        unavailable = list(state.get("unavailable", []))
        for tab in state.get("tabs", []):
            panel = panels.get(tab["name"])
            if panel is None or not can_snapshot(panel):
                unavailable.append({"name": tab["name"], "label": tab["label"],
                                    "reason": "this panel cannot be shown in an offline page"})
                continue
            children.extend(collect(panel, max_points))
            tabs.append(tab)
        state.update(tabs=tabs, unavailable=unavailable)
        if tabs and state.get("selected_tab") not in {tab["name"] for tab in tabs}:
            state["selected_tab"] = tabs[0]["name"]
        return [WidgetSnapshot(reference(self), "dashboard", state), *children]

    def _picture_bundle(self) -> dict[str, Any]:
        bundle = super()._repr_mimebundle_()
        data: dict[str, Any] = dict(bundle[0]) if bundle is not None else {}
        with self._lock:
            version = self._version
            panels = [self._panels[spec.name] for spec in self._specs
                      if spec.name in self._panels]
        for panel in panels:  # the first panel that can draw itself stands for the dashboard
            picture = getattr(panel, "_picture_bundle", None)
            if picture is None:
                continue
            try:
                png = picture().get("image/png")
            except Exception:  # a picture must never break the cell
                continue
            if png:
                data["image/png"] = png
                break
        data["text/plain"] = self.summary()
        _display.add_snapshot(self, data)
        self._picture_version = version + sum(
            getattr(p, "_data_version", 0) for p in panels)
        return data

    def _picture_is_stale(self) -> bool:
        with self._lock:
            panels = list(self._panels.values())
        return self._picture_version != self._version + sum(
            getattr(p, "_data_version", 0) for p in panels)

    def _before_picture_refresh(self) -> None:
        with self._lock:
            self._rescan(force=True)
            panels = list(self._panels.values())
        for panel in panels:
            refresh = getattr(panel, "_before_picture_refresh", None)
            if refresh is not None:
                refresh()

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        return self._picture_bundle(), {}

    def _ipython_display_(self) -> None:
        _display.show(self)
