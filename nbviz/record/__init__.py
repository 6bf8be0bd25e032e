"""Recording: ``Run``, ``init``, ``log``."""

from nbviz.record.run import Run, current_run, finish, init, log

__all__ = ["Run", "current_run", "finish", "init", "log"]
