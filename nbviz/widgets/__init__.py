"""What every panel shares: the live-panel base, ticker, display/picture plumbing,
palette, and the Dashboard. The panels themselves live in :mod:`nbviz.panels`."""
