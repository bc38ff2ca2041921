"""`mgdebug.record()`: attach a Recorder to the engine for the extent of a `with` block."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import micrograd

from .recorder import Recorder
from .trace import Trace

DEFAULT_MAX_NODES = 2_000_000  # ~100 MB of columns: 30 steps of micrograd's demo in full


@contextmanager
def record(
    *, max_nodes: int = DEFAULT_MAX_NODES, keep_every: int = 1, source: bool = False
) -> Iterator[Trace]:
    """Record every Value built and every backward run inside the block into a Trace.

    max_nodes: nodes kept in full over all steps; past it, steps keep their
        summaries (loss, parameters) and the latest step stays in full.
    keep_every: keep every k-th step in full (0, k, 2k, ...), others as summaries.
    source: remember the file and line that built each node (slower, ~1 us a node).

    If the block raises, the trace keeps everything up to the failure, notes the
    error in `trace.error`, and the exception propagates unchanged. The innermost
    of nested `record()` blocks records; enclosing ones see nothing meanwhile.
    """
    trace = Trace()
    with recording(trace, max_nodes=max_nodes, keep_every=keep_every, source=source):
        yield trace


@contextmanager
def recording(
    trace: Trace,
    *,
    max_nodes: int = DEFAULT_MAX_NODES,
    keep_every: int = 1,
    source: bool = False,
    on_step: Callable[[], None] | None = None,
) -> Iterator[Recorder]:
    """Record into an existing `trace` (the magic makes the trace before the cell runs)."""
    if not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"max_nodes must be a positive int, got {max_nodes!r}")
    if not isinstance(keep_every, int) or keep_every < 1:
        raise ValueError(f"keep_every must be a positive int, got {keep_every!r}")
    recorder = Recorder(
        trace, max_nodes=max_nodes, keep_every=keep_every, source=bool(source), on_step=on_step
    )
    trace.recording = True
    try:
        with micrograd.listen(recorder, exclusive=True):
            yield recorder
    except BaseException as e:
        trace.error = {"type": type(e).__name__, "message": str(e)}
        raise
    finally:
        recorder.close_step()
        trace.recording = False
