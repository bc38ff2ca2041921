"""A `%%mgtrace` cell's body, compiled and run as IPython runs the same cell without it.

The body goes through IPython's own transformations first (line magics such as
`%time`, `!cmd`, `?` help, a common indent, AST transformers), then compiles with
top-level `await` allowed and the shell's `__future__` flags. Its file name is
one IPython maps to the cell's `In[n]`, and the cached text is the cell as the
user wrote it (line 1 is the `%%mgtrace` line), so tracebacks show the cell's own
lines with their own numbers. The last expression is evaluated apart, so the
cell displays its value as any cell does (not after a trailing `;`).
"""

from __future__ import annotations

import ast
import asyncio
import contextvars
import inspect
import threading
from dataclasses import dataclass
from types import CodeType
from typing import Any

_FLAGS = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT


@dataclass(frozen=True)
class CellCode:
    """The compiled body: its statements, its last expression (or None), its file name."""

    statements: CodeType
    last_expression: CodeType | None
    filename: str


def compile_cell(ip: Any, line: str, body: str, number: int | None = None) -> CellCode:
    """Compile `body` under a name IPython shows as `In[number]` (default: this cell's).

    A SyntaxError names that file and the line as numbered in the cell.
    """
    # IPython drops leading blank lines before it transforms; put them back so that
    # line k of the compiled source is line k of the cell
    lines = body.splitlines()
    lead = next((i for i, text in enumerate(lines) if text.strip()), len(lines))
    python = ip.transform_cell(body) if ip is not None else body
    source = "\n" * (1 + lead) + python
    shown = f"%%mgtrace {line}".rstrip() + "\n" + body
    if ip is not None:
        if number is None:
            number = cell_number(ip)
        filename = ip.compile.cache(shown, number)
        flags = ip.compile.flags | _FLAGS
    else:
        filename, flags = "<mgtrace>", _FLAGS
    tree = compile(
        source, filename, "exec", flags | ast.PyCF_ONLY_AST, dont_inherit=True
    )
    if ip is not None:
        tree = ip.transform_ast(tree)
    last = None
    if (
        tree.body
        and isinstance(tree.body[-1], ast.Expr)
        and not python.rstrip().endswith(";")
    ):
        last = ast.Expression(tree.body.pop().value)
    statements = compile(tree, filename, "exec", flags, dont_inherit=True)
    expression = (
        compile(last, filename, "eval", flags, dont_inherit=True) if last else None
    )
    return CellCode(statements, expression, filename)


def cell_number(ip: Any) -> int:
    """The running cell's `In[n]`. IPython 9 counts `execution_count` up before a cell
    runs, IPython 7 after it; the result IPython fills in for the cell knows."""
    result = getattr(getattr(ip, "displayhook", None), "exec_result", None)
    number = getattr(result, "execution_count", None)
    return number if isinstance(number, int) else ip.execution_count


def run_cell_code(code: CellCode, namespace: dict) -> Any:
    """Run the statements, then return the last expression's value (or None)."""
    __tracebackhide__ = True
    _run(code.statements, namespace)
    if code.last_expression is not None:
        return _run(code.last_expression, namespace)
    return None


def _run(code: CodeType, namespace: dict) -> Any:
    __tracebackhide__ = True
    result = eval(code, namespace)
    if code.co_flags & inspect.CO_COROUTINE:  # the body awaits at its top level
        result = _finish(result)
    return result


def _finish(coroutine: Any) -> Any:
    """Run a top-level-`await` body to its end on an event loop of its own.

    A worker thread has no loop, so it gets a fresh one; the kernel's main thread
    (a body run in place) is inside the kernel's running loop, which cannot be
    entered again, so there the coroutine runs in a helper thread meanwhile.
    Objects tied to the kernel's own loop cannot be awaited in a traced body.
    """
    __tracebackhide__ = True
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["result"] = asyncio.run(coroutine)
        except BaseException as e:
            outcome["error"] = e

    helper = threading.Thread(
        target=contextvars.copy_context().run,
        args=(run,),
        name="mgtrace-await",
        daemon=True,
    )
    helper.start()
    while helper.is_alive():
        helper.join(0.1)  # short joins: Kernel -> Interrupt still reaches this thread
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("result")
