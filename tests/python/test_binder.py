"""Binder installs everything the notebooks need.

Every module a notebook in notebooks/ imports (``import``/``from`` statements and
``%load_ext``), and every package those imports load in turn (``torch.utils.tensorboard``
loads ``tensorboard``), must come from a distribution that binder/environment.yml lists,
that binder/postBuild installs (nbviz itself, with its extras from pyproject.toml), or that
one of those requires (their metadata in this venv). And every optional nbviz extra except
``dev`` (umap, tsne, tensorboard, torch: the Projector's UMAP and t-SNE buttons, the
tfevents reader) is installed on Binder too. A notebook that gains an import without a
binder entry fails here, before it fails on Binder.
"""

from __future__ import annotations

import ast
import importlib.metadata as metadata
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import tomllib
import yaml
from IPython.core.inputtransformer2 import TransformerManager
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]

# conda-forge package -> the Python distribution it installs (same name when absent).
CONDA_TO_PYPI = {"pytorch-cpu": "torch", "pytorch": "torch", "matplotlib-base": "matplotlib"}
NOT_PYTHON = {"python", "pip", "nodejs"}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def notebook_imports(path: Path) -> set[str]:
    """Modules a notebook imports: import/from statements (at any depth of the cell's
    code) and ``%load_ext`` / ``%reload_ext`` magics. Relative imports are ignored."""
    modules: set[str] = set()
    transform = TransformerManager().transform_cell
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        tree = ast.parse(transform(cell.source))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module)
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                  and node.func.attr == "run_line_magic" and len(node.args) == 2
                  and all(isinstance(a, ast.Constant) for a in node.args)
                  and node.args[0].value in ("load_ext", "reload_ext")):
                modules.add(str(node.args[1].value).split()[0])
    return modules


def binder_distributions() -> set[str]:
    """Distributions Binder installs directly: environment.yml (conda and its pip section)
    and postBuild's ``pip install`` lines (``-e .[extras]`` is nbviz with those extras)."""
    env = yaml.safe_load((ROOT / "binder" / "environment.yml").read_text(encoding="utf-8"))
    names: set[str] = set()
    for entry in env["dependencies"]:
        if isinstance(entry, dict):
            names.update(_norm(Requirement(spec).name) for spec in entry.get("pip", []))
            continue
        conda = re.split(r"[=<>! ]", str(entry), maxsplit=1)[0]
        if conda not in NOT_PYTHON:
            names.add(_norm(CONDA_TO_PYPI.get(conda, conda)))
    for line in (ROOT / "binder" / "postBuild").read_text(encoding="utf-8").splitlines():
        words = shlex.split(line, comments=True)
        if "pip" not in words or "install" not in words:
            continue
        for word in words[words.index("install") + 1:]:
            if word.startswith("."):  # the repository itself: nbviz, with its extras
                names.add("nbviz")
                extras = re.fullmatch(r"\.\[(.*)\]", word)
                for extra in (extras.group(1).split(",") if extras else []):
                    names.update(_norm(Requirement(r).name)
                                 for r in PROJECT["optional-dependencies"][extra.strip()])
            elif not word.startswith("-"):
                names.add(_norm(Requirement(word).name))
    return names


def requirement_closure(names: set[str]) -> set[str]:
    """``names`` plus everything they require, transitively (this venv's metadata; nbviz's
    own requirements from pyproject.toml). Requirements behind extras are left out."""
    closure, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name in closure:
            continue
        closure.add(name)
        if name == "nbviz":
            requires = PROJECT["dependencies"]
        else:
            try:
                requires = metadata.requires(name) or []
            except metadata.PackageNotFoundError:
                continue  # not in this venv: nothing more to learn about it
        for spec in requires:
            requirement = Requirement(spec)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(_norm(requirement.name))
    return closure


# Runs in a fresh interpreter: imports each module in turn and prints the top-level packages
# it loaded that the modules before had not. Packages first imported inside a
# ``try: ... except ImportError`` (numpy's f2py trying charset_normalizer, sklearn trying
# rich) are optional to their importer, not needed: they are left out.
LOADED = """
import ast, functools, importlib, json, sys, traceback

CATCHES = ("ImportError", "ModuleNotFoundError", "Exception")
seen, optional = set(sys.modules), set()

@functools.lru_cache(maxsize=None)
def guarded_lines(filename):
    try:
        tree = ast.parse(open(filename, encoding="utf-8").read())
    except (OSError, SyntaxError, ValueError):
        return ()
    return tuple((node.body[0].lineno, node.body[-1].end_lineno) for node in ast.walk(tree)
                 if isinstance(node, ast.Try) and any(
                     handler.type is None or any(c in ast.unparse(handler.type) for c in CATCHES)
                     for handler in node.handlers))

class FirstImport:
    def find_spec(self, name, path=None, target=None):
        if "." in name or name in seen:
            return None
        seen.add(name)
        frames = [f for f in traceback.extract_stack()[:-1] if not f.filename.startswith("<")]
        where = frames[-1] if frames else None
        if where and any(a <= where.lineno <= b for a, b in guarded_lines(where.filename)):
            optional.add(name)
        return None

sys.meta_path.insert(0, FirstImport())
for name in sys.argv[1:]:
    before = set(sys.modules)
    importlib.import_module(name)
    tops = {m.split(".")[0] for m in set(sys.modules) - before} - optional
    print(json.dumps([name, sorted(tops)]))
"""


def loaded_packages(modules: list[str]) -> dict[str, set[str]]:
    """For each module, in order, the third-party top-level packages importing it needs
    that the modules before it had not loaded yet (stdlib and nbviz left out)."""
    result = subprocess.run([sys.executable, "-c", LOADED, *modules], capture_output=True,
                            text=True, timeout=600, check=False, cwd=ROOT)
    assert result.returncode == 0, f"importing {modules} fails here: {result.stderr[-2000:]}"
    loaded: dict[str, set[str]] = {}
    for line in result.stdout.splitlines():
        module, tops = json.loads(line)
        loaded[module] = {top for top in tops if top not in sys.stdlib_module_names
                          and not top.startswith("_") and top != "nbviz"}
    return loaded


def test_notebooks_parse_and_import_something() -> None:
    assert NOTEBOOKS
    for path in NOTEBOOKS:
        assert "nbviz" in notebook_imports(path), path.name


def test_import_collection_sees_magics_and_nested_imports(tmp_path: Path) -> None:
    path = tmp_path / "probe.ipynb"
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("%load_ext nbviz\n!echo hi\nimport numpy as np, json"),
        nbformat.v4.new_code_cell("def f():\n    from torch.utils import tensorboard\n"
                                  "    from . import local\n    return tensorboard"),
        nbformat.v4.new_markdown_cell("import pandas"),
    ])
    nbformat.write(notebook, path)
    assert notebook_imports(path) == {"nbviz", "numpy", "json", "torch.utils"}


@pytest.mark.slow
def test_binder_installs_every_notebook_import() -> None:
    installed = requirement_closure(binder_distributions())
    users: dict[str, list[str]] = {}
    for path in NOTEBOOKS:
        for module in sorted(notebook_imports(path)):
            if module.split(".")[0] not in sys.stdlib_module_names:
                users.setdefault(module, []).append(path.name)
    owners = metadata.packages_distributions()
    missing = [f"{', '.join(users[module])}: `import {module}` needs {top} "
               f"(from {' or '.join(owners[top])})"
               for module, tops in loaded_packages(sorted(users)).items() for top in sorted(tops)
               # no owner: not from a distribution (cython_runtime); a namespace package
               # (google.*) is fine when one of its owners is installed
               if top in owners and not any(_norm(owner) in installed for owner in owners[top])]
    assert "nbviz" in installed
    assert not missing, ("binder/environment.yml (or postBuild) lacks what notebooks import:\n"
                         + "\n".join(missing))


def test_binder_installs_every_nbviz_extra() -> None:
    installed = requirement_closure(binder_distributions())
    missing = [f"nbviz[{extra}] needs {Requirement(spec).name}"
               for extra, specs in PROJECT["optional-dependencies"].items() if extra != "dev"
               for spec in specs if _norm(Requirement(spec).name) not in installed]
    assert not missing, "binder/ does not install nbviz's optional features:\n" + "\n".join(
        missing)


def test_closure_follows_requirements() -> None:
    closure = requirement_closure({"scikit-learn"})
    assert {"scikit-learn", "numpy", "scipy", "joblib"} <= closure
    assert "torch" not in closure
