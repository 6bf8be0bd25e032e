"""Scalars: the live line-chart panel (``widget``), its columns, decimation and picture."""
