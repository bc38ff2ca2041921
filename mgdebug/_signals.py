"""Signals that arrive while the recorder's bookkeeping runs wait until it is done.

Ctrl-C (KeyboardInterrupt) or an alarm's handler can raise between any two
bytecodes. Landing inside the recorder's own bookkeeping (naming Values, reading
their columns, closing a step) it would leave a step half written: columns of
different lengths, a backward with no visits, the next step failing. Python runs
signal handlers on the main thread only, between bytecodes, looking the handler
up when it runs it; so while `record()` runs on the main thread, every Python
handler in place (SIGINT's default one included) is wrapped: when the signal
comes while the recorder is busy, the wrapper notes it and the recorder runs the
handler the moment its bookkeeping ends (`recorder.py`, `_busy`). The handler's
exception then surfaces at the user's line, as if the signal had come a moment
later. A second Ctrl-C while one waits is handled at once (a way out if the
bookkeeping itself hangs). Handlers are restored when `record()` ends, unless
the block installed its own meanwhile (those are not wrapped).

Off the main thread nothing is wrapped: no handler runs there. `%%mgtrace` runs
the cell in a worker thread and stops it through the recorder (its Stop button
and its forced stop wait while `Recorder.busy`).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class _Deferring:
    """A signal handler that waits while `recorder` is busy, then calls `handler`."""

    def __init__(self, handler: Any, recorder: Any):
        self.handler = handler
        self.recorder = recorder

    def __call__(self, signum: int, frame: Any) -> Any:
        waiting = self.recorder.deferred
        if self.recorder.busy and signum not in (s for s, _ in waiting):
            waiting.append((signum, lambda: self.handler(signum, frame)))
            return None
        return self.handler(signum, frame)


@contextmanager
def deferred_while_busy(recorder: Any) -> Iterator[None]:
    """Wrap the Python signal handlers in place while the block runs (main thread)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    wrapped: dict[int, _Deferring] = {}
    for signum in signal.valid_signals():
        try:
            handler = signal.getsignal(signum)
            if callable(handler):  # (a nested record() wraps the outer's wrapper)
                wrapper = _Deferring(handler, recorder)
                signal.signal(signum, wrapper)
                wrapped[signum] = wrapper
        except (OSError, RuntimeError, ValueError):  # not a signal Python handles
            continue
    try:
        yield
    finally:
        for signum, wrapper in wrapped.items():
            if signal.getsignal(signum) is wrapper:  # the block installed none since
                signal.signal(signum, wrapper.handler)
