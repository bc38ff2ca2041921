"""Anomaly mode after the fact: where the first NaN or inf of a trace was born, forward or backward.

It reads only the trace's columns and the backward replay, vectorised per step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._batch import batches

if TYPE_CHECKING:
    from .trace import Trace


def first_nonfinite(trace: Trace) -> dict | None:
    """Where the first NaN or inf was *born*, forward or backward, with the inputs that made it.

    Forward: the first node built whose value is not finite while all its inputs
    are. Backward: the first chain-rule contribution that turned a child's grad
    non-finite while the grad before it was finite (e.g. 0 * inf, or an inf local
    derivative). Steps kept only as summaries cannot be searched; they are named.

    A non-finite number never turns finite again downstream (inf + x, inf * 0,
    nan + x are not finite), so a step has a birth exactly when one of its values,
    starting grads or final grads is not finite: the steps of a structure are
    screened together (`_batch.py`), and only the first flagged one is searched.
    """
    kept = trace.kept_steps()
    flagged: set[int] = set()
    with np.errstate(invalid="ignore"):
        for batch in batches(trace, kept, grads=True):
            bad = ~np.isfinite(batch.data).all(axis=1)
            if batch.start is not None:
                bad |= ~np.isfinite(batch.start).all(axis=1)
                bad |= ~np.isfinite(batch.final).all(axis=1)
            flagged.update(batch.steps[bad].tolist())
    for step in sorted(flagged):
        graph, offset = trace.graph(step), trace.event_offset(step)
        found = _forward_birth(trace, step, graph, offset) or _backward_birth(
            trace, step, graph, offset
        )
        if found:
            held = set(kept)
            found["steps_not_searched"] = [k for k in range(step) if k not in held]
            return found
    return None


def _forward_birth(trace: Trace, step: int, graph, offset: int) -> dict | None:
    bad = ~np.isfinite(graph.data)
    ptr, child = graph.child_ptr, graph.child
    for node in np.flatnonzero(bad):
        inputs = child[ptr[node] : ptr[node + 1]]
        if not bad[inputs].any():
            return {
                "phase": "forward",
                "step": step,
                "event": int(offset + node) if node < graph.n_created else offset,
                "node": int(node),
                "op": trace.strings.ops[int(graph.op[node])] or "leaf",
                "value": float(graph.data[node]),
                "inputs": [float(graph.data[c]) for c in inputs],
                "local_grads": graph.local_of(int(node)).tolist(),
                "what": f"{trace.describe(step, int(node))} = {float(graph.data[node])!r} from inputs "
                f"{[float(graph.data[c]) for c in inputs]}",
            }
    return None


def _backward_birth(trace: Trace, step: int, graph, offset: int) -> dict | None:
    if not trace.steps[step].has_backward:
        return None
    replay = trace.replay(step)
    bad_start = ~np.isfinite(replay.start)
    if bad_start.any():
        node = int(np.flatnonzero(bad_start)[0])
        return {"phase": "backward", "step": step, "event": int(offset + graph.n_created),
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
        "event": int(offset + graph.n_created + 1 + j),
        "node": parent,
        "child": child,
        "local_grad": local,
        "grad": g,
        "what": f"chain rule of {trace.describe(step, parent)} gave {trace.describe(step, child)} "
        f"{local!r} * {g!r} = {local * g!r}",
    }
