"""How a debugger hears the engine: listeners, scopes and the dispatch of events.

A listener is any object with some of these methods (all optional); the engine
calls the ones it has, in this order of occurrence (contract: docs/events.md):

    value_created(value, op, children, local_grads, scope)
    backward_begin(root, order)
    before_chain_rule(node)
    after_chain_rule(node, contributions)
    backward_end(root, completed)

Listeners are attached with `listen(listener)` for a dynamic extent. The set of
attached listeners lives in a ContextVar, so it follows the code into
`asyncio.to_thread` workers and is invisible to threads started elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

# How many listen() blocks are open right now, in any thread. The engine reads
# only this int on its fast path, so with nobody listening an op pays one check.
active = 0


@dataclass(frozen=True)
class _Attached:
    """One listener's bound methods, looked up once when it is attached."""

    listener: Any
    value_created: Any
    backward_begin: Any
    before_chain_rule: Any
    after_chain_rule: Any
    backward_end: Any


_attached: ContextVar[tuple[_Attached, ...]] = ContextVar(
    "micrograd_listeners", default=()
)
_scope: ContextVar[str] = ContextVar("micrograd_scope", default="")


@contextmanager
def listen(listener: Any, *, exclusive: bool = False) -> Iterator[Any]:
    """Send the engine's events to `listener` while the block runs (this context only).

    With `exclusive=True` the listeners attached further out hear nothing until
    the block ends (a recorder nested in another uses this).
    """
    global active
    names = (
        "value_created",
        "backward_begin",
        "before_chain_rule",
        "after_chain_rule",
        "backward_end",
    )
    if not any(callable(getattr(listener, name, None)) for name in names):
        raise TypeError(
            f"listen() needs an object with at least one of the methods {names}; "
            f"got {type(listener).__name__}"
        )
    methods = [getattr(listener, name, None) for name in names]
    entry = _Attached(listener, *(m if callable(m) else None for m in methods))
    outer = () if exclusive else _attached.get()
    token = _attached.set(outer + (entry,))
    active += 1
    try:
        yield listener
    finally:
        active -= 1
        _attached.reset(token)


def listeners() -> tuple[Any, ...]:
    """The listeners attached in the current context, outermost first."""
    return tuple(entry.listener for entry in _attached.get())


def wants_chain_rule_events() -> bool:
    """True when some listener here asked for per-node backward events."""
    return any(
        e.before_chain_rule or e.after_chain_rule for e in _attached.get()
    )


# ----------------------------------------------------------------------------- scopes


@contextmanager
def scope(name: str) -> Iterator[str]:
    """Group the Values created inside the block under `name` (nested with '/')."""
    if not isinstance(name, str) or not name or "/" in name:
        raise ValueError(
            f"scope name must be a non-empty string without '/', got {name!r}"
        )
    outer = _scope.get()
    path = f"{outer}/{name}" if outer else name
    token = _scope.set(path)
    try:
        yield path
    finally:
        _scope.reset(token)


def current_scope() -> str:
    """The scope path Values are created under right now ('' at top level)."""
    return _scope.get()


# ----------------------------------------------------------------------------- dispatch
# The engine calls these only after checking `active`, so they may take their time.


def created(value, op, children, local_grads) -> None:
    path = _scope.get()
    for e in _attached.get():
        if e.value_created:
            e.value_created(value, op, children, local_grads, path)


def backward_begin(root, order) -> None:
    for e in _attached.get():
        if e.backward_begin:
            e.backward_begin(root, order)


def before_chain_rule(node) -> None:
    for e in _attached.get():
        if e.before_chain_rule:
            e.before_chain_rule(node)


def after_chain_rule(node, contributions) -> None:
    for e in _attached.get():
        if e.after_chain_rule:
            e.after_chain_rule(node, contributions)


def backward_end(root, completed) -> None:
    for e in _attached.get():
        if e.backward_end:
            e.backward_end(root, completed)
