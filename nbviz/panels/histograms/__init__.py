"""Histograms: TensorBoard-compatible histogram math (:mod:`nbviz.panels.histograms.compute`)
and the Histograms / Distributions panels (``widget``)."""
