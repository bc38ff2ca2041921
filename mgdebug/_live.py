"""Breakpoints while recording: a second listener beside the recorder that notes hits and pauses.

The recorder is attached first, so it hears each event before this listener
does: when backward begins the step's nodes are read, and when it ends the step
is closed into the trace. Matching goes through `breakpoints.py` (one matcher per
kind), in one of two ways:

- record-only (no pause handler, no callables): nothing stops mid-backward, so
  the hits of a backward are found when it ends, by the same masks replay uses,
  over the step just closed, with each visited node's live grad (final from its
  visit on). The engine then skips per-node events, which alone cost ~10% of a
  recorded step (bench/breakpoint_bench.py).
- live (a pause handler, or a callable that may look at anything): every node is
  checked right before its chain rule. When backward begins, the masks with
  grads unknown say which breakpoint may match at which visit; the exact match
  runs only there. A hit shows the step so far and hands control to the handler.
"""

from __future__ import annotations

import math
import os
import sys
import warnings
from typing import Any

import numpy as np

from ._pause import PauseAt
from ._strings import as_label, as_text
from .breakpoints import (
    Breakpoint,
    BreakpointWarning,
    Node,
    Nodes,
    first_hits,
    unknown_ops,
)
from .recorder import Recorder, TraceStopped

_HERE = os.path.dirname(os.path.abspath(__file__)) + os.sep


class BreakpointListener:
    """Notes every breakpoint hit in `trace.hits`; with a pause handler, pauses there."""

    def __init__(self, recorder: Recorder, breakpoints: list[Breakpoint], pause: Any):
        self.recorder = recorder
        self.trace = recorder.trace
        self.breakpoints = breakpoints
        self.pause = pause  # WidgetPause, PdbPause or None (record only)
        self.stepping = False
        self._order: list = []
        self._graph = None
        self._may: list[list[bool]] = []  # per breakpoint: may it match at visit j
        self._may_any: list[bool] = []  # ... does any
        self._done_once: set[int] = set()  # once-per-backward breakpoints already hit
        self._forward_reported = False
        live = pause is not None or any(b.needs_live_node for b in breakpoints)
        # the engine calls only the methods a listener has (docs/events.md)
        self.before_chain_rule = self._check_node if live else None
        self.backward_end = None if live else self._hits_of_finished_backward
        # plain `nonfinite` also stops where the first non-finite value is built
        watch = any(b.kind == "nonfinite" for b in breakpoints)
        self.value_created = self._check_new_value if watch else None

    def finish(self, *, warn: bool) -> None:
        """Recording ended: an op term that no op of the trace has never hit (a typo,
        most likely, as `op:sigmoid` in a trace without one): say so."""
        for problem in unknown_ops(self.breakpoints, self.trace.strings):
            text = f"breakpoint {problem}; it never hit"
            self.trace.notices.append(text)
            if warn:
                warnings.warn(text, BreakpointWarning, stacklevel=_user_level())

    # ------------------------------------------------------------------ backward

    def backward_begin(self, root, order) -> None:
        self._order = order
        self._done_once = set()
        self._visit = 0
        if self.before_chain_rule is None:
            return
        _, graph = self.recorder.snapshot(num_visits=len(order))
        self._graph = graph
        if graph is None:  # a step past max_nodes: its nodes were not read
            self._may = [[True] * len(order)] * len(self.breakpoints)
            self._may_any = [True] * len(order)
            return
        strings, step = self.trace.strings, self.recorder.step_index
        nodes = Nodes.of_graph(graph, strings, step, None, live=True)
        self._visits = graph.visits.tolist()
        may = [b.mask(nodes)[graph.visits] for b in self.breakpoints]
        self._may_any = np.logical_or.reduce(may).tolist()
        self._may = [m.tolist() for m in may]  # lists: read once per node, in Python

    def _check_node(self, node) -> None:
        """before_chain_rule: does a breakpoint hit at the j-th node visited?"""
        j = self._visit
        reason = None
        if self._may_any[j]:
            facts = self._facts(j, node)
            for i, b in enumerate(self.breakpoints):
                if not self._may[i][j] or i in self._done_once or not b.match(facts):
                    continue
                if b.once_per_backward:
                    self._done_once.add(i)
                reason = reason or f"breakpoint {b.text} hit at {_name(facts)}"
        if reason is None and self.stepping:
            reason = f"stepped to {_name(self._facts(j, node))}"
        if reason is not None:
            event = self.trace.num_events + self.recorder.nodes_built + j
            self._hit(node, reason, event, num_visits=j)  # may raise TraceStopped
        self._visit = j + 1  # counted once the rule may run: a Stop leaves it out

    def _facts(self, j: int, node) -> Node | _Visited:
        step = self.recorder.step_index
        if self._graph is None:
            # (names as text: a label set by hand may be anything, _strings.py)
            op, label = as_text(node._op), as_label(node.label)
            return Node(op, label, "", node.data, node.grad, step, node)
        return _Visited(self._graph, self.trace.strings, self._visits[j], step, node)

    def _hits_of_finished_backward(self, root, completed, applied) -> None:
        """backward_end, record-only: the hits of the step the recorder just closed."""
        order, self._order = self._order, []
        summary = self.trace.steps[-1]
        try:
            graph = self.trace.graph(summary.index)
        except LookupError:  # a step past max_nodes keeps no graph to match on
            return
        visits = graph.visits
        grad = np.zeros(graph.num_nodes)
        grad[visits] = np.fromiter(
            [v.grad for v in order[: len(visits)]], np.float64, len(visits)
        )
        nodes = Nodes.of_graph(graph, self.trace.strings, summary.index, grad)
        found = first_hits(self.breakpoints, nodes, visits)
        first_of: dict[int, int] = {}  # visit -> the first breakpoint hitting there
        for i in range(len(self.breakpoints)):
            for j in found[i]:
                first_of.setdefault(j, i)
        first_event = self.trace.num_events - summary.num_events + graph.n_created
        strings = self.trace.strings
        for j in sorted(first_of):
            n = int(visits[j])
            name = _name_of(strings.labels[int(graph.label[n])],
                            strings.ops[int(graph.op[n])], float(graph.data[n]))  # fmt: skip
            text = self.breakpoints[first_of[j]].text
            self.trace.hits.append({"event": first_event + j, "step": summary.index,
                                    "reason": f"breakpoint {text} hit at {name}"})  # fmt: skip

    # ------------------------------------------------------------------ forward

    def _check_new_value(self, value, scope) -> None:
        """value_created: stop where the first non-finite value is born."""
        if self._forward_reported or math.isfinite(value.data):
            return
        children = value._prev
        if not all(math.isfinite(c.data) for c in children):
            return  # it inherits its non-finite value; it was born earlier
        self._forward_reported = True
        inputs = ", ".join(f"{c.data!r}" for c in children)
        reason = (
            f"non-finite value {value.data!r} born in forward at "
            f"{value._op or 'leaf'}({inputs})"
        )
        event = self.trace.num_events + self.recorder.nodes_built - 1
        self._hit(value, reason, event, num_visits=None)

    # ------------------------------------------------------------------ hits

    def _hit(self, node, reason: str, event: int, *, num_visits: int | None) -> None:
        """Note the hit; with a pause handler, show the step so far and wait."""
        step = self.recorder.step_index
        self.trace.hits.append({"event": event, "reason": reason, "step": step})
        if self.pause is None:
            return
        summary, graph = self.recorder.snapshot(num_visits)
        shown = self.trace.with_step(summary, graph)
        at_node = graph.node_of_value(node) if graph is not None else None
        at = PauseAt(
            reason, step, event, -1 if at_node is None else at_node, node, shown
        )
        action = self.pause.wait(at)
        if action == "stop":
            raise TraceStopped(
                f"stopped at a breakpoint ({reason}); the trace keeps what ran"
            )
        self.stepping = action == "step"


class _Visited:
    """The node visited right now, as a `Node` whose names and value are read only
    when a term asks (most nodes of a backward are checked for their grad alone)."""

    __slots__ = ("_columns", "_strings", "_n", "step", "live")

    def __init__(self, graph, strings, n: int, step: int, live):
        self._columns, self._strings, self._n = graph.columns, strings, n
        self.step, self.live = step, live

    grad = property(lambda self: self.live.grad)
    value = property(lambda self: float(self._columns["data"][self._n]))
    op = property(lambda self: self._strings.ops[int(self._columns["op"][self._n])])
    label = property(
        lambda self: self._strings.labels[int(self._columns["label"][self._n])]
    )
    scope = property(
        lambda self: self._strings.scopes[int(self._columns["scope"][self._n])]
    )


def _user_level() -> int:
    """The stacklevel of the first frame outside mgdebug and contextlib: a warning
    points at the user's `with record(...)` (or the cell), not at our plumbing."""
    frame, level = sys._getframe(2), 2  # (the caller of the caller of this)
    while frame is not None and (
        frame.f_code.co_filename.startswith(_HERE)
        or "contextlib" in frame.f_code.co_filename
    ):
        frame, level = frame.f_back, level + 1
    return level


def _name(node: Node | _Visited) -> str:
    return _name_of(node.label, node.op, node.value)


def _name_of(label: str, op: str, value: float) -> str:
    return label or f"{op or 'leaf'} node ({value:.6g})"
