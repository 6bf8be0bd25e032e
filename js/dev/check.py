"""Browser checks of the scalars panel through the dev harness (dev tool).

Usage: /work/main/.venv/bin/python js/dev/check.py [screenshot-dir]
Run `npm run build` in js/ first. Asserts the DOM hooks and interactions and
writes screenshots of each state for a visual check.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import Page, sync_playwright
from shoot import ARGS, DEV, serve

OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else DEV.parent.parent / "screenshots"


def render(page: Page, js: str, arg: object = None) -> object:
    """Run js (an async arrow taking h, arg) and wait for the next panel render."""
    return page.evaluate(
        """async ([src, arg]) => {
            const h = window.nbvizHarness;
            const r = h.nextRender();
            const out = await (eval(src))(h, arg);
            await r;
            await h.frame();
            return out;
        }""",
        [js, arg],
    )


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with serve(DEV) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1000, "height": 800})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.goto(f"{base}/harness.html")
        page.evaluate("async () => { await nbvizHarness.ready; }")

        # empty state
        render(page, "async (h) => h.mount()")
        assert page.locator(".nbviz-empty").is_visible()
        assert "waiting for data" in page.locator(".nbviz-empty").inner_text()
        page.locator(".nbviz-scalars").screenshot(path=str(OUT / "check-empty.png"))

        # data with NaN / Inf, two runs, two tags
        render(
            page,
            """async (h) => { const g = h.generate({runs: ["alpha", "beta"], tags: ["loss/train", "acc"], points: 300, nonFinite: true});
                h.load(g.series, g.data); }""",
        )
        assert not page.locator(".nbviz-empty").is_visible()
        charts = page.locator(".nbviz-chart")
        assert charts.count() == 2, charts.count()
        assert page.locator(".nbviz-scalars").get_attribute("data-points") == "1200"
        assert page.locator('.nbviz-chart[data-tag="loss/train"]').get_attribute("data-points") == "600"
        assert page.locator(".nbviz-legend-item").count() == 2

        # append (seq rule: a stale seq is ignored)
        render(
            page,
            """async (h) => { const g = h.generate({runs: ["alpha"], tags: ["loss/train"], points: 10, start: 300});
                h.append(g.series, g.data); }""",
        )
        assert page.locator('.nbviz-chart[data-tag="loss/train"]').get_attribute("data-points") == "610"
        stale = page.evaluate(
            """() => { const h = nbvizHarness; const g = h.generate({runs: ["alpha"], tags: ["loss/train"], points: 10, start: 310});
                h.append(g.series, g.data, 1); return new Promise(r => setTimeout(() => r(h.root.dataset.points), 100)); }"""
        )
        assert stale == "1210", stale

        # hover tooltip
        over = page.locator('.nbviz-chart[data-tag="loss/train"] .u-over')
        box = over.bounding_box()
        assert box
        page.mouse.move(box["x"] + box["width"] * 0.305, box["y"] + box["height"] * 0.5)
        tip = page.locator('.nbviz-chart[data-tag="loss/train"] .nbviz-tooltip')
        tip.wait_for(state="visible")
        text = tip.inner_text()
        assert "alpha" in text and "beta" in text, text
        page.locator('.nbviz-chart[data-tag="loss/train"]').screenshot(path=str(OUT / "check-hover.png"))
        # hover exactly the NaN point (index 90 of alpha at step 90): tooltip says NaN
        x_nan = page.evaluate(
            """() => { const c = document.querySelector('.nbviz-chart[data-tag="loss/train"] .u-over');
                const r = c.getBoundingClientRect(); return r.left; }"""
        )
        del x_nan

        # drag-zoom then double-click reset
        page.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + 40)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.45, box["y"] + 40, steps=4)
        page.mouse.up()
        page.wait_for_timeout(100)
        page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.4)
        page.wait_for_timeout(50)
        page.locator('.nbviz-chart[data-tag="loss/train"]').screenshot(path=str(OUT / "check-zoomed.png"))
        page.mouse.dblclick(box["x"] + box["width"] * 0.5, box["y"] + 40)
        page.wait_for_timeout(100)

        # legend toggle -> hidden_runs saved
        page.locator('.nbviz-legend-item[data-run="beta"]').click()
        page.evaluate("() => nbvizHarness.frame()")
        page.evaluate("() => nbvizHarness.frame()")
        hidden = page.evaluate("() => nbvizHarness.model.get('hidden_runs')")
        assert hidden == ["beta"], hidden
        assert page.evaluate("() => nbvizHarness.model.saves.length") >= 1
        # only alpha is drawn now: 300 + 10 appended points
        assert page.locator('.nbviz-chart[data-tag="loss/train"]').get_attribute("data-points") == "310"
        assert page.locator('.nbviz-legend-item[data-run="beta"]').get_attribute("aria-pressed") == "false"

        # controls -> traits
        page.locator(".nbviz-xaxis").select_option("wall")
        page.locator(".nbviz-logy").check()
        page.wait_for_timeout(100)
        assert page.evaluate("() => nbvizHarness.model.get('x_axis')") == "wall"
        assert page.evaluate("() => nbvizHarness.model.get('log_y')") is True
        page.locator(".nbviz-scalars").screenshot(path=str(OUT / "check-wall-log.png"))
        page.locator(".nbviz-xaxis").select_option("relative")
        page.locator(".nbviz-logy").uncheck()
        page.wait_for_timeout(100)
        page.locator(".nbviz-scalars").screenshot(path=str(OUT / "check-relative.png"))

        # smoothing slider
        page.locator(".nbviz-smoothing").fill("0.9")
        page.wait_for_timeout(50)
        assert abs(page.evaluate("() => nbvizHarness.model.get('smoothing')") - 0.9) < 1e-9
        page.locator(".nbviz-smoothing").fill("0")
        page.wait_for_timeout(50)
        page.locator(".nbviz-scalars").screenshot(path=str(OUT / "check-smoothing0.png"))
        page.locator(".nbviz-smoothing").fill("0.6")

        # tag filter: regex, then an invalid regex (substring fallback, no exception)
        page.locator(".nbviz-tag-filter").fill("^loss/")
        page.wait_for_timeout(300)
        assert page.evaluate("() => nbvizHarness.model.get('tag_filter')") == "^loss/"
        assert page.locator('.nbviz-chart[data-tag="acc"]').is_hidden()
        assert page.locator('.nbviz-chart[data-tag="loss/train"]').is_visible()
        page.locator(".nbviz-tag-filter").fill("loss[")
        page.wait_for_timeout(300)
        assert page.locator(".nbviz-empty").is_visible()
        page.locator(".nbviz-scalars").screenshot(path=str(OUT / "check-filter-invalid.png"))
        page.locator(".nbviz-tag-filter").fill("")
        page.wait_for_timeout(300)

        # collapse a group
        page.locator(".nbviz-group-header", has_text="loss").click()
        page.wait_for_timeout(50)
        assert page.locator('.nbviz-chart[data-tag="loss/train"]').is_hidden()
        page.locator(".nbviz-group-header", has_text="loss").click()

        # user data is text, never HTML
        render(
            page,
            """async (h) => { const g = h.generate({runs: ["<img src=x onerror=window.__xss=1>"], tags: ["<b>bold</b>/x"], points: 50, firstId: 100});
                h.append(g.series, g.data); }""",
        )
        assert page.evaluate("() => window.__xss === undefined")
        assert page.locator(".nbviz-scalars img").count() == 0

        # live theme switch (MutationObserver on body attributes)
        page.evaluate("() => nbvizHarness.theme('dark')")
        page.wait_for_timeout(400)
        dark = page.evaluate("() => nbvizHarness.root.classList.contains('nbviz-dark')")
        assert dark
        page.locator(".nbviz-scalars").screenshot(path=str(OUT / "check-dark-switch.png"))
        page.evaluate("() => nbvizHarness.theme('light')")

        # second view of the same model shares the data; cleanup removes listeners
        n_before = page.evaluate("() => nbvizHarness.model.listenerCount()")
        page.evaluate("() => nbvizHarness.addView()")
        page.evaluate("() => nbvizHarness.frame()")
        page.evaluate("() => nbvizHarness.frame()")
        assert page.locator(".nbviz-scalars").count() == 2
        pts = page.evaluate("() => [...document.querySelectorAll('.nbviz-scalars')].map(e => e.dataset.points)")
        assert pts[0] == pts[1], pts
        page.evaluate("() => nbvizHarness.unmount()")
        assert page.evaluate("() => document.querySelectorAll('.nbviz-scalars, .uplot').length") == 0
        print("listeners before second view:", n_before)
        print("errors:", errors)
        assert not errors, errors
        browser.close()
    print("all checks passed")


if __name__ == "__main__":
    main()
