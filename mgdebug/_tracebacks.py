"""What a failing traced cell shows: the traceback of the same cell without the magic.

The exception stays the one the body raised: its type, its message and its
`__traceback__` (which `%debug` walks) are untouched. What changes is what the
notebook shows. IPython asks an exception for `_render_traceback_()` before it
formats one itself; `show_from_cell` gives the exception that method for one
showing (it removes itself when called), and the traceback it returns:

- starts at the cell's own line, as `In[n]` (the file `_cellcode.py` compiled
  the body under), without the frames that ran the cell: the rewritten line, the
  magic, the worker thread;
- leaves out mgdebug's frames (recorder, breakpoints, pause) and the engine's
  frames that only lead into them: a Stop or a pause timeout inside `backward()`
  ends at the user's `loss.backward()` line;
- keeps the frames of an error the engine raises itself (the line that says why,
  e.g. "log of -1.0") and of an error from any other library;
- is IPython's usual full traceback when the error is raised inside mgdebug and
  is not one of its deliberate stops (`TraceStopped`): that is a bug of ours.
"""

from __future__ import annotations

import os
from types import FrameType, TracebackType
from typing import Any, NamedTuple

import micrograd

from .recorder import TraceStopped

_MGDEBUG = os.path.dirname(os.path.abspath(__file__)) + os.sep
_MICROGRAD = os.path.dirname(os.path.abspath(micrograd.__file__)) + os.sep


class Entry(NamedTuple):
    frame: FrameType
    lasti: int
    lineno: int

    @property
    def file(self) -> str:
        return self.frame.f_code.co_filename


def show_from_cell(error: BaseException, ip: Any, filename: str) -> None:
    """Make IPython show `error` from the cell's first line down (see the top)."""
    if ip is None or not hasattr(ip, "InteractiveTB"):
        return
    if hasattr(type(error), "_render_traceback_"):  # the exception renders itself
        return
    entries = user_view(_entries(error.__traceback__), filename, error)
    if entries is None:
        return
    tb = _chain(entries)

    def render() -> list[str]:
        error.__dict__.pop("_render_traceback_", None)  # once: the object as it was
        if tb is None:
            return ip.InteractiveTB.get_exception_only(type(error), error)
        return ip.InteractiveTB.structured_traceback(
            type(error), error, tb, tb_offset=0
        )

    try:
        error._render_traceback_ = render  # type: ignore[attr-defined]
    except (AttributeError, TypeError):  # an exception class without a __dict__
        pass


def user_view(
    entries: list[Entry], filename: str, error: BaseException
) -> list[Entry] | None:
    """The frames to show, or None to leave IPython's own traceback (see the top)."""
    start = next((i for i, e in enumerate(entries) if e.file == filename), None)
    if start is None:  # the body never ran: our set-up failed, or a stop came first
        return [] if isinstance(error, TraceStopped) else None
    entries = entries[start:]
    if _ours(entries[-1]) and not isinstance(error, TraceStopped):
        return None
    tail = len(entries)
    while tail > 0 and (_ours(entries[tail - 1]) or _engine(entries[tail - 1])):
        tail -= 1
    if any(_ours(e) for e in entries[tail:]):
        entries = entries[:tail]  # the engine's frames only lead into mgdebug's
    return [e for e in entries if not _ours(e)]


def _ours(entry: Entry) -> bool:
    return entry.file.startswith(_MGDEBUG)


def _engine(entry: Entry) -> bool:
    return entry.file.startswith(_MICROGRAD)


def _entries(tb: TracebackType | None) -> list[Entry]:
    out = []
    while tb is not None:
        out.append(Entry(tb.tb_frame, tb.tb_lasti, tb.tb_lineno))
        tb = tb.tb_next
    return out


def _chain(entries: list[Entry]) -> TracebackType | None:
    """New traceback objects over the same frames (the exception's own stay as they are)."""
    tb = None
    for e in reversed(entries):
        tb = TracebackType(tb, e.frame, e.lasti, e.lineno)
    return tb
