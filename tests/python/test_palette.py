"""Python's run palette (static pictures) mirrors the TS one (live panels)."""

from __future__ import annotations

import re
from pathlib import Path

from nbviz.widgets._palette import PALETTE, color_for

COLORS_TS = Path(__file__).resolve().parents[2] / "js" / "src" / "lib" / "colors.ts"


def test_palette_matches_typescript() -> None:
    source = COLORS_TS.read_text(encoding="utf-8")
    block = source[source.index("export const PALETTE") : source.index("];")]
    assert tuple(re.findall(r'"(#[0-9a-fA-F]{6})"', block)) == PALETTE
    assert color_for(len(PALETTE)) == PALETTE[0]


def test_run_colours_agree_across_panels(tmp_path: Path) -> None:
    import pytest

    pytest.importorskip("torch")
    import numpy as np

    import nbviz

    static = Path(nbviz.__file__).parent / "static"
    if not (static / "pr.js").exists() or not (static / "scalars.js").exists():
        pytest.skip("JS not built")
    # "aa-pr-only" comes first for the PR panel, "bb-both" first for the Scalars panel:
    # per-panel numbering would give "bb-both" two colours.
    with nbviz.init("aa-pr-only", logdir=tmp_path) as run:
        run.log_pr("pr", np.array([0, 1, 1, 0]), np.array([0.1, 0.8, 0.6, 0.3]), step=0)
    with nbviz.init("bb-both", logdir=tmp_path) as run:
        run.log({"loss": 1.0}, step=0)
        run.log_pr("pr", np.array([0, 1, 1, 0]), np.array([0.2, 0.9, 0.4, 0.3]), step=0)
    scalars, curves = nbviz.Scalars(tmp_path), nbviz.PRCurves(tmp_path)
    dashboard = nbviz.Dashboard(tmp_path)
    try:
        scalar_colors = {s["run"]: s["color"] for s in scalars.series}
        pr_runs = {run: curves._run_colors[run] for run in curves._run_colors}
        assert scalar_colors["bb-both"] == pr_runs["bb-both"]
        assert pr_runs["aa-pr-only"] != pr_runs["bb-both"]
    finally:
        for panel in (dashboard, scalars, curves):
            panel.close()
