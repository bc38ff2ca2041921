"""The Values a step meets from before it (parameters, nodes of earlier steps), copied once.

A child built before the step is *imported*: copied, with everything under it,
the first time it is met, keeping its entity id (a Value no recorder has named
yet gets a fresh one: `new_import_entity`). Imported node `slot` becomes node
`n_created + slot` of the step's graph; until the step closes it is referred to
by its ref, `-1 - slot` (a node built in the step by its entity id).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import _nodes

# refs for "no child" and "a Value no recorder has named yet" (both import)
NO_CHILD = -(1 << 62)
_UNTAGGED = -(1 << 61)


def as_refs(tags: list) -> np.ndarray:
    """Entity ids as int64; a None (a Value no recorder has named yet) becomes _UNTAGGED."""
    try:
        return np.fromiter(tags, np.int64, len(tags))
    except TypeError:  # some Value has no tag yet (one from before any recording)
        return np.fromiter(
            [_UNTAGGED if t is None else t for t in tags], np.int64, len(tags)
        )


def _child(nodes: list, met: int):
    """The child met at `met` = 2 * node index, + 1 for the node's second child."""
    v = nodes[met >> 1]
    return v._b if met & 1 else v._a


class Imports:
    """The imported nodes of one step: columns as lists, and each one's slot by entity."""

    def __init__(self, intern: Any):
        self.intern = intern
        self.entity, self.op, self.label, self.data = [], [], [], []
        self.child_end, self.child, self.local = [], [], []
        self.slot: dict[int, int] = {}  # entity id -> slot
        self.mask_edges: list[int] = []  # indices into `child`: edges that mask
        self.closures: list[int] = []  # refs of closure nodes
        self.leaves: list[tuple[int, Any]] = []  # (entity, Value), for the summary

    def __len__(self) -> int:
        return len(self.op)

    def children(self, nodes, a_ref, b_ref, import_a, import_b):
        """Replace the tags of children from before the step by their import refs.

        Each distinct Value is imported once (Values no recorder named yet first,
        then the others in the order they are met): the same few parameters recur
        thousands of times, so the work is per distinct Value, and numpy spreads
        the refs over the edges.
        """
        at_a, at_b = np.flatnonzero(import_a), np.flatnonzero(import_b)
        met = np.concatenate([2 * at_a, 2 * at_b + 1])  # 2 i (+1 for b): meeting order
        tags = np.concatenate([a_ref[at_a], b_ref[at_b]])
        if not len(met):
            return
        untagged = np.flatnonzero(tags == _UNTAGGED)
        if len(untagged):  # Values from before any recording: import (and so name) each
            children = [_child(nodes, k) for k in met[untagged].tolist()]
            for child in children:  # the same few Values recur: the rest is a check
                if child._tag is None:
                    self.ref(child)
            tags[untagged] = [child._tag for child in children]
        distinct, first, inverse = np.unique(
            tags, return_index=True, return_inverse=True
        )
        distinct_refs = [  # each distinct Value once, in the order they are met
            (u, self.ref(_child(nodes, key)))
            for key, u in sorted(zip(met[first].tolist(), range(len(distinct))))
        ]
        ref_of = np.empty(len(distinct), dtype=np.int64)
        ref_of[[u for u, _ in distinct_refs]] = [r for _, r in distinct_refs]
        refs = ref_of[inverse]
        a_ref[at_a], b_ref[at_b] = refs[: len(at_a)], refs[len(at_a) :]

    def ref(self, value) -> int:
        """The ref of a Value not built in this step: its import slot, as -1-slot."""
        slot = self.slot.get(getattr(value, "_tag", None))
        return -1 - slot if slot is not None else self._copy(value)

    def _copy(self, value) -> int:
        """The import slot of a Value from before this step, copying it (and its graph) once."""
        slots = self.slot
        t = getattr(value, "_tag", None)
        if t is not None and t in slots:
            return -1 - slots[t]
        # iterative post-order: a node is copied after all of its children
        stack = [(value, False)]
        while stack:
            v, children_done = stack.pop()
            t = getattr(v, "_tag", None)
            if t is not None and t in slots:
                continue
            children, locals_, masks = _nodes.edges_of(v)
            if not children_done and children:
                stack.append((v, True))
                stack.extend(
                    (c, False)
                    for c in children
                    if getattr(c, "_tag", None) not in slots
                )
                continue
            if t is None:  # from before recording (or another thread): name it
                t = v._tag = self.intern.new_import_entity()
            slot = len(self.op)
            slots[t] = slot
            self.entity.append(t)
            self.op.append(self.intern.op(_nodes.op_of(v)))
            self.label.append(self.intern.label(_nodes.label_of(v)))
            self.data.append(_nodes.data_of(v))
            self.mask_edges.extend(len(self.child) + k for k in masks)
            if children and locals_ is None:
                self.closures.append(-1 - slot)
            for c, d in zip(children, locals_ or [math.nan] * len(children)):
                self.child.append(-1 - slots[c._tag])
                self.local.append(d)
            self.child_end.append(len(self.child))
            if not children:
                self.leaves.append((t, v))
        return -1 - slots[getattr(value, "_tag", None)]
