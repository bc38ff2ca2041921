"""Local derivatives packed: a rule per edge, and values only where no rule gives them.

Most local derivatives repeat something the graph already has: 1.0 on both edges
of a +, 0.0 for a ReLU that was off, and the other operand's value on the edges
of a * (d(a*b)/da = b, which the engine stores as b.data). `kind` (u1 per edge)
says which, checked bit for bit when packing; `literal` (f8) holds the rest in
edge order. On micrograd's demo step the 1 MB column shrinks to ~0.13 MB. The
trace stores a step's local derivatives this way, files and widget messages
carry them this way, and js/src/data/decode.ts unpacks them the same way.

Two kinds also change how the replay applies the edge (docs/trace-format.md):

    kind 0: the next literal    kind 1: 1.0    kind 2: +0.0
    kind 3: the data of the edge's sibling (only on nodes with exactly two edges)
    kind 4: +0.0, and the edge masks: a grad that is not finite passes back +0.0
            (torch's relu and x ** 0: the engine's MaskedZero)
    kind 5: a closure's edge: the next two literals are the local derivative
            shown (derived from what the closure did) and the child's grad right
            after the closure ran, which the replay sets instead of adding

`rule` (u1 per edge) is the same fact unpacked: PLAIN (add local * grad), MASKED
(kind 4) or SET (kind 5), with `set_grad` holding the grad a SET edge leaves.
"""

from __future__ import annotations

import numpy as np

LITERAL, ONE, ZERO, SIBLING, MASK, CLOSURE = 0, 1, 2, 3, 4, 5
PLAIN, MASKED, SET = 0, 1, 2  # rule: how the replay applies an edge
_ONE_BITS = np.float64(1.0).view(np.int64)


def _siblings(ptr: np.ndarray, child: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each edge: whether its node has exactly two edges, and the other edge's child."""
    ptr = ptr.astype(np.int64)
    counts = np.diff(ptr)
    parent = np.repeat(np.arange(len(counts)), counts)
    first = ptr[parent]
    pair = counts[parent] == 2
    edge = np.arange(len(child))
    other_edge = np.where(edge == first, first + 1, first)
    other = child[np.where(pair, other_edge, 0)] if len(child) else child
    return pair, other.astype(np.int64)


def _literal_at(kind: np.ndarray) -> np.ndarray:
    """Each edge's first position in `literal` (kind 0 takes one value, kind 5 two);
    for many steps (`kind` (steps, E)) in their literals concatenated in step order."""
    takes = ((kind == LITERAL).astype(np.int64) + 2 * (kind == CLOSURE)).ravel()
    return (np.cumsum(takes) - takes).reshape(kind.shape)


def pack(
    ptr: np.ndarray,
    child: np.ndarray,
    data: np.ndarray,
    local: np.ndarray,
    rule: np.ndarray | None = None,
    set_grad: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(kind, literal) for a step's `local` column and, if any edge is not PLAIN, its rules."""
    local = np.ascontiguousarray(local, dtype="<f8")
    bits = local.view(np.int64)
    pair, other = _siblings(ptr, child)
    other_bits = np.ascontiguousarray(data, dtype="<f8").view(np.int64)[other]
    kind = np.zeros(len(local), dtype="<u1")
    kind[pair & (bits == other_bits)] = SIBLING
    kind[bits == 0] = ZERO
    kind[bits == _ONE_BITS] = ONE
    if rule is None or not rule.any():
        return kind, local[kind == LITERAL].copy()
    masked, closure = rule == MASKED, rule == SET
    if np.any(masked & (bits != 0)):
        raise ValueError("a masking edge must have the local derivative +0.0")
    kind[masked], kind[closure] = MASK, CLOSURE
    at = _literal_at(kind)
    plain = kind == LITERAL
    literal = np.empty(int(np.count_nonzero(plain) + 2 * np.count_nonzero(closure)))
    literal[at[plain]] = local[plain]
    literal[at[closure]] = local[closure]
    literal[at[closure] + 1] = np.asarray(set_grad, dtype="<f8")[closure]
    return kind, literal


def unpack(
    ptr: np.ndarray,
    child: np.ndarray,
    data: np.ndarray,
    kind: np.ndarray,
    literal: np.ndarray,
) -> np.ndarray:
    """The `local` column back, bit for bit.

    Many steps of one structure at once too: `kind` (steps, E) and `data`
    (steps, n), their literals concatenated in step order; `local` is (steps, E).
    """
    local = np.empty(kind.shape, dtype="<f8")
    local[kind == ONE] = 1.0
    local[(kind == ZERO) | (kind == MASK)] = 0.0
    if np.any(kind == CLOSURE):
        taken = (kind == LITERAL) | (kind == CLOSURE)
        local[taken] = literal[_literal_at(kind)[taken]]
    else:
        local[kind == LITERAL] = literal  # row by row: each step's literals in turn
    sibling = kind == SIBLING
    if sibling.any():
        _, other = _siblings(ptr, child)
        if kind.ndim == 1:
            local[sibling] = data[other[sibling]]
        else:
            local[sibling] = data[:, other][sibling]
    return local


def rules(
    kind: np.ndarray, literal: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """(rule, set_grad) per edge, or None when every edge is PLAIN (the usual case)."""
    masked, closure = kind == MASK, kind == CLOSURE
    if not (masked.any() or closure.any()):
        return None
    rule = np.zeros(len(kind), dtype=np.uint8)
    rule[masked], rule[closure] = MASKED, SET
    set_grad = np.full(len(kind), np.nan)
    set_grad[closure] = literal[_literal_at(kind)[closure] + 1]
    return rule, set_grad


def check(ptr: np.ndarray, kind: np.ndarray, literals) -> None:
    """Raise ValueError unless `kind` and that many literals unpack on this structure.

    One step (`kind` (E,), `literals` its count) or many at once (`kind`
    (steps, E), `literals` each step's count).
    """
    if kind.size and int(kind.max()) > CLOSURE:
        raise ValueError("inconsistent step graph: unknown local_kind")
    takes = np.count_nonzero(kind == LITERAL, axis=-1) + 2 * np.count_nonzero(
        kind == CLOSURE, axis=-1
    )
    if not np.array_equal(takes, literals):
        raise ValueError("inconsistent step graph: local_literal count")
    counts = np.diff(ptr.astype(np.int64))
    pair = np.repeat(counts == 2, counts)
    if bool(np.any((kind == SIBLING) & ~pair)):
        raise ValueError(
            "inconsistent step graph: local_kind 3 on a node without two edges"
        )
