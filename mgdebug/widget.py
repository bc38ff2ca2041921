"""The trace viewer widget (anywidget): serves a Trace to the frontend in js/.

Contract: docs/widget-protocol.md. Synced traits hold small UI state only; every
request is answered by `protocol.answer` (the same function the standalone HTML
page uses), and step graphs travel as binary bundles, one message per step.
This module also carries what only a live recording has: progress while a cell
runs, the pause at a breakpoint, and the buttons that end it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anywidget
import traitlets

from . import protocol

if TYPE_CHECKING:
    from ._pause import PauseAt
    from .trace import Trace

_STATIC = Path(__file__).parent / "static"
_PROGRESS_INTERVAL_S = 0.1  # at most 10 progress messages a second
COMMANDS = ("continue", "step", "over", "out", "stop")


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

    def __init__(
        self,
        trace: Trace,
        *,
        compare: Trace | None = None,
        recording: bool = False,
        live: bool | None = None,
        live_note: str = "",
        **kwargs: Any,
    ):
        for name, t in (("trace", trace), ("compare", compare)):
            if t is not None and not all(
                hasattr(t, a) for a in ("kept_steps", "state_at", "strings")
            ):
                raise TypeError(
                    f"TraceViewer's {name} must be a mgdebug Trace, got {type(t).__name__}"
                )
        self.trace = trace
        self.other = compare  # a second trace the viewer can compare steps with
        self.recording = recording  # the trace is still being recorded (a running cell)
        # while recording: does the running cell hear this viewer (Stop, pauses)?
        self.live, self.live_note = live, live_note
        self.on_command: Callable[[str], None] | None = (
            None  # the running cell's buttons
        )
        # the running cell's breakpoints, told each change of the `breakpoints` trait
        self.on_breakpoints: Callable[[list[str]], None] | None = None
        self._shown = trace  # what requests are answered from: the trace, or while
        super().__init__(**kwargs)  # paused, the trace with the step so far
        self._last_progress = 0.0
        self._losses_sent = 0
        self._nodes_counted = (0, 0)  # (steps counted, their nodes)
        self._building = 0  # Values built so far in the step in progress
        self.status = self._status()
        if trace.steps:
            self.step = len(trace.steps) - 1
        self.on_msg(self._on_frontend_msg)

    # ------------------------------------------------------------------ requests

    def _on_frontend_msg(self, _widget: Any, content: Any, buffers: list) -> None:
        if isinstance(content, dict) and content.get("kind") == "command":
            try:
                self._command(content.get("action"))
            except ValueError as e:
                self.send(protocol.error(content.get("id"), str(e)))
            return
        reply, out = protocol.answer(
            self._shown, content, breakpoints=list(self.breakpoints),
            recording=self.recording, paused=dict(self.paused), other=self.other,
        )  # fmt: skip
        self.send(reply, buffers=out or None)

    def _command(self, action: Any) -> None:
        if action not in COMMANDS:
            raise ValueError(f"unknown command {action!r}; expected one of {COMMANDS}")
        if self.on_command is None:
            raise ValueError(f"nothing is paused; command {action!r} ignored")
        self.on_command(action)

    def send_meta(self) -> None:
        """Tell the frontend the trace's shape: string tables, steps, event offsets."""
        other_steps = len(self.other.steps) if self.other is not None else None
        meta = protocol.trace_meta(
            self._shown, recording=self.recording, other_steps=other_steps
        )
        self.send(meta)

    @traitlets.observe("breakpoints")
    def _on_breakpoints(self, change: dict) -> None:
        specs = list(self.breakpoints)
        if self.on_breakpoints is not None:  # a running cell checks them from now on
            self.on_breakpoints(specs)
        # hits over a trace being recorded only while paused: the worker waits then
        if self.comm is not None and (not self.recording or self.paused):
            self.send(protocol.hits(self._shown, specs, None, dict(self.paused)))

    # ------------------------------------------------------------------ live recording

    def report_building(self, nodes: int) -> None:
        """Values built so far in the step in progress (the recorder tells every 1,024)."""
        self._building = nodes
        self.report_progress()

    def report_step_closed(self) -> None:
        """A step closed: its nodes are counted with the trace's steps from now on."""
        self._building = 0
        self.report_progress()

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
                "nodes": self._nodes() + self._building,
                "losses": new,
            }
        )

    def finish(self) -> None:
        """Recording ended: show the last step and send the final shape of the trace."""
        self.recording = False
        self.on_command = None
        self.on_breakpoints = None
        self._shown = self.trace
        self.status = self._status()
        if self.trace.steps:
            self.step = len(self.trace.steps) - 1
        self.cursor = -1
        self.send_meta()

    def show_pause(self, at: PauseAt | None) -> None:
        """Show a live breakpoint pause (the step so far as the last step), or clear it."""
        if at is None:
            self._shown = self.trace
            self.paused = {}
            return
        self._shown = at.trace
        self.send_meta()  # the paused step is the shown trace's last step
        self.step = at.step
        self.cursor = at.event
        if at.node >= 0:
            self.selected = at.node
        self.paused = at.info()

    def _nodes(self) -> int:
        """Nodes built over the trace's steps, counted once per step (progress comes
        ten times a second through a run of any length)."""
        steps = self.trace.steps
        counted, total = self._nodes_counted
        if counted > len(steps):  # (steps never go away; start over if they did)
            counted, total = 0, 0
        total += sum(s.num_created for s in steps[counted:])
        self._nodes_counted = (len(steps), total)
        return total

    def _status(self) -> dict:
        error = self.trace.error
        return {
            "recording": self.recording,
            "steps": len(self.trace.steps),
            "nodes": self._nodes() + (self._building if self.recording else 0),
            "error": f"{error['type']}: {error['message']}" if error else None,
            "live": self.live,
            "live_note": self.live_note,
        }

    def __repr__(self) -> str:
        return f"TraceViewer({self.trace!r})"


def show(trace: Trace, *, compare: Trace | None = None) -> None:
    """Display the viewer for `trace` in the current notebook output.

    `compare`: a second trace (a run before a fix, say) whose steps the viewer can
    compare with this one's. Returns None, like IPython's display(), so that
    `mgdebug.show(t)` as a cell's last line shows one viewer, not two;
    `mgdebug.TraceViewer(trace)` gives the widget.
    """
    from IPython.display import display

    display(TraceViewer(trace, compare=compare))
