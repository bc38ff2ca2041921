"""A standalone HTML page holding the viewer and a trace: works offline, from file://.

The page embeds the same bundle the notebook widget runs (mgdebug/static/) and
every answer the kernel would give it (docs/widget-protocol.md), computed by the
same `protocol.answer`. A small stand-in for the anywidget model replays those
answers, so the viewer cannot tell it is not in a notebook.

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

from ._files import write_atomically
from .protocol import answer

if TYPE_CHECKING:
    from .trace import Trace

_STATIC = Path(__file__).parent / "static"

# The stand-in model: the methods anywidget gives `render({model, el})`, backed by
# the embedded traits and answers. Requests are answered on a later tick, as a kernel would.
_BOOT = """
const data = JSON.parse(document.getElementById("mgdebug-data").textContent);
const toView = (b64) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  return new DataView(bytes.buffer);
};
const listeners = new Map();
const traits = data.traits;
const emit = (name, ...args) => (listeners.get(name) || []).slice().forEach((f) => f(...args));
const answer = (content) => {
  const reply = (msg) => emit("msg:custom", msg.content, msg.buffers.map(toView));
  const kind = content.kind;
  if (kind === "hello") return reply(data.meta);
  if (kind === "get_params") return reply({...data.params, content: {...data.params.content, id: content.id}});
  if (kind === "get_hits") return reply({content: {...data.hits.content, id: content.id}, buffers: []});
  if (kind === "get_anomaly") return reply({content: {...data.anomaly.content, id: content.id}, buffers: []});
  if (kind === "get_step") {
    const step = data.steps[String(content.step)];
    if (step) return reply({content: {...step.content, id: content.id}, buffers: step.buffers});
    return reply({content: {kind: "error", id: content.id,
      message: `step ${content.step} kept only its summary in this trace`}, buffers: []});
  }
  if (kind === "command") return reply({content: {kind: "error", id: null,
    message: "this page is a saved trace: nothing is running"}, buffers: []});
};
const model = {
  get: (name) => traits[name],
  set: (name, value) => { traits[name] = value; emit(`change:${name}`); },
  save_changes: () => {},
  on: (name, f) => listeners.set(name, [...(listeners.get(name) || []), f]),
  off: (name, f) => listeners.set(name, (listeners.get(name) || []).filter((g) => g !== f)),
  send: (content) => setTimeout(() => answer(content), 0),
};
const url = URL.createObjectURL(new Blob([data.esm], {type: "text/javascript"}));
const widget = (await import(url)).default;
const render = typeof widget === "function" ? (await widget()).render : widget.render;
await render({model, el: document.getElementById("mgdebug-root")});
"""


# the viewer's synced traits as a page opened on a finished trace starts them
_TRAITS = {"cursor": -1, "selected": -1, "paused": {}, "height_px": 560}


def write_html(
    trace: Trace, path, *, title: str = "mgdebug trace", breakpoints=()
) -> Path:
    """Write `trace` and the viewer into one self-contained HTML file; returns its path."""
    specs = list(breakpoints)

    def ask(content: dict) -> dict:
        return _message(*answer(trace, content, breakpoints=specs))

    steps = {
        str(step): ask({"kind": "get_step", "id": 0, "step": step})
        for step in trace.kept_steps()
    }
    error = trace.error
    status = {"recording": False, "steps": len(trace.steps),
              "nodes": sum(s.num_created for s in trace.steps),
              "error": f"{error['type']}: {error['message']}" if error else None}  # fmt: skip
    traits = dict(_TRAITS, step=max(len(trace.steps) - 1, 0), status=status,
                  breakpoints=specs)  # fmt: skip
    payload = {
        "esm": (_STATIC / "widget.js").read_text(encoding="utf-8"),
        "traits": traits,
        "meta": ask({"kind": "hello"}),
        "steps": steps,
        "params": ask({"kind": "get_params", "id": 0}),
        "hits": ask({"kind": "get_hits", "id": 0}),
        "anomaly": ask({"kind": "get_anomaly", "id": 0}),
    }
    page = _PAGE.format(
        title=html.escape(title),
        css=(_STATIC / "widget.css").read_text(encoding="utf-8").replace("</", "<\\/"),
        data=_script_safe_json(payload),
        boot=_BOOT,
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
body {{ margin: 0; padding: 12px; font-family: system-ui, sans-serif; }}
{css}
</style>
</head>
<body>
<div id="mgdebug-root"></div>
<script type="application/json" id="mgdebug-data">{data}</script>
<script type="module">{boot}</script>
</body>
</html>
"""
