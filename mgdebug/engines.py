"""Tracing your own micrograd: `mgdebug.record(engine=MyValue)` and `%%mgtrace`'s detection.

A class shaped like micrograd's Value (`data`, `grad`, `_prev`, `_op`, a
`_backward` closure on each node, a `backward()` method) is traced without
changing its code. While the block runs, its `__init__` and `backward` are
wrapped; afterwards they are restored, even when the block raises.

- forward: each node built is announced as ours are (`events.created`), after
  its constructor ran, with the children its constructor was given (their order
  is the one the trace shows: `_nodes.py`);
- backward: each `backward()` call is heard as the engine's events, closure by
  closure, with the grads each closure left (`_foreign_backward.py`).
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from micrograd import events
from micrograd.engine import Value

from . import _nodes
from ._foreign_backward import ForeignBackward

_lock = threading.Lock()


def engine_classes(engine: Any) -> tuple[type, ...]:
    """`engine=` as a tuple of classes, each checked to be shaped like micrograd's."""
    if engine is None:
        return ()
    classes = tuple(engine) if isinstance(engine, (tuple, list)) else (engine,)
    for cls in classes:
        if not isinstance(cls, type):
            raise TypeError(
                f"engine must be a class (or a tuple of classes) like micrograd's "
                f"Value, got {type(cls).__name__}: {cls!r:.60}"
            )
        if issubclass(cls, Value):
            raise ValueError(
                f"engine={cls.__name__}: micrograd's Value is traced already; engine= "
                "is for your own micrograd-style class"
            )
        if not callable(getattr(cls, "backward", None)):
            raise TypeError(
                f"engine={cls.__name__} has no backward() method; a traced class needs "
                "data, grad, _prev, _op, a _backward closure per node and backward()"
            )
    return classes


def is_micrograd_shaped(obj: Any) -> bool:
    """A class whose constructor sets `_prev` and `_backward` and that has backward()."""
    if not isinstance(obj, type) or issubclass(obj, Value):
        return False
    init = obj.__dict__.get("__init__")
    code = getattr(init, "__code__", None)
    return (
        code is not None
        and {"_prev", "_backward", "data", "grad"} <= set(code.co_names)
        and callable(getattr(obj, "backward", None))
    )


# ---------------------------------------------------------------------- the tracing


# class -> [its own attributes before tracing, how many blocks trace it, their
# `announce` callbacks]. Nested blocks share one set of wrappers (put in by the
# first block, taken out by the last), which hand events to the innermost recorder.
_traced: dict[type, list] = {}


@contextmanager
def tracing(classes: tuple[type, ...], announce=None) -> Iterator[None]:
    """Wrap each class's `__init__` and `backward` for the block; restore them after.

    `announce(cls)` is called whenever a class builds a node or runs backward
    (the magic's prints its line the first time).
    """
    with _lock:
        for cls in classes:
            entry = _traced.get(cls)
            if entry is None:
                entry = _traced[cls] = [dict(cls.__dict__), 0, []]
                _wrap_init(cls)
                _wrap_backward(cls)
            entry[1] += 1
            entry[2].append(announce)
    try:
        yield
    finally:
        with _lock:
            for cls in classes:
                entry = _traced[cls]
                entry[1] -= 1
                entry[2].remove(announce)
                if entry[1]:
                    continue
                del _traced[cls]
                for name in ("__init__", "backward"):
                    if name in entry[0]:
                        setattr(cls, name, entry[0][name])
                    elif name in cls.__dict__:
                        delattr(cls, name)


def _recorder() -> Any:
    """The innermost attached listener that records (has `visited_in`), or None."""
    for listener in reversed(events.listeners()):
        if hasattr(listener, "visited_in"):
            return listener
    return None


def _used(cls: type) -> None:
    for announce in _traced.get(cls, (None, 0, ()))[2]:
        if announce is not None:
            announce(cls)


def _wrap_init(cls: type) -> None:
    init = cls.__init__
    position = _children_position(init)

    def __init__(self, *args, **kwargs):
        init(self, *args, **kwargs)
        if events.active:
            children = kwargs.get("_children", ())
            if position is not None and len(args) > position:
                children = args[position]
            if isinstance(children, (tuple, list, set, frozenset)):
                _nodes.note_children(self, tuple(children))
            _used(cls)
            events.created(self)

    __init__.__wrapped__ = init  # type: ignore[attr-defined]
    cls.__init__ = __init__


def _children_position(init: Any) -> int | None:
    """Where `_children` sits among the constructor's positional arguments (after self)."""
    try:
        names = list(inspect.signature(init).parameters)
    except (TypeError, ValueError):
        return None
    if "_children" in names:
        return names.index("_children") - 1
    return 1 if len(names) > 2 else None  # micrograd's (self, data, _children, _op)


def _wrap_backward(cls: type) -> None:
    backward = cls.backward

    def traced_backward(self, *args, **kwargs):
        recorder = _recorder() if events.active else None
        if recorder is None:
            return backward(self, *args, **kwargs)
        _used(cls)
        return ForeignBackward(self, recorder).run(backward, args, kwargs)

    traced_backward.__wrapped__ = backward  # type: ignore[attr-defined]
    traced_backward.__name__ = getattr(backward, "__name__", "backward")
    cls.backward = traced_backward


# ---------------------------------------------------------------------- %%mgtrace


def for_cell(namespace: dict, codes: list, chosen: list[str]) -> tuple[tuple, tuple]:
    """(classes to trace, those the cell visibly uses) for a `%%mgtrace` cell.

    `chosen`: the `--engine` names (comma-separated or repeated), which must name
    micrograd-style classes in `namespace`. Without them, every micrograd-shaped
    class in the namespace is traced (tracing an unused class costs nothing), and
    the ones the cell's code mentions (by name, through an instance, or through a
    function or a class of the notebook that mentions them) are returned second.
    """
    names = [n.strip() for text in chosen for n in text.split(",") if n.strip()]
    if names:
        missing = [n for n in names if n not in namespace]
        if missing:
            raise ValueError(
                f"--engine {', '.join(missing)}: no such name in the notebook; pass "
                "the name of your Value class (run the cell that defines it first)"
            )
        classes = engine_classes(tuple(namespace[n] for n in names))
        return classes, classes
    found = tuple(
        dict.fromkeys(v for v in namespace.values() if is_micrograd_shaped(v))
    )
    mentioned = _names_in(*(c for c in codes if c is not None))
    used = tuple(c for c in found if _uses(mentioned, namespace, c))
    return found, used


def describe(classes: tuple[type, ...]) -> str:
    """The one line `%%mgtrace` prints when it traces a user's own classes."""
    names = ", ".join(c.__name__ for c in classes)
    return f"%%mgtrace: also tracing {names}, your micrograd-style class (--engine NAME to choose)"


def _names_in(*codes: Any) -> set[str]:
    """Every global and attribute name code objects (and those nested in them) use."""
    names, stack = set(), list(codes)
    while stack:
        c = stack.pop()
        names.update(c.co_names)
        stack.extend(k for k in c.co_consts if hasattr(k, "co_names"))
    return names


def _uses(names: set[str], namespace: dict, cls: type) -> bool:
    def mentions(obj: Any) -> bool:  # a function, or a class's methods, naming cls
        code = getattr(obj, "__code__", None)
        if code is not None:
            return cls.__name__ in _names_in(code)
        if isinstance(obj, type) and obj.__module__ == "__main__":
            return any(mentions(f) for f in vars(obj).values() if callable(f))
        return False

    for name in names:
        obj = namespace.get(name)
        items = obj if isinstance(obj, (list, tuple)) else [obj]
        if obj is cls or any(isinstance(x, cls) for x in items):
            return True
        if mentions(obj) or mentions(type(obj)):
            return True
    return False
