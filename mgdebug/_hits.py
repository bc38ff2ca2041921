"""Replay hits: where breakpoints would pause in a recorded trace, as positions on its timeline.

The matchers are `breakpoints.py`'s, run over every kept step with a backward:
the steps of a structure at once (`_batch.py`: their values and final grads as
(steps × nodes) arrays), so a long run of small steps costs one numpy pass per
structure, not per step. Before any of that, the specs are checked against the
trace: a callable cannot be called on recorded numbers, and an op name that no
op of the trace has is a typo to report, not zero hits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._batch import batches
from .breakpoints import (
    Breakpoint,
    BreakpointSpecError,
    Nodes,
    first_hits,
    unknown_ops,
)

if TYPE_CHECKING:
    from .trace import Trace


def breakpoint_hits(trace: Trace, breakpoints: list[Breakpoint]) -> list[dict]:
    """Every hit in the steps kept in full, in time order: {'event', 'step', 'node', 'spec'}.

    A hit is the event right before the matching node's chain rule runs (the moment
    a live breakpoint pauses at). One entry per (node, spec).
    """
    check_replayable(trace, breakpoints)
    steps = [k for k in trace.kept_steps() if trace.steps[k].has_backward]
    grads = any(
        t.kind == "nonfinite" or (t.kind == "condition" and t.argument[1] == "grad")
        for b in breakpoints
        for t in b.terms
    )
    if any(t.kind == "value" for b in breakpoints for t in b.terms):
        hits = _step_by_step(trace, breakpoints, steps, grads)
    else:
        hits = []
        for batch in batches(trace, steps, grads=grads):
            hits += _hits_of_batch(trace, breakpoints, batch)
    hits.sort(key=lambda h: h["event"])
    return hits


def check_replayable(trace: Trace, breakpoints: list[Breakpoint]) -> None:
    """A clear error for a spec that cannot hit in this trace the way it was meant."""
    for b in breakpoints:
        if any(t.kind == "callable" for t in b.terms):
            raise TypeError(
                f"breakpoint {b.text!r} is a callable: it can only be checked live, "
                "while recording (mgdebug.record(break_on=f)); on a recorded trace "
                "use a spec: op:NAME, scope:PATH, a label, a condition such as "
                "grad>10 (docs/breakpoints.md)"
            )
    problems = unknown_ops(breakpoints, trace.strings)
    if problems:
        raise BreakpointSpecError("; ".join(problems))


def _hits_of_batch(trace: Trace, breakpoints: list[Breakpoint], batch) -> list[dict]:
    s = batch.structure.columns
    nodes = Nodes(trace.strings, batch.steps, s["op"], s["scope"], s["label"],
                  batch.data, batch.final, _no_value)  # fmt: skip
    visits = batch.visits
    first = np.array([trace.event_offset(k) for k in batch.steps.tolist()])
    first += batch.structure.n_created
    hits = []
    for b in breakpoints:
        mask = np.broadcast_to(b.mask(nodes), batch.data.shape)[:, visits]
        rows, positions = np.nonzero(mask)  # row by row, positions in order
        if b.once_per_backward and len(rows):  # the first position of each row
            first_of_row = np.flatnonzero(np.diff(rows, prepend=-1))
            rows, positions = rows[first_of_row], positions[first_of_row]
        steps, events = batch.steps[rows].tolist(), (first[rows] + positions).tolist()
        for step, event, j in zip(steps, events, positions.tolist()):
            hits.append({"event": event, "step": step, "node": int(visits[j]),
                         "spec": b.text})  # fmt: skip
    return hits


def _step_by_step(trace: Trace, breakpoints, steps: list[int], grads: bool) -> list:
    """Hits of breakpoints that name Values: a Value's node id differs per step."""
    hits = []
    for step in steps:
        graph = trace.graph(step)
        # a node's grad is final when it is visited, so the replay's final grads are
        # each node's grad at its visit
        grad = trace.replay(step).final if grads else None
        nodes = Nodes.of_graph(graph, trace.strings, step, grad)
        first_event = trace.event_offset(step) + graph.n_created
        for i, positions in first_hits(breakpoints, nodes, graph.visits).items():
            for j in positions:
                hits.append({"event": first_event + j, "step": step,
                             "node": int(graph.visits[j]),
                             "spec": breakpoints[i].text})  # fmt: skip
    return hits


def _no_value(value) -> None:
    raise AssertionError("breakpoints naming Values are matched step by step")
