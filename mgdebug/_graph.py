"""One training step's graph as numpy columns: nodes, edges (CSR) and the backward visits.

The recorder builds it when a step closes (`recorder.py`, `_StepBuffer.to_graph`);
loading a file rebuilds it with every index checked (`from_columns`).

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

from dataclasses import dataclass

import numpy as np

from . import _entity

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

    def node_of_value(self, value) -> int | None:
        """The node id a live Value has in this step, or None (never recorded here)."""
        entity = _entity.entity_of(value)
        return None if entity is None else self.node_of_entity(entity)

    # ------------------------------------------------------------------ building

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
