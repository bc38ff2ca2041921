"""Nodes the recorder reads one at a time: closure nodes, many children, foreign classes.

The step buffer reads built-in Values in bulk, field by field (`_a, _b, _da, _db`,
docs/events.md). Everything else comes through `edges_of`: our Values built the
lecture's way (a closure, or more than two children: `_a` is None and `_rule` is
not), masking nodes met as imports, and objects of a user's own micrograd-style
class (`mgdebug.record(engine=...)`, `engines.py`), whose `_prev` is a set.

Children order of a foreign node: the order its constructor was given them
(noted while its class is traced), each child once, as its `_prev` set holds
them; children not among those (a node built before tracing, or a `_prev` set
by hand) follow in the order the recorder named them (entity ids, so the same
in every step of a run).

A closure's effect is known only once it ran: the engine (or `engines.py`) hands
over each child's grad right before and after (`closure_ran`), and the step's
graph gets, per closure edge, the grad to set and a local derivative derived for
display: (after - before) / grad, shared among repeated edges to one child; nan
where that cannot be told (a grad of 0, or not finite).
"""

from __future__ import annotations

import math
import weakref
from typing import Any

import numpy as np

from micrograd.engine import MaskedZero, Value

from ._locals import MASKED, SET
from ._strings import as_label, as_text

_given: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def note_children(node: Any, children: tuple) -> None:
    """Remember the order a foreign node's constructor was given its children."""
    try:
        _given[node] = children
    except TypeError:  # not weak-referenceable or not hashable: ordered by entity
        pass


def edges_of(v: Any) -> tuple[tuple, tuple | None, list[int]]:
    """(children, local derivatives or None for a closure, the edges that mask)."""
    if isinstance(v, Value):
        fields = (v._da, v._db) if v._a is not None else ()
        masks = [k for k, d in enumerate(fields) if type(d) is MaskedZero]
        return v._prev, v.local_grads, masks
    return foreign_children(v), None, []


def foreign_children(v: Any) -> tuple:
    """A foreign node's `_prev`, each child once, in the order described above."""
    prev = list(v._prev)
    if not prev:
        return ()
    members = {id(c) for c in prev}
    try:
        given = _given.get(v, ())
    except TypeError:
        given = ()
    ordered, placed = [], set()
    for c in given:
        if id(c) in members and id(c) not in placed:
            placed.add(id(c))
            ordered.append(c)
    rest = [c for c in prev if id(c) not in placed]
    if rest:
        rest.sort(key=lambda c: (getattr(c, "_tag", None) is None, _tag_or_0(c)))
    return tuple(ordered + rest)


def _tag_or_0(c: Any) -> int:
    tag = getattr(c, "_tag", None)
    return 0 if tag is None else tag


def is_leaf(v: Any) -> bool:
    if isinstance(v, Value):
        return v._a is None and v._rule is None
    return not v._prev


def op_of(v: Any) -> str:
    """Its op name as text (`as_text`: whatever a user put there, never raising)."""
    return as_text(getattr(v, "_op", ""))


def label_of(v: Any) -> str:
    """Its label as text; none (a foreign class without labels) or a false one is ''."""
    return as_label(getattr(v, "label", ""))


def data_of(v: Any) -> float:
    try:
        return float(v.data)
    except (TypeError, ValueError):  # a foreign class may hold anything there
        return math.nan


def derived_locals(child: np.ndarray, g: float, before, after) -> np.ndarray:
    """The local derivative shown on each edge of a closure: (after - before) / g,
    shared equally among the edges to one child; nan if g is 0 or not finite."""
    before, after = np.asarray(before, float), np.asarray(after, float)
    if g == 0 or not math.isfinite(g):
        return np.full(len(child), np.nan)
    _, which, repeats = np.unique(child, return_inverse=True, return_counts=True)
    with np.errstate(all="ignore"):
        return (after - before) / g / repeats[which]


def apply_rules(columns: dict, mask_edges: np.ndarray, closures: dict, ran: dict):
    """Add `rule` and `set_grad` to a step's columns (and each closure edge's local).

    `mask_edges`: edge ids whose node masks; `closures`: the node id of every
    closure node (a node whose `_backward` was assigned after it was read too, as
    `ran` shows); `ran`: node id -> (grad, before, after) for those that ran.
    """
    ptr, child, local = columns["child_ptr"], columns["child"], columns["local"]
    rule = np.zeros(len(child), dtype=np.uint8)
    set_grad = np.full(len(child), np.nan)
    rule[mask_edges] = MASKED
    for node in closures:
        lo, hi = int(ptr[node]), int(ptr[node + 1])
        rule[lo:hi] = SET
        local[lo:hi] = np.nan
        if node in ran:
            g, before, after = ran[node]
            if len(after) == hi - lo:
                set_grad[lo:hi] = after
                local[lo:hi] = derived_locals(child[lo:hi], g, before, after)
    columns["rule"], columns["set_grad"] = rule, set_grad
