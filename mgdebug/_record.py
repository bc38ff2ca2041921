"""`mgdebug.record()`: attach a Recorder to the engine for the extent of a `with` block."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import micrograd

from ._live import BreakpointListener, LiveSpecs
from ._pause import PdbPause
from ._signals import deferred_while_busy
from .breakpoints import Breakpoint, parse_specs
from .engines import engine_classes, tracing
from .recorder import Recorder
from .trace import Trace

DEFAULT_MAX_NODES = (
    2_000_000  # ~100 MB of columns: 30 steps of micrograd's demo in full
)


@contextmanager
def record(
    *,
    max_nodes: int = DEFAULT_MAX_NODES,
    keep_every: int = 1,
    source: bool = False,
    break_on: Any = None,
    on_break: str = "record",
    engine: Any = None,
) -> Iterator[Trace]:
    """Record every Value built and every backward run inside the block into a Trace.

    max_nodes: nodes kept in full over all steps; past it, steps keep their
        summaries (loss, parameters) and the latest step stays in full.
    keep_every: keep every k-th step in full (0, k, 2k, ...), others as summaries.
    source: remember the file and line that built each node (~4 us a node, about
        doubling a step: docs/benchmarks.md).
    break_on: breakpoint specs (docs/breakpoints.md): a spec string, a Value, a
        callable, or a list of them.
    on_break: "record" notes each hit in `trace.hits` and goes on; "pdb" opens
        pdb at the node (`node`, `children`, `grads` at hand; `c` goes on, `q` stops).
    engine: your own micrograd-style class (or a tuple of them) to trace as well:
        its nodes and backward are recorded like ours, its code unchanged
        (`engines.py`; the class is restored when the block ends).

    If the block raises, the trace keeps everything up to the failure, notes the
    error in `trace.error`, and the exception propagates unchanged. The innermost
    of nested `record()` blocks records; enclosing ones see nothing meanwhile.
    """
    if on_break not in ("record", "pdb"):
        raise ValueError(f"on_break must be 'record' or 'pdb', got {on_break!r}")
    breakpoints = parse_specs(break_on)
    classes = engine_classes(engine)
    pause = PdbPause() if on_break == "pdb" and breakpoints else None
    trace = Trace()
    with recording(
        trace,
        max_nodes=max_nodes,
        keep_every=keep_every,
        source=source,
        breakpoints=breakpoints,
        pause=pause,
        engines=classes,
    ):
        yield trace


@contextmanager
def recording(
    trace: Trace,
    *,
    max_nodes: int = DEFAULT_MAX_NODES,
    keep_every: int = 1,
    source: bool = False,
    on_step: Callable[[], None] | None = None,
    on_building: Callable[[int], None] | None = None,
    breakpoints: list[Breakpoint] | None = None,
    pause: Any = None,
    live_specs: LiveSpecs | None = None,
    engines: tuple[type, ...] = (),
    announce: Callable[[type], None] | None = None,
) -> Iterator[Recorder]:
    """Record into an existing `trace` (the magic makes the trace before the cell runs).

    `on_step()` is called after each step closes, `on_building(n)` every 1,024 Values
    with the n built so far in the step in progress (the viewer's progress line).
    `live_specs`: breakpoints that may change while it runs (the viewer's list);
    they replace `breakpoints`, and with a `pause` even none keeps the check ready.
    `engines`: foreign micrograd-style classes traced too (`engines.tracing`);
    `announce(cls)` is called when one first builds a node or runs backward.
    """
    if not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"max_nodes must be a positive int, got {max_nodes!r}")
    if not isinstance(keep_every, int) or keep_every < 1:
        raise ValueError(f"keep_every must be a positive int, got {keep_every!r}")
    recorder = Recorder(
        trace,
        max_nodes=max_nodes,
        keep_every=keep_every,
        source=bool(source),
        on_step=on_step,
        on_building=on_building,
    )
    for outer in micrograd.listeners():  # an enclosing record() names what it has
        if isinstance(outer, Recorder):  # built so far, before this one can meet it
            outer.name_what_was_built()
    watcher, failed = None, False
    # signals wait while the recorder works, the last close_step included
    with deferred_while_busy(recorder):
        try:
            with ExitStack() as listening:
                listening.enter_context(micrograd.listen(recorder, exclusive=True))
                if breakpoints or live_specs is not None:  # after the recorder: it
                    watcher = BreakpointListener(  # hears each event second
                        recorder, breakpoints or [], pause, live_specs
                    )
                    listening.enter_context(micrograd.listen(watcher))
                if engines:
                    listening.enter_context(tracing(engines, announce))
                yield recorder
        except BaseException as e:
            failed = True
            clean_exit = isinstance(e, SystemExit) and e.code in (0, None)
            if not clean_exit:
                trace.error = {"type": type(e).__name__, "message": str(e)}
            raise
        finally:
            recorder.close_step()
            if watcher is not None:  # (a warning must not hide the block's exception)
                watcher.finish(warn=not failed)
