"""A recorded step against the live grads, where only the live Values can tell.

- Where a backward starts: every grad must be a number (PyTorch users set grads
  to None); the engine would fail on one halfway through, grads half summed.
- A backward stopped by an exception: the engine counts the chain rules that ran,
  but an interrupt landing between a rule's last addition and the count leaves
  one rule applied and not counted. The live grads tell which.
- A step with `_backward` closures: a closure that changed a grad other than its
  own children's (the recorder keeps only those) cannot be replayed; say so.
"""

from __future__ import annotations

import math
from numbers import Real

import numpy as np

from ._graph import StepGraph
from ._replay import BackwardReplay


def start_grads(order: list) -> np.ndarray:
    """Every grad of `order` as float64; a clear TypeError if one is not a number."""
    grads = [v.grad for v in order]
    try:
        array = np.fromiter(grads, np.float64, len(grads))
        suspects = np.flatnonzero(np.isnan(array)).tolist()  # None reads as nan
    except (TypeError, ValueError):
        array, suspects = None, range(len(grads))
    for i in suspects:
        if not isinstance(grads[i], (Real, np.number)):
            raise TypeError(
                f"the grad of {order[i]!r} is {grads[i]!r:.40}, not a number: set "
                "grads to 0.0, not None (model.zero_grad() does), before calling "
                "backward()"
            )
    if array is None:  # numpy refused a grad that still passes as a number
        array = np.array([number(g) for g in grads], dtype=np.float64)
    return array


def number(x) -> float:
    """`float(x)`, or nan for what is no number (a grad set to None by hand)."""
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


def live_grads(order: list) -> np.ndarray:
    return np.fromiter(map(number, (v.grad for v in order)), np.float64, len(order))


def visits_that_ran(
    graph: StepGraph, order: list, applied: int, step: int
) -> tuple[int, str | None]:
    """(chain rules to keep, a notice or None): the `applied` ones the engine counted,
    or one more if the live grads show it ran. If neither count explains them
    (stopped between the two additions of one rule, or a grad changed by hand),
    the counted rules are kept and the notice says so."""
    replay = BackwardReplay(graph)
    live = live_grads(order)
    nodes = graph.visits
    for k in (applied, applied + 1)[: 2 if applied < len(nodes) else 1]:
        if same(replay.grads_after_visits(k)[nodes], live):
            return k, None
    return applied, (
        f"step {step}: backward stopped inside a chain rule; the trace "
        f"shows it up to the last whole one ({applied} of {len(nodes)} nodes)"
    )


def closures_replayed(graph: StepGraph, order: list, step: int, ops) -> str | None:
    """None if the replay ends with the live grads, else a notice naming the ops."""
    live = live_grads(order)
    differ = ~equal(BackwardReplay(graph).final[graph.visits], live)
    if not differ.any():
        return None
    names = sorted({ops[int(graph.op[n])] or "leaf" for n in graph.visits[differ]})
    return (
        f"step {step}: {int(differ.sum())} grads ({', '.join(names[:5])}) differ "
        "from what the replay gives: a _backward closure changed a grad outside its "
        "node's children; the trace shows the replay"
    )


def equal(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Equal elements, NaN equal to NaN (a grad that became NaN is still that grad)."""
    return (a == b) | (np.isnan(a) & np.isnan(b))


def same(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.all(equal(a, b)))
