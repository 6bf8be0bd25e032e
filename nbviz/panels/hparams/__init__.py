"""The HParams panel: which hyperparameters matter.

``join`` (one row per run: config + hparams records + metric summaries),
``collect`` (from a logdir, once or live), ``importance`` (random forest +
correlation), ``widget`` (the anywidget) and ``picture`` (its static PNG).
"""
