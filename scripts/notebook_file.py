"""Write a notebook of ``notebooks/`` from its cell sources (the make_*_notebook scripts).

    from notebook_file import write_notebook
    write_notebook("pr_curves.ipynb", CELLS)
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import nbformat
from nbformat.v4 import new_notebook

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def write_notebook(name: str, cells: list[nbformat.NotebookNode]) -> Path:
    """Validate and write ``notebooks/<name>`` (Python 3 kernel); return its path.

    Cell ids come from the cell's position and source, so rewriting an unchanged notebook
    changes no byte of it."""
    for index, cell in enumerate(cells):
        digest = hashlib.sha1(f"{index}\0{cell.source}".encode()).hexdigest()[:8]
        cell["id"] = f"c{index:02d}-{digest}"
    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    notebook.metadata["language_info"] = {"name": "python"}
    nbformat.validate(notebook)
    NOTEBOOKS.mkdir(parents=True, exist_ok=True)
    path = NOTEBOOKS / name
    nbformat.write(notebook, path)
    return path
