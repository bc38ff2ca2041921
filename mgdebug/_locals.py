"""Local derivatives packed: a rule per edge, and values only where no rule gives them.

Most local derivatives repeat something the graph already has: 1.0 on both edges
of a +, 0.0 for a ReLU that was off, and the other operand's value on the edges
of a * (d(a*b)/da = b, which the engine stores as b.data). `kind` (u1 per edge)
says which, checked bit for bit when packing; `literal` (f8) holds the rest in
edge order. On micrograd's demo step the 1 MB column shrinks to ~0.13 MB. The
trace stores a step's local derivatives this way, files and widget messages
carry them this way, and js/src/data/decode.ts unpacks them the same way.

    kind 0: the next literal    kind 1: 1.0    kind 2: +0.0
    kind 3: the data of the edge's sibling (only on nodes with exactly two edges)
"""

from __future__ import annotations

import numpy as np

LITERAL, ONE, ZERO, SIBLING = 0, 1, 2, 3
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


def pack(
    ptr: np.ndarray, child: np.ndarray, data: np.ndarray, local: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(kind, literal) for a step's `local` column."""
    local = np.ascontiguousarray(local, dtype="<f8")
    bits = local.view(np.int64)
    pair, other = _siblings(ptr, child)
    other_bits = np.ascontiguousarray(data, dtype="<f8").view(np.int64)[other]
    kind = np.zeros(len(local), dtype="<u1")
    kind[pair & (bits == other_bits)] = SIBLING
    kind[bits == 0] = ZERO
    kind[bits == _ONE_BITS] = ONE
    return kind, local[kind == LITERAL].copy()


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
    local[kind == ZERO] = 0.0
    local[kind == LITERAL] = literal  # row by row: each step's literals in turn
    sibling = kind == SIBLING
    if sibling.any():
        _, other = _siblings(ptr, child)
        if kind.ndim == 1:
            local[sibling] = data[other[sibling]]
        else:
            local[sibling] = data[:, other][sibling]
    return local


def check(ptr: np.ndarray, kind: np.ndarray, literals) -> None:
    """Raise ValueError unless `kind` and that many literals unpack on this structure.

    One step (`kind` (E,), `literals` its count) or many at once (`kind`
    (steps, E), `literals` each step's count).
    """
    if kind.size and int(kind.max()) > SIBLING:
        raise ValueError("inconsistent step graph: unknown local_kind")
    if not np.array_equal(np.count_nonzero(kind == LITERAL, axis=-1), literals):
        raise ValueError("inconsistent step graph: local_literal count")
    counts = np.diff(ptr.astype(np.int64))
    pair = np.repeat(counts == 2, counts)
    if bool(np.any((kind == SIBLING) & ~pair)):
        raise ValueError(
            "inconsistent step graph: local_kind 3 on a node without two edges"
        )
