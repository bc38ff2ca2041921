"""Two steps side by side: which node of one is which node of the other, and how they differ.

`compare(a, b)` takes two (trace, step) pairs: two steps of one run, or a step of
a run before and after a fix. Nodes are aligned first, then their values and
grads (at the end of each step's backward, or at the same event within it) are
read on both sides as aligned arrays.

Alignment: when both steps share a structure (a training loop), node i is node
i. Otherwise a node is known by what it is, not where it sits: a parameter by
its label (or its entity id), any other node by its scope, op and label and how
many such nodes its step built before it (the 3rd `*` in `MLP/layers.0/neurons.2`).
Nodes left over are on one side only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .trace import Trace


@dataclass
class Comparison:
    """Aligned nodes of two steps, and their values and grads on either side."""

    trace_a: Trace
    step_a: int
    trace_b: Trace
    step_b: int
    same_structure: bool
    node_a: np.ndarray  # node ids in step a ...
    node_b: np.ndarray  # ... and the node each is in step b (aligned)
    only_a: np.ndarray  # nodes of step a with no counterpart in step b
    only_b: np.ndarray
    value_a: np.ndarray  # over the aligned pairs
    value_b: np.ndarray
    grad_a: np.ndarray
    grad_b: np.ndarray

    @property
    def delta_value(self) -> np.ndarray:
        return self.value_b - self.value_a

    @property
    def delta_grad(self) -> np.ndarray:
        return self.grad_b - self.grad_a

    @property
    def grad_ratio(self) -> np.ndarray:
        """grad_b / grad_a: nan where both are 0, ±inf where only grad_a is."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.grad_b / self.grad_a

    def largest(self, count: int = 10, by: str = "grad") -> list[dict]:
        """The pairs that differ most in `by` ('grad' or 'value'), largest first."""
        if by not in ("grad", "value"):
            raise ValueError(f"by must be 'grad' or 'value', got {by!r}")
        delta = self.delta_grad if by == "grad" else self.delta_value
        size = np.where(np.isnan(delta), np.inf, np.abs(delta))
        order = np.argsort(-size, kind="stable")[:count]
        a_side = self.grad_a if by == "grad" else self.value_a
        b_side = self.grad_b if by == "grad" else self.value_b
        return [
            {
                "node_a": int(self.node_a[i]),
                "node_b": int(self.node_b[i]),
                "what": self.trace_a.describe(self.step_a, int(self.node_a[i])),
                "a": float(a_side[i]),
                "b": float(b_side[i]),
                "delta": float(delta[i]),
            }
            for i in order
            if size[i] > 0
        ]

    def __repr__(self) -> str:
        worst = self.largest(1)
        tail = (
            f"; largest grad change {worst[0]['what']}: {worst[0]['a']:.6g} -> "
            f"{worst[0]['b']:.6g}"
            if worst
            else "; every grad equal"
        )
        shape = "same structure" if self.same_structure else "different structures"
        return (
            f"<Comparison step {self.step_a} vs step {self.step_b} ({shape}): "
            f"{len(self.node_a):,} nodes aligned, {len(self.only_a):,} only in a, "
            f"{len(self.only_b):,} only in b{tail}>"
        )


def compare(
    a: Trace,
    b: Trace | None = None,
    *,
    step_a: int = -1,
    step_b: int = -1,
    event: int | None = None,
) -> Comparison:
    """Compare step `step_a` of trace `a` with step `step_b` of trace `b` (default: `a`).

    Steps count from the end when negative (-1 is the last). `event` compares at
    that event within each step (0 is its first node built); by default, at the
    end of each step, when backward has run.
    """
    b = a if b is None else b
    for name, trace in (("a", a), ("b", b)):
        if not hasattr(trace, "kept_steps"):
            raise TypeError(
                f"{name} must be a mgdebug Trace, got {type(trace).__name__}"
            )
    step_a, step_b = _step(a, step_a, "step_a"), _step(b, step_b, "step_b")
    same, counterpart, only_b = alignment(a, step_a, b, step_b)
    node_a = np.flatnonzero(counterpart >= 0)
    node_b = counterpart[node_a]
    only_a = np.flatnonzero(counterpart < 0)
    sa, sb = _state(a, step_a, event), _state(b, step_b, event)
    return Comparison(
        a, step_a, b, step_b, bool(same), node_a, node_b, only_a, only_b,
        sa.value[node_a], sb.value[node_b], sa.grad[node_a], sb.grad[node_b],
    )  # fmt: skip


def alignment(
    a: Trace, step_a: int, b: Trace, step_b: int
) -> tuple[bool, np.ndarray, np.ndarray]:
    """(same structure, the node of step b each node of step a is (-1: none), the
    nodes of step b no node of step a is)."""
    ga, gb = a.graph(step_a), b.graph(step_b)
    if ga.structure.equals(gb.structure):
        return True, np.arange(ga.num_nodes), np.array([], dtype=np.int64)
    node_a, node_b, _, only_b = _align(a, step_a, b, step_b)
    counterpart = np.full(ga.num_nodes, -1, dtype=np.int64)
    counterpart[node_a] = node_b
    return False, counterpart, only_b


def _step(trace: Trace, step: int, name: str) -> int:
    if not isinstance(step, (int, np.integer)) or isinstance(step, bool):
        raise TypeError(f"{name} must be an int, got {type(step).__name__}")
    count = len(trace.steps)
    k = int(step) + count if step < 0 else int(step)
    if not 0 <= k < count:
        raise IndexError(f"{name}={step} is outside this trace (0..{count - 1})")
    return k


def _state(trace: Trace, step: int, event: int | None):
    first = trace.event_offset(step)
    last = trace.event_offset(step + 1) - 1
    if event is None:
        return trace.state_at(last)
    if not 0 <= event <= last - first:
        raise IndexError(f"event {event} is outside step {step} (0..{last - first})")
    return trace.state_at(first + event)


def _keys(trace: Trace, step: int) -> list[tuple]:
    """What each node is, independent of where it sits in its step."""
    g = trace.graph(step)
    ops, scopes, labels = trace.strings.ops, trace.strings.scopes, trace.strings.labels
    seen: dict[tuple, int] = {}
    keys = []
    for i, (op, scope, label) in enumerate(zip(g.op.tolist(), g.scope.tolist(),
                                               g.label.tolist())):  # fmt: skip
        name = labels[label]
        if i >= g.n_created:  # imported: a parameter (or a node of an earlier step)
            keys.append(("param", name or g.entity_of(i)))
            continue
        kind = (scopes[scope], ops[op], name)
        nth = seen.get(kind, 0)
        seen[kind] = nth + 1
        keys.append((*kind, nth))
    return keys


def _align(a: Trace, step_a: int, b: Trace, step_b: int):
    keys_b = {k: i for i, k in enumerate(_keys(b, step_b))}
    pairs = [(i, keys_b.pop(k)) for i, k in enumerate(_keys(a, step_a)) if k in keys_b]
    paired_a = {i for i, _ in pairs}
    only_a = [i for i in range(a.graph(step_a).num_nodes) if i not in paired_a]
    node_a = np.array([i for i, _ in pairs], dtype=np.int64)
    node_b = np.array([j for _, j in pairs], dtype=np.int64)
    return (
        node_a,
        node_b,
        np.array(only_a, dtype=np.int64),
        np.array(sorted(keys_b.values()), dtype=np.int64),
    )
