"""mgdebug: record micrograd computations into replayable traces and debug them in Jupyter."""

from ._record import record
from .recorder import RecordingCapWarning
from .trace import State, Trace

__all__ = ["RecordingCapWarning", "State", "Trace", "load", "load_ipython_extension", "record"]
__version__ = "0.1.0"


def load(path) -> Trace:
    """Read a trace written by `Trace.save` (no pickle; a bad file raises TraceFileError)."""
    from ._tracefile import load as _load

    return _load(path)


def load_ipython_extension(ipython) -> None:
    """`%load_ext mgdebug`: register the `%%mgtrace` cell magic."""
    from .magic import register

    register(ipython)
