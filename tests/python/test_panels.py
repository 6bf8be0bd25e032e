"""The panel registry (nbviz.panels.PANELS) is the one list of panel kinds: the JS build
entries and the wheel's ensured targets must agree with it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import tomllib

from nbviz.panels import PANELS, SHARED_BUNDLES, PanelSpec, bundles, panel_classes, spec_for

ROOT = Path(__file__).resolve().parents[2]


def _build_entries() -> set[str]:
    """What js/build.mjs bundles: every folder of js/src/panels/ with an index.ts, plus
    the shared bundles it names (`["dashboard", …src/dashboard/index.ts]`)."""
    panels = ROOT / "js" / "src" / "panels"
    names = {d.name for d in panels.iterdir() if (d / "index.ts").is_file()}
    text = (ROOT / "js" / "build.mjs").read_text(encoding="utf-8")
    shared = set(re.findall(r'\["(\w+)", resolve\(here, "src/\1/index\.ts"\)\]', text))
    assert shared, "js/build.mjs no longer names its shared bundles as [name, src/name/index.ts]"
    return names | shared


def _ensured_targets() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    targets = config["tool"]["hatch"]["build"]["hooks"]["jupyter-builder"]["ensured-targets"]
    names = set()
    for target in targets:
        match = re.fullmatch(r"nbviz/static/(\w+)\.js", target)
        assert match, f"unexpected ensured target {target!r}"
        names.add(match.group(1))
    return names


def test_registry_build_entries_and_wheel_targets_agree() -> None:
    expected = set(bundles())
    assert _build_entries() == expected
    assert _ensured_targets() == expected


def test_registry_rows_are_well_formed() -> None:
    names = [spec.name for spec in PANELS]
    assert len(names) == len(set(names)), f"duplicate panel names in {names}"
    for spec in PANELS:
        assert isinstance(spec, PanelSpec) and spec.package and spec.bundle
        assert re.fullmatch(r"[a-z][a-z0-9_]*", spec.package)
        assert re.fullmatch(r"[a-z][a-z0-9_]*", spec.bundle)
        assert spec.kinds and all(isinstance(kind, str) for kind in spec.kinds)
    assert [spec.order for spec in PANELS] == sorted(spec.order for spec in PANELS)
    assert not set(SHARED_BUNDLES) & {spec.bundle for spec in PANELS}
    assert panel_classes()["PRCurves"] == "nbviz.panels.pr.widget"
    assert spec_for("distributions").package == "histograms"
    with pytest.raises(KeyError, match="no panel named 'nope'"):
        spec_for("nope")


def test_nbviz_resolves_every_registered_panel_from_its_folder(built_js: None) -> None:
    import nbviz

    for spec in PANELS:
        assert isinstance(spec.factory, str)
        assert spec.factory in nbviz.__all__
        cls = getattr(nbviz, spec.factory)
        assert cls is spec.resolve()
        assert cls.__module__ == f"nbviz.panels.{spec.package}.widget"
        assert cls._bundle == spec.bundle  # the bundle LivePanel loads is the registry's


def test_type_checking_imports_follow_the_registry() -> None:
    source = (ROOT / "nbviz" / "__init__.py").read_text(encoding="utf-8")
    block = source.split("if TYPE_CHECKING:", 1)[1].split("\n\n", 1)[0]
    imported = {name: module for module, name
                in re.findall(r"from (nbviz[\w.]+) import (\w+) as \2", block)}
    for cls, module in panel_classes().items():
        assert imported.get(cls) == module, f"nbviz/__init__.py: add `from {module} import {cls}`"
