"""Write snapshots as HTML that renders offline: no CDN, no RequireJS, no network.

A *fragment* (one notebook output, or the body of an exported page) holds a mount
point, the gzip+base64 code of each bundle it needs (once per fragment), the
snapshot's state as inert JSON, its bytes as gzip+base64 scripts (one per widget, and
one per chunk of a lazy panel's points, decoded when needed) and the runtime
(``nbviz/static/snapshot.js``, built from ``js/src/snapshot/``), which renders the
mount point with the panels' own bundles. Where scripts do not run (GitHub's viewer)
the mount point shows the fallback picture it was written with.

User strings only ever reach the page inside JSON in ``<script type="application/json">``
(every ``<``, ``>`` and ``&`` escaped, so neither ``</script>`` nor ``<!--`` can end it)
or as escaped attribute text; the panels render them with ``textContent``.

>>> "<" in state_json({"run": "</script><img src=x onerror=alert(1)>"})
False
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import html
import json
import uuid
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from nbviz.export.collect import WidgetSnapshot
from nbviz.export.lazy import split_series
from nbviz.export.state import encode_value
from nbviz.widgets._bundle import bundle_path

__all__ = ["fragment", "packed", "page", "state_json"]

RUNTIME_BUNDLE = "snapshot"
_JSON_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026",
                 0x2028: "\\u2028", 0x2029: "\\u2029"}


def packed(data: bytes, level: int = 6) -> str:
    """``data`` gzip-compressed (deterministic: no timestamp) and base64-encoded.

    Level 6 for data: on float64 columns level 9 is ~10× slower for < 1 % smaller;
    bundles (compressed once per process) use 9.

    >>> gzip.decompress(base64.b64decode(packed(b"abc")))
    b'abc'
    """
    return base64.b64encode(gzip.compress(data, compresslevel=level, mtime=0)).decode("ascii")


def state_json(value: Any) -> str:
    """JSON for a ``<script type="application/json">``: no character can end the script.

    >>> state_json({"a": "<!--"})
    '{"a":"\\\\u003c!--"}'
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.translate(_JSON_ESCAPES)


@lru_cache(maxsize=64)
def _bundle_blob(name: str, mtime_ns: int) -> tuple[str, str]:
    code = bundle_path(name).read_bytes()
    key = f"{name}-{hashlib.sha256(code).hexdigest()[:16]}"
    return key, packed(code, level=9)


def bundle_blob(name: str) -> tuple[str, str]:
    """(key, base64 of gzip) of the built bundle ``nbviz/static/<name>.js``."""
    path = bundle_path(name)
    return _bundle_blob(name, path.stat().st_mtime_ns)


def _runtime_script() -> str:
    code = bundle_path(RUNTIME_BUNDLE).read_text(encoding="utf-8")
    lowered = code.lower()
    if "</script" in lowered or "<!--" in lowered:  # cannot be inlined as is
        raise RuntimeError(f"{bundle_path(RUNTIME_BUNDLE)} contains '</script' or '<!--'; "
                           "rebuild it from js/src/snapshot/ without them.")
    return code


def _widget_entry(widget: WidgetSnapshot, key: str, blobs: list[bytes]) -> dict[str, Any]:
    """The page's entry of one widget; its bytes go to ``blobs`` (each written as its own
    script, decoded only when the page needs it)."""
    state, lazy = split_series(widget.bundle, widget.state)
    buffers: list[bytes] = []
    messages: list[dict[str, Any]] = []
    for content, payload in widget.messages:
        first = len(buffers)
        buffers.extend(bytes(part) for part in payload)
        messages.append({"content": encode_value(content, buffers),
                         "buffers": list(range(first, first + len(payload)))})
    entry: dict[str, Any] = {"bundle": key, "state": encode_value(state, buffers),
                             "messages": messages, "data": -1, "sizes": [len(b) for b in buffers]}
    if buffers:
        entry["data"] = len(blobs)
        blobs.append(b"".join(buffers))
    if lazy is not None:
        first = len(blobs)
        blobs.extend(lazy.chunks)
        entry["lazy"] = {"seq": lazy.seq, "chunks": list(range(first, first + len(lazy.chunks))),
                         "items": {str(sid): {"info": encode_value(info, []), "chunk": chunk,
                                              "offset": offset}
                                   for sid, (info, chunk, offset) in lazy.items.items()}}
    return entry


def fragment(roots: Sequence[str], widgets: Sequence[WidgetSnapshot], *,
             fallback_png: str | None = None, fallback_text: str = "") -> str:
    """One self-contained HTML fragment rendering the widgets named in ``roots``.

    Each widget's bytes (state buffers, replayed messages) are one gzip+base64 script,
    and a lazy panel's points (``nbviz.export.lazy``) one per chunk: the page decodes
    what it shows first, the rest on idle or when asked. ``fallback_png`` (base64) and
    ``fallback_text`` are what the mount point shows where scripts do not run.
    """
    mount = uuid.uuid4().hex
    blobs: list[bytes] = []
    entries: dict[str, Any] = {}
    bundles: dict[str, str] = {}
    for widget in widgets:
        key, code = bundle_blob(widget.bundle)
        bundles[key] = code
        entries[widget.ref] = _widget_entry(widget, key, blobs)
    doc = {"roots": list(roots), "widgets": entries}
    parts = [f'<div class="nbviz-export" data-nbviz-mount="{mount}">']
    if fallback_png:
        parts.append(f'<img class="nbviz-export-fallback" alt="{html.escape(fallback_text)}" '
                     f'src="data:image/png;base64,{fallback_png}">')
    elif fallback_text:
        parts.append(f'<pre class="nbviz-export-fallback">{html.escape(fallback_text)}</pre>')
    parts.append("</div>")
    parts.extend(f'<script type="application/octet-stream" data-nbviz-bundle="{key}">{code}'
                 "</script>" for key, code in bundles.items())
    parts.append(f'<script type="application/json" data-nbviz-state="{mount}">'
                 f"{state_json(doc)}</script>")
    parts.extend(f'<script type="application/octet-stream" data-nbviz-data="{mount}/{index}">'
                 f"{packed(blob)}</script>" for index, blob in enumerate(blobs))
    parts.append(f'<script type="module">{_runtime_script()}</script>')
    return "\n".join(parts)


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="generator" content="nbviz {version}">
<title>{title}</title>
<style>
body {{ margin: 0; padding: 16px 24px; font-family: system-ui, -apple-system, "Segoe UI",
  Roboto, Arial, sans-serif; background: #ffffff; color: #1f1f1f; }}
@media (prefers-color-scheme: dark) {{ body {{ background: #1e1e1e; color: #e6e6e6; }} }}
h1 {{ font-size: 1.25rem; font-weight: 600; margin: 0 0 12px; }}
.nbviz-export-part {{ margin-bottom: 24px; }}
.nbviz-export-error {{ color: #b00020; }}
</style>
</head>
<body>
<h1>{title}</h1>
{body}
</body>
</html>
"""


def page(title: str, body: str) -> str:
    """A whole HTML document around ``body`` (a :func:`fragment`), titled ``title`` (text)."""
    from nbviz import __version__

    return _PAGE.format(title=html.escape(title), body=body, version=__version__)
