from __future__ import annotations

import os
import re
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
    """Panels need their bundles in nbviz/static/; `make test` builds them before pytest."""
    build_script = Path(__file__).resolve().parents[2] / "js" / "build.mjs"
    match = re.search(r"const panels = \[([^\]]*)\]", build_script.read_text(encoding="utf-8"))
    assert match, "js/build.mjs no longer lists its panels in `const panels = [...]`"
    static = Path(nbviz.__file__).parent / "static"
    missing = [name for name in re.findall(r'"(\w+)"', match.group(1))
               if not (static / f"{name}.js").exists()]
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"bundles missing from {static}: {missing}; the JS build did not run")
        pytest.skip(f"JS not built ({missing} missing; run `make js`)")
