"""Live breakpoints: stop the traced code at a matching node until someone says what next.

`LiveBreakpoints` is attached to a Recorder as its `before_chain_rule` listener
(and, for `nonfinite`, watches `value_created` too). At a hit it shows the step
so far as a provisional last step of the trace, then hands control to a pause
handler:

- `WidgetPause`: blocks the worker thread on a threading.Event until the viewer
  sends Continue, Step or Stop (the kernel's event loop stays free: docs/magic.md),
  or the timeout passes;
- `PdbPause`: opens pdb in a frame holding `node`, `children` and `grads`;
- no handler ("record" mode): hits are only noted in `trace.hits`.
"""

from __future__ import annotations

import fnmatch
import math
import pdb
import sys
import threading
from bisect import bisect_right
from typing import Any

from ._graph import StepGraph
from .breakpoints import Breakpoint, condition_holds, scope_matches
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
        recorder.before_chain_rule = self.before_chain_rule
        recorder.backward_begin = self._wrap_backward_begin(recorder.backward_begin)
        if self.watch_forward:
            recorder.value_created = self._wrap_value_created(recorder.value_created)

    # ------------------------------------------------------------------ listener methods

    def _wrap_backward_begin(self, inner):
        def backward_begin(root, order):
            inner(root, order)
            self.recorder._step.visits_done = 0

        return backward_begin

    def _wrap_value_created(self, inner):
        def value_created(value, op, children, local_grads, scope):
            inner(value, op, children, local_grads, scope)
            if not self._forward_reported and not math.isfinite(value.data):
                if all(math.isfinite(c.data) for c in children):
                    self._forward_reported = True  # the first non-finite value born here
                    inputs = ", ".join(f"{c.data!r}" for c in children)
                    reason = f"non-finite value {value.data!r} born in forward at {op or 'leaf'}({inputs})"
                    self._hit(value, reason, phase="forward")

        return value_created

    def before_chain_rule(self, node) -> None:
        s = self.recorder._step
        reason = self._match(node)
        if reason is None and self.stepping:
            reason = f"stepped to {_name(node)}"
        if reason is not None:
            self._hit(node, reason, phase="backward")  # may raise TraceStopped
        s.visits_done += 1  # counted once the chain rule may run, so a Stop leaves it out

    # ------------------------------------------------------------------ matching

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
            return not (math.isfinite(node.grad) and math.isfinite(node.data))
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
        s = self.recorder._step
        t = node._tag
        local = t - s.entity_base if t is not None else -1
        if not 0 <= local < len(s.op) or not s.scope_runs:
            return ""
        i = bisect_right(s.scope_runs, (local, float("inf"))) - 1
        return self.recorder.trace.strings.scopes[s.scope_runs[i][1]] if i >= 0 else ""

    # ------------------------------------------------------------------ hits

    def _hit(self, node, reason: str, *, phase: str) -> None:
        recorder, trace = self.recorder, self.recorder.trace
        s = recorder._step
        if phase == "forward":
            event_in_step = len(s.op) - 1
        else:
            event_in_step = len(s.op) + s.visits_done  # backward begin + visits done so far
        event = trace.num_events + event_in_step
        trace.hits.append({"event": event, "reason": reason, "step": s.index})
        if self.pause is None:
            return
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
            "node": (t - s.entity_base) if t is not None and 0 <= t - s.entity_base < len(s.op)
            else graph.node_of_entity(t) if t is not None else -1,
        }
        try:
            action = self.pause.wait(info, node)
        finally:
            trace._clear_pending()
        if action == "stop":
            raise TraceStopped(f"stopped at a breakpoint ({reason}); the trace keeps what ran")
        self.stepping = action == "step"


def _name(node) -> str:
    return node.label or f"{node._op or 'leaf'} node ({node.data:.6g})"


class WidgetPause:
    """Blocks the worker thread until the viewer's Continue / Step / Stop, or the timeout."""

    ACTIONS = ("continue", "step", "stop")

    def __init__(self, viewer: Any, timeout_s: float):
        self.viewer = viewer
        self.timeout_s = timeout_s
        self._wake = threading.Event()
        self._action = "continue"

    def wait(self, info: dict, node) -> str:
        self._wake.clear()
        self.viewer.show_pause(info)
        try:
            if not self._wake.wait(self.timeout_s):
                raise BreakpointTimeout(
                    f"paused at '{info['reason']}' for {self.timeout_s:g} s without Continue; "
                    "the cell stops here and the trace keeps what ran (--timeout sets the wait)"
                )
            return self._action
        finally:
            self.viewer.show_pause({})

    def command(self, action: str) -> None:
        """Called from the kernel's thread when a viewer button is clicked."""
        if action not in self.ACTIONS:
            raise ValueError(f"unknown command {action!r}; expected one of {self.ACTIONS}")
        self._action = action
        self._wake.set()


class PdbPause:
    """Opens pdb at the node: `node`, `children` and `grads` are local variables there."""

    def __init__(self, stdin=None, stdout=None):
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout

    def wait(self, info: dict, node) -> str:
        print(f"mgdebug: {info['reason']} (step {info['step']}, event {info['event']})", file=self.stdout)
        print("  locals: node, children, grads; 'c' continues, 'q' stops", file=self.stdout)
        children = node._prev  # noqa: F841 (for the user at the pdb prompt)
        grads = [c.grad for c in node._prev]  # noqa: F841
        debugger = pdb.Pdb(stdin=self.stdin, stdout=self.stdout)
        debugger.use_rawinput = self.stdin is sys.stdin
        try:
            debugger.set_trace(sys._getframe())
            return "continue"  # the line pdb stops at; 'c' moves past it
        except pdb.bdb.BdbQuit:
            return "stop"
