"""Training health: the rules that turn layer statistics into findings
(:mod:`nbviz.panels.health.rules`) and the Health heat-map panel (``widget``)."""
