"""Many kept steps of one structure at once, as (steps × nodes) arrays: for a long run.

A training loop's steps share one structure (`_graph.py`). What takes a numpy
pass per step (a few dozen calls: ~0.2 ms even for a tiny step, 4 s over 20k
steps) takes one pass per structure here: values, local derivatives and the
grads when backward began and ended, for every step of a group at once. Anomaly
mode (`_anomaly.py`) and replay hits (`breakpoints.py`) read them; the final
grads are bit for bit each step's `BackwardReplay(...).final` (`_replay.py`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from . import _locals
from ._replay import final_grads_of_many

if TYPE_CHECKING:
    from ._graph import StepGraph, Structure
    from .trace import Trace

# a group's arrays hold at most about this many numbers each (memory stays bounded)
_CELLS = 1 << 22


@dataclass
class Batch:
    """Steps that share a structure and the number of visits their backward applied."""

    steps: np.ndarray  # (k,) step numbers, increasing
    graphs: list[StepGraph]
    structure: Structure
    num_visits: int
    data: np.ndarray  # (k, n) every node's value
    start: np.ndarray | None  # (k, n) grads when backward began (None: no backward)
    final: np.ndarray | None  # (k, n) grads when it ended (None: not asked for)

    @property
    def visits(self) -> np.ndarray:
        return self.structure.columns["visits"][: self.num_visits]


def batches(trace: Trace, steps: list[int], *, grads: bool) -> Iterator[Batch]:
    """`steps` (kept ones) grouped by structure, with final grads if `grads`."""
    groups: dict[tuple, list[tuple[int, StepGraph]]] = {}
    for step in steps:
        graph = trace.graph(step)
        backward = trace.steps[step].has_backward
        key = (id(graph.structure), graph.num_visits, backward)
        groups.setdefault(key, []).append((step, graph))
    for members in groups.values():
        structure = members[0][1].structure
        size = structure.num_nodes + len(structure.columns["child"]) + 1
        chunk = max(1, _CELLS // size)
        for lo in range(0, len(members), chunk):
            yield _batch(trace, members[lo : lo + chunk], grads)


def _batch(trace: Trace, members: list, grads: bool) -> Batch:
    steps = [step for step, _ in members]
    graphs = [graph for _, graph in members]
    first = graphs[0]
    structure, num_visits = first.structure, first.num_visits
    numbers = [g.numbers.columns for g in graphs]
    data = np.stack([c["data"] for c in numbers])
    batch = Batch(np.array(steps), graphs, structure, num_visits, data, None, None)
    if not trace.steps[steps[0]].has_backward:
        return batch
    start = np.zeros_like(data)
    ids = [c["start_id"] for c in numbers]
    rows = np.repeat(np.arange(len(ids)), [len(i) for i in ids])
    start[rows, np.concatenate(ids)] = np.concatenate(
        [c["start_grad"] for c in numbers]
    )
    batch.start = start
    if grads:
        batch.final = _final(trace, batch, numbers)
    return batch


def _final(trace: Trace, batch: Batch, numbers: list[dict]) -> np.ndarray:
    s = batch.structure.columns
    kind = np.stack([c["local_kind"] for c in numbers])
    literal = np.concatenate([c["local_literal"] for c in numbers])
    final = None
    if not np.any(kind == _locals.CLOSURE):  # a closure's edge sets: step by step
        local = _locals.unpack(s["child_ptr"], s["child"], batch.data, kind, literal)
        final = final_grads_of_many(
            s["child_ptr"], s["child"], batch.visits, local, batch.start
        )
    if final is not None and np.any(kind == _locals.MASK):
        # a masking edge differs from `+= 0 * grad` only where a grad is not finite;
        # any such grad shows in the step's final grads: replay those steps alone
        for row in np.flatnonzero(~np.isfinite(final).all(axis=1)).tolist():
            final[row] = trace.replay(int(batch.steps[row])).final
    if final is None:  # levels do not pay: step by step
        final = np.stack([trace.replay(int(step)).final for step in batch.steps])
    return final
