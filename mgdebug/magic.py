"""`%%mgtrace`: record a cell into a Trace, show the viewer live, keep the trace.

How a cell runs (README, "How it runs"; docs/architecture.md): the `%%mgtrace`
cell the user ran in a Jupyter kernel is rewritten by an input transformer
(`transform_cell`) into a call that runs the body in a worker thread while the
cell's own thread hears the viewer (Stop, and Continue at a breakpoint): by
awaiting on ipykernel >= 7.4, or by taking the kernel's messages itself on
ipykernel 6.x (`_pump.py`); `_kernels.py` tells which. Everywhere else (terminal
IPython, `%%mgtrace` under another magic or inside `run_cell`, a kernel that can
do neither) the cell magic runs the body in place and breakpoints are recorded
as hits, with a one-line notice. All paths share `TracedCell`; the body runs as
the same cell would without the magic (`_cellcode.py`), and a failing cell shows
its traceback from the user's own line (`_tracebacks.py`).
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Any

from IPython.core import magic_arguments
from IPython.core.error import UsageError

from . import _cellruns, engines
from ._cellcode import compile_cell, run_cell_code
from ._kernels import LiveMode, live_mode
from ._live import LiveSpecs
from ._pause import (
    ON_TIMEOUT_VARIABLE,
    TIMEOUT_VARIABLE,
    WidgetPause,
    pause_settings,
)
from ._pump import can_pump_here
from ._record import DEFAULT_MAX_NODES, recording
from ._tracebacks import show_from_cell
from ._transform import transform_cell
from ._worker import CellWorker
from .breakpoints import BreakpointSpecError, parse_spec, parse_specs
from .recorder import TraceStopped
from .trace import Trace

__all__ = ["TracedCell", "mgtrace", "register", "transform_cell"]

DEFAULT_NAME = "last_trace"
# Stop and Interrupt act at the recorder's next check (within 1024 Values built);
# code that builds none for this long is stopped by raising in its thread
_FORCE_STOP_AFTER_S = 2.0
NESTED = (
    "this %%mgtrace runs inside other code (a cell magic such as %%time or "
    "%%capture, or run_cell / run_cell_magic), where the viewer cannot be heard "
    "while it runs"
)


@magic_arguments.magic_arguments()
@magic_arguments.argument(
    "--name",
    default=DEFAULT_NAME,
    metavar="VAR",
    help=f"store the Trace in this variable (default: {DEFAULT_NAME})",
)
@magic_arguments.argument(
    "--max-nodes",
    type=int,
    default=DEFAULT_MAX_NODES,
    metavar="N",
    help="nodes kept in full over all steps; later steps keep summaries (default: %(default)s)",
)
@magic_arguments.argument(
    "--keep-every",
    type=int,
    default=1,
    metavar="K",
    help="keep every K-th training step in full, the others as summaries (default: 1)",
)
@magic_arguments.argument(
    "--break",
    dest="breaks",
    action="append",
    default=[],
    metavar="SPEC",
    help="pause backward at matching nodes; repeatable. SPEC: nonfinite | op:NAME | "
    "scope:PATH | LABEL or glob | grad>10, abs(grad)>=1e3, value<0",
)
@magic_arguments.argument(
    "--no-widget", action="store_true", help="record without showing the viewer"
)
@magic_arguments.argument(
    "--save", metavar="PATH", help="also save the trace to PATH (mgdebug.load reads it)"
)
@magic_arguments.argument(
    "--html",
    metavar="PATH",
    help="also write a standalone HTML viewer of the trace (works offline)",
)
@magic_arguments.argument(
    "--source", action="store_true", help="record the source line that built each node"
)
@magic_arguments.argument(
    "--timeout", type=float, default=None, metavar="SECONDS",
    help="how long a breakpoint pause waits for Continue before it gives up "
    f"(default: ${TIMEOUT_VARIABLE}, else 600)",
)  # fmt: skip
@magic_arguments.argument(
    "--engine",
    action="append",
    default=[],
    metavar="NAME",
    help="trace your own micrograd-style Value class NAME too (found by itself when "
    "the cell uses one); repeatable",
)
@magic_arguments.argument(
    "--on-timeout",
    choices=("stop", "continue"),
    default=None,
    help="when a pause times out: stop the cell or continue as if clicked "
    f"(default: ${ON_TIMEOUT_VARIABLE}, else stop)",
)
def mgtrace(line: str, cell: str) -> Any:
    """Record the cell's micrograd computation and show it in the trace viewer.

    The equivalent in plain Python:

        import mgdebug
        with mgdebug.record(max_nodes=..., keep_every=..., engine=...) as last_trace:
            <the cell>
        mgdebug.show(last_trace)
    """
    from IPython import get_ipython

    ip = get_ipython()
    # the cell the user ran comes as run_traced_cell*; this is %%mgtrace in other code
    mode = live_mode(ip)
    if mode.live:
        mode = LiveMode("record-only", NESTED)
    return _cellruns.run_in_place(TracedCell(ip, line, cell, mode))


class TracedCell:
    """One `%%mgtrace` cell: options, the compiled body, the trace and its viewer."""

    def __init__(self, ip: Any, line: str, body: str, mode: LiveMode | None = None):
        self.ip = ip
        self.options = magic_arguments.parse_argstring(mgtrace, line)
        if self.options.max_nodes < 1 or self.options.keep_every < 1:
            raise UsageError("--max-nodes and --keep-every must be positive")
        if not self.options.name.isidentifier():
            raise UsageError(
                f"--name needs a Python identifier, got {self.options.name!r}"
            )
        try:
            self.breakpoints = parse_specs([_unquote(b) for b in self.options.breaks])
        except BreakpointSpecError as e:
            raise UsageError(str(e)) from None
        try:
            self.timeout_s, self.on_timeout = pause_settings(
                self.options.timeout, self.options.on_timeout
            )
        except ValueError as e:
            raise UsageError(str(e)) from None
        # the breakpoints the recording checks; the viewer's list replaces them live
        self.live_specs = LiveSpecs(self.breakpoints)
        # how this run hears the viewer; run in place unless told otherwise
        self.mode = mode or LiveMode("none", "run in place")
        self.code = compile_cell(ip, line, body)
        self.engines, self.announced = self._find_engines()
        self.trace = Trace()
        self.viewer = None
        self.pause = None  # a WidgetPause when breakpoints meet a viewer that is heard
        self.stop_requested = threading.Event()
        self.stop_asked_at: float | None = None  # time.monotonic() of Stop / Interrupt
        self.in_user_code = False  # the worker is running the cell's own statements
        self.recorder = None
        self.forced_stop = False
        self.finished = False  # the body ran (or failed); buttons have nothing to do

    def _find_engines(self) -> tuple[tuple, set]:
        """Your own micrograd-style classes to trace (engines.py); says so in one line."""
        namespace = self.ip.user_ns if self.ip is not None else {}
        codes = [self.code.statements, self.code.last_expression]
        try:
            found, used = engines.for_cell(namespace, codes, self.options.engine)
        except (TypeError, ValueError) as e:
            raise UsageError(str(e)) from None
        if used and not self.options.engine:
            print(engines.describe(used))
        return found, set(used)

    def _announce(self, cls: type) -> None:
        """A traced class first used by the cell, though its code never names it."""
        if cls not in self.announced:
            self.announced.add(cls)
            print(engines.describe((cls,)))

    # ------------------------------------------------------------------ every path

    def show_viewer(self) -> None:
        live = self.mode.live
        if self.breakpoints and not live and not self.options.no_widget:
            print(
                f"mgdebug: breakpoints are recorded as hits, not paused: {self.mode.note}",
                file=sys.stderr,
            )
        if self.options.no_widget or not _in_kernel(self.ip):
            return
        from IPython.display import display

        from .widget import TraceViewer

        self.viewer = TraceViewer(
            self.trace,
            breakpoints=[b.text for b in self.breakpoints if b.replayable],
            recording=True,
            live=live,
            live_note=self.mode.note,
        )
        self.viewer.on_breakpoints = self._on_viewer_breakpoints
        if live:  # a viewer that cannot be heard gets no buttons
            self.viewer.on_command = self._on_command
            # breakpoints set in the viewer while the cell runs may pause it too;
            # with none set, a backward costs nothing more (_live.py)
            self.pause = WidgetPause(self.viewer, self.timeout_s, self.on_timeout)
        display(self.viewer)

    def execute(self) -> Any:
        """Run the body under the recorder (in whichever thread calls this)."""
        __tracebackhide__ = True
        viewer = self.viewer
        on_step = viewer.report_step_closed if viewer is not None else None
        on_building = viewer.report_building if viewer is not None else None
        with recording(
            self.trace,
            max_nodes=self.options.max_nodes,
            keep_every=self.options.keep_every,
            source=self.options.source,
            on_step=on_step,
            on_building=on_building,
            breakpoints=self.breakpoints,
            pause=self.pause,
            live_specs=self.live_specs if self.viewer is not None else None,
            engines=self.engines,
            announce=self._announce,
        ) as recorder:
            recorder.stop_requested = self.stop_requested
            self.recorder = recorder
            self.in_user_code = True
            try:
                return run_cell_code(self.code, self.ip.user_ns)
            finally:
                self.in_user_code = False

    def request_stop(self) -> None:
        self.stop_requested.set()  # stops a running body within 1024 Values built
        if self.stop_asked_at is None:
            self.stop_asked_at = time.monotonic()
        if self.pause is not None:
            self.pause.command("stop")  # wakes a paused body; no later pause waits

    def interrupted(self) -> None:
        """Kernel -> Interrupt: stop the body; a second one forces it at once."""
        if self.stop_asked_at is not None:
            self.stop_asked_at = -_FORCE_STOP_AFTER_S
        self.request_stop()

    def force_stop_if_stuck(self, worker: CellWorker) -> None:
        """After Stop, if the cell's code has built no Value for a while, raise in it."""
        if (
            self.stop_asked_at is not None
            and not self.forced_stop
            and self.in_user_code  # not in the recorder's set-up or clean-up,
            and not (self.recorder is not None and self.recorder.busy)  # nor its work
            and worker.alive()
            and time.monotonic() - self.stop_asked_at >= _FORCE_STOP_AFTER_S
        ):
            self.forced_stop = True
            worker.raise_in(TraceStopped)

    def finish(self, error: BaseException | None) -> None:
        """Keep the trace, write what was asked, end the viewer's recording.

        `error` (what the body raised) stays the cell's error: a file that cannot be
        written is reported beside it; with no error, it is the cell's error.
        """
        self.finished = True
        self.ip.user_ns[self.options.name] = self.trace
        problems = []
        try:
            for option, write in (("--save", self._save), ("--html", self._html)):
                path = getattr(self.options, option[2:])
                if path:
                    try:
                        write(path)
                    except Exception as e:
                        problems.append(f"{option} {path} failed: {e}")
        finally:
            if self.viewer is not None:
                self.viewer.finish()
            elif not _in_kernel(self.ip):
                print(self.trace)
        kept = f"the trace is kept in {self.options.name}"
        if error is not None:
            for problem in problems:
                print(f"mgdebug: {problem} ({kept})", file=sys.stderr)
            show_from_cell(error, self.ip, self.code.filename)
        elif problems:
            raise UsageError("; ".join(problems) + f" ({kept})")

    def _save(self, path: str) -> None:
        self.trace.save(path)

    def _html(self, path: str) -> None:
        replayable = [b.text for b in self.breakpoints if b.replayable]
        self.trace.to_html(path, breakpoints=replayable)

    def _on_viewer_breakpoints(self, specs: list[str]) -> None:
        """The viewer's list changed (kernel thread): the worker adopts it at its next
        check. A spec that does not parse is left out; the viewer says why."""
        parsed = []
        for text in specs:
            try:
                parsed.append(parse_spec(text))
            except BreakpointSpecError:
                continue
        self.live_specs.replace(parsed)

    def _on_command(self, action: str) -> None:
        """A viewer button, heard on the kernel's thread while the body runs in the worker."""
        if action == "stop" and not self.finished:
            self.request_stop()
        elif self.pause is not None and self.pause.waiting:
            self.pause.command(action)  # wakes a paused body
        else:
            done = " (the cell has finished)" if self.finished else ""
            raise ValueError(f"nothing is paused; {action!r} has no effect{done}")


# ---------------------------------------------------------------------- what a cell becomes
# (`_transform.py` rewrites the cell the user ran into one of these calls)


async def run_traced_cell(line: str, body: str) -> Any:
    """The `%%mgtrace` cell, run live in a kernel that hears awaiting cells."""
    __tracebackhide__ = True
    from IPython import get_ipython

    ip = get_ipython()
    return await _cellruns.run_awaiting(TracedCell(ip, line, body, live_mode(ip)))


def run_traced_cell_pumping(line: str, body: str) -> Any:
    """The `%%mgtrace` cell, run live on ipykernel 6.x (`_pump.py`)."""
    __tracebackhide__ = True
    from IPython import get_ipython

    ip = get_ipython()
    mode = live_mode(ip)
    if mode.name != "pump" or not can_pump_here():
        mode = LiveMode("record-only", "the cell is not on the kernel's main thread")
        return _cellruns.run_in_place(TracedCell(ip, line, body, mode))
    return _cellruns.run_pumping(TracedCell(ip, line, body, mode), ip.kernel)


def register(ip: Any) -> None:
    """Register `%%mgtrace`; in a kernel, also the transformer for live runs."""
    ip.register_magic_function(mgtrace, magic_kind="cell")
    if _in_kernel(ip) and transform_cell not in ip.input_transformers_cleanup:
        ip.input_transformers_cleanup.append(transform_cell)


def _unquote(text: str) -> str:
    """IPython's argument splitter keeps quotes around `--break "grad>10"`; drop them."""
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def _in_kernel(ip: Any) -> bool:
    return ip is not None and getattr(ip, "kernel", None) is not None
