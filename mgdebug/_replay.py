"""Grads at any moment of a step's backward pass, replayed from the trace's columns.

The key fact: backward visits nodes in topological order, so when a node's chain
rule runs its own grad is final. Replaying the visits once, with the very same
float operations as the engine (`child.grad += local * grad`, in the same order),
gives every child's running grad after each edge: `after[e]`. Then the grad of
a node at any moment is simply `after` of the last edge into it applied so far
(or its starting grad), which numpy finds for all nodes at once.

Within a step, events are numbered: node i built at event i (i < n_created),
backward begins at event n_created, visit j happens at event n_created + 1 + j.
"""

from __future__ import annotations

import numpy as np

from ._graph import StepGraph


class BackwardReplay:
    """Per-edge running grads for one step, computed once and shared by every state."""

    def __init__(self, graph: StepGraph):
        ptr, visits = graph.child_ptr.astype(np.int64), graph.visits.astype(np.int64)
        # the edges in the order backward applies them: each visited node's, in turn
        counts = ptr[visits + 1] - ptr[visits]
        self.edges_done = np.concatenate([[0], np.cumsum(counts)])  # after j visits
        self.num_edges = int(self.edges_done[-1])
        edges = np.repeat(ptr[visits] - self.edges_done[:-1], counts) + np.arange(
            self.num_edges
        )
        self.edge_child = graph.child[edges].astype(np.int64)
        self.start = np.zeros(graph.num_nodes)
        self.start[graph.start_id] = graph.start_grad
        # The one sequential part: the engine's own float operations, in its order.
        # A parent's grad is final when it is visited, so reading it per edge is
        # the engine's `g = self.grad` read once per node.
        grad, after = self.start.tolist(), []
        applied = after.append
        parents = np.repeat(visits, counts).tolist()
        for p, c, d in zip(
            parents, self.edge_child.tolist(), graph.local[edges].tolist()
        ):
            v = grad[c] = grad[c] + d * grad[p]  # exactly the engine's _backward
            applied(v)
        self.final = np.array(grad)
        self.after = np.array(after, dtype=np.float64)
        # the next (and previous) applied edge into the same child, for O(k) lookups
        order = np.argsort(self.edge_child, kind="stable")
        same = self.edge_child[order][1:] == self.edge_child[order][:-1]
        self.next_same = np.full(self.num_edges, self.num_edges, dtype=np.int64)
        self.next_same[order[:-1][same]] = order[1:][same]
        prev_same = np.full(self.num_edges, -1, dtype=np.int64)
        prev_same[order[1:][same]] = order[:-1][same]
        self.before = np.where(
            prev_same >= 0, self.after[prev_same], self.start[self.edge_child]
        )

    def grads_after_visits(self, visits_done: int) -> np.ndarray:
        """Every node's grad once the first `visits_done` chain rules have run."""
        k = int(self.edges_done[visits_done])
        grad = self.start.copy()
        last = self.next_same[:k] >= k  # the last edge into its child among the first k
        grad[self.edge_child[:k][last]] = self.after[:k][last]
        return grad


class StepState:
    """What the step looks like right after one of its events: which nodes exist, values, grads."""

    def __init__(self, graph: StepGraph, replay: BackwardReplay | None, event: int):
        self.graph = graph
        self._replay = replay
        n_created = graph.n_created
        self.event = event  # within the step
        self.phase = "forward" if event < n_created else "backward"
        self.exists = np.ones(graph.num_nodes, dtype=bool)
        self.exists[min(event + 1, n_created) : n_created] = False
        self.value = graph.data
        self.visits_done = max(0, event - n_created)
        if self.phase == "forward" or replay is None:
            self.grad = np.zeros(graph.num_nodes)
        else:
            self.grad = replay.grads_after_visits(self.visits_done)

    @property
    def current_node(self) -> int | None:
        """The node built (forward) or visited (backward) at this event; None at backward begin."""
        if self.phase == "forward":
            return self.event
        return (
            int(self.graph.visits[self.visits_done - 1]) if self.visits_done else None
        )

    def step_to(self, event: int) -> None:
        """Move to another event of the same step, touching only what changed."""
        n_created = self.graph.n_created
        if (event < n_created) != (self.event < n_created) or self._replay is None:
            self.__init__(self.graph, self._replay, event)
            return
        if event < n_created:
            lo, hi = sorted((self.event, event))
            self.exists[lo + 1 : hi + 1] = event > self.event
        else:
            r, done = self._replay, max(0, event - n_created)
            old_k, new_k = int(r.edges_done[self.visits_done]), int(r.edges_done[done])
            if new_k >= old_k:  # forward in time: apply edges old_k..new_k in order
                _fix_duplicates(
                    self.grad, r.edge_child, r.after, old_k, new_k, forward=True
                )
            else:  # back in time: undo edges new_k..old_k, latest first
                _fix_duplicates(
                    self.grad, r.edge_child, r.before, new_k, old_k, forward=False
                )
            self.visits_done = done
        self.event = event
        self.phase = "forward" if event < n_created else "backward"


def _fix_duplicates(grad, edge_child, values, lo, hi, *, forward):
    """Apply per-edge values for edges lo..hi so that, per child, the right one wins."""
    if hi - lo <= 64:  # a scrub by a few events: plain loop, microseconds
        rng = range(lo, hi) if forward else range(hi - 1, lo - 1, -1)
        for e in rng:
            grad[edge_child[e]] = values[e]
        return
    idx = np.arange(lo, hi) if forward else np.arange(hi - 1, lo - 1, -1)
    children = edge_child[idx]
    # keep the last occurrence of each child in application order
    _, first_from_end = np.unique(children[::-1], return_index=True)
    keep = idx[len(idx) - 1 - first_from_end]
    grad[edge_child[keep]] = values[keep]
