"""Every notebook in notebooks/ executes headlessly (nbclient), and the demo report works."""

from __future__ import annotations

import base64
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import nbviz

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("built_js")]

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
# The tour (scripts/make_quickstart_notebook.py): every panel it must show, in order, and
# what it must print — the finding that names what went wrong with the too-high LR.
QUICKSTART_PANELS = ["Scalars", "Histograms", "Distributions", "Health", "PRCurves",
                     "Projector", "Dashboard"]
QUICKSTART_PRINTS = ["[exploding_gradients] gradient norm of", "[loss_divergence]",
                     "lr=0.1: 0 findings", "wrote quickstart_report.html"]


def _panels(notebook: nbformat.NotebookNode) -> list[str]:
    """The panel classes a notebook's widget outputs show ("nbviz.Health: run ..." -> Health)."""
    return [re.sub(r"^nbviz\.(\w+).*", r"\1", output["data"].get("text/plain", ""), flags=re.S)
            for cell in notebook.cells for output in cell.get("outputs", [])
            if WIDGET_MIME in output.get("data", {})]


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
                if WIDGET_MIME in output.get("data", {})]
    for picture in pictures:  # every panel leaves a picture for nbviewer/GitHub
        assert base64.b64decode(picture).startswith(b"\x89PNG")
    if path.stem == "quickstart":
        assert _panels(notebook) == QUICKSTART_PANELS
        printed = "".join(output.get("text", "") for cell in notebook.cells
                          for output in cell.get("outputs", []))
        missing = [text for text in QUICKSTART_PRINTS if text not in printed]
        assert not missing, f"the quickstart no longer prints {missing}:\n{printed}"
        assert (tmp_path / "quickstart_report.html").stat().st_size > 0


def test_headless_demo_report(tmp_path: Path) -> None:
    out = tmp_path / "quickstart.html"
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "report.py"),
         str(ROOT / "notebooks" / "quickstart.ipynb"), "--out", str(out)],
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "HTML report:" in result.stdout
    counts = re.search(r"(\d+) panel\(s\): (\d+) interactive, (\d+) as pictures", result.stdout)
    assert counts, result.stdout
    total, interactive, pictures = map(int, counts.groups())
    assert total == len(QUICKSTART_PANELS), result.stdout
    if hasattr(nbviz, "export_html"):  # panels carry their interactive text/html snapshot
        assert interactive == total, result.stdout
    else:
        assert pictures == total, result.stdout
    html = out.read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") >= pictures
    assert WIDGET_MIME not in html
