"""The traced body in a thread of its own, and how an awaiting cell waits for it.

Both live ways to run a cell (`_kernels.py`: "await" and "pump") run the body in
a worker thread started with a copy of the cell's context: the cell's output
routing (its parent message, a context variable on ipykernel 7) and micrograd's
listeners follow the body there. The cell's own thread stays free to hear the
viewer: it awaits here ("await") or takes the kernel's messages (`_pump.py`).

The worker keeps its own outcome; the future an awaiting cell waits on only
says "done". So when Kernel -> Interrupt cancels the wait, the body's later
exception lands in no future that nobody reads (asyncio would print "Future
exception was never retrieved" into some later cell).
"""

from __future__ import annotations

import asyncio
import contextvars
import ctypes
import threading
from collections.abc import Callable
from typing import Any

# the awaiting cell wakes this often: Kernel -> Interrupt's SIGINT may land on one of
# the kernel's other threads, and Python runs ipykernel's handler (which cancels the
# cell) only when the main thread next runs any bytecode
WAKE_S = 0.1


class CellWorker:
    """Runs `body()` once in a daemon thread; `outcome()` returns or raises what it did."""

    def __init__(self, body: Callable[[], Any]):
        self._body = body
        self._result: Any = None
        self._error: BaseException | None = None
        self._on_done: Callable[[], None] | None = None
        context = contextvars.copy_context()  # output routing and listeners follow
        self.thread = threading.Thread(
            target=context.run, args=(self._run,), name="mgtrace-cell", daemon=True
        )

    def start(self, on_done: Callable[[], None] | None = None) -> None:
        self._on_done = on_done  # called in the worker thread when the body ends
        self.thread.start()

    def _run(self) -> None:
        __tracebackhide__ = True
        try:
            self._result = self._body()
        except BaseException as e:  # handed to the cell's thread, which raises it
            self._error = e
        finally:
            if self._on_done is not None:
                self._on_done()

    def alive(self) -> bool:
        return self.thread.is_alive()

    def join(self, timeout_s: float) -> None:
        self.thread.join(timeout_s)

    @property
    def error(self) -> BaseException | None:
        return self._error

    def outcome(self) -> Any:
        __tracebackhide__ = True
        if self._error is not None:
            raise self._error
        return self._result

    def raise_in(self, error: type[BaseException]) -> None:
        """Make the worker raise `error` (its default message) at its next bytecode."""
        ctypes.pythonapi.PyThreadState_SetAsyncExc(
            ctypes.c_ulong(self.thread.ident), ctypes.py_object(error)
        )


async def await_worker(
    worker: CellWorker,
    *,
    on_tick: Callable[[], None],
    on_interrupt: Callable[[], None],
) -> bool:
    """Start `worker` and await its end; True when Kernel -> Interrupt came meanwhile.

    The kernel's event loop stays free while this awaits (ipykernel >= 7.4 hears the
    viewer then). `on_tick()` runs every WAKE_S; on an interrupt, `on_interrupt()`
    asks the body to stop and this waits for the worker to end before returning.
    """
    loop = asyncio.get_running_loop()
    done = loop.create_future()  # says "ended"; the outcome stays in the worker
    worker.start(on_done=lambda: loop.call_soon_threadsafe(_mark_done, done))
    try:
        while not done.done():
            await asyncio.wait([done], timeout=WAKE_S)
            on_tick()
    except (asyncio.CancelledError, KeyboardInterrupt):
        done.cancel()
        on_interrupt()
        while worker.alive():
            worker.join(WAKE_S)
            on_tick()
        return True
    return False


def _mark_done(done: asyncio.Future) -> None:
    if not done.done():
        done.set_result(None)
