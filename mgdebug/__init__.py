"""mgdebug: record micrograd computations into replayable traces and debug them in Jupyter."""

from ._record import record
from ._tracefile import TraceFileError
from .breakpoints import BreakpointSpecError, BreakpointWarning
from .compare import Comparison, compare
from .draw import draw_dot
from .recorder import RecordingCapWarning
from .trace import State, Trace

__all__ = [
    "BreakpointSpecError",
    "BreakpointWarning",
    "Comparison",
    "RecordingCapWarning",
    "State",
    "Trace",
    "TraceFileError",
    "TraceViewer",
    "compare",
    "draw_dot",
    "load",
    "load_ipython_extension",
    "record",
    "show",
]
__version__ = "0.1.0"


def load(path) -> Trace:
    """Read a trace written by `Trace.save` (no pickle; a bad file raises TraceFileError)."""
    return Trace.load(path)


def load_ipython_extension(ipython) -> None:
    """`%load_ext mgdebug`: register the `%%mgtrace` cell magic."""
    from .magic import register

    register(ipython)


def show(trace: Trace, *, compare: Trace | None = None) -> None:
    """Display the viewer for `trace` in the current notebook output.

    `compare`: a second trace whose steps the viewer can compare with this one's.
    Returns None, like IPython's display(), so that `mgdebug.show(t)` as a cell's
    last line shows one viewer, not two; `mgdebug.TraceViewer(trace)` gives the widget.
    """
    from .widget import show as _show

    _show(trace, compare=compare)


def __getattr__(name):
    # the widget pulls in anywidget/ipywidgets: only when asked, so scripts stay light
    if name == "TraceViewer":
        from .widget import TraceViewer

        return TraceViewer
    raise AttributeError(f"module 'mgdebug' has no attribute {name!r}")
