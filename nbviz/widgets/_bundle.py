"""Locate built JS bundles in nbviz/static/."""

from __future__ import annotations

from pathlib import Path

__all__ = ["bundle_path"]

STATIC = Path(__file__).resolve().parent.parent / "static"


def bundle_path(panel: str) -> Path:
    """Path of ``nbviz/static/<panel>.js``; a clear error when the JS was not built."""
    path = STATIC / f"{panel}.js"
    if not path.is_file():
        raise FileNotFoundError(
            f"nbviz's JavaScript for the {panel!r} panel is not built ({path} is missing). "
            "Run `make js` (or `npm --prefix js ci && npm --prefix js run build`), "
            "or install nbviz from a wheel, which ships the built files."
        )
    return path
