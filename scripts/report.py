"""Execute a notebook headlessly and write a self-contained HTML report of it.

Each nbviz panel's output carries, beside the live widget view, a static
interactive snapshot (``text/html``: the panel's JS and its decimated data
inlined, no network) and a picture (``image/png``). The report keeps the
richest one that works without a kernel: the ``text/html`` snapshot (zoom,
hover, sliders still work), or the picture where a panel has no snapshot. So
the report opens offline, from ``file://``.

    python scripts/report.py notebooks/quickstart.ipynb --out reports/quickstart.html
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbconvert import HTMLExporter

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
HTML_MIME = "text/html"
PNG_MIME = "image/png"


@dataclass(frozen=True)
class Staticized:
    """How the widget views of a notebook were replaced."""

    interactive: int  # kept the text/html snapshot
    pictures: int  # kept the PNG (no snapshot in that output)

    @property
    def total(self) -> int:
        return self.interactive + self.pictures


def staticize(notebook: nbformat.NotebookNode) -> Staticized:
    """Replace each widget view by its static form, in place: the ``text/html`` snapshot
    when the output has one (its PNG is dropped too, it would only duplicate it), else
    the ``image/png`` picture. Widget views without either are left alone (nbconvert
    then shows their ``text/plain``). The notebook's widget state is dropped.

    >>> staticize(nbformat.read("executed.ipynb", as_version=4))  # doctest: +SKIP
    Staticized(interactive=7, pictures=1)
    """
    interactive = pictures = 0
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_MIME not in data:
                continue
            if HTML_MIME in data:
                del data[WIDGET_MIME]
                data.pop(PNG_MIME, None)
                interactive += 1
            elif PNG_MIME in data:
                del data[WIDGET_MIME]
                pictures += 1
    notebook.metadata.pop("widgets", None)
    return Staticized(interactive, pictures)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--timeout", type=int, default=900)
    args = parser.parse_args(argv)
    if not args.notebook.is_file():
        parser.error(f"notebook {args.notebook} does not exist; pass the path of an .ipynb file")
    notebook = nbformat.read(args.notebook, as_version=4)
    workdir = args.out.parent.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    NotebookClient(notebook, timeout=args.timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(workdir)}}).execute()
    done = staticize(notebook)
    body, _ = HTMLExporter(embed_images=True).from_notebook_node(notebook)
    args.out.write_text(body, encoding="utf-8")
    print(f"executed {args.notebook} in {time.perf_counter() - started:.1f} s; "
          f"{done.total} panel(s): {done.interactive} interactive, {done.pictures} as pictures")
    print(f"HTML report: {os.path.relpath(args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
