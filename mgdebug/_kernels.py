"""How a running `%%mgtrace` cell can hear the viewer, in the kernel it runs in.

A live pause needs the kernel to deliver the viewer's messages (Continue, Step,
Stop) while the traced cell is still busy. Kernels differ (measured: README,
"How it runs"; docs/architecture.md):

- "await" (ipykernel >= 7.4): comm messages are dispatched while a cell awaits,
  so the cell awaits a worker thread that runs the body;
- "pump" (ipykernel 6.x; Google Colab runs 6.17.1): an awaiting cell hears
  nothing, but a synchronous cell can take the kernel's queued messages itself
  (`_pump.py`) while the body runs in a worker thread;
- "record-only" (ipykernel 7.0-7.3, or a kernel shaped like neither): shell
  messages go through subshell threads and a busy cell hears the viewer only if
  the frontend happens to send comms to a subshell, which the kernel cannot
  know. The cell runs in place and breakpoints are recorded as hits;
- "none": no kernel (terminal IPython, a script): the cell runs in place.

The kernel's shape is read, not its version number: the feature each way needs
is what decides, so a patched or renamed kernel class (Colab's) is judged by
what it does.
"""

from __future__ import annotations

import inspect
import sys
from dataclasses import dataclass
from typing import Any

LIVE_HINT = "pip install 'mgdebug[live]' (ipykernel >= 7.4) for live pauses"


@dataclass(frozen=True)
class LiveMode:
    """How a traced cell runs here, and, when it cannot pause live, why (one line)."""

    name: str  # "await", "pump", "record-only" or "none"
    note: str = ""

    @property
    def live(self) -> bool:
        """The viewer's buttons are heard while the cell runs (Stop, breakpoint pauses)."""
        return self.name in ("await", "pump")


def live_mode(ip: Any) -> LiveMode:
    """The way a traced cell started now in `ip` can hear the viewer."""
    kernel = getattr(ip, "kernel", None) if ip is not None else None
    if kernel is None:
        return LiveMode(
            "none",
            "outside a Jupyter kernel nothing can click Continue "
            "(mgdebug.record(break_on=..., on_break='pdb') opens pdb instead)",
        )
    if dispatches_while_awaiting(kernel):
        return LiveMode("await")
    if has_shell_queue(kernel):
        return LiveMode("pump")
    version = getattr(sys.modules.get("ipykernel"), "__version__", "?")
    return LiveMode(
        "record-only",
        f"ipykernel {version} cannot deliver the viewer's buttons to a running cell; "
        + LIVE_HINT,
    )


def dispatches_while_awaiting(kernel: Any) -> bool:
    """ipykernel >= 7.4: `dispatch_shell(..., concurrent=...)` runs comm messages while a
    cell awaits."""
    dispatch = getattr(type(kernel), "dispatch_shell", None)
    try:
        return (
            dispatch is not None
            and "concurrent" in inspect.signature(dispatch).parameters
        )
    except (TypeError, ValueError):  # a builtin or a C-level callable: not ipykernel's
        return False


def has_shell_queue(kernel: Any) -> bool:
    """ipykernel 6.x: one queue of shell messages that a busy cell can drain itself.

    7.0-7.3 still have the attributes but take shell messages in subshell threads,
    which never fill the queue (`_supports_kernel_subshells` says so).
    """
    return (
        not getattr(kernel, "_supports_kernel_subshells", False)
        and getattr(kernel, "shell_stream", None) is not None
        and hasattr(kernel, "msg_queue")
        and isinstance(getattr(kernel, "shell_handlers", None), dict)
        and hasattr(kernel, "session")
    )
