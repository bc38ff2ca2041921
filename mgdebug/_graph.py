"""One training step's graph as numpy columns: nodes, edges (CSR) and the backward visits.

Column table (the same names travel to the widget; docs/trace-format.md):

| column       | dtype | shape  | meaning                                                       |
|--------------|-------|--------|---------------------------------------------------------------|
| op           | u2    | n      | index into the trace's op-name table ('' = leaf)              |
| scope        | u4    | n      | index into the scope table ('' = top level)                   |
| label        | u4    | n      | index into the label table ('' = no label)                    |
| data         | f8    | n      | the node's value when it was built (imported: when imported)  |
| child_ptr    | i4    | n + 1  | node i's edges are child_ptr[i]:child_ptr[i+1]                |
| child        | i4    | E      | the child at the end of each edge (x*x has two edges to x)    |
| local        | f8    | E      | d node / d child on each edge                                 |
| imported     | i8    | m      | entity ids of nodes n_created..n-1, met from before the step  |
| visits       | i4    | V      | nodes in the order backward applied their chain rule          |
| start_id     | i4    | S      | nodes whose grad was non-zero when backward began             |
| start_grad   | f8    | S      | ...and that grad (the root's seed, leaves' accumulated grads) |
| src_file     | u4    | n_c    | source file (file table) of each built node, if recorded      |
| src_line     | u4    | n_c    | line number, 0 = unknown                                      |

Nodes 0..n_created-1 were built during the step, in order; their entity id is
`entity_base + i`. Nodes n_created..n-1 were imported and exist from the start.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

_COLUMNS = {
    "op": "u2", "scope": "u4", "label": "u4", "data": "f8", "child_ptr": "i4",
    "child": "i4", "local": "f8", "imported": "i8", "visits": "i4",
    "start_id": "i4", "start_grad": "f8", "src_file": "u4", "src_line": "u4",
}  # fmt: skip


@dataclass(eq=False)
class StepGraph:
    """The nodes, edges and backward visit order of one recorded step."""

    columns: dict[str, np.ndarray]
    n_created: int
    entity_base: int

    @property
    def num_nodes(self) -> int:
        return len(self.columns["op"])

    @property
    def num_edges(self) -> int:
        return len(self.columns["child"])

    def __getattr__(self, name: str) -> np.ndarray:
        columns = self.__dict__.get("columns")
        if columns is not None and name in columns:
            return columns[name]
        raise AttributeError(name)

    def nbytes(self) -> int:
        return sum(c.nbytes for c in self.columns.values())

    def children_of(self, node: int) -> np.ndarray:
        ptr = self.columns["child_ptr"]
        return self.columns["child"][ptr[node] : ptr[node + 1]]

    def local_of(self, node: int) -> np.ndarray:
        ptr = self.columns["child_ptr"]
        return self.columns["local"][ptr[node] : ptr[node + 1]]

    def entity_of(self, node: int) -> int:
        if node < self.n_created:
            return self.entity_base + node
        return int(self.columns["imported"][node - self.n_created])

    def node_of_entity(self, entity: int) -> int | None:
        """The node id that `entity` has in this step, or None."""
        if self.entity_base <= entity < self.entity_base + self.n_created:
            return entity - self.entity_base
        hits = np.flatnonzero(self.columns["imported"] == entity)
        return int(hits[0]) + self.n_created if len(hits) else None

    # ------------------------------------------------------------------ building

    @classmethod
    def from_buffer(cls, s, num_visits: int | None = None) -> StepGraph:
        """Close a recorder `_StepBuffer`: imports go after built nodes, refs become node ids.

        A ref is the entity id of a node built in the step, or -1-slot for an imported
        one. `num_visits` keeps only the first visits (a snapshot taken mid-backward).
        """
        n_created, base = s.resolved, s.entity_base
        visits = s.visits if num_visits is None else s.visits[:num_visits]

        def column(
            lists, dtype
        ):  # np.fromiter reads a list of numbers ~2x faster than asarray
            count = sum(map(len, lists))
            return np.fromiter(itertools.chain(*lists), dtype=dtype, count=count)

        def chunks(parts, tail, dtype):  # the built nodes' numpy chunks, then a list
            return np.concatenate([*parts, np.asarray(tail, dtype=dtype)]).astype(dtype)

        def node_ids(ref):
            return np.where(ref < 0, n_created - 1 - ref, ref - base).astype("<i4")

        n = n_created + len(s.imp_op)
        built_edges = int(s.child_end[-1][-1]) if s.child_end else 0
        imp_end = column([s.imp_child_end], np.int64) + built_edges
        child_ptr = chunks([[0], *s.child_end], imp_end, "<i4")
        scope = np.zeros(n, dtype="<u4")  # imported nodes: top level
        if s.scope_runs:  # runs of (first node, scope id), the first at node 0
            starts, ids = zip(*s.scope_runs)
            scope[:n_created] = np.repeat(ids, np.diff([*starts, n_created]))
        label = np.zeros(n, dtype="<u4")
        label[n_created:] = s.imp_label
        for node, lid in s.labels:  # later entries win: a label set after building
            label[node] = lid
        columns = {
            "op": chunks(s.op, s.imp_op, "<u2"),
            "scope": scope,
            "label": label,
            "data": chunks(s.data, s.imp_data, "<f8"),
            "child_ptr": child_ptr,
            "child": node_ids(chunks(s.child, s.imp_child, np.int64)),
            "local": chunks(s.local, s.imp_local, "<f8"),
            "imported": np.asarray(s.imp_entity, dtype="<i8"),
            "visits": node_ids(np.asarray(visits, dtype=np.int64)),
            "start_id": node_ids(column([s.start_ids], np.int64)),
            "start_grad": np.asarray(s.start_grads, dtype="<f8"),
            "src_file": np.asarray(s.src_file, dtype="<u4"),
            "src_line": np.asarray(s.src_line, dtype="<u4"),
        }
        return cls(columns, n_created, base)

    @classmethod
    def from_columns(
        cls,
        columns: dict[str, np.ndarray],
        n_created: int,
        entity_base: int,
        limits: dict[str, int],
    ) -> StepGraph:
        """Rebuild from loaded columns, checking every index so bad files fail clearly."""
        missing = set(_COLUMNS) - set(columns)
        if missing:
            raise ValueError(f"step graph lacks columns {sorted(missing)}")
        for name, code in _COLUMNS.items():
            if columns[name].dtype != np.dtype("<" + code if code != "u1" else code):
                raise ValueError(
                    f"column {name} has dtype {columns[name].dtype}, expected {code}"
                )
        n = len(columns["op"])
        ptr, edges = columns["child_ptr"], len(columns["child"])
        _expect(
            all(len(columns[k]) == n for k in ("scope", "label", "data")),
            "node columns differ in length",
        )
        _expect(
            0 <= n_created <= n and len(columns["imported"]) == n - n_created,
            "imported count",
        )
        _expect(
            len(ptr) == n + 1 and ptr[0] == 0 and ptr[-1] == edges, "child_ptr bounds"
        )
        _expect(bool(np.all(np.diff(ptr) >= 0)), "child_ptr must not decrease")
        _expect(len(columns["local"]) == edges, "local has one entry per edge")
        for name in ("child", "visits", "start_id"):
            _expect(
                bool(np.all((columns[name] >= 0) & (columns[name] < n))),
                f"{name} out of range",
            )
        _expect(
            len(columns["start_grad"]) == len(columns["start_id"]), "start_grad length"
        )
        _expect(
            len(columns["src_file"]) == len(columns["src_line"]) in (0, n_created),
            "src length",
        )
        for name, table in (
            ("op", "ops"),
            ("scope", "scopes"),
            ("label", "labels"),
            ("src_file", "files"),
        ):
            _expect(
                bool(np.all(columns[name] < limits[table])),
                f"{name} index past the {table} table",
            )
        return cls(columns, n_created, entity_base)


def _expect(ok: bool, what: str) -> None:
    if not ok:
        raise ValueError(f"inconsistent step graph: {what}")
