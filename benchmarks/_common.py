"""Shared helpers for the benchmark scripts (not a benchmark itself).

* :func:`fmt_rate` / :func:`fmt_secs` — human formatting.
* :func:`summary` — print the one-line machine-readable JSON summary that ends
  every benchmark (``BENCH_JSON {...}``; ``run_all.py`` collects these).
* :class:`Kernel` — a real Jupyter kernel (``jupyter_client``) that runs code
  and records every iopub message it sends, with the client-side arrival time,
  so benchmarks can count the widget ``comm_msg`` messages that really go out.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import queue
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SUMMARY_PREFIX = "BENCH_JSON "

# Debian's chromium, launched as RECIPES.md says (never a downloaded browser build).
CHROMIUM = os.environ.get("NBVIZ_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]

# An anywidget model stand-in for benchmark pages that drive a panel bundle without a kernel
# (traits in `state`, change events, no messages).
FAKE_MODEL_JS = """class FakeModel {
  constructor(state) { this.state = {...state}; this.handlers = new Map(); }
  get(k) { return this.state[k]; }
  set(k, v) { this.state[k] = v; this.emit(`change:${k}`); }
  setMany(o) {
    Object.assign(this.state, o);
    for (const k of Object.keys(o)) this.emit(`change:${k}`);
  }
  on(e, cb) {
    if (!this.handlers.has(e)) this.handlers.set(e, new Set());
    this.handlers.get(e).add(cb);
  }
  off(e, cb) { this.handlers.get(e)?.delete(cb); }
  emit(e, ...a) { for (const cb of [...(this.handlers.get(e) ?? [])]) cb(...a); }
  save_changes() {}
  send() {}
}
"""


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1 (a free port) for the duration; yields the URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def fmt_rate(per_second: float) -> str:
    if per_second >= 1e6:
        return f"{per_second / 1e6:.2f} M/s"
    if per_second >= 1e3:
        return f"{per_second / 1e3:.1f} k/s"
    return f"{per_second:.1f} /s"


def fmt_secs(seconds: float) -> str:
    if seconds < 1e-6:
        return f"{seconds * 1e9:.0f} ns"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.2f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def fmt_bytes(count: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(count) < 1024 or unit == "GiB":
            return f"{count:.1f} {unit}" if unit != "B" else f"{count:.0f} B"
        count /= 1024
    return f"{count:.1f} GiB"  # pragma: no cover


def summary(name: str, **fields: Any) -> None:
    """Print the final one-line JSON summary of a benchmark."""
    record = {"benchmark": name, **fields}
    print(SUMMARY_PREFIX + json.dumps(record, sort_keys=False, default=float), flush=True)


def ensure_scalars_bundle() -> None:
    """The Scalars widget reads nbviz/static/scalars.js (built JS, gitignored).

    Kernel-side benchmarks only need the file to exist; when the JS was not
    built, write the documented placeholder so the widget can be constructed.
    """
    static = REPO / "nbviz" / "static" / "scalars.js"
    if not static.is_file():
        static.parent.mkdir(parents=True, exist_ok=True)
        static.write_text("export default {render(){}}\n", encoding="utf-8")
        print(f"note: {static} was missing; wrote a placeholder bundle (kernel-side benchmark)")


@dataclass
class Message:
    """One iopub message as the client saw it."""

    arrived: float  # time.monotonic() on the client when read
    msg_type: str
    content: dict[str, Any]
    buffers: list[bytes] = field(default_factory=list)
    parent_id: str = ""


class Kernel:
    """A real IPython kernel driven through ``jupyter_client``.

    Every iopub message is read on a client thread as it arrives and recorded
    with its arrival time (``self.messages``), so comm traffic can be counted
    per second while a cell is still running.
    """

    def __init__(self, cwd: Path | None = None, extra_env: dict[str, str] | None = None) -> None:
        import threading

        from jupyter_client.manager import KernelManager

        env = dict(os.environ)
        env.update(extra_env or {})
        # Keep the kernel on the benchmark's python (the venv), whatever the kernelspec says.
        self.km = KernelManager(kernel_name="python3")
        self.km.kernel_spec.argv[0] = sys.executable
        self.km.start_kernel(cwd=str(cwd or Path.cwd()), env=env)
        self.kc = self.km.client()
        try:
            self.kc.start_channels()
            self.kc.wait_for_ready(timeout=60)
        except BaseException:
            self.kc.stop_channels()
            self.km.shutdown_kernel(now=True)
            raise
        self.messages: list[Message] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._replies: queue.Queue[dict[str, Any]] = queue.Queue()
        self._reader = threading.Thread(target=self._read_iopub, daemon=True)
        self._reader.start()

    def _read_iopub(self) -> None:
        while not self._stop.is_set():
            try:
                msg = self.kc.get_iopub_msg(timeout=0.1)
            except queue.Empty:
                continue
            except Exception:  # channel closed at shutdown
                if self._stop.is_set():
                    return
                continue
            record = Message(
                arrived=time.monotonic(),
                msg_type=msg["header"]["msg_type"],
                content=msg["content"],
                buffers=[bytes(b) for b in msg.get("buffers") or []],
                parent_id=msg.get("parent_header", {}).get("msg_id", ""),
            )
            with self._lock:
                self.messages.append(record)

    def snapshot(self) -> list[Message]:
        with self._lock:
            return list(self.messages)

    def execute(self, code: str, timeout: float = 120.0) -> tuple[str, list[Message]]:
        """Run ``code``; return (stdout text, iopub messages of this execution).

        Raises RuntimeError with the traceback if the cell fails.
        """
        msg_id = self.kc.execute(code, store_history=False)
        deadline = time.monotonic() + timeout
        reply = None
        while time.monotonic() < deadline:
            try:
                candidate = self.kc.get_shell_msg(timeout=0.5)
            except queue.Empty:
                continue
            if candidate.get("parent_header", {}).get("msg_id") == msg_id:
                reply = candidate
                break
        if reply is None:
            raise TimeoutError(f"kernel cell did not finish within {timeout} s")
        # Wait for this execution's 'idle' status on iopub, so its output is all in.
        while time.monotonic() < deadline:
            mine = [m for m in self.snapshot() if m.parent_id == msg_id]
            if any(m.msg_type == "status" and m.content.get("execution_state") == "idle"
                   for m in mine):
                break
            time.sleep(0.01)
        mine = [m for m in self.snapshot() if m.parent_id == msg_id]
        text = "".join(m.content.get("text", "") for m in mine
                       if m.msg_type == "stream" and m.content.get("name") == "stdout")
        errors = [m for m in mine if m.msg_type == "error"]
        if reply["content"].get("status") != "ok" or errors:
            detail = "\n".join("\n".join(m.content.get("traceback", [])) for m in errors)
            stderr = "".join(m.content.get("text", "") for m in mine
                             if m.msg_type == "stream" and m.content.get("name") == "stderr")
            raise RuntimeError(f"kernel cell failed:\n{detail or reply['content']}\n{stderr}")
        return text, mine

    def shutdown(self) -> None:
        self._stop.set()
        try:
            self.kc.stop_channels()
        finally:
            self.km.shutdown_kernel(now=True)
        self._reader.join(timeout=2)

    def __enter__(self) -> Kernel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()


def last_json_line(text: str, prefix: str = "RESULT ") -> dict[str, Any]:
    """The JSON object printed by kernel code as ``RESULT {...}`` (last one wins)."""
    found = None
    for line in text.splitlines():
        if line.startswith(prefix):
            found = json.loads(line[len(prefix):])
    if found is None:
        raise RuntimeError(f"no {prefix!r} line in kernel output:\n{text}")
    return found
