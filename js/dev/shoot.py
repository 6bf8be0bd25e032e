"""Visual checks of the scalars panel via the dev harness (not a test).

Usage: /work/main/.venv/bin/python js/dev/shoot.py [outdir]
Builds nothing: run `npm run build` in js/ first.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import sys
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright

DEV = Path(__file__).resolve().parent
OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else DEV.parent.parent / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a: object) -> None:
        pass


@contextlib.contextmanager
def serve(directory: Path):
    handler = functools.partial(Quiet, directory=str(directory))
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()
        srv.server_close()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with serve(DEV) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 1000}, device_scale_factor=1)
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: m.type in ("error", "warning") and errors.append(m.text))
        for theme in ("light", "dark"):
            page.goto(f"{base}/harness.html?demo=1&theme={theme}")
            page.wait_for_selector(".nbviz-chart canvas")
            page.wait_for_timeout(300)
            page.screenshot(path=str(OUT / f"scalars-{theme}.png"), full_page=True)
            # hover the first chart
            chart = page.locator(".nbviz-chart").first
            box = chart.locator(".u-over").bounding_box()
            assert box
            page.mouse.move(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.5)
            page.wait_for_timeout(100)
            chart.screenshot(path=str(OUT / f"scalars-{theme}-hover.png"))
        print("errors:", errors)
        browser.close()


if __name__ == "__main__":
    main()
