from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import nbviz
from nbviz.panels import bundles
from nbviz.record import run as run_module


@pytest.fixture()
def logdir(tmp_path: Path) -> Path:
    path = tmp_path / "runs"
    path.mkdir()
    return path


@pytest.fixture(autouse=True)
def _finish_runs() -> Iterator[None]:
    yield
    for run in list(run_module._ALL_RUNS):
        run.finish()


@pytest.fixture()
def built_js() -> None:
    """Panels need their bundles in nbviz/static/; `make test` builds them before pytest."""
    static = Path(nbviz.__file__).parent / "static"
    missing = [name for name in bundles() if not (static / f"{name}.js").exists()]
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"bundles missing from {static}: {missing}; the JS build did not run")
        pytest.skip(f"JS not built ({missing} missing; run `make js`)")
