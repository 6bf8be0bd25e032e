"""Display plumbing shared by panels: a picture for saved notebooks, kept fresh.

A panel is displayed with a MIME bundle holding the widget view *and* a
``text/html`` interactive offline snapshot (nbviz/export), an ``image/png``
(matplotlib) plus a ``text/plain`` summary, so nbviewer, GitHub and a VS Code
notebook without widget state still show the panel. After every
cell, panels whose data changed since they last drew their picture update
their display (``update_display``) so the picture saved in the notebook shows
the final state, not the empty chart it was displayed as.
"""

from __future__ import annotations

import base64
import contextlib
import threading
import warnings
import weakref
from collections.abc import Iterator
from typing import Any, Protocol

__all__ = ["PicturePanel", "add_snapshot", "install_post_run_cell_hook",
           "quiet_glyph_warnings", "refresh_pictures"]


class PicturePanel(Protocol):
    def _picture_bundle(self) -> dict[str, Any]: ...
    def _picture_is_stale(self) -> bool: ...
    def _before_picture_refresh(self) -> None: ...


_displayed: weakref.WeakSet[Any] = weakref.WeakSet()
_handles: weakref.WeakKeyDictionary[Any, list[Any]] = weakref.WeakKeyDictionary()
_hook_lock = threading.Lock()
_hook_installed = False


def png_base64(png: bytes) -> str:
    """Base64 text for a PNG, as Jupyter MIME bundles carry it."""
    return base64.b64encode(png).decode("ascii")


def add_snapshot(panel: Any, data: dict[str, Any]) -> None:
    """Add the panel's interactive offline snapshot (nbviz/export) to its MIME bundle as
    ``text/html``, with the bundle's PNG as the fallback where scripts cannot run."""
    from nbviz.export.snapshot import snapshot_html

    snapshot = snapshot_html(panel, fallback_png=data.get("image/png"),
                             fallback_text=str(data.get("text/plain", "")))
    if snapshot is not None:
        data["text/html"] = snapshot


@contextlib.contextmanager
def quiet_glyph_warnings() -> Iterator[None]:
    """Drawing a picture: matplotlib's "Glyph … missing from font" warnings (a tag in a
    script the font lacks) must not land in the user's cell output; the glyph is drawn
    as a box, and the live panel shows the name in the browser's fonts."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"(?s).*[Gg]lyph .* missing from")
        warnings.filterwarnings("ignore", message=r"(?s).*does not support .* natively")
        yield


def show(panel: Any) -> None:
    """Display ``panel`` with a display id so its picture can be refreshed later."""
    from IPython.display import display

    install_post_run_cell_hook()
    handle = display(panel._picture_bundle(), raw=True, display_id=True)  # type: ignore[no-untyped-call]
    if handle is not None:
        _handles.setdefault(panel, []).append(handle)
        _displayed.add(panel)


def refresh_pictures(*_: Any) -> None:
    """Update the saved picture of every displayed panel whose data changed."""
    for panel in list(_displayed):
        try:
            panel._before_picture_refresh()
            if not panel._picture_is_stale():
                continue
            bundle = panel._picture_bundle()
            for handle in _handles.get(panel, []):
                handle.update(bundle, raw=True)
        except Exception:  # a picture must never break the user's cell
            continue


def install_post_run_cell_hook() -> None:
    """Register :func:`refresh_pictures` to run after each cell (once per kernel)."""
    global _hook_installed
    with _hook_lock:
        if _hook_installed:
            return
        try:
            from IPython import get_ipython
        except ImportError:  # pragma: no cover
            return
        shell = get_ipython()
        if shell is None:
            return
        shell.events.register("post_run_cell", refresh_pictures)
        _hook_installed = True
