"""Execute a notebook headlessly and write a self-contained HTML report of it.

Widget outputs are replaced by the static picture each nbviz panel attaches
(``image/png``), so the report shows the charts offline, from ``file://``.

    python scripts/report.py notebooks/quickstart.ipynb --out reports/quickstart.html
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbconvert import HTMLExporter

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def staticize(notebook: nbformat.NotebookNode) -> int:
    """Drop widget views that carry a static picture; return how many were replaced."""
    replaced = 0
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_MIME in data and "image/png" in data:
                del data[WIDGET_MIME]
                replaced += 1
    notebook.metadata.pop("widgets", None)
    return replaced


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--timeout", type=int, default=900)
    args = parser.parse_args(argv)
    notebook = nbformat.read(args.notebook, as_version=4)
    workdir = args.out.parent.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    NotebookClient(notebook, timeout=args.timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(workdir)}}).execute()
    replaced = staticize(notebook)
    body, _ = HTMLExporter(embed_images=True).from_notebook_node(notebook)
    args.out.write_text(body, encoding="utf-8")
    print(f"executed {args.notebook} in {time.perf_counter() - started:.1f} s; "
          f"{replaced} live panel(s) rendered as pictures")
    print(f"HTML report: {os.path.relpath(args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
