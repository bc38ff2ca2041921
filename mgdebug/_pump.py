"""Hear the viewer inside a synchronous cell on ipykernel 6.x (Google Colab runs 6.17.1).

On ipykernel 6 an awaiting cell never hears a comm message, so there a traced
cell stays synchronous: the body runs in a worker thread and the cell's own
(main) thread takes the kernel's queued shell messages while it waits, so that
the viewer's Continue / Step / Stop reach `TraceViewer.on_msg`, which wakes the
worker. This is the method of the jupyter-ui-poll package, reworked.

How ipykernel 6 takes shell messages (6.17.1 and 6.29.5 alike):
  zmq socket --ZMQStream.on_recv--> kernel.schedule_dispatch(dispatch_shell, frames)
  --> kernel.msg_queue (a tornado Queue of (index, dispatch, args))
  --> kernel.dispatch_queue(), one dispatch at a time on the main asyncio loop.
While our cell runs, dispatch_queue is inside the cell's execute_request and the
loop is blocked by it, so nothing even leaves the socket. Each `pump()`:

  1. flushes the shell stream (main thread): waiting messages go to msg_queue;
  2. takes every queued item and reads its header frame only: deserialize()
     records the message's signature, and a later real dispatch of the same
     message would be rejected as a replay;
  3. holds back execute_request and anything not known to be harmless; the rest
     (comm messages, kernel_info, complete, inspect, ...) is handled here the way
     dispatch_shell would, but WITHOUT kernel.set_parent: dispatch_shell makes the
     message the parent of all output (one global on ipykernel 6), so the worker,
     woken by a click, would print under the click and its lines would vanish
     from the cell. Comm handlers are synchronous on ipykernel 6 and run here;
     async handlers run on a private loop in a helper thread, because the main
     loop is already running below us in this very thread;
  4. on `close()`, puts the held items back on msg_queue unchanged and in arrival
     order, so after this cell's reply the kernel runs them in order -- or aborts
     them if this cell failed, exactly as if they had waited on the socket.

Kernel -> Interrupt (SIGINT) is caught by a handler of ours while we pump, so it
never lands inside steps 1-4; the caller asks the body to stop.
"""

from __future__ import annotations

import asyncio
import inspect
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

# shell messages that are safe to handle while a cell runs; everything else waits
HANDLE_NOW = frozenset(
    {
        "comm_msg",
        "comm_open",
        "comm_close",
        "comm_info_request",
        "kernel_info_request",
        "complete_request",
        "inspect_request",
        "is_complete_request",
        "history_request",
    }
)
POLL_S = (
    0.01  # how often the cell's thread looks at the socket (a click is heard in ~10 ms)
)


class ShellPump:
    """Handles the kernel's waiting shell messages from inside a running cell."""

    def __init__(self, kernel: Any):
        self.kernel = kernel
        self.held: list = []  # queue items to run after this cell, in arrival order
        self._loop: asyncio.AbstractEventLoop | None = None  # for async handlers
        self._thread: threading.Thread | None = None
        self._closed = False

    def pump(self) -> int:
        """Handle what is waiting now; returns how many messages were handled."""
        kernel, handled = self.kernel, 0
        kernel.shell_stream.flush()  # socket -> on_recv -> schedule_dispatch -> msg_queue
        while True:
            try:
                item = kernel.msg_queue.get_nowait()
            except Exception:  # tornado's QueueEmpty (asyncio's on some versions)
                return handled
            message = self._take(item)
            if message is not None:
                self._handle(*message)
                handled += 1

    def _take(self, item: tuple) -> tuple[str, list, dict] | None:
        """(type, idents, message) to handle now, or None when `item` is held back."""
        kernel = self.kernel
        args = item[-1]
        header = self._peek_header(args)
        msg_type = header.get("msg_type") if header else None
        if msg_type not in HANDLE_NOW or header.get("msg_id") in kernel.aborted:
            self.held.append(item)  # execute_request & co: after this cell, in order
            return None
        idents, frames = kernel.session.feed_identities(args[0], copy=False)
        try:  # checks the signature (once: a second deserialize calls it a replay)
            message = kernel.session.deserialize(frames, content=True, copy=False)
        except Exception:
            kernel.log.error("Invalid Message", exc_info=True)
            return None
        return msg_type, idents, message

    def _peek_header(self, args: tuple) -> dict | None:
        try:
            _, frames = self.kernel.session.feed_identities(args[0], copy=False)
            frame = frames[1]
            data = frame.bytes if hasattr(frame, "bytes") else bytes(frame)
            return self.kernel.session.unpack(data)
        except (
            Exception
        ):  # not a shell message (a stop-aborting callback has no frames)
            return None

    def _handle(self, msg_type: str, idents: list, message: dict) -> None:
        """dispatch_shell's work for one message, minus set_parent (see the top)."""
        kernel = self.kernel
        kernel._publish_status("busy", "shell", parent=message)
        try:
            result = kernel.shell_handlers[msg_type](
                kernel.shell_stream, idents, message
            )
            if inspect.isawaitable(result):  # kernel_info, complete, inspect, ...
                asyncio.run_coroutine_threadsafe(
                    _awaited(result), self._helper()
                ).result()
        except Exception:
            kernel.log.error("Exception in message handler:", exc_info=True)
        sys.stdout.flush()
        sys.stderr.flush()
        kernel._publish_status("idle", "shell", parent=message)
        kernel.shell_stream.flush(2)  # zmq.POLLOUT: send the reply now

    def _helper(self) -> asyncio.AbstractEventLoop:
        """A private loop in a thread: this thread is inside the running main loop."""
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
            self._thread = threading.Thread(
                target=self._loop.run_forever, name="mgtrace-shell-pump", daemon=True
            )
            self._thread.start()
        return self._loop

    def close(self) -> None:
        """Give the held messages back to the kernel, unchanged and in order."""
        if self._closed:
            return
        self._closed = True
        kernel = self.kernel
        rest = []
        while True:
            try:
                rest.append(kernel.msg_queue.get_nowait())
            except Exception:
                break
        for item in self.held + rest:
            kernel.msg_queue.put_nowait(item)
        self.held = []
        kernel.io_loop.add_callback(lambda: None)  # wake dispatch_queue when we return
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)
            self._loop.close()


async def _awaited(awaitable: Any) -> Any:
    return await awaitable


def pump_while(
    alive: Callable[[], bool],
    kernel: Any,
    *,
    on_tick: Callable[[], None],
    on_interrupt: Callable[[], None],
    wait: Callable[[float], None],
) -> int:
    """Handle the kernel's messages until `alive()` is false, on the kernel's main thread.

    `wait(seconds)` blocks for at most that long (joining the worker); `on_tick()`
    runs every poll; `on_interrupt()` runs at each Kernel -> Interrupt. Returns how
    many interrupts came.
    """
    interrupts: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda *_: interrupts.append(1))
    pump = ShellPump(kernel)
    told = 0
    try:
        while alive():
            pump.pump()
            while told < len(interrupts):
                told += 1
                on_interrupt()
            on_tick()
            wait(POLL_S)
    finally:
        pump.close()
        signal.signal(signal.SIGINT, previous)
    return len(interrupts)


def can_pump_here() -> bool:
    """Signals and the kernel's socket belong to the main thread."""
    return threading.current_thread() is threading.main_thread()
