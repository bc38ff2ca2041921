"""The input transformer that makes the `%%mgtrace` cell the user ran a live run.

IPython calls every input transformer for every text it transforms: the cell of
an execute request, but also the bodies of other cell magics (`%%time` hands its
body to `transform_cell`) and code that a running cell runs (`%%capture` and
`run_cell` run their text as a nested cell). Only the cell of the kernel's
current execute request is rewritten, into one call that runs it live:

    await __import__('mgdebug.magic').magic.run_traced_cell('--name r', 'body')
    __import__('mgdebug.magic').magic.run_traced_cell_pumping('--name r', 'body')

(the first where awaiting cells hear the viewer, the second on ipykernel 6.x).
Any other text keeps its `%%mgtrace` line, which IPython turns into the cell
magic: it runs in place (a nested run cannot pause live). A body with a syntax
error is reported here, the way IPython reports one in a plain cell.
"""

from __future__ import annotations

from typing import Any

from ._cellcode import compile_cell
from ._kernels import live_mode

MAGIC = "%%mgtrace"


def transform_cell(lines: list[str]) -> list[str]:
    """Rewrite the running execute request's `%%mgtrace` cell (see the top)."""
    if not lines or not lines[0].startswith(MAGIC):
        return lines
    first = lines[0].rstrip("\n")
    if first.rstrip().endswith("?") or not (
        first == MAGIC or first[len(MAGIC) : len(MAGIC) + 1].isspace()
    ):
        return lines  # `%%mgtrace?` help, or another magic whose name starts the same
    from IPython import get_ipython

    ip = get_ipython()
    mode = live_mode(ip)
    if not mode.live or not is_the_running_cell(ip, lines):
        return lines
    line, body = first[len(MAGIC) :].strip(), "".join(lines[1:])
    compile_cell(ip, line, body, number=ip.execution_count)  # a SyntaxError stops here
    args = f"({line!r}, {body!r})\n"
    if mode.name == "await":
        return ["await __import__('mgdebug.magic').magic.run_traced_cell" + args]
    return ["__import__('mgdebug.magic').magic.run_traced_cell_pumping" + args]


# IPython's completeness check (is_complete_request) skips transformers marked so;
# this one compiles the body, which that check need not pay for
transform_cell.has_side_effects = True  # type: ignore[attr-defined]


def is_the_running_cell(ip: Any, lines: list[str]) -> bool:
    """Is IPython transforming the code of the kernel's current execute request?

    Up to the blank lines IPython's earlier clean-ups strip. The text a running cell
    hands to IPython (a cell magic's body, `run_cell(...)`) is other text.
    """
    try:
        code = ip.kernel.get_parent("shell")["content"]["code"]
    except (AttributeError, KeyError, TypeError):
        return False
    return isinstance(code, str) and "".join(lines).strip() == code.strip()
