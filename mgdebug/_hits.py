"""Breakpoints after the fact: hit positions on the timeline, and where a NaN or inf was born.

Both read only the trace's columns and the backward replay, vectorized per step.
A hit is the event right before the matching node's chain rule runs (the same
moment a live breakpoint pauses at), so the viewer shows every grad accumulated
so far and the node about to apply its rule.
"""

from __future__ import annotations

import fnmatch

import numpy as np

from .breakpoints import _COMPARE, Breakpoint, scope_matches
from .trace import Trace


def breakpoint_hits(trace: Trace, breakpoints: list[Breakpoint]) -> list[dict]:
    """Every hit in the steps kept in full, in time order: {'event', 'step', 'node', 'spec'}."""
    hits = []
    for step in trace.kept_steps():
        summary = trace.steps[step]
        if not summary.has_backward:
            continue
        graph = trace.graph(step)
        grad_at_visit = trace.replay(
            step
        ).final  # a node's grad is final when it is visited
        visits = graph.visits
        first_event = trace._offsets[step] + graph.n_created
        for b in breakpoints:
            mask = _node_mask(trace, graph, grad_at_visit, b)
            if mask is None:
                continue
            found = np.flatnonzero(mask[visits])
            if b.kind == "nonfinite":
                found = found[
                    :1
                ]  # its birth in this backward, as live mode pauses once
            for j in found:
                hits.append({"event": int(first_event + j), "step": step,
                             "node": int(visits[j]), "spec": b.text})  # fmt: skip
    hits.sort(key=lambda h: h["event"])
    return hits


def _node_mask(
    trace: Trace, graph, grad: np.ndarray, b: Breakpoint
) -> np.ndarray | None:
    """Which nodes of the step match `b` (None: a kind only live mode can check)."""
    strings = trace.strings
    if b.kind == "op":
        return np.isin(
            graph.op, [i for i, s in enumerate(strings.ops.items) if s == b.argument]
        )
    if b.kind == "scope":
        ids = [
            i
            for i, s in enumerate(strings.scopes.items)
            if s and scope_matches(b.argument, s)
        ]
        return np.isin(graph.scope, ids)
    if b.kind == "label":
        labels = [
            i
            for i, s in enumerate(strings.labels.items)
            if s and fnmatch.fnmatchcase(s, b.argument)
        ]
        mask = np.isin(graph.label, labels)
        # as live: a glob also matches the scope as a dotted name plus the op
        for sid, scope in enumerate(strings.scopes.items):
            dotted = ".".join(scope.split("/")[1:])
            if not dotted:
                continue
            for oid, op in enumerate(strings.ops.items):
                if fnmatch.fnmatchcase(f"{dotted}.{op}", b.argument):
                    mask |= (graph.scope == sid) & (graph.op == oid)
        return mask
    if b.kind == "condition":
        use_abs, field, op, number = b.argument
        x = graph.data if field == "value" else grad
        return _COMPARE[op](np.abs(x) if use_abs else x, number)
    if b.kind == "nonfinite":
        return ~np.isfinite(grad)
    if b.kind == "value":
        node = (
            graph.node_of_entity(b.argument._tag)
            if b.argument._tag is not None
            else None
        )
        mask = np.zeros(graph.num_nodes, dtype=bool)
        if node is not None:
            mask[node] = True
        return mask
    return None  # callables need the live node


def first_nonfinite(trace: Trace) -> dict | None:
    """Where the first NaN or inf was *born*, forward or backward, with the inputs that made it.

    Forward: the first node built whose value is not finite while all its inputs
    are. Backward: the first chain-rule contribution that turned a child's grad
    non-finite while the grad before it was finite (e.g. 0 * inf, or an inf local
    derivative). Steps kept only as summaries cannot be searched; they are named.
    """
    skipped = []
    for step in range(len(trace.steps)):
        try:
            graph = trace.graph(step)
        except LookupError:
            skipped.append(step)
            continue
        found = _forward_birth(trace, step, graph) or _backward_birth(
            trace, step, graph
        )
        if found:
            found["steps_not_searched"] = skipped
            return found
    return None


def _forward_birth(trace: Trace, step: int, graph) -> dict | None:
    bad = ~np.isfinite(graph.data)
    ptr, child = graph.child_ptr, graph.child
    for node in np.flatnonzero(bad):
        inputs = child[ptr[node] : ptr[node + 1]]
        if not bad[inputs].any():
            return {
                "phase": "forward",
                "step": step,
                "event": int(trace._offsets[step] + node)
                if node < graph.n_created
                else int(trace._offsets[step]),
                "node": int(node),
                "op": trace.strings.ops[int(graph.op[node])] or "leaf",
                "value": float(graph.data[node]),
                "inputs": [float(graph.data[c]) for c in inputs],
                "local_grads": graph.local_of(int(node)).tolist(),
                "what": f"{trace.describe(step, int(node))} = {float(graph.data[node])!r} from inputs "
                f"{[float(graph.data[c]) for c in inputs]}",
            }
    return None


def _backward_birth(trace: Trace, step: int, graph) -> dict | None:
    if not trace.steps[step].has_backward:
        return None
    replay = trace.replay(step)
    bad_start = ~np.isfinite(replay.start)
    if bad_start.any():
        node = int(np.flatnonzero(bad_start)[0])
        return {"phase": "backward", "step": step, "event": int(trace._offsets[step] + graph.n_created),
                "node": node, "what": f"{trace.describe(step, node)} started backward with grad "
                f"{float(replay.start[node])!r} (accumulated in an earlier backward)"}  # fmt: skip
    born = ~np.isfinite(replay.after) & np.isfinite(replay.before)
    if not born.any():
        return None
    e = int(np.flatnonzero(born)[0])
    j = (
        int(np.searchsorted(replay.edges_done, e, side="right")) - 1
    )  # the visit that applied e
    parent = int(graph.visits[j])
    first_edge = int(graph.child_ptr[parent]) + (e - int(replay.edges_done[j]))
    child = int(replay.edge_child[e])
    local = float(graph.local[first_edge])
    g = float(replay.final[parent])
    return {
        "phase": "backward",
        "step": step,
        "event": int(trace._offsets[step] + graph.n_created + 1 + j),
        "node": parent,
        "child": child,
        "local_grad": local,
        "grad": g,
        "what": f"chain rule of {trace.describe(step, parent)} gave {trace.describe(step, child)} "
        f"{local!r} * {g!r} = {local * g!r}",
    }
