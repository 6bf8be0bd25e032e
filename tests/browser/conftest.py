"""Real-browser fixtures: one Jupyter server + one Debian Chromium per session.

* ``jupyter``  (session): a ``jupyter lab`` server (Notebook 7 is served by the
  same server at ``/tree`` and ``/notebooks/<path>``) with isolated config /
  data / runtime / IPython dirs, a free port, a token and a tmp notebook root.
  Labextensions installed in the venv (anywidget, jupyterlab_widgets) are still
  found because ``sys.prefix/share/jupyter`` stays on the Jupyter path; this is
  checked against the page config the server hands to Lab.
* ``browser``  (session): Playwright driving ``/usr/bin/chromium``.
* ``page``     (per test): a fresh context + page; console messages and page
  errors are recorded, a screenshot is written to
  ``screenshots/browser/<test>.png`` for every test, and on failure the console,
  the server log tail and a ``<test>.failure.png`` are attached to the report.
  Page errors and console errors (widget render failures are logged there)
  that are not on the harmless lists fail the test at teardown.
* ``nb``       (per test): helpers to copy a notebook into the server root, open
  it in JupyterLab or Notebook 7, run all cells, wait for the kernel to go idle,
  switch to the dark theme, and wait for a widget with one diagnosable retry.

Run: ``.venv/bin/pytest tests/browser -m browser``
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from browser_helpers import REPO_NOTEBOOKS, SHOTS, TEST_NOTEBOOKS

CHROMIUM = os.environ.get("NBVIZ_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1280, "height": 900}

# Page errors Notebook 7 logs on every load (RECIPES.md); anything else fails.
HARMLESS_PAGE_ERRORS = (
    re.compile(r"reading 'schema'"),
    re.compile(r"filebrowser:open-path"),
)
# console.error lines that are not a fault of the page under test. Widget render
# failures are reported by the widget manager through console.error (not as page
# errors), so every other console error fails the test too.
HARMLESS_CONSOLE_ERRORS = (
    re.compile(r"filebrowser:open-path"),
    re.compile(r"favicon"),
)

# Lab federated extensions the widget tests depend on.
REQUIRED_LABEXTENSIONS = ("@jupyter-widgets/jupyterlab-manager", "anywidget")


# --------------------------------------------------------------------------- hooks


# Widget-did-not-appear retries of this session (also appended to flakes.log).
RETRIES: list[str] = []


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if RETRIES:
        terminalreporter.section("browser retries (widget did not appear)")
        for line in RETRIES:
            terminalreporter.write_line(line)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)
    if rep.failed and rep.when in ("setup", "call"):
        diag = getattr(item, "_nbviz_diag", None)
        if diag is not None:
            for title, text in diag():
                rep.sections.append((title, text))


# ------------------------------------------------------------------------ server


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class JupyterServer:
    url: str
    token: str
    root: Path
    settings_dir: Path
    log_path: Path
    proc: subprocess.Popen[bytes]

    def api(self, method: str, path: str, timeout: float = 10) -> Any:
        req = urllib.request.Request(
            f"{self.url}{path}",
            method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(req, timeout=timeout) as r:
            body = r.read()
        return json.loads(body) if body else None

    def get_text(self, path: str, timeout: float = 10) -> str:
        req = urllib.request.Request(
            f"{self.url}{path}", headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return str(r.read().decode())

    def log_tail(self, n: int = 120) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError as e:
            return f"<no server log: {e}>"
        return "\n".join(lines[-n:])

    def shutdown_kernels(self) -> None:
        """Delete every session and kernel (frees the 2 shared cores between tests)."""
        with contextlib.suppress(Exception):
            for s in self.api("GET", "/api/sessions"):
                with contextlib.suppress(Exception):
                    self.api("DELETE", f"/api/sessions/{s['id']}")
        with contextlib.suppress(Exception):
            for k in self.api("GET", "/api/kernels"):
                with contextlib.suppress(Exception):
                    self.api("DELETE", f"/api/kernels/{k['id']}")

    def reset_user_settings(self) -> None:
        """Forget settings a test changed through the UI (theme), keep the silencers."""
        theme = (
            self.settings_dir / "@jupyterlab" / "apputils-extension" / "themes.jupyterlab-settings"
        )
        with contextlib.suppress(FileNotFoundError):
            theme.unlink()

    def labextensions(self) -> list[str]:
        html = self.get_text("/lab")
        m = re.search(
            r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', html, re.S
        )
        if not m:
            raise RuntimeError("no jupyter-config-data in /lab page")
        cfg = json.loads(m.group(1))
        return [e["name"] for e in cfg.get("federated_extensions", [])]


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1))


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


@pytest.fixture(scope="session")
def jupyter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    base = tmp_path_factory.mktemp("jupyter")
    root, cfg, data, runtime, ipy = (
        base / d for d in ("root", "config", "data", "runtime", "ipython")
    )
    for d in (root, cfg, data, runtime, ipy):
        d.mkdir()
    settings = cfg / "lab" / "user-settings"
    # Silence the news / update toast (RECIPES.md).
    _write_json(
        settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings",
        {"fetchNews": "false", "checkForUpdates": False},
    )
    port = _free_port()
    token = uuid.uuid4().hex
    log_path = base / "server.log"
    env = dict(os.environ)
    env.update(
        JUPYTER_CONFIG_DIR=str(cfg),
        JUPYTER_DATA_DIR=str(data),
        JUPYTER_RUNTIME_DIR=str(runtime),
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTERLAB_WORKSPACES_DIR=str(cfg / "lab" / "workspaces"),
        IPYTHONDIR=str(ipy),
        JUPYTER_PLATFORM_DIRS="1",
        PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
        PYTHONUNBUFFERED="1",
        MPLBACKEND="Agg",
    )
    env.pop("JUPYTER_PATH", None)
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--allow-root",
        "--no-browser",
        "--ServerApp.open_browser=False",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--LabApp.expose_app_in_browser=True",
        "--JupyterNotebookApp.expose_app_in_browser=True",
        "--LabApp.extension_manager=readonly",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LanguageServerManager.autodetect=False",
    ]
    log = open(log_path, "wb")  # noqa: SIM115 - closed in the finalizer
    proc = subprocess.Popen(
        cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=root, start_new_session=True
    )
    server = JupyterServer(
        url=f"http://127.0.0.1:{port}",
        token=token,
        root=root,
        settings_dir=settings,
        log_path=log_path,
        proc=proc,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"jupyter lab exited with {proc.returncode}:\n{server.log_tail()}"
                )
            try:
                if server.api("GET", "/api/status", timeout=2).get("started"):
                    break
            except (urllib.error.URLError, ConnectionError, OSError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"jupyter lab not ready after 90 s:\n{server.log_tail()}")
            time.sleep(0.25)
        exts = server.labextensions()
        missing = [e for e in REQUIRED_LABEXTENSIONS if e not in exts]
        if missing:
            raise RuntimeError(
                f"JupyterLab does not see labextensions {missing} (it sees {exts}); "
                f"are they installed in {sys.prefix}/share/jupyter/labextensions?"
            )
        yield server
    finally:
        server.shutdown_kernels()
        _stop(proc)
        log.close()
        with contextlib.suppress(OSError):
            SHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copy(log_path, SHOTS / "server.log")


# ----------------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not found (apt-get install chromium); never `playwright install`")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@dataclass
class Console:
    messages: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def unexpected(self) -> list[str]:
        """Page errors and console errors that are not on the harmless lists."""
        bad = [
            f"page error: {e}"
            for e in self.page_errors
            if not any(p.search(e) for p in HARMLESS_PAGE_ERRORS)
        ]
        bad += [
            f"console error: {e}"
            for e in self.console_errors
            if not any(p.search(e) for p in HARMLESS_CONSOLE_ERRORS)
        ]
        return bad

    def dump(self) -> str:
        out = ["page errors:"] + [f"  {e}" for e in self.page_errors]
        out += ["console:"] + [f"  {m}" for m in self.messages]
        return "\n".join(out)


def _test_name(item: pytest.Item) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", item.name)


@pytest.fixture
def console() -> Console:
    return Console()


@pytest.fixture
def page(
    browser: Any, jupyter: JupyterServer, console: Console, request: pytest.FixtureRequest
) -> Iterator[Any]:
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
    context.set_default_timeout(30_000)
    pg = context.new_page()

    def on_console(msg: Any) -> None:
        loc = msg.location or {}
        where = f" ({loc.get('url', '')}:{loc.get('lineNumber', '')})" if loc.get("url") else ""
        console.messages.append(f"[{msg.type}] {msg.text}{where}")
        if msg.type == "error":
            console.console_errors.append(f"{msg.text}{where}")

    def on_error(err: Any) -> None:
        console.page_errors.append(f"{getattr(err, 'name', '')}: {getattr(err, 'message', err)}")

    pg.on("console", on_console)
    pg.on("pageerror", on_error)
    name = _test_name(request.node)

    def diag() -> list[tuple[str, str]]:
        shot = SHOTS / f"{name}.failure.png"
        with contextlib.suppress(Exception):
            pg.screenshot(path=str(shot))
        (SHOTS / f"{name}.console.log").write_text(console.dump())
        return [
            ("browser console", console.dump()),
            ("jupyter server log (tail)", jupyter.log_tail()),
            ("failure screenshot", str(shot)),
        ]

    request.node._nbviz_diag = diag
    try:
        yield pg
    finally:
        with contextlib.suppress(Exception):
            pg.screenshot(path=str(SHOTS / f"{name}.png"))
        (SHOTS / f"{name}.console.log").write_text(console.dump())
        with contextlib.suppress(Exception):
            context.close()
        jupyter.shutdown_kernels()
        jupyter.reset_user_settings()
    bad = console.unexpected()
    rep = getattr(request.node, "rep_call", None)
    if bad and rep is not None and rep.passed:
        (SHOTS / f"{name}.console.log").write_text(console.dump())
        pytest.fail("unexpected browser errors:\n" + "\n".join(bad), pytrace=False)


# ----------------------------------------------------------------------- helpers


class WidgetDidNotAppear(AssertionError):
    pass


class Notebook:
    """Drive one notebook in JupyterLab (``ui="lab"``) or Notebook 7 (``ui="nb7"``)."""

    def __init__(self, page: Any, server: JupyterServer, console: Console, name: str) -> None:
        self.page = page
        self.server = server
        self.console = console
        self.name = name
        self.ui = "lab"
        self.path = ""
        self.retries: list[str] = []

    # -- files ------------------------------------------------------------------
    def copy(self, src: str | Path, dest: str | None = None) -> str:
        """Copy a notebook into the server root; relative ``src`` is looked up in
        tests/browser/notebooks then notebooks/. Returns its path in the root."""
        p = Path(src)
        if not p.is_absolute():
            for d in (TEST_NOTEBOOKS, REPO_NOTEBOOKS):
                if (d / p).exists():
                    p = d / p
                    break
        if not p.exists():
            pytest.fail(
                f"notebook {src} not found (looked in {TEST_NOTEBOOKS} and {REPO_NOTEBOOKS})"
            )
        rel = dest or p.name
        target = self.server.root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(p, target)
        return rel

    # -- opening ----------------------------------------------------------------
    def url(self, ui: str, path: str) -> str:
        if ui == "lab":
            return f"{self.server.url}/lab/tree/{path}?reset&token={self.server.token}"
        if ui == "nb7":
            return f"{self.server.url}/notebooks/{path}?token={self.server.token}"
        raise ValueError(f"ui must be 'lab' or 'nb7', got {ui!r}")

    def open(self, path: str, ui: str = "lab", timeout: float = 60_000) -> None:
        self.ui, self.path = ui, path
        self.page.goto(self.url(ui, path), wait_until="domcontentloaded")
        # A rendered notebook with at least one cell, and the app object exposed.
        self.page.locator(".jp-Notebook .jp-Cell").first.wait_for(state="visible", timeout=timeout)
        self.page.wait_for_function(
            "() => window.jupyterapp && window.jupyterapp.commands.hasCommand('runmenu:run-all')",
            timeout=timeout,
        )
        self.wait_kernel_ready(timeout=timeout)

    # -- kernel state -----------------------------------------------------------
    KERNEL_STATUS_JS = """() => {
        const app = window.jupyterapp;
        const w = app && app.shell.currentWidget;
        const ctx = w && w.sessionContext;
        if (!ctx || !ctx.session || !ctx.session.kernel) return 'nokernel';
        return ctx.session.kernel.status;
    }"""

    def kernel_status(self) -> str:
        return str(self.page.evaluate(self.KERNEL_STATUS_JS))

    def wait_kernel_ready(self, timeout: float = 60_000) -> None:
        """Kernel started and idle (before running anything)."""
        self.page.wait_for_function(
            f"() => ({self.KERNEL_STATUS_JS})() === 'idle'", timeout=timeout
        )

    def stderr_outputs(self) -> list[str]:
        """Texts of the red boxes a person would see: stderr streams and errors."""
        return [
            str(t)
            for t in self.page.evaluate(
                """() => [...document.querySelectorAll(
                    '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"],' +
                    '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"]')]
                    .map(e => e.innerText)"""
            )
        ]

    def busy_prompts(self) -> int:
        """Cells whose prompt shows ``[*]`` (running or queued) — what a person sees."""
        return int(
            self.page.evaluate(
                """() => [...document.querySelectorAll('.jp-Cell .jp-InputArea-prompt')]
                     .filter(p => p.textContent.includes('*')).length"""
            )
        )

    def is_busy(self) -> bool:
        ind = self.page.locator(".jp-Notebook-ExecutionIndicator")
        if ind.count() and ind.first.get_attribute("data-status") == "busy":
            return True
        return self.busy_prompts() > 0 or self.kernel_status() == "busy"

    def wait_idle(self, timeout: float = 120_000) -> None:
        """All cells ran: no ``[*]`` prompt, every code cell has a number, kernel idle.
        And ``.jp-Notebook-ExecutionIndicator[data-status="idle"]`` (toolbar of
        both Lab and Notebook 7)."""
        js = f"""() => {{
            const k = ({self.KERNEL_STATUS_JS})();
            if (k !== 'idle') return false;
            const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')];
            if (!prompts.length) return false;
            if (prompts.some(p => !/\\[\\d+\\]/.test(p.textContent))) return false;
            const ind = document.querySelector('.jp-Notebook-ExecutionIndicator');
            if (ind && ind.dataset.status !== 'idle') return false;
            return true;
        }}"""
        self.page.wait_for_function(js, timeout=timeout, polling=250)

    # -- commands ---------------------------------------------------------------
    def command(self, cmd: str, args: dict[str, Any] | None = None, *, wait: bool = True) -> Any:
        """Execute an app command. ``wait=False`` returns at once: some commands'
        promises resolve only when they are done (Run All: when every cell ran)."""
        if not wait:
            self.page.evaluate(
                """([c, a]) => { window.jupyterapp.commands.execute(c, a).catch(
                       e => console.error(`command ${c} failed: ${e}`)); }""",
                [cmd, args or {}],
            )
            return None
        return self.page.evaluate(
            "([c, a]) => window.jupyterapp.commands.execute(c, a)", [cmd, args or {}]
        )

    def run_all(self) -> None:
        self.page.locator(".jp-Notebook").first.click(position={"x": 5, "y": 5})
        if self.page.evaluate("() => !!window.jupyterapp"):
            self.command("runmenu:run-all", wait=False)
        else:  # fall back to the Run menu, as a person would
            self.page.get_by_role("menuitem", name="Run").click()
            self.page.get_by_role("menuitem", name=re.compile("Run All Cells")).click()

    def dark_theme(self) -> None:
        self.command("apputils:change-theme", {"theme": "JupyterLab Dark"})
        self.page.wait_for_selector(
            'body[data-jp-theme-light="false"]', state="attached", timeout=30_000
        )
        self.page.wait_for_function(
            "() => getComputedStyle(document.body)"
            ".getPropertyValue('--jp-layout-color0').trim() !== ''"
        )

    # -- the whole dance, with one retry ------------------------------------------
    def run_until(
        self,
        selector: str,
        *,
        ui: str = "lab",
        path: str | None = None,
        run_timeout: float = 180_000,
        widget_timeout: float = 20_000,
        wait_for_idle: bool = True,
    ) -> Any:
        """Open, run all, (optionally) wait idle, wait for ``selector`` visible.
        If the widget does not appear, save a screenshot + console, reload, and
        try once more (RECIPES.md: one run in nine a widget did not appear)."""
        path = path or self.path
        for attempt in (1, 2):
            self.open(path, ui=ui)
            self.run_all()
            try:
                if wait_for_idle:
                    self.wait_idle(timeout=run_timeout)
                loc = self.page.locator(selector).first
                loc.wait_for(state="attached", timeout=widget_timeout)
                loc.scroll_into_view_if_needed()
                loc.wait_for(state="visible", timeout=widget_timeout)
                return loc
            except Exception as e:  # playwright TimeoutError or similar
                tag = f"{self.name}.retry{attempt}"
                with contextlib.suppress(Exception):
                    self.page.screenshot(path=str(SHOTS / f"{tag}.png"))
                (SHOTS / f"{tag}.console.log").write_text(
                    f"{type(e).__name__}: {e}\n\n{self.console.dump()}\n\n"
                    f"server log:\n{self.server.log_tail()}"
                )
                self.retries.append(
                    f"attempt {attempt}: {type(e).__name__}: {str(e).splitlines()[0]}"
                )
                line = (
                    f"{time.strftime('%Y-%m-%d %H:%M:%S')} {self.name} ui={ui} attempt {attempt}: "
                    f"{type(e).__name__}: {str(e).splitlines()[0]}"
                )
                RETRIES.append(line)
                with (SHOTS / "flakes.log").open("a") as f:
                    f.write(line + "\n")
                if attempt == 2:
                    raise WidgetDidNotAppear(
                        f"{selector} did not appear in {ui} after 2 attempts ({self.retries}); "
                        f"see {SHOTS}/{self.name}.retry*.png / .console.log"
                    ) from e
                self.server.shutdown_kernels()
        raise AssertionError("unreachable")


@pytest.fixture
def nb(
    page: Any, jupyter: JupyterServer, console: Console, request: pytest.FixtureRequest
) -> Notebook:
    return Notebook(page, jupyter, console, _test_name(request.node))
