"""One folder per panel kind (see docs/panels.md once the panel kit lands)."""
