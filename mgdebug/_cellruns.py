"""The three ways a `TracedCell` (magic.py) runs, chosen by `_kernels.live_mode`.

- in place: the body runs in the cell's own thread; the viewer is not heard
  until the cell ends (terminal IPython, %%mgtrace inside other code, a kernel
  that hears no busy cell);
- awaiting (ipykernel >= 7.4): a worker thread runs the body while the cell
  awaits it, so the kernel's loop dispatches the viewer's messages;
- pumping (ipykernel 6.x): a worker thread runs the body while the synchronous
  cell takes the kernel's messages itself (`_pump.py`).

Every way ends in `cell.finish(error)`, with the body's exception (or None), so
the trace is kept and the viewer's recording ends whatever happened.
Kernel -> Interrupt stops the body in every way and the cell raises TraceStopped
(a KeyboardInterrupt) with the body's traceback at the place it stopped.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ._pump import pump_while
from ._worker import CellWorker, await_worker
from .recorder import TraceStopped

if TYPE_CHECKING:
    from collections.abc import Iterator

    from .magic import TracedCell

INTERRUPTED = "traced cell interrupted; the trace keeps what ran"


def run_in_place(cell: TracedCell) -> Any:
    __tracebackhide__ = True
    with _finishing(cell):
        cell.show_viewer()
        with _interrupt_stops(cell) as interrupts:
            try:
                return cell.execute()
            except TraceStopped as e:
                if interrupts and str(e) != INTERRUPTED:  # stopped at a recorder check
                    raise TraceStopped(INTERRUPTED).with_traceback(
                        e.__traceback__
                    ) from None
                raise


async def run_awaiting(cell: TracedCell) -> Any:
    __tracebackhide__ = True
    with _finishing(cell):
        cell.show_viewer()
        worker = CellWorker(cell.execute)
        interrupted = await await_worker(
            worker,
            on_tick=lambda: cell.force_stop_if_stuck(worker),
            on_interrupt=cell.interrupted,
        )
        return _outcome(worker, interrupted)


def run_pumping(cell: TracedCell, kernel: Any) -> Any:
    __tracebackhide__ = True
    with _finishing(cell):
        cell.show_viewer()
        worker = CellWorker(cell.execute)
        worker.start()
        interrupts = pump_while(
            worker.alive,
            kernel,
            on_tick=lambda: cell.force_stop_if_stuck(worker),
            on_interrupt=cell.interrupted,
            wait=worker.join,
        )
        return _outcome(worker, interrupts > 0)


@contextmanager
def _interrupt_stops(cell: TracedCell) -> Iterator[list]:
    """Kernel -> Interrupt while the body runs in place: raise TraceStopped at once, as
    Python's own handler raises KeyboardInterrupt, and also ask the recorder to stop.

    The raise can be lost: ipykernel 6.29 runs a garbage-collector callback that
    swallows an exception raised inside it, and an allocating loop is often there.
    The recorder's next check (within 1,024 Values) then stops the body anyway.
    Never raised inside the recorder's own bookkeeping (`Recorder.busy`).
    """
    interrupts: list = []
    if threading.current_thread() is not threading.main_thread():
        yield interrupts  # signals reach the main thread only
        return

    def on_interrupt(signum: int, frame: Any) -> None:
        interrupts.append(signum)
        cell.request_stop()
        recorder = cell.recorder
        if cell.in_user_code and not (recorder is not None and recorder.busy):
            raise TraceStopped(INTERRUPTED)

    previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
        yield interrupts
    finally:
        signal.signal(signal.SIGINT, previous)


@contextmanager
def _finishing(cell: TracedCell) -> Iterator[None]:
    __tracebackhide__ = True
    error = None
    try:
        yield
    except BaseException as e:
        error = e
        raise
    finally:
        cell.finish(error)


def _outcome(worker: CellWorker, interrupted: bool) -> Any:
    """What the body returned or raised; after an interrupt, TraceStopped with the
    body's traceback at the place it stopped."""
    __tracebackhide__ = True
    if interrupted and (worker.error is None or isinstance(worker.error, TraceStopped)):
        where = worker.error.__traceback__ if worker.error is not None else None
        stopped = TraceStopped(INTERRUPTED)
        raise stopped.with_traceback(where) from None
    return worker.outcome()
