"""Live breakpoints: stop the traced code at a matching node until someone says what next.

`LiveBreakpoints` is attached to a Recorder as its `before_chain_rule` listener
(and, for `nonfinite`, watches `value_created` too). At a hit it shows the step
so far as a provisional last step of the trace, then hands control to a pause
handler:

- `WidgetPause`: blocks the worker thread on a threading.Event until the viewer
  sends Continue, Step or Stop (the kernel's event loop stays free: docs/magic.md),
  or the timeout passes;
- `PdbPause`: opens pdb in a frame holding `node`, `children` and `grads`;
- no handler ("record" mode): hits are only noted in `trace.hits`, found when
  each backward ends (see `deferred` below).
"""

from __future__ import annotations

import bdb
import fnmatch
import math
import pdb
import sys
import threading
from bisect import bisect_right
from typing import Any

import numpy as np

from ._graph import StepGraph
from .breakpoints import _COMPARE, Breakpoint, condition_holds, scope_matches
from .recorder import Recorder, TraceStopped


class BreakpointTimeout(TraceStopped):
    """A pause waited longer than its timeout for Continue; the cell stops, the trace stays."""


class LiveBreakpoints:
    """Checks each node about to run its chain rule (and, for nonfinite, each new Value)."""

    def __init__(self, recorder: Recorder, breakpoints: list[Breakpoint], pause: Any):
        self.recorder = recorder
        self.breakpoints = breakpoints
        self.pause = pause  # WidgetPause, PdbPause or None (record only)
        self.stepping = False
        self.watch_forward = any(b.kind == "nonfinite" for b in breakpoints)
        self._forward_reported = False
        self._hot_scopes: frozenset[int] = frozenset()  # scopes a spec may match
        self._label_hit: dict[str, bool] = {}  # label -> does a label glob match it
        self._may_match = self._compile()
        self._order: list = []
        # Record-only, nothing stops mid-backward, so the hits can be found when it
        # ends, on the same live nodes: a node's grad is final from its visit on.
        # Then the engine skips its per-node events, which alone cost ~10% of a
        # recorded step (bench/breakpoint_bench.py). Callables may look at anything
        # (and pdb/widget pauses must stop in time), so those check each node live.
        self.deferred = pause is None and all(b.kind != "callable" for b in breakpoints)
        if self.deferred:
            recorder.backward_end = self._wrap_backward_end(recorder.backward_end)
        else:
            recorder.before_chain_rule = self._make_before_chain_rule()
        recorder.backward_begin = self._wrap_backward_begin(recorder.backward_begin)
        if self.watch_forward:
            recorder.value_created = self._wrap_value_created(recorder.value_created)

    # ------------------------------------------------------------------ listener methods

    def _wrap_backward_begin(self, inner):
        def backward_begin(root, order):
            inner(root, order)
            self._hot_scopes = self._scopes_that_may_match()  # fixed during backward
            if self.deferred:
                self._order = order
            else:
                self.recorder._step.visits_done = 0

        return backward_begin

    def _wrap_backward_end(self, inner):
        def backward_end(root, completed):
            s, trace = self.recorder._step, self.recorder.trace
            first_event, step = trace.num_events + len(s.built) + s.uncounted, s.index
            order, match = self._order, self._match
            found = [(j, match(order[j])) for j in self._candidates(order)]
            self._order = []
            inner(root, completed)  # closes the step, keeping the chain rules that ran
            ran = trace.steps[-1].num_visits
            trace.hits.extend(
                {"event": first_event + j, "reason": reason, "step": step}
                for j, reason in found
                if reason is not None and j < ran
            )

        return backward_end

    def _wrap_value_created(self, inner):
        def value_created(value, scope):  # the recorder's tape already has `value`
            if inner is not None:
                inner(value, scope)
            if not self._forward_reported and not math.isfinite(value.data):
                children = value._prev
                if all(math.isfinite(c.data) for c in children):
                    self._forward_reported = (
                        True  # the first non-finite value born here
                    )
                    inputs = ", ".join(f"{c.data!r}" for c in children)
                    reason = f"non-finite value {value.data!r} born in forward at {value._op or 'leaf'}({inputs})"
                    self._hit(value, reason, phase="forward")

        return value_created

    def _make_before_chain_rule(self):
        """The per-node listener, a closure: it runs once per node of every backward."""
        recorder, may_match, match, hit = (
            self.recorder, self._may_match, self._match, self._hit
        )  # fmt: skip

        def before_chain_rule(node) -> None:
            s = recorder._step
            reason = match(node) if may_match(node) else None
            if reason is None and self.stepping:
                reason = f"stepped to {_name(node)}"
            if reason is not None:
                hit(node, reason, phase="backward")  # may raise TraceStopped
            s.visits_done += 1  # counted once the rule may run: a Stop leaves it out

        return before_chain_rule

    # ------------------------------------------------------------------ matching
    # This runs once per node of every backward, so a cheap filter that is False
    # whenever no breakpoint can match (`_compile`) goes first; the exact `_match`,
    # in the order the specs were given, runs only on the few nodes it lets through.
    # Measured on the demo step in bench/breakpoint_bench.py.

    def _compile(self):
        """A test per node that is False whenever `_match` would find nothing."""
        kinds = {b.kind for b in self.breakpoints}
        if "callable" in kinds:
            return lambda node: True  # only the callable can say
        ops = frozenset(b.argument for b in self.breakpoints if b.kind == "op")
        ids = frozenset(id(b.argument) for b in self.breakpoints if b.kind == "value")
        conditions = tuple(
            (field == "grad", use_abs, _COMPARE[op], number)
            for use_abs, field, op, number in
            (b.argument for b in self.breakpoints if b.kind == "condition")
        )  # fmt: skip
        nonfinite, labels = "nonfinite" in kinds, "label" in kinds
        isfinite, label_hit, scope_id = math.isfinite, self._label_hit, self._scope_id
        owner = self
        self._filter = (ops, ids, conditions, nonfinite, labels)

        def may_match(node) -> bool:
            if node._op in ops or (ids and id(node) in ids):
                return True
            for is_grad, use_abs, compare, number in conditions:
                x = node.grad if is_grad else node.data
                if compare(abs(x) if use_abs else x, number):
                    return True
            if nonfinite and not isfinite(node.grad):
                return True
            if labels:
                hit = label_hit.get(node.label)
                if hit is None:
                    hit = owner._label_glob_hits(node.label)
                if hit:
                    return True
            return bool(owner._hot_scopes) and scope_id(node) in owner._hot_scopes

        return may_match

    def _label_glob_hits(self, label: str) -> bool:
        """Whether a label glob matches `label` (remembered: labels recur every step)."""
        globs = [b.argument for b in self.breakpoints if b.kind == "label"]
        hit = self._label_hit[label] = any(fnmatch.fnmatchcase(label, g) for g in globs)
        return hit

    def _candidates(self, order: list) -> list[int]:
        """The positions in `order` where `_may_match` is True, read one field per pass.

        Record-only backward checks every visited node once it ends; a Python call
        per node cost as much as the rest of the breakpoints' overhead
        (bench/breakpoint_bench.py), so this reads each field the specs need in
        one comprehension and compares in numpy (the same IEEE comparisons).
        """
        ops, ids, conditions, nonfinite, labels = self._filter
        n = len(order)
        may = np.zeros(n, dtype=bool)
        if ops:
            may |= np.fromiter([v._op in ops for v in order], bool, n)
        if ids:
            may |= np.fromiter([id(v) in ids for v in order], bool, n)
        if conditions or nonfinite:
            grads = np.fromiter([v.grad for v in order], np.float64, n)
            data = None
            if not all(is_grad for is_grad, *_ in conditions):
                data = np.fromiter([v.data for v in order], np.float64, n)
            with np.errstate(invalid="ignore"):  # nan compares False, as in Python
                for is_grad, use_abs, compare, number in conditions:
                    x = grads if is_grad else data
                    may |= compare(np.abs(x) if use_abs else x, number)
            if nonfinite:
                may |= ~np.isfinite(grads)
        if labels:
            names = [v.label for v in order]
            known = self._label_hit
            for label in set(names).difference(known):
                self._label_glob_hits(label)
            may |= np.fromiter(map(known.__getitem__, names), bool, n)
        if self._hot_scopes:
            hot, scope_id = self._hot_scopes, self._scope_id
            may |= np.fromiter([scope_id(v) in hot for v in order], bool, n)
        return np.flatnonzero(may).tolist()

    def _scopes_that_may_match(self) -> frozenset[int]:
        """Scope ids a scope spec matches, or a label glob as `dotted.scope.op` does."""
        paths = [b.argument for b in self.breakpoints if b.kind == "scope"]
        globs = [b.argument for b in self.breakpoints if b.kind == "label"]
        if not paths and not globs:
            return frozenset()
        strings = self.recorder.trace.strings
        hot = set()
        for sid, scope in enumerate(strings.scopes.items):
            if any(scope_matches(p, scope) for p in paths):
                hot.add(sid)
            dotted = ".".join(scope.split("/")[1:])
            names = [f"{dotted}.{op}" for op in strings.ops.items] if dotted else []
            if any(fnmatch.fnmatchcase(name, g) for g in globs for name in names):
                hot.add(sid)
        return frozenset(hot)

    def _match(self, node) -> str | None:
        for b in self.breakpoints:
            if self._matches(b, node):
                return f"breakpoint {b.text} hit at {_name(node)}"
        return None

    def _matches(self, b: Breakpoint, node) -> bool:
        kind = b.kind
        if kind == "value":
            return node is b.argument
        if kind == "op":
            return node._op == b.argument
        if kind == "condition":
            return condition_holds(b.argument, node.data, node.grad)
        if kind == "nonfinite":
            # backward: only the first node per step whose grad is not finite (its birth);
            # every node after it inherits the nan, and pausing at each would tell nothing
            s = self.recorder._step
            if math.isfinite(node.grad) or s.nonfinite_seen:
                return False
            s.nonfinite_seen = True
            return True
        if kind == "callable":
            return bool(b.argument(node))
        scope = self._scope_of(node)
        if kind == "scope":
            return scope_matches(b.argument, scope)
        # a label glob matches the node's label, or its scope as a dotted name (+ op)
        dotted = ".".join(scope.split("/")[1:])
        return fnmatch.fnmatchcase(node.label, b.argument) or (
            bool(dotted) and fnmatch.fnmatchcase(f"{dotted}.{node._op}", b.argument)
        )

    def _scope_of(self, node) -> str:
        return self.recorder.trace.strings.scopes[self._scope_id(node)]

    def _scope_id(self, node) -> int:
        """The node's scope id (0, top level, for nodes imported from earlier)."""
        s = self.recorder._step
        t = node._tag
        local = t - s.entity_base if t is not None else -1
        if not 0 <= local < len(s.built) or not s.scope_runs:
            return 0
        i = bisect_right(s.scope_runs, (local, float("inf"))) - 1
        return s.scope_runs[i][1] if i >= 0 else 0

    # ------------------------------------------------------------------ hits

    def _hit(self, node, reason: str, *, phase: str) -> None:
        recorder, trace = self.recorder, self.recorder.trace
        s = recorder._step
        if phase == "forward":
            event_in_step = len(s.built) - 1
        else:
            # backward begins after every node built, then one event per chain rule
            event_in_step = len(s.built) + s.uncounted + s.visits_done
        event = trace.num_events + event_in_step
        trace.hits.append({"event": event, "reason": reason, "step": s.index})
        if self.pause is None:
            return
        recorder._resolve(s)  # the step so far, as the viewer will show it
        summary = recorder._summarize(s)
        summary.has_backward = phase == "backward"
        summary.num_visits = s.visits_done if phase == "backward" else 0
        graph = StepGraph.from_buffer(s, num_visits=summary.num_visits)
        trace._set_pending(summary, graph)
        t = node._tag
        info = {
            "reason": reason,
            "step": s.index,
            "event": event,
            "node": (t - s.entity_base)
            if t is not None and 0 <= t - s.entity_base < len(s.built)
            else graph.node_of_entity(t)
            if t is not None
            else -1,
        }
        try:
            action = self.pause.wait(info, node)
        finally:
            trace._clear_pending()
        if action == "stop":
            raise TraceStopped(
                f"stopped at a breakpoint ({reason}); the trace keeps what ran"
            )
        self.stepping = action == "step"


def _name(node) -> str:
    return node.label or f"{node._op or 'leaf'} node ({node.data:.6g})"


class WidgetPause:
    """Blocks the worker thread until the viewer's Continue / Step / Stop, or the timeout."""

    ACTIONS = ("continue", "step", "stop")

    def __init__(self, viewer: Any, timeout_s: float, on_timeout: str = "stop"):
        self.viewer = viewer
        self.timeout_s = timeout_s
        self.on_timeout = (
            on_timeout  # 'stop' the cell, or 'continue' (unattended notebooks)
        )
        self._wake = threading.Event()
        self._action = "continue"
        self._stopped = False  # a Stop (or Kernel Interrupt) came: no pause waits again

    def wait(self, info: dict, node) -> str:
        self._wake.clear()
        if self._stopped:  # stopped while the body ran on to this breakpoint
            return "stop"
        self.viewer.show_pause(info)
        try:
            if not self._wake.wait(self.timeout_s):
                if self.on_timeout == "continue":
                    return "continue"
                raise BreakpointTimeout(
                    f"paused at '{info['reason']}' for {self.timeout_s:g} s without Continue; "
                    "the cell stops here and the trace keeps what ran (--timeout sets the wait)"
                )
            return "stop" if self._stopped else self._action
        finally:
            self.viewer.show_pause({})

    def command(self, action: str) -> None:
        """Called from the kernel's thread when a viewer button is clicked."""
        if action not in self.ACTIONS:
            raise ValueError(
                f"unknown command {action!r}; expected one of {self.ACTIONS}"
            )
        self._stopped = self._stopped or action == "stop"  # set before the wake-up
        self._action = action
        self._wake.set()


class PdbPause:
    """Opens pdb at the node: `node`, `children` and `grads` are local variables there."""

    def __init__(self, stdin=None, stdout=None):
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout

    def wait(self, info: dict, node) -> str:
        print(
            f"mgdebug: {info['reason']} (step {info['step']}, event {info['event']})",
            file=self.stdout,
        )
        print(
            "  locals: node, children, grads; 'c' continues, 'q' stops",
            file=self.stdout,
        )
        debugger = pdb.Pdb(stdin=self.stdin, stdout=self.stdout)
        debugger.use_rawinput = self.stdin is sys.stdin
        # pdb stops in a frame of its own: 'q' raises BdbQuit at that frame's next line,
        # which a try around a line of this frame does not catch (Python 3.11)
        try:
            _prompt(debugger, node)
        except bdb.BdbQuit:
            return "stop"
        return "continue"


def _prompt(debugger: pdb.Pdb, node) -> None:
    """The frame pdb stops in, with `node`, its `children` and their `grads` at hand."""
    children = node._prev
    grads = [c.grad for c in children]  # noqa: F841 (for the user at the pdb prompt)
    debugger.set_trace(sys._getframe())
    return None  # pdb stops on this line; 'c' goes on, 'q' raises BdbQuit
