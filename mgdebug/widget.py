"""The trace viewer widget (anywidget): serves a Trace to the frontend in js/.

Contract: docs/widget-protocol.md. Synced traits hold small UI state only; step
graphs and parameter tables go as binary bundles in answers to the frontend's
requests, so a 65k-node step is one message, never one per node.
"""

from __future__ import annotations

import hashlib
import math
import time
from pathlib import Path
from typing import Any

import anywidget
import numpy as np
import traitlets

from . import _bundle
from .breakpoints import BreakpointSpecError, parse_specs
from .trace import Trace

_STATIC = Path(__file__).parent / "static"
_PROGRESS_INTERVAL_S = 0.1  # at most 10 progress messages a second
# what a step's graph looks like, as opposed to its numbers: a training loop builds the
# same structure every step, so the frontend keeps it and a step needs only its numbers
STRUCTURE_COLUMNS = ("op", "scope", "label", "child_ptr", "child", "imported", "visits")
_MAX_STRUCTURES_HELD = 8  # more keys than this in a request is not a frontend of ours


class TraceViewer(anywidget.AnyWidget):
    """An interactive, scrubbable view of a Trace: graph, timeline, steps, inspector."""

    _esm = _STATIC / "widget.js"
    _css = _STATIC / "widget.css"

    cursor = traitlets.Int(-1).tag(sync=True)
    step = traitlets.Int(0).tag(sync=True)
    selected = traitlets.Int(-1).tag(sync=True)
    status = traitlets.Dict().tag(sync=True)
    paused = traitlets.Dict().tag(sync=True)
    breakpoints = traitlets.List(traitlets.Unicode()).tag(sync=True)
    height_px = traitlets.Int(560).tag(sync=True)

    def __init__(self, trace: Trace, **kwargs: Any):
        if not isinstance(trace, Trace):
            raise TypeError(
                f"TraceViewer shows a mgdebug Trace, got {type(trace).__name__}"
            )
        self.trace = trace
        super().__init__(**kwargs)
        self._last_progress = 0.0
        self._losses_sent = 0
        self._structure_keys: dict[int, tuple[Any, str]] = {}
        self.status = self._status()
        if trace.steps:
            self.step = len(trace.steps) - 1
        self.on_msg(self._on_frontend_msg)

    # ------------------------------------------------------------------ requests

    def _on_frontend_msg(self, _widget: Any, content: Any, buffers: list) -> None:
        if not isinstance(content, dict):
            return
        kind = content.get("kind")
        request_id = content.get("id")
        try:
            if kind == "hello":
                self.send_meta()
            elif kind == "get_step":
                held = content.get("structures", [])
                if not isinstance(held, list) or len(held) > _MAX_STRUCTURES_HELD:
                    raise ValueError(
                        f"get_step 'structures' must be a list of at most "
                        f"{_MAX_STRUCTURES_HELD} keys"
                    )
                self._send_step(_int_field(content, "step"), request_id, held)
            elif kind == "get_params":
                self._send_params(request_id)
            elif kind == "get_hits":
                self._send_hits(request_id)
            elif kind == "get_anomaly":
                self._send_anomaly(request_id)
            elif kind == "command":
                self._on_command(str(content.get("action")))
            else:
                raise ValueError(f"unknown message kind {kind!r}")
        except (LookupError, ValueError, TypeError) as e:
            self.send({"kind": "error", "id": request_id, "message": str(e)})

    def _on_command(self, action: str) -> None:
        handler = getattr(self, "on_command", None)
        if handler is None:
            raise ValueError(f"nothing is paused; command {action!r} ignored")
        handler(action)

    def send_meta(self) -> None:
        """Tell the frontend the trace's shape: string tables, steps, event offsets."""
        t = self.trace
        steps = [
            {
                "index": s.index,
                "loss": s.loss if math.isfinite(s.loss) else None,
                "has_backward": s.has_backward,
                "backward_completed": s.backward_completed,
                "num_created": s.num_created,
                "num_visits": s.num_visits,
                "num_events": s.num_events,
                "kept": s.index in t.kept_steps(),
            }
            for s in t.steps
        ]
        strings = {
            k: getattr(t.strings, k).items for k in ("ops", "scopes", "labels", "files")
        }
        self.send(
            {
                "kind": "trace_meta",
                "strings": strings,
                "steps": steps,
                "event_offsets": [int(x) for x in t._offsets],
                "notices": list(t.notices),
                "error": t.error,
                "recording": t.recording,
            }
        )

    def _send_step(self, step: int, request_id: Any, held: list = ()) -> None:
        """A step's graph; without its structure columns when the frontend holds them."""
        graph = self.trace.graph(step)
        summary = self.trace.steps[step]
        key = self._structure_key(step, graph)
        shared = key in held
        columns = frontend_columns(graph, with_structure=not shared)
        meta = {"step": step, "n_created": graph.n_created}
        self.send(
            {
                "kind": "step_data",
                "id": request_id,
                "step": step,
                "n_created": graph.n_created,
                "event_offset": int(self.trace._offsets[step]),
                "has_backward": summary.has_backward,
                "structure": key,
                "structure_sent": not shared,
            },
            buffers=[_bundle.encode(columns, meta)],
        )

    def _structure_key(self, step: int, graph: Any) -> str:
        cached = self._structure_keys.get(step)
        if cached is not None and cached[0] is graph:  # a paused step's graph changes
            return cached[1]
        key = structure_key(graph)
        self._structure_keys[step] = (graph, key)
        return key

    def _send_params(self, request_id: Any) -> None:
        names: list[str] = []
        index: dict[int, int] = {}
        cols: dict[str, list] = {"step": [], "param": [], "value": [], "grad": []}
        for s in self.trace.steps:
            for e, v, g in zip(s.param_entity, s.param_value, s.param_grad):
                if e not in index:
                    index[e] = len(names)
                    names.append(self.trace._entity_names.get(e, f"#{len(names)}"))
                cols["step"].append(s.index)
                cols["param"].append(index[e])
                cols["value"].append(v)
                cols["grad"].append(g)
        columns = {
            "step": np.asarray(cols["step"], dtype="<i4"),
            "param": np.asarray(cols["param"], dtype="<i4"),
            "value": np.asarray(cols["value"], dtype="<f8"),
            "grad": np.asarray(cols["grad"], dtype="<f8"),
        }
        self.send(
            {"kind": "params", "id": request_id, "names": names},
            buffers=[_bundle.encode(columns, {})],
        )

    @traitlets.observe("breakpoints")
    def _on_breakpoints(self, change: dict) -> None:
        if self.comm is not None and not self.trace.recording:
            self._send_hits(None)

    def _send_hits(self, request_id: Any) -> None:
        """Replay hits of the `breakpoints` trait, plus the live hits of the recording."""
        try:
            specs = parse_specs(list(self.breakpoints))
        except BreakpointSpecError as e:
            self.send({"kind": "error", "id": request_id, "message": str(e)})
            return
        hits = self.trace.breakpoint_hits(specs) if specs else []
        self.send(
            {
                "kind": "hits",
                "id": request_id,
                "hits": hits,
                "live": list(self.trace.hits),
            }
        )

    def _send_anomaly(self, request_id: Any) -> None:
        found = self.trace.first_nonfinite()
        self.send({"kind": "anomaly", "id": request_id, "anomaly": _json_safe(found)})

    # ------------------------------------------------------------------ live recording

    def report_progress(self, *, force: bool = False) -> None:
        """Send recording progress, at most 10 times a second unless `force`."""
        now = time.monotonic()
        if not force and now - self._last_progress < _PROGRESS_INTERVAL_S:
            return
        self._last_progress = now
        steps = self.trace.steps
        new = [
            s.loss if math.isfinite(s.loss) else None
            for s in steps[self._losses_sent :]
        ]
        self._losses_sent = len(steps)
        self.status = self._status()
        self.send(
            {
                "kind": "progress",
                "steps": len(steps),
                "nodes": self._nodes(),
                "losses": new,
            }
        )

    def finish(self) -> None:
        """Recording ended: show the last step and send the final shape of the trace."""
        self.status = self._status()
        if self.trace.steps:
            self.step = len(self.trace.steps) - 1
        self.cursor = -1
        self.send_meta()

    def show_pause(self, info: dict) -> None:
        """Show a live breakpoint pause (`info` as in docs/widget-protocol.md), or clear it."""
        if info:
            self.send_meta()  # the paused step is the trace's provisional last step
            self.step = info["step"]
            self.cursor = info["event"]
            if info.get("node", -1) >= 0:
                self.selected = info["node"]
        self.paused = info

    def _nodes(self) -> int:
        return sum(s.num_created for s in self.trace.steps)

    def _status(self) -> dict:
        error = self.trace.error
        return {
            "recording": self.trace.recording,
            "steps": len(self.trace.steps),
            "nodes": self._nodes(),
            "error": f"{error['type']}: {error['message']}" if error else None,
        }

    def __repr__(self) -> str:
        return f"TraceViewer({self.trace!r})"


def structure_key(graph: Any) -> str:
    """A digest of a step's structure columns and node split: equal for equal structures."""
    digest = hashlib.blake2b(str(graph.n_created).encode(), digest_size=16)
    for name in STRUCTURE_COLUMNS:
        column = graph.columns[name]
        digest.update(f"{name}:{column.dtype.str}:{len(column)};".encode())
        digest.update(np.ascontiguousarray(column).data)
    return digest.hexdigest()


def frontend_columns(graph: Any, *, with_structure: bool) -> dict[str, np.ndarray]:
    """A step's columns as `step_data` carries them: `local` packed, structure optional."""
    columns = {
        name: column
        for name, column in graph.columns.items()
        if name != "local" and (with_structure or name not in STRUCTURE_COLUMNS)
    }
    columns.update(pack_local(graph))
    return columns


_ONE_BITS = np.float64(1.0).view(np.int64)


def pack_local(graph: Any) -> dict[str, np.ndarray]:
    """The `local` column as the frontend gets it: a rule per edge, values only where needed.

    Most local derivatives repeat something the frontend has: 1.0 on both edges of a +,
    0.0 for a ReLU that was off, and the other operand's value on the edges of a *
    (d(a*b)/da = b, which the engine stores as b.data). `local_kind` (u1) says which,
    checked bit for bit here; `local_literal` (f8) holds the rest in edge order
    (js/src/decode.ts unpacks it). The demo's 1 MB column shrinks to ~0.2 MB.
    """
    ptr, child = graph.child_ptr.astype(np.int64), graph.child.astype(np.int64)
    bits = graph.local.view(np.int64)
    counts = np.diff(ptr)
    parent = np.repeat(np.arange(len(counts)), counts)
    first = ptr[parent]
    pair = counts[parent] == 2
    other_edge = np.where(np.arange(len(child)) == first, first + 1, first)
    other = child[np.where(pair, other_edge, 0)] if len(child) else child
    other_bits = graph.data.view(np.int64)[other]
    kind = np.zeros(len(child), dtype=np.uint8)  # 0: the next literal
    kind[pair & (bits == other_bits)] = 3  # the other child's data
    kind[bits == 0] = 2  # +0.0
    kind[bits == _ONE_BITS] = 1
    return {"local_kind": kind, "local_literal": graph.local[kind == 0]}


def _json_safe(x: Any) -> Any:
    """Non-finite floats become their text ('nan', 'inf'): JSON has no such numbers."""
    if isinstance(x, float) and not math.isfinite(x):
        return repr(x)
    if isinstance(x, dict):
        return {k: _json_safe(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_json_safe(v) for v in x]
    return x


def _int_field(content: dict, name: str) -> int:
    value = content.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"message field {name!r} must be an int, got {value!r:.40}")
    return value
