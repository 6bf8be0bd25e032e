"""IPython integration: ``%load_ext nbviz`` and the ``%nbviz LOGDIR`` magic."""

from __future__ import annotations

import shlex
from typing import Any

__all__ = ["load_ipython_extension", "nbviz_magic", "unload_ipython_extension"]

USAGE = ("usage: %nbviz LOGDIR   (e.g. %nbviz runs) — a dashboard of the runs in LOGDIR "
         "(nbviz and TensorBoard), live")


def nbviz_magic(line: str) -> Any:
    """``%nbviz LOGDIR``: a live Dashboard over every run in LOGDIR — nbviz runs and
    TensorBoard event files side by side (no server, no port). A LOGDIR that does not
    exist yet is waited for.

    >>> %nbviz runs  # doctest: +SKIP
    """
    from nbviz.widgets.dashboard import Dashboard

    try:
        words = shlex.split(line)
    except ValueError as error:
        raise ValueError(f"%nbviz: could not parse {line!r}: {error}. {USAGE}") from None
    if len(words) != 1:
        raise ValueError(f"%nbviz: expected one LOGDIR, got {len(words)} argument(s). {USAGE}")
    return Dashboard(words[0])


def load_ipython_extension(ipython: Any) -> None:
    """Called by ``%load_ext nbviz``."""
    from nbviz.widgets._display import install_post_run_cell_hook

    ipython.register_magic_function(nbviz_magic, magic_kind="line", magic_name="nbviz")
    install_post_run_cell_hook()


def unload_ipython_extension(ipython: Any) -> None:
    """Called by ``%unload_ext nbviz``."""
    ipython.magics_manager.magics["line"].pop("nbviz", None)
