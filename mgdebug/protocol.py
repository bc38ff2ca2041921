"""The widget protocol: one function that answers a viewer's request from a trace.

Contract: docs/widget-protocol.md. The kernel widget (`widget.py`) and the
standalone HTML page (`export_html.py`) both reply through `answer`, so what a
notebook shows and what a saved page shows cannot drift apart. Nothing here
keeps state about a viewer: every reply is a function of the trace and the
request (a digest of each step's structure is remembered per graph object).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _bundle
from .breakpoints import BreakpointSpecError, Nodes, parse_specs, unknown_ops
from .compare import alignment as _alignment

if TYPE_CHECKING:
    from ._graph import StepGraph
    from .trace import Trace

# the columns the frontend keeps per structure (js/src/data/decode.ts); the rest of a
# step, source lines included, comes with every step
FRONTEND_STRUCTURE = (
    "op",
    "scope",
    "label",
    "child_ptr",
    "child",
    "imported",
    "visits",
)
MAX_STRUCTURES_HELD = 8  # more keys than this in a request is not a frontend of ours
REQUESTS = (
    "hello",
    "get_step",
    "get_params",
    "get_hits",
    "get_anomaly",
    "get_alignment",
)

Reply = tuple[dict[str, Any], list[bytes]]


def answer(
    trace: Trace,
    request: Any,
    *,
    breakpoints: list[str] = (),
    recording: bool = False,
    paused: dict | None = None,
    other: Trace | None = None,
) -> Reply:
    """The reply to one frontend request, with its buffers; an `error` reply when it fails.

    `breakpoints` are the viewer's replay specs (its `breakpoints` trait),
    `recording` whether the trace is still being recorded, `paused` the live pause
    (the `paused` trait) when `trace` is the step so far shown at one, and `other`
    a second trace to compare with: `hello` and `get_step` with `"trace": "other"`
    are answered from it, and their replies say so.
    """
    request_id = request.get("id") if isinstance(request, dict) else None
    try:
        if not isinstance(request, dict):
            raise TypeError(f"a request is a dict, got {type(request).__name__}")
        kind = request.get("kind")
        if request.get("trace", "this") not in ("this", "other"):
            raise ValueError(
                f"'trace' must be 'this' or 'other', got {request['trace']!r:.40}"
            )
        if kind == "get_alignment":
            return alignment(trace, other, request, request_id)
        if request.get("trace") == "other":
            if other is None:
                raise LookupError("this viewer compares with no other trace")
            if kind not in ("hello", "get_step"):
                raise ValueError(f"{kind!r} is asked of this trace only")
            reply, buffers = answer(other, {**request, "trace": "this"})
            return {**reply, "trace": "other"}, buffers
        if kind == "hello":
            other_steps = len(other.steps) if other is not None else None
            meta = trace_meta(trace, recording=recording, other_steps=other_steps)
            return meta, []
        if kind == "get_step":
            held = request.get("structures", [])
            if not isinstance(held, list) or len(held) > MAX_STRUCTURES_HELD:
                raise ValueError(
                    f"get_step 'structures' must be a list of at most "
                    f"{MAX_STRUCTURES_HELD} keys"
                )
            return step_data(trace, _int_field(request, "step"), request_id, held)
        if kind == "get_params":
            return params(trace, request_id)
        if kind == "get_hits":
            return hits(trace, breakpoints, request_id, paused), []
        if kind == "get_anomaly":
            found = _json_safe(trace.first_nonfinite())
            return {"kind": "anomaly", "id": request_id, "anomaly": found}, []
        raise ValueError(f"unknown message kind {kind!r}; expected one of {REQUESTS}")
    except (LookupError, ValueError, TypeError) as e:
        return error(request_id, str(e)), []


def alignment(
    trace: Trace, other: Trace | None, request: dict, request_id: Any
) -> Reply:
    """Which node of the compared step each node of this step is (compare.py)."""
    step = _int_field(request, "step")
    other_step = _int_field(request, "other_step")
    with_other = request.get("trace") == "other"
    if with_other and other is None:
        raise LookupError("this viewer compares with no other trace")
    same, counterpart, only_other = _alignment(
        trace, step, other if with_other else trace, other_step
    )
    content = {"kind": "alignment", "id": request_id, "step": step,
               "other_step": other_step, "trace": "other" if with_other else "this",
               "same_structure": same}  # fmt: skip
    columns = {"counterpart": counterpart.astype("<i4"),
               "only_other": only_other.astype("<i4")}  # fmt: skip
    return content, [_bundle.encode(columns, {})]


def error(request_id: Any, message: str) -> dict:
    return {"kind": "error", "id": request_id, "message": message}


# ---------------------------------------------------------------------- replies


def trace_meta(
    trace: Trace, *, recording: bool, other_steps: int | None = None
) -> dict:
    """The trace's shape: string tables, steps, event offsets, notices, error; and how
    many steps the trace the viewer compares with has (None: it has none)."""
    kept = set(trace.kept_steps())
    steps = [
        {
            "index": s.index,
            "loss": s.loss if math.isfinite(s.loss) else None,
            "has_backward": s.has_backward,
            "backward_completed": s.backward_completed,
            "num_created": s.num_created,
            "num_visits": s.num_visits,
            "num_events": s.num_events,
            "kept": s.index in kept,
        }
        for s in trace.steps
    ]
    return {
        "kind": "trace_meta",
        "strings": trace.strings.as_lists(),
        "steps": steps,
        "event_offsets": trace.event_offsets.tolist(),
        "notices": list(trace.notices),
        "error": trace.error,
        "recording": recording,
        "other_steps": other_steps,
    }


def step_data(trace: Trace, step: int, request_id: Any, held: list = ()) -> Reply:
    """A step's numbers, and its structure as a second bundle unless the frontend holds it."""
    graph = trace.graph(step)
    key = structure_key(graph)
    shared = key in held
    meta = {"step": step, "n_created": graph.n_created}
    content = {
        "kind": "step_data",
        "id": request_id,
        "step": step,
        "n_created": graph.n_created,
        "num_visits": graph.num_visits,  # the chain rules that ran, of `visits`
        "event_offset": trace.event_offset(step),
        "has_backward": trace.steps[step].has_backward,
        "structure": key,
        "structure_sent": not shared,
    }
    buffers = [_bundle.encode(frontend_numbers(graph), meta)]
    if not shared:
        buffers.append(_bundle.encode(frontend_structure(graph), meta))
    return content, buffers


def params(trace: Trace, request_id: Any) -> Reply:
    """Every persistent leaf's value and grad at the end of each step, as one table."""
    names: list[str] = []
    index: dict[int, int] = {}
    cols: dict[str, list] = {"step": [], "param": [], "value": [], "grad": []}
    for s in trace.steps:
        for e, v, g in zip(s.param_entity, s.param_value, s.param_grad):
            if e not in index:
                index[e] = len(names)
                names.append(trace.name_of_entity(e) or f"#{len(names)}")
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
    content = {"kind": "params", "id": request_id, "names": names}
    return content, [_bundle.encode(columns, {})]


def hits(
    trace: Trace, specs: list[str], request_id: Any, paused: dict | None = None
) -> dict:
    """Replay hits of `specs`, plus where the recording itself hit breakpoints.

    At a live pause `trace` holds the step so far, whose visits end right before
    the paused node's chain rule: that node is checked too (its grad is final
    there), so the hits counted are every one up to and including the pause.
    A spec that parses but names no op of this trace is left out and reported in
    `problems`, {spec: message} (the other specs' hits still come); one that does
    not parse makes the reply an `error`.
    """
    try:
        parsed = parse_specs(list(specs))
    except BreakpointSpecError as e:
        return error(request_id, str(e))
    problems = {b.text: unknown_ops([b], trace.strings) for b in parsed}
    usable = [b for b in parsed if not problems[b.text]]
    found = trace.breakpoint_hits(usable) if usable else []
    if usable and paused:
        found += _hits_at_pause(trace, usable, paused, found)
    reply = {"kind": "hits", "id": request_id, "hits": found, "live": list(trace.hits)}
    listed = {text: "; ".join(found) for text, found in problems.items() if found}
    if listed:
        reply["problems"] = listed
    return reply


def _hits_at_pause(trace: Trace, parsed: list, paused: dict, found: list) -> list:
    """The paused node's own hits: its chain rule has not run, so replay left it out."""
    step, event, node = paused.get("step"), paused.get("event"), paused.get("node")
    if not isinstance(node, int) or node < 0 or step not in trace.kept_steps():
        return []
    graph = trace.graph(step)
    if event != trace.event_offset(step) + graph.n_created + graph.num_visits:
        return []  # not right before a chain rule of this step (a forward pause)
    grad = trace.state_at(event).grad
    nodes = Nodes.of_graph(graph, trace.strings, step, grad)
    done = {h["spec"] for h in found if h["step"] == step}
    return [
        {"event": event, "step": step, "node": node, "spec": b.text}
        for b in parsed
        if b.mask(nodes)[node] and not (b.once_per_backward and b.text in done)
    ]


# ---------------------------------------------------------------------- step columns


def structure_key(graph: StepGraph) -> str:
    """The key the frontend keeps a step's structure columns under: equal structures
    give equal keys (docs/widget-protocol.md). A backward stopped early, or paused,
    shares its step's key: `visits` always travels whole, `num_visits` says how many
    of them ran."""
    return graph.structure.key


def frontend_structure(graph: StepGraph) -> dict[str, np.ndarray]:
    """The columns the frontend keeps per structure; `visits` is the whole order
    backward had (the first `graph.num_visits` of it ran)."""
    s = graph.structure.columns
    return {name: s[name] for name in FRONTEND_STRUCTURE}


def frontend_numbers(graph: StepGraph) -> dict[str, np.ndarray]:
    """The rest of a step: its numbers (`local` packed) and the source lines."""
    s = graph.structure.columns
    return {
        "src_file": s["src_file"],
        "src_line": s["src_line"],
        **graph.numbers.columns,
    }


def frontend_columns(
    graph: StepGraph, *, with_structure: bool
) -> dict[str, np.ndarray]:
    """Numbers, with the structure columns too when asked, in one set of columns."""
    columns = frontend_structure(graph) if with_structure else {}
    columns.update(frontend_numbers(graph))
    return columns


# ---------------------------------------------------------------------- checks


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
