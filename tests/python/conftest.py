from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import nbviz
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
    """Panels need nbviz/static/scalars.js; `make test` builds it before pytest runs."""
    static = Path(nbviz.__file__).parent / "static" / "scalars.js"
    if not static.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{static} is missing: the JS build did not run")
        pytest.skip("JS not built (run `make js`)")
