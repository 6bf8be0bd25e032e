"""The Graph panel: model-graph capture with fallbacks (``capture``), the module
hierarchy (``hierarchy``), recording (``record``), the panel (``widget``) and its
static picture (``picture``)."""
