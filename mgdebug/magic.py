"""`%%mgtrace`: record a cell into a Trace, show the viewer live, keep the trace.

How a cell runs (README, "How it runs"; docs/architecture.md): in a Jupyter kernel, an input transformer turns
a `%%mgtrace` cell into a top-level `await` of `run_traced_cell`, which runs the
body in a worker thread. The kernel's event loop stays free while it waits, so
the viewer's messages (Stop, and Continue at a breakpoint) are heard while the
cell is busy. Elsewhere (terminal IPython) the cell magic runs the body in
place. Both paths share `TracedCell`.
"""

from __future__ import annotations

import ast
import asyncio
import contextvars
import ctypes
import threading
import time
from typing import Any

from IPython.core import magic_arguments
from IPython.core.error import UsageError

from . import engines
from ._pause import WidgetPause
from ._record import DEFAULT_MAX_NODES, recording
from .breakpoints import BreakpointSpecError, parse_specs
from .recorder import TraceStopped
from .trace import Trace

DEFAULT_NAME = "last_trace"
_WAKE_INTERVAL_S = 0.1
# Stop and Interrupt act at the recorder's next check (within 1024 Values built);
# code that builds none for this long is stopped by raising in its thread
_FORCE_STOP_AFTER_S = 2.0


def _raise_in(thread: threading.Thread) -> None:
    """Make `thread` raise TraceStopped (its default message) at its next Python instruction."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread.ident), ctypes.py_object(TraceStopped)
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
    "--timeout", type=float, default=600.0, metavar="SECONDS",
    help="how long a breakpoint pause waits for Continue before it gives up (default: 600)",
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
    default="stop",
    help="when a pause times out: stop the cell (default) or continue as if clicked",
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

    return TracedCell(get_ipython(), line, cell).run_here()


class TracedCell:
    """One `%%mgtrace` cell: options, the compiled body, the trace and its viewer."""

    def __init__(self, ip: Any, line: str, body: str):
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
        self.statements, self.last_expression = _compile_body(ip, body)
        self.engines, self.announced = self._find_engines()
        self.trace = Trace()
        self.viewer = None
        self.pause = (
            None  # a WidgetPause when breakpoints meet a viewer; else hits are recorded
        )
        self.stop_requested = threading.Event()
        self.stop_asked_at: float | None = None  # time.monotonic() of Stop / Interrupt
        self.in_user_code = False  # the worker is running the cell's own statements
        self.recorder = None
        self.forced_stop = False
        self.finished = (
            False  # the body ran (or failed); buttons have nothing left to do
        )

    def _find_engines(self) -> tuple[tuple, set]:
        """Your own micrograd-style classes to trace (engines.py); says so in one line."""
        namespace = self.ip.user_ns if self.ip is not None else {}
        try:
            found, used = engines.for_cell(
                namespace, self.statements, self.options.engine
            )
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

    # ------------------------------------------------------------------ both paths

    def show_viewer(self) -> None:
        if self.options.no_widget or not _in_kernel(self.ip):
            return
        from IPython.display import display

        from .widget import TraceViewer

        self.viewer = TraceViewer(
            self.trace,
            breakpoints=[b.text for b in self.breakpoints if b.replayable],
            recording=True,
        )
        self.viewer.on_command = self._on_command
        if self.breakpoints:
            self.pause = WidgetPause(
                self.viewer, self.options.timeout, self.options.on_timeout
            )
        display(self.viewer)

    def execute(self) -> Any:
        """Run the body under the recorder (in whichever thread calls this)."""
        __tracebackhide__ = True
        on_step = self.viewer.report_progress if self.viewer is not None else None
        with recording(
            self.trace,
            max_nodes=self.options.max_nodes,
            keep_every=self.options.keep_every,
            source=self.options.source,
            on_step=on_step,
            breakpoints=self.breakpoints,
            pause=self.pause,
            engines=self.engines,
            announce=self._announce,
        ) as recorder:
            recorder.stop_requested = self.stop_requested
            self.recorder = recorder
            self.in_user_code = True
            try:
                exec(self.statements, self.ip.user_ns)
                if self.last_expression is not None:
                    return eval(self.last_expression, self.ip.user_ns)
            finally:
                self.in_user_code = False
        return None

    def _request_stop(self) -> None:
        self.stop_requested.set()  # stops a running body within 1024 Values built
        if self.stop_asked_at is None:
            self.stop_asked_at = time.monotonic()
        if self.pause is not None:
            self.pause.command("stop")  # wakes a paused body; no later pause waits

    def _force_stop_if_stuck(self, worker: threading.Thread) -> None:
        """After Stop, if the cell's code has built no Value for a while, raise in it."""
        if (
            self.stop_asked_at is not None
            and not self.forced_stop
            and self.in_user_code  # not in the recorder's set-up or clean-up,
            and not (self.recorder is not None and self.recorder.busy)  # nor its work
            and worker.is_alive()
            and time.monotonic() - self.stop_asked_at >= _FORCE_STOP_AFTER_S
        ):
            self.forced_stop = True
            _raise_in(worker)

    def finish(self) -> None:
        self.finished = True
        self.ip.user_ns[self.options.name] = self.trace
        if self.options.save:
            self.trace.save(self.options.save)
        if self.options.html:
            self.trace.to_html(
                self.options.html,
                breakpoints=[b.text for b in self.breakpoints if b.replayable],
            )
        if self.viewer is not None:
            self.viewer.finish()
        elif not _in_kernel(self.ip):
            print(self.trace)

    def _on_command(self, action: str) -> None:
        """A viewer button, heard on the kernel's thread while the body runs in the worker."""
        if action == "stop" and not self.finished:
            self._request_stop()
        elif self.pause is not None and self.pause.waiting:
            self.pause.command(action)  # wakes a paused body
        else:
            done = " (the cell has finished)" if self.finished else ""
            raise ValueError(f"nothing is paused; {action!r} has no effect{done}")

    # ------------------------------------------------------------------ the two ways to run

    def run_here(self) -> Any:
        """Run in the calling thread (terminal IPython, or the magic called directly)."""
        __tracebackhide__ = True
        self.show_viewer()
        try:
            return self.execute()
        finally:
            self.finish()

    async def run_in_worker(self) -> Any:
        """Run in a worker thread while the kernel's event loop stays free for widget messages."""
        __tracebackhide__ = True
        self.show_viewer()
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        context = (
            contextvars.copy_context()
        )  # output routing and listeners follow the body

        def work() -> None:
            __tracebackhide__ = True
            try:
                result = context.run(self.execute)
            except (
                BaseException
            ) as e:  # handed to the awaiting cell, which re-raises it
                loop.call_soon_threadsafe(_settle, done, None, e)
            else:
                loop.call_soon_threadsafe(_settle, done, result, None)

        worker = threading.Thread(target=work, name="mgtrace-cell", daemon=True)
        worker.start()
        try:
            while not done.done():
                # Wake every 0.1 s: Kernel -> Interrupt's SIGINT may land on one of the
                # kernel's other threads, and then Python runs ipykernel's handler (which
                # cancels this cell) only when the main thread next runs any bytecode.
                await asyncio.wait([done], timeout=_WAKE_INTERVAL_S)
                self._force_stop_if_stuck(worker)
            return done.result()
        except asyncio.CancelledError:
            # Kernel -> Interrupt cancels the awaiting cell: stop the body within 1024
            # Values, at once if it is paused at a breakpoint, and by raising in it if
            # it builds no Values for _FORCE_STOP_AFTER_S
            self._request_stop()
            while worker.is_alive():
                worker.join(_WAKE_INTERVAL_S)
                self._force_stop_if_stuck(worker)
            raise TraceStopped(
                "traced cell interrupted; the trace keeps what ran"
            ) from None
        finally:
            self.finish()


async def run_traced_cell(line: str, body: str) -> Any:
    """What a transformed `%%mgtrace` cell awaits (see `transform_cell`)."""
    __tracebackhide__ = True
    from IPython import get_ipython

    return await TracedCell(get_ipython(), line, body).run_in_worker()


def _settle(future: asyncio.Future, result: Any, error: BaseException | None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


# ---------------------------------------------------------------------- registration


def transform_cell(lines: list[str]) -> list[str]:
    """Input transformer: a `%%mgtrace` cell becomes one `await` of `run_traced_cell`.

    It sees every cell, so it looks at the first line and returns at once for others.
    """
    if not lines or not lines[0].startswith("%%mgtrace"):
        return lines
    first = lines[0].rstrip("\n")
    if first.rstrip().endswith("?") or not (
        first == "%%mgtrace" or first[9:10].isspace()
    ):
        return lines  # `%%mgtrace?` help, or another magic whose name starts the same
    line, body = first[len("%%mgtrace") :].strip(), "".join(lines[1:])
    call = (
        f"await __import__('mgdebug.magic').magic.run_traced_cell({line!r}, {body!r})\n"
    )
    return [call]


def register(ip: Any) -> None:
    """Register `%%mgtrace`; in a kernel that can await cells, also the transformer."""
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


def _compile_body(ip: Any, body: str):
    """The body as (statements, last expression or None), with tracebacks showing cell lines."""
    source = (
        "\n" + body
    )  # line 1 is the %%mgtrace line, so body lines keep their numbers
    try:
        tree = ast.parse(source)
    except SyntaxError as e:
        raise UsageError(f"the %%mgtrace cell has a syntax error: {e}") from None
    last = None
    if (
        tree.body
        and isinstance(tree.body[-1], ast.Expr)
        and not body.rstrip().endswith(";")
    ):
        last = ast.Expression(tree.body.pop().value)
    number = getattr(ip, "execution_count", 0) if ip is not None else 0
    filename = ip.compile.cache(source, number) if ip is not None else "<mgtrace>"
    statements = compile(tree, filename, "exec")
    expression = compile(last, filename, "eval") if last is not None else None
    return statements, expression
