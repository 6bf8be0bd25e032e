"""The Profile panel kind: step timer, system meter, profiler capture, findings, widget.

>>> loader = nbviz.timed(loader)                 # doctest: +SKIP
>>> display(nbviz.Profile(run))                  # doctest: +SKIP
>>> with nbviz.profile(run, steps=5): ...        # doctest: +SKIP
"""
