"""The step being recorded: Values read off the tape into growing columns, then one StepGraph.

The engine appends every Value built to the recorder's tape (no call per op).
`StepBuffer.read` names the Values built since its last call (each gets its
entity id in `_tag`) and reads value, op, label, children and local grads off
them, one pass per field, straight into numpy chunks: an op's result never
changes after it was built. A child built earlier in the step is referred to by
its entity id; any other (a parameter, a node of an earlier step) is *imported*:
copied, with everything under it, the first time it is met, keeping its entity
id (`_imports.py`). Nodes outside the built-in form (closure nodes, more than two children,
foreign classes) are read one at a time (`_nodes.py`), and a closure's effect
arrives when it runs (`closure_ran`). `to_graph` turns the buffer into the step's
columns (docs/trace-format.md).
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from micrograd.engine import MaskedZero

from . import _nodes
from ._graph import StepGraph
from ._imports import NO_CHILD, Imports, as_refs
from ._strings import as_label


def labelled(labels: list) -> list[int]:
    """Positions of the labels that are set (most are ''); any type of label."""
    try:
        return list(itertools.compress(range(len(labels)), labels))
    except (TypeError, ValueError):  # a label with no truth value (a numpy array)
        return [i for i, s in enumerate(labels) if as_label(s)]


def fit_sources(buffer: StepBuffer, n: int) -> None:
    """Source columns of exactly `n` entries: 0 (unknown) where a line was missed."""
    for column in (buffer.src_file, buffer.src_line):
        del column[n:]
        column.extend([0] * (n - len(column)))


class StepBuffer:
    """The columns of the step being recorded, as growing lists of numpy chunks."""

    def __init__(self, index: int, entity_base: int, built: list, intern: Interns):
        self.index = index
        self.entity_base = entity_base  # entity of the step's node 0
        self.intern = intern
        self.started_ns = time.perf_counter_ns()
        self.backward_ns = 0
        self.built = built  # the recorder's tape: the Values built, in order
        self.resolved = 0  # how many of `built` `read` has named and read
        self.scopes_read = 0  # ... and how many of the tape's scope notes
        # nodes built in this step (local ids 0..n-1), as numpy chunks
        self.scope_runs: list[tuple[int, int]] = []  # (first node, scope id)
        self.data: list[np.ndarray] = []
        self.op: list[np.ndarray] = []
        self.labels: list[tuple[int, int]] = []  # (node, label id), the few labelled
        self.child_end: list[np.ndarray] = []
        self.child: list[np.ndarray] = []
        self.local: list[np.ndarray] = []
        self.src_file: list[int] = []
        self.src_line: list[int] = []
        # edges the replay applies otherwise than `+= local * grad` (_locals.py)
        self.mask_edges: list[int] = []  # built nodes' edges (ids over all chunks)
        self.closure_refs: list[int] = []  # closure nodes, as refs
        self.closures_ran: dict[int, tuple] = {}  # ref -> (grad, before, after)
        self.foreign = False  # it met a node of a foreign class: read one by one
        # child, visits and start_ids hold refs, made local ids by to_graph: a node
        # built in this step by its entity id, an imported node by -1-slot
        self.imported = Imports(intern)
        self.named_leaves: list[tuple[int, Any]] = []  # built here, labelled
        # backward
        self.root = None
        self.order: list | None = None  # the engine's visit order
        self.loss = float("nan")
        self.visits: list[int] | np.ndarray = []  # refs, int64 once backward began
        self.start_ids: list[int] = []
        self.start_grads: list[float] = []
        self.backward_completed = False
        self.overflowed = False
        self.uncounted = 0  # nodes built after the step overflowed
        self.num_visits = 0

    def size(self) -> int:
        return len(self.built) + len(self.imported)

    @property
    def nodes_built(self) -> int:
        """Values built so far in this step, counted ones past a cap included."""
        return len(self.built) + self.uncounted

    # ------------------------------------------------------------------ reading Values

    def read(self, scope_notes: list[tuple[int, str]]) -> None:
        """Name and read the Values built since the last call (the tape's `scopes` beside)."""
        built, start = self.built, self.resolved
        n = len(built) - start
        if n <= 0:
            return
        nodes = built[start : start + n]  # a copy: another thread may append meanwhile
        first = self.entity_base + start
        for value, entity in zip(nodes, range(first, first + n)):  # name them first:
            value._tag = entity  # their parents, read below, may be among them
        self.data.append(np.fromiter([v.data for v in nodes], np.float64, n))
        # the engine's (first Value, scope path) notes; a scope left where the next
        # one begins (same position) is dropped
        new = scope_notes[self.scopes_read :]
        kept = [
            note
            for note, (later, _) in zip(new, [*new[1:], (-1, "")])
            if note[0] != later
        ]
        if kept:  # interned in one call: the same few paths recur thousands of times
            starts, paths = zip(*kept)
            self.scope_runs.extend(
                zip(starts, self.intern.scopes(list(paths)).tolist())
            )
        self.scopes_read = len(scope_notes)
        if not self.foreign:
            try:  # a field our Values have and a foreign class may lack: read on its own
                ops = [v._op for v in nodes]
                labels = [
                    v.label for v in nodes
                ]  # most are '': keep the few that are not
            except AttributeError:
                self.foreign = True
        if self.foreign:  # a user's own micrograd-style class: one node at a time
            ops = [_nodes.op_of(v) for v in nodes]
            labels = [_nodes.label_of(v) for v in nodes]
        self.op.append(op_ids := self.intern.ops(ops))
        self.labels.extend(
            (start + i, self.intern.label(labels[i])) for i in labelled(labels)
        )
        prior = int(self.child_end[-1][-1]) if self.child_end else 0
        try:
            if not self.foreign:
                count, child, local = self._read_edges(nodes, first, prior, op_ids)
        except AttributeError:  # a foreign node (no `_a`): nothing was kept yet
            self.foreign = True
        if self.foreign:
            count, child, local = self._read_edges_one_by_one(nodes, first, prior)
        self.child_end.append(np.cumsum(count) + prior)
        self.child.append(child)
        self.local.append(local)
        self.resolved = start + n

    def _read_edges(self, nodes, first, prior, op_ids):
        """(edge count per node, child refs, local derivatives) of built-in Values,
        field by field; the few nodes outside the built-in form are patched in."""
        n, base = len(nodes), self.entity_base
        # children as refs: entity ids for nodes built earlier in the step, imports else
        a_ref = as_refs([NO_CHILD if (c := v._a) is None else c._tag for v in nodes])
        b_ref = as_refs([NO_CHILD if (c := v._b) is None else c._tag for v in nodes])
        own = np.arange(first, first + n)
        has_a, has_b = a_ref != NO_CHILD, b_ref != NO_CHILD
        import_a = has_a & ((a_ref < base) | (a_ref >= own))
        import_b = has_b & ((b_ref < base) | (b_ref >= own))
        self.imported.children(nodes, a_ref, b_ref, import_a, import_b)
        count = has_a.astype(np.int64) + has_b
        custom = {  # no first child, yet a rule: built the lecture's way
            i: self._edges_of(nodes[i], first + i)
            for i in np.flatnonzero(~has_a).tolist()
            if nodes[i]._rule is not None
        }
        for i, (refs, _, _) in custom.items():
            count[i] = len(refs)
        end = np.cumsum(count)
        at_a = end[has_a] - count[has_a]  # a node's edges: its a, then its b
        at_b = end[has_b] - 1
        child = np.empty(int(end[-1]), dtype=np.int64)
        local = np.empty(len(child))
        child[at_a], child[at_b] = a_ref[has_a], b_ref[has_b]
        local[at_a] = local_a = np.fromiter(
            [v._da for v in nodes if v._a is not None], np.float64, len(at_a)
        )
        local[at_b] = local_b = np.fromiter(
            [v._db for v in nodes if v._b is not None], np.float64, len(at_b)
        )
        # a masking edge's local derivative is a MaskedZero (relu off, x ** 0): it
        # equals 0, and only relu and powers make one, so only those few are looked at
        maskable = self.intern.maskable()[op_ids]
        for field, at, has, values in (("_da", at_a, has_a, local_a),
                                       ("_db", at_b, has_b, local_b)):  # fmt: skip
            owner = np.flatnonzero(has)
            maybe = np.flatnonzero((values == 0) & maskable[owner])
            for e, i in zip(at[maybe].tolist(), owner[maybe].tolist()):
                if type(getattr(nodes[i], field)) is MaskedZero:
                    self.mask_edges.append(e + prior)
        for i, (refs, locals_, _) in custom.items():
            at = int(end[i] - count[i])
            child[at : at + len(refs)] = refs
            local[at : at + len(refs)] = np.nan if locals_ is None else locals_
            if locals_ is None:
                self.closure_refs.append(first + i)
        return count, child, local

    def _read_edges_one_by_one(self, nodes, first, prior):
        """_read_edges for a batch holding foreign nodes: every node on its own."""
        count, children, locals_ = [], [], []
        for i, v in enumerate(nodes):
            refs, local, masks = self._edges_of(v, first + i)
            self.mask_edges.extend(prior + len(children) + k for k in masks)
            if local is None:
                self.closure_refs.append(first + i)
                local = [math.nan] * len(refs)
            count.append(len(refs))
            children.extend(refs)
            locals_.extend(local)
        return (np.asarray(count, dtype=np.int64), np.asarray(children, np.int64),
                np.asarray(locals_, dtype=np.float64))  # fmt: skip

    def _edges_of(self, v, own: int) -> tuple[list[int], Any, list[int]]:
        """(child refs, local derivatives or None for a closure, masking edges)."""
        children, locals_, masks = _nodes.edges_of(v)
        refs = []
        base = self.entity_base
        for c in children:
            t = getattr(c, "_tag", None)
            refs.append(t if t is not None and base <= t < own else self.ref(c))
        return refs, locals_, masks

    def ref(self, value) -> int:
        """The ref of a Value not built in this step (`_imports.py`)."""
        return self.imported.ref(value)

    def closure_ran(self, node, before, after) -> None:
        """Keep what a closure left in its children's grads (its node was read)."""
        t = getattr(node, "_tag", None)
        if t is not None and self.entity_base <= t < self.entity_base + self.resolved:
            ref = t
        elif t in self.imported.slot:
            ref = -1 - self.imported.slot[t]
        else:
            return
        self.closures_ran[ref] = (float(node.grad), before, after)

    # ------------------------------------------------------------------ closing

    def to_graph(self, num_visits: int | None = None) -> StepGraph:
        """The step's graph: imports after built nodes, refs made node ids.

        `num_visits`: how many of the visits ran (all by default); the structure
        keeps the whole visit order, so a stopped step shares it with whole ones.
        """
        n_created, base = self.resolved, self.entity_base
        visits = self.visits

        def column(lists, dtype):  # np.fromiter reads lists of numbers ~2x faster
            count = sum(map(len, lists))
            return np.fromiter(itertools.chain(*lists), dtype=dtype, count=count)

        def chunks(parts, tail, dtype):  # the built nodes' numpy chunks, then a list
            return np.concatenate([*parts, np.asarray(tail, dtype=dtype)]).astype(dtype)

        def node_ids(ref):
            return np.where(ref < 0, n_created - 1 - ref, ref - base).astype("<i4")

        lines = {len(self.src_file), len(self.src_line)}
        if lines != {0} and lines != {n_created}:  # source=True, a line missed
            fit_sources(self, n_created)
        imp = self.imported
        n = n_created + len(imp)
        built_edges = int(self.child_end[-1][-1]) if self.child_end else 0
        imp_end = column([imp.child_end], np.int64) + built_edges
        child_ptr = chunks([[0], *self.child_end], imp_end, "<i4")
        scope = np.zeros(n, dtype="<u4")  # imported nodes: top level
        if self.scope_runs:  # runs of (first node, scope id), the first at node 0
            starts, ids = zip(*self.scope_runs)
            scope[:n_created] = np.repeat(ids, np.diff([*starts, n_created]))
        label = np.zeros(n, dtype="<u4")
        label[n_created:] = imp.label
        for node, lid in self.labels:  # later entries win: a label set after building
            label[node] = lid
        columns = {
            "op": chunks(self.op, imp.op, "<u4"),
            "scope": scope,
            "label": label,
            "data": chunks(self.data, imp.data, "<f8"),
            "child_ptr": child_ptr,
            "child": node_ids(chunks(self.child, imp.child, np.int64)),
            "local": chunks(self.local, imp.local, "<f8"),
            "imported": np.asarray(imp.entity, dtype="<i8"),
            "visits": node_ids(np.asarray(visits, dtype=np.int64)),
            "start_id": node_ids(column([self.start_ids], np.int64)),
            "start_grad": np.asarray(self.start_grads, dtype="<f8"),
            "src_file": np.asarray(self.src_file, dtype="<u4"),
            "src_line": np.asarray(self.src_line, dtype="<u4"),
        }
        closure_refs = [*self.closure_refs, *imp.closures]
        if self.mask_edges or imp.mask_edges or closure_refs or self.closures_ran:
            masks = np.asarray(
                [*self.mask_edges, *(built_edges + e for e in imp.mask_edges)],
                dtype=np.int64,
            )
            ran_ids = node_ids(np.asarray([*self.closures_ran], np.int64)).tolist()
            ran = dict(zip(ran_ids, self.closures_ran.values()))
            closures = node_ids(np.asarray(closure_refs, np.int64)).tolist()
            _nodes.apply_rules(columns, masks, [*closures, *ran], ran)
        graph = StepGraph.from_columns(columns, n_created, base)
        return (
            graph
            if num_visits is None
            else StepGraph(graph.structure, graph.numbers, base, num_visits)
        )


class Interns:
    """What a StepBuffer needs from its recorder: string interning and fresh entity ids."""

    def __init__(self, strings: Any, new_import_entity: Callable[[], int]):
        self.ops = lambda names: strings.ops.intern_all(names, "<u4")
        self.scope = strings.scopes.intern
        self.scopes = lambda paths: strings.scopes.intern_all(paths, "<u4")
        # a label that is not a str becomes text (`as_label`: a false one is none)
        self.label = lambda s: strings.labels.intern(
            s if type(s) is str else as_label(s)
        )
        self.op = strings.ops.intern
        self.new_import_entity = new_import_entity
        self._op_names = strings.ops.items
        self._maskable = np.zeros(0, dtype=bool)

    def maskable(self) -> np.ndarray:
        """By op id: may the engine mark its edges MaskedZero (relu, the powers)?"""
        table, names = self._maskable, self._op_names
        if len(table) < len(names):  # op names met since last time
            more = [
                n in ("ReLU", "pow") or n.startswith("**") for n in names[len(table) :]
            ]
            self._maskable = table = np.concatenate([table, np.asarray(more, bool)])
        return table
