"""A standalone HTML page holding the viewer and a trace: works offline, from file://.

The page inlines mgdebug/static/standalone.js (the viewer the notebook widget
runs, plus js/src/standalone.ts, its boot) and every answer the kernel would
give it (docs/widget-protocol.md), computed by the same `protocol.answer` and
keyed by request. A stand-in for the anywidget model (js/src/savedModel.ts)
replays those answers, so the viewer cannot tell it is not in a notebook.

Safety: everything embedded goes inside one JSON script element, with `<`, `>`
and `&` escaped, so a label such as `</script><script>alert(1)</script>` stays
text. The viewer itself writes user text only with textContent / fillText.
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import _bundle
from ._files import write_atomically
from .protocol import answer, frontend_structure, structure_key

if TYPE_CHECKING:
    from .trace import Trace

_STATIC = Path(__file__).parent / "static"
# the viewer's synced traits as a page opened on a finished trace starts them
# (mgdebug/widget.py defines them; js/src/model.ts mirrors them)
_TRAITS = {"cursor": -1, "selected": -1, "paused": {}, "height_px": 560}


def write_html(
    trace: Trace, path, *, title: str = "mgdebug trace", breakpoints=()
) -> Path:
    """Write `trace` and the viewer into one self-contained HTML file; returns its path."""
    specs = list(breakpoints)

    def ask(request: dict) -> dict:
        return _message(*answer(trace, request, breakpoints=specs))

    # the page's answers by request key (js/src/savedModel.ts answers from them)
    replies = {
        kind: ask({"kind": kind, "id": 0})
        for kind in ("hello", "get_params", "get_hits", "get_anomaly")
    }
    # each step's numbers, and each structure once: js/src/savedModel.ts sends a step's
    # structure along unless the viewer keeps it, as the kernel does
    structures: dict[str, str] = {}
    for step in trace.kept_steps():
        graph = trace.graph(step)
        key = structure_key(graph)
        request = {"kind": "get_step", "id": 0, "step": step, "structures": [key]}
        replies[f"get_step:{step}"] = ask(request)
        if key not in structures:
            meta = {"step": step, "n_created": graph.n_created}
            bundle = _bundle.encode(frontend_structure(graph), meta)
            structures[key] = base64.b64encode(bundle).decode("ascii")
    error = trace.error
    status = {
        "recording": False,
        "steps": len(trace.steps),
        "nodes": sum(s.num_created for s in trace.steps),
        "error": f"{error['type']}: {error['message']}" if error else None,
    }
    traits = dict(
        _TRAITS, step=max(len(trace.steps) - 1, 0), status=status, breakpoints=specs
    )
    page = _PAGE.format(
        title=html.escape(title),
        css=(_STATIC / "widget.css").read_text(encoding="utf-8").replace("</", "<\\/"),
        data=_script_safe_json(
            {"traits": traits, "replies": replies, "structures": structures}
        ),
        boot=(_STATIC / "standalone.js")
        .read_text(encoding="utf-8")
        .replace("</script", "<\\/script"),
    )
    return write_atomically(path, page)


def _message(content: dict, buffers: Any) -> dict:
    return {
        "content": content,
        "buffers": [
            base64.b64encode(bytes(b)).decode("ascii") for b in (buffers or [])
        ],
    }


def _script_safe_json(payload: dict) -> str:
    """JSON that cannot end its <script> element early: <, > and & become \\u escapes."""
    text = json.dumps(payload, allow_nan=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
html, body {{ height: 100%; }}
body {{ margin: 0; padding: 8px; box-sizing: border-box; font-family: system-ui, sans-serif; }}
#mgdebug-root {{ height: 100%; }}
{css}
</style>
</head>
<body>
<div id="mgdebug-root"></div>
<script type="application/json" id="mgdebug-data">{data}</script>
<script>{boot}</script>
</body>
</html>
"""
