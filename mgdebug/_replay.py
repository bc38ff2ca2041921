"""Grads at any moment of a step's backward pass, replayed from the trace's columns.

The key fact: backward visits nodes in topological order, so when a node's chain
rule runs its own grad is final. Replaying the visits once, with the very same
float operations as the engine (`child.grad += local * grad`, in the same order
per child), gives every child's running grad after each edge: `after[e]`. The
replay runs in numpy a graph level at a time (Kahn's algorithm), which keeps each
child's additions in the engine's order, so the floats are the engine's, bit for
bit; a long narrow chain, where levels would cost more than edges, runs edge by
edge. Then the grad of a node at any moment is simply `after` of the last edge
into it applied so far (or its starting grad), which numpy finds for all nodes at
once.

Within a step, events are numbered: node i built at event i (i < n_created),
backward begins at event n_created, visit j happens at event n_created + 1 + j.
"""

from __future__ import annotations

import numpy as np

from ._graph import StepGraph
from ._locals import MASKED, SET


class BackwardReplay:
    """Per-edge running grads for one step, computed once and shared by every state."""

    def __init__(self, graph: StepGraph):
        self.graph = graph
        ptr, visits = graph.child_ptr.astype(np.int64), graph.visits.astype(np.int64)
        # the edges in the order backward applies them: each visited node's, in turn
        counts = ptr[visits + 1] - ptr[visits]
        self.edges_done = np.concatenate([[0], np.cumsum(counts)])  # after j visits
        self.num_edges = num_edges = int(self.edges_done[-1])
        edges = np.repeat(ptr[visits] - self.edges_done[:-1], counts) + np.arange(
            num_edges
        )
        self.edge_child = child = graph.child[edges].astype(np.int64)
        local = graph.local[edges]
        rules = (
            graph.edge_rules()
        )  # None: every edge adds local * grad (the usual case)
        if rules is not None:
            rules = (rules[0][edges], rules[1][edges])
        parent_pos = np.repeat(np.arange(len(visits)), counts)
        self.start = np.zeros(graph.num_nodes)
        self.start[graph.start_id] = graph.start_grad
        # the next (and previous) applied edge into the same child, for O(k) lookups
        order = _stable_argsort(child)
        same = child[order][1:] == child[order][:-1]
        self.next_same = np.full(num_edges, num_edges, dtype=np.int64)
        self.next_same[order[:-1][same]] = order[1:][same]
        prev_same = np.full(num_edges, -1, dtype=np.int64)
        prev_same[order[1:][same]] = order[:-1][same]

        level = _edge_levels(visits, counts, self.edges_done, child, parent_pos)
        rank = _rank_among_siblings(order, same)
        with np.errstate(all="ignore"):  # inf and nan flow on, as in the engine
            if level is None or int(rank.max(initial=0)) > _MAX_ROUNDS:
                # a long chain, or a node with thousands of parents: edge by edge
                self.after = _running_sums_in_order(
                    visits[parent_pos], child, local, self.start, rules
                )
            else:
                contribution = _contributions_by_level(
                    level, visits[parent_pos], child, local, self.start, rules
                )
                self.after = _running_sums_by_round(
                    rank, prev_same, child, contribution, self.start, rules
                )
        last = self.next_same == num_edges  # the last edge into its child
        self.final = self.start.copy()
        self.final[child[last]] = self.after[last]
        self.before = np.where(
            prev_same >= 0, self.after[np.maximum(prev_same, 0)], self.start[child]
        )

    def grads_after_visits(self, visits_done: int) -> np.ndarray:
        """Every node's grad once the first `visits_done` chain rules have run."""
        k = int(self.edges_done[visits_done])
        grad = self.start.copy()
        last = self.next_same[:k] >= k  # the last edge into its child among the first k
        grad[self.edge_child[:k][last]] = self.after[:k][last]
        return grad


# The replay in numpy, exact: the engine's sums are sequential per child (its grad
# plus one contribution after another), and everything below keeps that order; only
# independent sums run side by side. Past these bounds the numpy rounds would cost
# more than the plain loop (tens of microseconds a round against ~0.4 us an edge).
_MAX_ROUNDS = 256


def _level_budget(num_edges: int) -> int:
    return 16 + num_edges // 256


def _stable_argsort(keys):
    """np.argsort(keys, kind="stable") for keys in [0, 2**32), as two 16-bit radix sorts."""
    low = np.argsort((keys & 0xFFFF).astype(np.uint16), kind="stable")
    if len(keys) == 0 or keys.max() < 1 << 16:
        return low
    high = (keys[low] >> 16).astype(np.uint16)
    return low[np.argsort(high, kind="stable")]


def _edge_levels(visits, counts, edges_done, child, parent_pos):
    """For each edge, the level of its child: the longest path of edges that reaches it.

    All parents of a node sit on lower levels, so with every lower level summed its
    grad is final. Children backward never visits (a snapshot's frontier) get the
    level after the last. None when the levels are too many to pay (a deep, narrow
    graph) or the visits are not in topological order.
    """
    num_visits, num_edges = len(visits), len(child)
    position = np.full(int(child.max(initial=0)) + 1, num_visits, dtype=np.int64)
    inside = visits < len(position)
    position[visits[inside]] = np.flatnonzero(inside)
    child_pos = position[child]  # num_visits (a sink): a child never visited
    visited = child_pos < num_visits
    width = int(counts.max(initial=0))  # 2 for micrograd: at most two children
    if width > 4 or not np.all(child_pos[visited] > parent_pos[visited]):
        return None
    # row j: the positions of visit j's children, padded with the sink
    out = np.full((num_visits + 1, max(width, 1)), num_visits, dtype=np.int64)
    out[parent_pos, np.arange(num_edges) - edges_done[parent_pos]] = child_pos
    indegree = np.bincount(child_pos, minlength=num_visits + 1)
    indegree[num_visits] = -1  # the sink never gets to 0
    level = np.zeros(num_visits + 1, dtype=np.int64)
    slot, serial = np.zeros(num_visits + 1, dtype=np.int64), np.arange(num_edges + 1)
    frontier = np.flatnonzero(indegree == 0)
    max_depth, depth = _level_budget(num_edges), 0
    while len(frontier):  # Kahn's algorithm, a whole level per round
        if depth > max_depth:
            return None
        level[frontier] = depth
        reached = out[frontier].ravel()
        np.subtract.at(indegree, reached, 1)
        ready = reached[indegree[reached] == 0]
        ids = serial[: len(ready)]
        slot[ready] = ids  # a node reached twice in one round: keep one copy
        frontier = ready[slot[ready] == ids]
        depth += 1
    level[num_visits] = depth
    return level[child_pos]


def _contributions_by_level(level, parent, child, local, start, rules=None):
    """`local * grad(parent)` on every edge, summing a level's incoming edges at once.

    `np.add.at` adds in index order, and each level's edges are in applied order,
    so every child's sum runs in the engine's order: the same floats, bit for bit.
    With `rules`: a masking edge passes back +0.0 for a grad that is not finite, and
    a SET edge (a closure's) leaves its child at `set_grad`; only the edges applied
    after a child's last SET edge add on top of it.
    """
    by_level = _stable_argsort(level)
    bounds = np.searchsorted(level[by_level], np.arange(int(level.max(initial=0)) + 2))
    grad, contribution = start.copy(), np.empty(len(child))
    rule = None if rules is None else rules[0]
    masks = rule is not None and bool(np.any(rule == MASKED))
    sets = rule is not None and bool(np.any(rule == SET))
    for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
        if lo < hi:
            edges = by_level[lo:hi]
            g = grad[parent[edges]]
            c = contribution[edges] = local[edges] * g
            if masks and not np.isfinite(g).all():  # torch's masks pass back 0
                masked = (rule[edges] == MASKED) & ~np.isfinite(g)
                c[masked] = contribution[edges[masked]] = 0.0
            if sets:
                _add_after_last_set(grad, child[edges], c, rule[edges] == SET,
                                    rules[1][edges])  # fmt: skip
            else:
                np.add.at(grad, child[edges], c)
    return contribution


def _add_after_last_set(grad, child, c, is_set, set_grad):
    """np.add.at(grad, child, c), where a SET edge first replaces its child's grad."""
    if not is_set.any():
        np.add.at(grad, child, c)
        return
    at = np.arange(len(child))
    kids, which = np.unique(child[is_set], return_inverse=True)
    last = np.full(len(kids), -1, dtype=np.int64)  # each child's last SET edge
    np.maximum.at(last, which, at[is_set])
    grad[kids] = set_grad[last]
    slot = np.minimum(np.searchsorted(kids, child), len(kids) - 1)
    last_of_child = np.where(kids[slot] == child, last[slot], -1)
    keep = (at > last_of_child) & ~is_set
    np.add.at(grad, child[keep], c[keep])


def _rank_among_siblings(order, same):
    """For each edge, how many edges into the same child backward applied before it."""
    num_edges = len(order)
    group_start = (
        np.flatnonzero(np.concatenate([[True], ~same])) if num_edges else order
    )
    sizes = np.diff(np.append(group_start, num_edges))
    rank = np.empty(num_edges, dtype=np.int64)
    rank[order] = np.arange(num_edges) - np.repeat(group_start, sizes)
    return rank


def _running_sums_by_round(rank, prev_same, child, contribution, start, rules=None):
    """Each child's grad after each edge into it: round r adds every child's r-th edge.

    A SET edge (a closure's) replaces the running sum with the grad it left.
    """
    after = np.empty(len(child))
    rounds = int(rank.max(initial=-1)) + 1
    by_rank = _stable_argsort(rank)
    bounds = np.searchsorted(rank[by_rank], np.arange(rounds + 1)).tolist()
    is_set = None if rules is None or not np.any(rules[0] == SET) else rules[0] == SET
    for r, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:])):
        edges = by_rank[lo:hi]
        before = start[child[edges]] if r == 0 else after[prev_same[edges]]
        if is_set is None:
            after[edges] = before + contribution[edges]
        else:
            summed = before + contribution[edges]
            after[edges] = np.where(is_set[edges], rules[1][edges], summed)
    return after


def _running_sums_in_order(parent, child, local, start, rules=None):
    """The same running sums, one edge at a time, exactly as the engine ran them."""
    grad, sums = start.tolist(), []
    keep = sums.append
    if rules is None:
        for p, c, d in zip(parent.tolist(), child.tolist(), local.tolist()):
            s = grad[c] = (
                grad[c] + d * grad[p]
            )  # the engine's `child.grad += local * grad`
            keep(s)
        return np.array(sums, dtype=np.float64)
    rule, to = rules[0].tolist(), rules[1].tolist()
    for p, c, d, r, t in zip(parent.tolist(), child.tolist(), local.tolist(), rule, to):
        if r == SET:  # a closure ran: the child's grad is what it left
            s = grad[c] = t
        else:
            g = grad[p]
            add = 0.0 if r == MASKED and g - g != 0.0 else d * g  # masks: torch's 0
            s = grad[c] = grad[c] + add
        keep(s)
    return np.array(sums, dtype=np.float64)


def final_grads_of_many(ptr, child, visits, local, start) -> np.ndarray | None:
    """Every node's grad when backward ended, for many steps of one structure at once.

    `local` is (steps, E) and `start` (steps, n); the result is (steps, n), bit for
    bit each step's `BackwardReplay(...).final`: a level's edges are summed for every
    step in one `np.add.at`, which adds each row's entries in index order, the
    engine's order per child. None when levels do not pay (a long narrow chain, or a
    node with more than four edges): then replay step by step.
    """
    ptr, visits = ptr.astype(np.int64), visits.astype(np.int64)
    counts = ptr[visits + 1] - ptr[visits]
    edges_done = np.concatenate([[0], np.cumsum(counts)])
    applied = np.repeat(ptr[visits] - edges_done[:-1], counts) + np.arange(
        int(edges_done[-1])
    )
    edge_child = child[applied].astype(np.int64)
    parent_pos = np.repeat(np.arange(len(visits)), counts)
    level = _edge_levels(visits, counts, edges_done, edge_child, parent_pos)
    if level is None:
        return None
    parent = visits[parent_pos]
    by_level = _stable_argsort(level)
    bounds = np.searchsorted(level[by_level], np.arange(int(level.max(initial=0)) + 2))
    grad = np.array(start, dtype=np.float64)
    with np.errstate(all="ignore"):  # inf and nan flow on, as in the engine
        for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
            if lo < hi:
                e = by_level[lo:hi]
                c = local[:, applied[e]] * grad[:, parent[e]]
                np.add.at(grad, (slice(None), edge_child[e]), c)
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
