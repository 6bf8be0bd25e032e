"""Every notebook in notebooks/ executes headlessly (nbclient), and the demo report works."""

from __future__ import annotations

import base64
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("built_js")]


def test_there_are_notebooks() -> None:
    assert any(path.name == "quickstart.ipynb" for path in NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_notebook_executes(path: Path, tmp_path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [output for cell in notebook.cells for output in cell.get("outputs", [])
              if output.get("output_type") == "error"]
    assert not errors, errors
    pictures = [output["data"]["image/png"] for cell in notebook.cells
                for output in cell.get("outputs", [])
                if "application/vnd.jupyter.widget-view+json" in output.get("data", {})]
    for picture in pictures:  # every panel leaves a picture for nbviewer/GitHub
        assert base64.b64decode(picture).startswith(b"\x89PNG")


def test_headless_demo_report(tmp_path: Path) -> None:
    out = tmp_path / "quickstart.html"
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "report.py"),
         str(ROOT / "notebooks" / "quickstart.ipynb"), "--out", str(out)],
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "HTML report:" in result.stdout
    html = out.read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") >= 2
    assert "application/vnd.jupyter.widget-view+json" not in html
