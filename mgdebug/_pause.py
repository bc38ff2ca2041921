"""What a live breakpoint does when it hits: wait for the viewer's buttons, or open pdb.

A pause handler has one method, `wait(at) -> action`, called in the thread that
runs the traced code, with the code stopped right before a node's chain rule (or
in forward, right after a non-finite value was built). The action says what the
code does next: "continue" to the next hit, "step" one chain rule, "over" until
backward has run every chain rule of the node's scope (this call of it: one
neuron), "out" the same for the enclosing scope (the layer), "stop"
(docs/breakpoints.md, "Stepping").

- `WidgetPause` blocks on a threading.Event until the viewer sends Continue, Step
  or Stop, or the timeout passes (the kernel's event loop stays free: magic.py);
- `PdbPause` opens pdb in a frame holding `node`, `children` and `grads`, where
  `step` (`s`), `over` (`n`), `out` (`r`), `c` and `q` answer.
"""

from __future__ import annotations

import bdb
import pdb
import sys
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .recorder import TraceStopped

if TYPE_CHECKING:
    from .trace import Trace

ACTIONS = ("continue", "step", "over", "out", "stop")


class BreakpointTimeout(TraceStopped):
    """A pause waited longer than its timeout for Continue; the cell stops, the trace stays."""


@dataclass
class PauseAt:
    """Where the code is paused, and the trace as a viewer should show it meanwhile."""

    reason: str
    step: int
    event: (
        int  # the event right before the node's chain rule (or its creation, forward)
    )
    node: int  # its node id in `step`, -1 if unknown
    value: Any  # the live Value
    trace: Trace  # the trace with the step so far as its last step (provisional)
    spec: str | None = None  # the breakpoint that hit, None when a step led here
    how: str = "breakpoint"  # or 'step', 'over', 'out', 'forward' (a non-finite value)
    scope: str | None = None  # the scope a Step over / Step out ran through

    def info(self) -> dict:
        """The pause as the viewer's `paused` trait carries it (docs/widget-protocol.md)."""
        return {"reason": self.reason, "step": self.step, "event": self.event,
                "node": self.node, "spec": self.spec, "how": self.how,
                "scope": self.scope}  # fmt: skip


class WidgetPause:
    """Blocks the worker thread until the viewer's Continue / Step / Stop, or the timeout."""

    def __init__(self, viewer: Any, timeout_s: float, on_timeout: str = "stop"):
        self.viewer = viewer
        self.timeout_s = timeout_s
        self.on_timeout = on_timeout  # 'stop' the cell, or 'continue' (unattended runs)
        self._wake = threading.Event()
        self._action = "continue"
        self._stopped = False  # a Stop (or Kernel Interrupt) came: no pause waits again
        self.waiting = False  # the code is paused right now

    def wait(self, at: PauseAt) -> str:
        self._wake.clear()
        if self._stopped:  # stopped while the body ran on to this breakpoint
            return "stop"
        self.waiting = True  # before the viewer hears of the pause: a click may come
        try:  # at once, and must find the pause waiting
            self.viewer.show_pause(at)
            if not self._wake.wait(self.timeout_s):
                if self.on_timeout == "continue":
                    return "continue"
                raise BreakpointTimeout(
                    f"paused at '{at.reason}' for {self.timeout_s:g} s without Continue; "
                    "the cell stops here and the trace keeps what ran (--timeout or "
                    "MGDEBUG_PAUSE_TIMEOUT sets the wait)"
                )
            return "stop" if self._stopped else self._action
        finally:
            self.waiting = False
            self.viewer.show_pause(None)

    def command(self, action: str) -> None:
        """Called from the kernel's thread when a viewer button is clicked."""
        if action not in ACTIONS:
            raise ValueError(f"unknown command {action!r}; expected one of {ACTIONS}")
        self._stopped = self._stopped or action == "stop"  # set before the wake-up
        self._action = action
        self._wake.set()


class PdbPause:
    """Opens pdb at the node: `node`, `children` and `grads` are local variables there."""

    def __init__(self, stdin=None, stdout=None):
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout

    def wait(self, at: PauseAt) -> str:
        out = self.stdout
        print(f"mgdebug: {at.reason} (step {at.step}, event {at.event})", file=out)
        node = at.value
        if node is not None:
            print(f"  value {node.data!r}, grad {node.grad!r}", file=out)
        print(
            "  locals: node, children, grads; 'c' continues, 's' steps one chain rule,\n"
            "  'over' (n) runs this node's scope, 'out' (r) the enclosing one, 'q' stops",
            file=out,
        )
        debugger = _Debugger(stdin=self.stdin, stdout=out)
        debugger.use_rawinput = self.stdin is sys.stdin
        # pdb stops in a frame of its own: 'q' raises BdbQuit at that frame's next line,
        # which a try around a line of this frame does not catch (Python 3.11)
        try:
            _prompt(debugger, node)
        except bdb.BdbQuit:
            return "stop"
        return debugger.action


class _Debugger(pdb.Pdb):
    """pdb whose stepping commands step the backward pass, not Python lines.

    At this prompt the code is paused between two chain rules; stepping Python
    lines from here would walk through the engine's loop. So `step` (`s`) runs
    one chain rule, `over` (also `next`, `n`) and `out` (also `return`, `r`) run
    to the end of the node's scope or of the enclosing one, as the viewer's
    buttons do; `continue` (`c`) runs to the next breakpoint.
    """

    action = "continue"

    def _resume(self, action: str, arg: str) -> int:
        self.action = action
        return self.do_continue(arg)

    def do_step(self, arg):
        """s(tep): run one chain rule, then pause again."""
        return self._resume("step", arg)

    def do_over(self, arg):
        """over | n(ext): run until backward has done this node's scope (its call)."""
        return self._resume("over", arg)

    def do_out(self, arg):
        """out | r(eturn): run until backward has done the enclosing scope (its call)."""
        return self._resume("out", arg)

    do_s = do_step
    do_next = do_n = do_over
    do_return = do_r = do_out


def _prompt(debugger: pdb.Pdb, node) -> None:
    """The frame pdb stops in, with `node`, its `children` and their `grads` at hand."""
    children = node._prev if node is not None else ()
    grads = [c.grad for c in children]  # noqa: F841 (for the user at the pdb prompt)
    debugger.set_trace(sys._getframe())
    return None  # pdb stops on this line; 'c' goes on, 'q' raises BdbQuit
