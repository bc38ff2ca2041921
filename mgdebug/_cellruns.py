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
Kernel -> Interrupt stops a live cell like the viewer's Stop and the cell then
raises TraceStopped (a KeyboardInterrupt) with the body's traceback at the stop.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ._pump import pump_while
from ._worker import CellWorker, await_worker
from .recorder import TraceStopped

if TYPE_CHECKING:
    from collections.abc import Iterator

    from .magic import TracedCell


def run_in_place(cell: TracedCell) -> Any:
    __tracebackhide__ = True
    with _finishing(cell):
        cell.show_viewer()
        return cell.execute()


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
        stopped = TraceStopped("traced cell interrupted; the trace keeps what ran")
        raise stopped.with_traceback(where) from None
    return worker.outcome()
