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
