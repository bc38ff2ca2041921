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

While a cell runs, the viewer may change the breakpoints (`LiveSpecs`, replaced
whole from the kernel's thread; this listener adopts the new tuple at its next
check). With a pause handler and nothing to check, a backward gets no per-node
events at all (`_NodeCheck` is false then), so a viewer that could pause costs
nothing until a breakpoint is set. Step, Step over and Step out set where the
next pause is (`_stepping.py` says where a scope's call ends).
"""

from __future__ import annotations

import math
import os
import sys
import warnings
from typing import Any

import numpy as np

from ._pause import PauseAt
from ._stepping import parent_scope, stop_after_call
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


class LiveSpecs:
    """The breakpoints a running recording checks; `replace` may be called from any thread.

    The tuple is swapped in one assignment (atomic in CPython) and never mutated:
    the listener compares it by identity at each check and adopts a new one.
    """

    def __init__(self, breakpoints=()):
        self.current: tuple[Breakpoint, ...] = tuple(breakpoints)

    def replace(self, breakpoints) -> None:
        self.current = tuple(breakpoints)


class _NodeCheck:
    """`before_chain_rule` as the engine holds it: a call per node, and false while a
    backward has nothing to check (the engine then runs its plain loop: no per-node
    events, docs/events.md)."""

    __slots__ = ("_listener",)

    def __init__(self, listener: BreakpointListener):
        self._listener = listener

    def __call__(self, node) -> None:
        self._listener._check_node(node)

    def __bool__(self) -> bool:
        return self._listener._checking


class BreakpointListener:
    """Notes every breakpoint hit in `trace.hits`; with a pause handler, pauses there."""

    def __init__(
        self, recorder: Recorder, breakpoints: list[Breakpoint], pause: Any,
        live_specs: LiveSpecs | None = None,
    ):  # fmt: skip
        self.recorder = recorder
        self.trace = recorder.trace
        self._specs = live_specs or LiveSpecs(breakpoints)
        self._adopted: tuple[Breakpoint, ...] = ()
        self.breakpoints: list[Breakpoint] = []
        self.pause = pause  # WidgetPause, PdbPause or None (record only)
        # where the next pause is besides breakpoints: the next chain rule (Step; it
        # may be in the next backward), or a visit of this backward (Step over / out)
        self._step_next = False
        self._stop_at: int | None = None
        self._stop_how = ("", "")  # ('step' | 'over' | 'out', the scope run through)
        self._order: list = []
        self._graph = None
        self._nodes: Nodes | None = None
        self._may: list[list[bool]] = []  # per breakpoint: may it match at visit j
        self._may_any: list[bool] = []  # ... does any
        self._done_once: set[str] = set()  # once-per-backward breakpoints already hit
        self._forward_reported = False
        self._sync()
        live = pause is not None or any(b.needs_live_node for b in self.breakpoints)
        self._checking = live  # this backward checks each node (see _NodeCheck)
        # the engine calls only the methods a listener has (docs/events.md)
        self.before_chain_rule = _NodeCheck(self) if live else None
        self.backward_end = None if live else self._hits_of_finished_backward
        # plain `nonfinite` also stops where the first non-finite value is built
        watch = any(b.kind == "nonfinite" for b in self.breakpoints)
        self.value_created = self._check_new_value if watch else None

    def finish(self, *, warn: bool) -> None:
        """Recording ended: an op term that no op of the trace has never hit (a typo,
        most likely, as `op:sigmoid` in a trace without one): say so."""
        for problem in unknown_ops(self.breakpoints, self.trace.strings):
            text = f"breakpoint {problem}; it never hit"
            self.trace.notices.append(text)
            if warn:
                warnings.warn(text, BreakpointWarning, stacklevel=_user_level())

    def _sync(self) -> bool:
        """Adopt the breakpoints set since the last check; True if they changed."""
        current = self._specs.current
        if current is self._adopted:
            return False
        self._adopted = current
        self.breakpoints = list(current)
        self._tests = [_all_of(b.live_tests()) for b in self.breakpoints]
        if self._nodes is not None:  # mid-backward: where each may match, again
            self._masks(self._nodes, self._graph.visits)
        elif self._order:  # (past max_nodes: anywhere)
            self._may = [[True] * len(self._order)] * len(self.breakpoints)
        return True

    def _masks(self, nodes: Nodes, visits: np.ndarray) -> None:
        may = [b.mask(nodes)[visits] for b in self.breakpoints]
        self._may_any = (
            np.logical_or.reduce(may).tolist() if may else [False] * len(visits)
        )
        self._may = [m.tolist() for m in may]  # lists: read once per node, in Python

    # ------------------------------------------------------------------ backward

    def backward_begin(self, root, order) -> None:
        self._order = order
        self._done_once = set()
        self._visit = 0
        self._stop_at = None  # a visit of the last backward
        self._nodes = None
        self._sync()
        if self.before_chain_rule is None:
            return
        self._checking = bool(self.breakpoints) or self._step_next
        if not self._checking:
            return
        _, graph = self.recorder.snapshot(num_visits=len(order))
        self._graph = graph
        if graph is None:  # a step past max_nodes: its nodes were not read
            self._may = [[True] * len(order)] * len(self.breakpoints)
            self._may_any = [True] * len(order)
            return
        strings, step = self.trace.strings, self.recorder.step_index
        self._nodes = Nodes.of_graph(graph, strings, step, None, live=True)
        self._visits = graph.visits.tolist()
        self._masks(self._nodes, graph.visits)

    def _check_node(self, node) -> None:
        """before_chain_rule: does a breakpoint hit at the j-th node visited?

        Runs at every node of a live backward: the mask said where each breakpoint
        may match; there, only its tests of the live node's grad (or callables) remain.
        """
        j = self._visit
        if self._specs.current is not self._adopted and self._sync():
            self._done_once &= {b.text for b in self.breakpoints}
        reason = spec = None
        how, through = "breakpoint", ""
        if self._may_any[j]:
            for i, test in enumerate(self._tests):
                if not self._may[i][j]:
                    continue
                if self._graph is None:  # past max_nodes, no mask: match exactly
                    if not self.breakpoints[i].match(self._facts(j, node)):
                        continue
                elif not test(node):
                    continue
                b = self.breakpoints[i]
                if b.text in self._done_once:
                    continue
                if b.once_per_backward:
                    self._done_once.add(b.text)
                if reason is None:
                    name = _name(self._facts(j, node))
                    reason, spec = f"breakpoint {b.text} hit at {name}", b.text
        if reason is None and (self._step_next or j == self._stop_at):
            how, through = self._stop_how if j == self._stop_at else ("step", "")
            name = _name(self._facts(j, node))
            reason = {
                "over": f"stepped over {through} to {name}",
                "out": f"stepped out of {through} to {name}",
            }.get(how, f"stepped to {name}")
        if reason is not None:
            event = self.trace.num_events + self.recorder.nodes_built + j
            at = (spec, how, through)
            self._hit(node, reason, event, num_visits=j, why=at)  # may raise
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

    def _hit(
        self, node, reason: str, event: int, *, num_visits: int | None,
        why: tuple = (None, "breakpoint", ""),
    ) -> None:  # fmt: skip
        """Note the hit; with a pause handler, show the step so far and wait."""
        step = self.recorder.step_index
        self.trace.hits.append({"event": event, "reason": reason, "step": step})
        if self.pause is None:
            return
        self._step_next, self._stop_at = False, None  # any pause ends a step
        summary, graph = self.recorder.snapshot(num_visits)
        shown = self.trace.with_step(summary, graph)
        at_node = graph.node_of_value(node) if graph is not None else None
        spec, how, through = why
        at = PauseAt(
            reason, step, event, -1 if at_node is None else at_node, node, shown,
            spec=spec, how=how if num_visits is not None else "forward",
            scope=through or None,
        )  # fmt: skip
        action = self.pause.wait(at)
        if action == "stop":
            raise TraceStopped(
                f"stopped at a breakpoint ({reason}); the trace keeps what ran"
            )
        if action in ("over", "out") and num_visits is not None:
            self._plan_run(action, num_visits)
        else:
            self._step_next = action != "continue"  # over/out in forward: one step

    def _plan_run(self, action: str, j: int) -> None:
        """Step over / Step out from the node visited j-th: where the next pause is."""
        graph = self._graph
        if graph is None:  # past max_nodes: no scopes were read; Step instead
            self._step_next = True
            return
        columns, scopes = graph.structure.columns, self.trace.strings.scopes
        node = int(graph.visits[j])
        scope = scopes[int(columns["scope"][node])] if node < graph.n_created else ""
        path = scope if action == "over" else parent_scope(scope)
        if action == "over" and not path:  # a node at the top level: one chain rule
            self._step_next = True
        elif path:  # (no enclosing scope: run to the end of this backward)
            self._stop_at = stop_after_call(
                scopes, columns["scope"], graph.n_created, graph.visits, node, path
            )
            self._stop_how = (action, path)


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


def _all_of(tests: tuple) -> Any:
    """One test that holds where all of `tests` hold (no call at all for a single one)."""
    if not tests:
        return lambda v: True
    if len(tests) == 1:
        return tests[0]
    return lambda v: all(t(v) for t in tests)


def _name(node: Node | _Visited) -> str:
    return _name_of(node.label, node.op, node.value)


def _name_of(label: str, op: str, value: float) -> str:
    return label or f"{op or 'leaf'} node ({value:.6g})"
