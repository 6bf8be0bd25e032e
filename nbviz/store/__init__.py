"""The run store (SQLite, one database per run) and its readers."""

from nbviz.store.read import read

__all__ = ["read"]
