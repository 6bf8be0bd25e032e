"""scripts/report.py keeps the richest static form of each panel: the interactive
``text/html`` snapshot when the output has one, else the PNG picture.

The outputs are made by hand, in the shape a panel's ``_repr_mimebundle_`` produces
(widget view + ``text/html`` + ``image/png`` + ``text/plain``), and rendered with
nbconvert's real HTMLExporter, as the report does.
"""

from __future__ import annotations

import base64
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import nbformat
from nbconvert import HTMLExporter
from nbformat.v4 import new_code_cell, new_notebook, new_output

ROOT = Path(__file__).resolve().parents[2]

# 1×1 PNG, real bytes: what nbconvert embeds as data:image/png;base64,…
PNG = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e2b5b4"
        "a60000000049454e44ae426082"
    )
).decode()
SNAPSHOT = '<div class="nbviz-snapshot" data-kind="scalars"><script>/*panel js*/</script></div>'


def _report() -> ModuleType:
    spec = importlib.util.spec_from_file_location("nbviz_report", ROOT / "scripts" / "report.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up by name
    spec.loader.exec_module(module)
    return module


def _widget(model_id: str) -> dict[str, object]:
    return {"version_major": 2, "version_minor": 0, "model_id": model_id}


def _notebook() -> nbformat.NotebookNode:
    both = new_output("display_data", data={
        "application/vnd.jupyter.widget-view+json": _widget("a" * 32),
        "text/html": SNAPSHOT,
        "image/png": PNG,
        "text/plain": "Scalars(runs/quickstart)",
    })
    picture_only = new_output("display_data", data={
        "application/vnd.jupyter.widget-view+json": _widget("b" * 32),
        "image/png": PNG,
        "text/plain": "Health(lr=20)",
    })
    plain_html = new_output("execute_result", execution_count=3, data={
        "text/html": '<table class="df"><tr><td>0.93</td></tr></table>',
        "text/plain": "0.93",
    })
    notebook = new_notebook(cells=[
        new_code_cell("panel", execution_count=1, outputs=[both]),
        new_code_cell("health", execution_count=2, outputs=[picture_only]),
        new_code_cell("df", execution_count=3, outputs=[plain_html]),
    ])
    notebook.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    nbformat.validate(notebook)
    return notebook


def test_snapshot_wins_over_picture_and_widget_view() -> None:
    report = _report()
    notebook = _notebook()
    done = report.staticize(notebook)
    assert (done.interactive, done.pictures, done.total) == (1, 1, 2)
    first, second, third = (cell.outputs[0].data for cell in notebook.cells)
    assert set(first) == {"text/html", "text/plain"}
    assert set(second) == {"image/png", "text/plain"}
    assert set(third) == {"text/html", "text/plain"}  # not a widget: untouched
    assert "widgets" not in notebook.metadata


def test_rendered_report_is_interactive_where_it_can_be() -> None:
    report = _report()
    notebook = _notebook()
    report.staticize(notebook)
    html, _ = HTMLExporter(embed_images=True).from_notebook_node(notebook)
    assert SNAPSHOT in html  # the snapshot is inlined as is (its script runs)
    assert html.count(f"data:image/png;base64,{PNG}") == 1  # only the Health picture
    assert "application/vnd.jupyter.widget-view+json" not in html
    assert '<table class="df">' in html


def test_outputs_without_static_form_are_left_alone() -> None:
    report = _report()
    bare = new_output("display_data", data={
        "application/vnd.jupyter.widget-view+json": _widget("c" * 32),
        "text/plain": "IntSlider(value=3)",
    })
    notebook = new_notebook(cells=[new_code_cell("slider", execution_count=1, outputs=[bare])])
    done = report.staticize(notebook)
    assert done.total == 0
    assert "application/vnd.jupyter.widget-view+json" in notebook.cells[0].outputs[0].data
