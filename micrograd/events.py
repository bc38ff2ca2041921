"""How a debugger hears the engine: listeners, scopes and the dispatch of events.

A listener is any object with some of these methods (all optional); the engine
calls the ones it has, in this order of occurrence (contract: docs/events.md):

    value_created(value, scope)      (how it was built: value._op, _prev, local_grads)
    backward_begin(root, order)
    before_chain_rule(node)
    after_chain_rule(node, contributions)
    closure_ran(node, grads_before, grads_after)   (a node built the lecture's way)
    backward_end(root, completed, applied)

A listener that keeps every Value for later (a recorder) can offer a `tape`
instead of `value_created`: a `Tape` (a list) the engine appends each Value to
without calling anything, noting scope changes beside it. One tape per context:
a second tape listener must be attached with `exclusive=True`.

Listeners are attached with `listen(listener)` for a dynamic extent. The set of
attached listeners lives in a ContextVar, so it follows the code into
`asyncio.to_thread` workers and is invisible to threads started elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, NamedTuple

# How many listen() blocks are open right now, in any thread. The engine reads
# only this int on its fast path, so with nobody listening an op pays one check.
active = 0


class Tape(list):
    """Every Value built while its listener is attached, in order, appended by the engine.

    A call per Value costs more than the rest of an op; an append costs little.
    `scopes` gets `(len(tape), scope path)` whenever the scope changes (and when
    the tape is attached), so the Values from `tape[i]` on were built in that
    scope. Once `len(tape)` reaches `due`, the engine calls `on_due()` after each
    append until `due` is raised: the listener's chance to act before backward
    (check a cap, honour a Stop button). The listener may empty the tape (and
    `scopes`) whenever it likes; positions are then counted from the new start.
    """

    __slots__ = ("scopes", "due", "on_due")

    def __init__(self, on_due=None, due=1 << 62):
        super().__init__()
        self.scopes: list[tuple[int, str]] = []
        self.due = due
        self.on_due = on_due


@dataclass(frozen=True)
class _Attached:
    """One listener's bound methods, looked up once when it is attached."""

    listener: Any
    tape: Tape | None
    value_created: Any
    backward_begin: Any
    before_chain_rule: Any
    after_chain_rule: Any
    closure_ran: Any
    backward_end: Any


class _Context(NamedTuple):
    """What the engine reads in one ContextVar lookup: listeners, their creation hooks, scope."""

    attached: tuple[_Attached, ...]
    tape: Tape | None  # the tape of one of `attached`, if one has a tape
    on_created: tuple[Any, ...]  # the value_created methods among `attached`
    scope: str


_context: ContextVar[_Context] = ContextVar(
    "micrograd_events",
    default=_Context((), None, (), ""),  # noqa: B039 (a tuple of tuples: immutable)
)
_NAMES = (
    "value_created",
    "backward_begin",
    "before_chain_rule",
    "after_chain_rule",
    "closure_ran",
    "backward_end",
)


@contextmanager
def listen(listener: Any, *, exclusive: bool = False) -> Iterator[Any]:
    """Send the engine's events to `listener` while the block runs (this context only).

    With `exclusive=True` the listeners attached further out hear nothing until
    the block ends (a recorder nested in another uses this).
    """
    global active
    methods = [getattr(listener, name, None) for name in _NAMES]
    methods = [m if callable(m) else None for m in methods]
    tape = getattr(listener, "tape", None)
    if tape is not None and not isinstance(tape, Tape):
        raise TypeError(
            f"a listener's tape must be a micrograd.events.Tape, got {type(tape).__name__}"
        )
    if not any(methods) and tape is None:
        raise TypeError(
            f"listen() needs an object with a tape or at least one of the methods "
            f"{_NAMES}; got {type(listener).__name__}"
        )
    ctx = _context.get()
    if tape is not None:
        if ctx.tape is not None and not exclusive:
            raise ValueError(
                "a listener with a tape is already attached here; attach this one "
                "with listen(..., exclusive=True) (one tape per context)"
            )
        tape.scopes.append((len(tape), ctx.scope))
    attached = (() if exclusive else ctx.attached) + (
        _Attached(listener, tape, *methods),
    )
    tape = next((e.tape for e in attached if e.tape is not None), None)
    on_created = tuple(e.value_created for e in attached if e.value_created)
    token = _context.set(_Context(attached, tape, on_created, ctx.scope))
    active += 1
    try:
        yield listener
    finally:
        active -= 1
        _context.reset(token)


def listeners() -> tuple[Any, ...]:
    """The listeners attached in the current context, outermost first."""
    return tuple(entry.listener for entry in _context.get().attached)


def chain_rule_listeners() -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """The before_chain_rule and after_chain_rule methods attached here, outermost first.

    Both empty when nobody asked for per-node backward events; the engine then runs
    its plain loop. Looked up once per backward: the per-node loop calls them directly.
    """
    attached = _context.get().attached
    return (
        tuple(e.before_chain_rule for e in attached if e.before_chain_rule),
        tuple(e.after_chain_rule for e in attached if e.after_chain_rule),
    )


# ----------------------------------------------------------------------------- scopes


class scope:
    """Group the Values created inside the block under `name` (nested with '/').

    A class rather than a generator-based context manager: nn modules enter one
    per neuron call while a listener is attached, so its cost shows.
    """

    __slots__ = ("name", "_token")

    def __init__(self, name: str):
        if not isinstance(name, str) or not name or "/" in name:
            raise ValueError(
                f"scope name must be a non-empty string without '/', got {name!r}"
            )
        self.name = name

    def __enter__(self) -> str:
        ctx = _context.get()
        path = f"{ctx.scope}/{self.name}" if ctx.scope else self.name
        # (not ctx._replace(scope=path): 1.2 us, three times the constructor)
        self._token = _context.set(
            _Context(ctx.attached, ctx.tape, ctx.on_created, path)
        )
        if ctx.tape is not None:
            ctx.tape.scopes.append((len(ctx.tape), path))
        return path

    def __exit__(self, *exc_info) -> None:
        _context.reset(self._token)
        ctx = _context.get()
        if ctx.tape is not None:
            ctx.tape.scopes.append((len(ctx.tape), ctx.scope))


def current_scope() -> str:
    """The scope path Values are created under right now ('' at top level)."""
    return _context.get().scope


# ----------------------------------------------------------------------------- dispatch
# The engine calls these only after checking `active`, so they may take their time.


def created(value) -> None:
    ctx = _context.get()
    tape = ctx.tape
    if tape is not None:
        tape.append(value)
        if len(tape) >= tape.due:
            tape.on_due()
    for value_created in ctx.on_created:
        value_created(value, ctx.scope)


def backward_begin(root, order) -> None:
    for e in _context.get().attached:
        if e.backward_begin:
            e.backward_begin(root, order)


def closure_ran(node, grads_before, grads_after) -> None:
    for e in _context.get().attached:
        if e.closure_ran:
            e.closure_ran(node, grads_before, grads_after)


def backward_end(root, completed, applied) -> None:
    for e in _context.get().attached:
        if e.backward_end:
            e.backward_end(root, completed, applied)
