"""One training step's graph as numpy columns: a structure shared between steps, and its numbers.

A training loop builds the same graph every step: the same ops, edges, scopes,
labels and visit order; only the numbers differ. So a step's graph is two parts:

- `Structure`: what the graph looks like (shared by every step that built an equal
  one; the trace stores it once, `trace.py`);
- `StepNumbers`: what this step computed: every node's value, each edge's local
  derivative (packed: most repeat a value the graph already has, `_locals.py`),
  and where backward's grads started.

`StepGraph` joins them and reads like one set of columns (the same names travel
to the widget; docs/trace-format.md):

| column       | dtype | shape  | part      | meaning                                            |
|--------------|-------|--------|-----------|----------------------------------------------------|
| op           | u4    | n      | structure | index into the trace's op-name table ('' = leaf)   |
| scope        | u4    | n      | structure | index into the scope table ('' = top level)        |
| label        | u4    | n      | structure | index into the label table ('' = no label)         |
| child_ptr    | i4    | n + 1  | structure | node i's edges are child_ptr[i]:child_ptr[i+1]     |
| child        | i4    | E      | structure | the child at the end of each edge (x*x: two edges) |
| imported     | i8    | m      | structure | entity ids of nodes n_created..n-1                 |
| visits       | i4    | V      | structure | nodes in the order backward applies their rules    |
| src_file     | u4    | n_c    | structure | source file (file table) of each built node        |
| src_line     | u4    | n_c    | structure | line number, 0 = unknown                           |
| data         | f8    | n      | numbers   | each node's value                                  |
| local        | f8    | E      | numbers   | d node / d child on each edge                      |
| start_id     | i4    | S      | numbers   | nodes whose grad was non-zero when backward began  |
| start_grad   | f8    | S      | numbers   | ...and that grad                                   |

How the replay applies each edge (add `local * grad`, mask, or set the grad a
closure left) is packed with the local derivatives; `edge_rules()` unpacks it.

Nodes 0..n_created-1 were built during the step, in order; their entity id is
`entity_base + i`. Nodes n_created..n-1 were imported and exist from the start.
A backward stopped early applied only the first `num_visits` of `visits`.

The recorder builds a step's graph when the step closes (`_stepbuffer.py`);
loading a file rebuilds it with every index checked (`check_columns`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

from . import _entity, _locals

STRUCTURE_DTYPES = {
    "op": "<u4", "scope": "<u4", "label": "<u4", "child_ptr": "<i4", "child": "<i4",
    "imported": "<i8", "visits": "<i4", "src_file": "<u4", "src_line": "<u4",
}  # fmt: skip
NUMBER_DTYPES = {
    "data": "<f8", "local_kind": "<u1", "local_literal": "<f8", "start_id": "<i4",
    "start_grad": "<f8",
}  # fmt: skip
# the columns a StepGraph shows (numbers with `local` unpacked)
COLUMNS = (*STRUCTURE_DTYPES, "data", "local", "start_id", "start_grad")


@dataclass(eq=False)
class Structure:
    """What a step's graph looks like: ops, edges, scopes, labels, visit order."""

    columns: dict[str, np.ndarray]
    n_created: int
    _key: str = field(default="", repr=False)

    @property
    def num_nodes(self) -> int:
        return len(self.columns["op"])

    @property
    def key(self) -> str:
        """A digest of the columns and the node split: equal for equal structures."""
        if not self._key:
            digest = hashlib.blake2b(str(self.n_created).encode(), digest_size=16)
            for name in STRUCTURE_DTYPES:
                column = self.columns[name]
                digest.update(f"{name}:{column.dtype.str}:{len(column)};".encode())
                digest.update(np.ascontiguousarray(column).data)
            self._key = digest.hexdigest()
        return self._key

    def equals(self, other: Structure) -> bool:
        if other is self:
            return True
        if other.n_created != self.n_created or other.num_nodes != self.num_nodes:
            return False
        return all(
            np.array_equal(self.columns[name], other.columns[name])
            for name in STRUCTURE_DTYPES
        )

    def nbytes(self) -> int:
        return sum(c.nbytes for c in self.columns.values())


@dataclass(eq=False)
class StepNumbers:
    """What one step computed on its structure: values, local derivatives, start grads."""

    columns: dict[str, np.ndarray]

    def nbytes(self) -> int:
        return sum(c.nbytes for c in self.columns.values())


class StepGraph:
    """The nodes, edges and backward visits of one recorded step (structure + numbers)."""

    def __init__(
        self,
        structure: Structure,
        numbers: StepNumbers,
        entity_base: int,
        num_visits: int | None = None,
    ):
        self.structure = structure
        self.numbers = numbers
        self.entity_base = entity_base
        visits = len(structure.columns["visits"])
        self.num_visits = visits if num_visits is None else num_visits
        if not 0 <= self.num_visits <= visits:
            raise ValueError(f"num_visits {num_visits} outside 0..{visits}")
        self._columns: dict[str, np.ndarray] | None = None
        self._rules: tuple | None = None

    @classmethod
    def from_columns(
        cls, columns: dict[str, np.ndarray], n_created: int, entity_base: int
    ) -> StepGraph:
        """A graph from a full set of columns (`local` unpacked), its own structure.

        Optional `rule` and `set_grad` (per edge, `_locals.py`): edges that mask or
        that a closure set; without them every edge adds `local * grad`.
        """
        structure = Structure(
            {name: np.asarray(columns[name], dtype) for name, dtype in
             STRUCTURE_DTYPES.items()}, n_created,
        )  # fmt: skip
        ptr, child = structure.columns["child_ptr"], structure.columns["child"]
        data = np.asarray(columns["data"], "<f8")
        kind, literal = _locals.pack(
            ptr, child, data, np.asarray(columns["local"]), columns.get("rule"),
            columns.get("set_grad"),
        )  # fmt: skip
        numbers = StepNumbers({
            "data": data, "local_kind": kind, "local_literal": literal,
            "start_id": np.asarray(columns["start_id"], "<i4"),
            "start_grad": np.asarray(columns["start_grad"], "<f8"),
        })  # fmt: skip
        return cls(structure, numbers, entity_base)

    @property
    def n_created(self) -> int:
        return self.structure.n_created

    @property
    def columns(self) -> dict[str, np.ndarray]:
        """Every column by name, `local` unpacked and `visits` cut to those applied."""
        if self._columns is None:
            s, n = self.structure.columns, self.numbers.columns
            local = _locals.unpack(
                s["child_ptr"], s["child"], n["data"], n["local_kind"],
                n["local_literal"],
            )  # fmt: skip
            self._columns = {
                **s,
                "visits": s["visits"][: self.num_visits],
                "data": n["data"],
                "local": local,
                "start_id": n["start_id"],
                "start_grad": n["start_grad"],
            }
        return self._columns

    def edge_rules(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(rule, set_grad) per edge (`_locals.rules`), or None if every edge is plain."""
        if self._rules is None:
            n = self.numbers.columns
            self._rules = (_locals.rules(n["local_kind"], n["local_literal"]),)
        return self._rules[0]

    @property
    def num_nodes(self) -> int:
        return self.structure.num_nodes

    @property
    def num_edges(self) -> int:
        return len(self.structure.columns["child"])

    def __getattr__(self, name: str) -> np.ndarray:
        if name in COLUMNS and not name.startswith("_"):
            return self.columns[name]
        raise AttributeError(name)

    def nbytes(self) -> int:
        """Bytes of the step's columns in full, as a trace without sharing would hold them."""
        return sum(c.nbytes for c in self.columns.values())

    def local_of(self, node: int) -> np.ndarray:
        ptr = self.structure.columns["child_ptr"]
        return self.columns["local"][ptr[node] : ptr[node + 1]]

    def entity_of(self, node: int) -> int:
        if node < self.n_created:
            return self.entity_base + node
        return int(self.structure.columns["imported"][node - self.n_created])

    def node_of_entity(self, entity: int) -> int | None:
        """The node id that `entity` has in this step, or None."""
        if self.entity_base <= entity < self.entity_base + self.n_created:
            return entity - self.entity_base
        hits = np.flatnonzero(self.structure.columns["imported"] == entity)
        return int(hits[0]) + self.n_created if len(hits) else None

    def node_of_value(self, value) -> int | None:
        """The node id a live Value has in this step, or None (never recorded here)."""
        entity = _entity.entity_of(value)
        return None if entity is None else self.node_of_entity(entity)

    def with_structure(self, structure: Structure) -> StepGraph:
        """The same step on an equal structure (the one a trace already stores)."""
        return StepGraph(structure, self.numbers, self.entity_base, self.num_visits)


# ---------------------------------------------------------------------- checks


def check_structure(structure: Structure, limits: dict[str, int]) -> None:
    """Every index of a structure inside its bounds (a file crafted to pass the CRC)."""
    c, n, n_created = structure.columns, structure.num_nodes, structure.n_created
    _check_dtypes(c, STRUCTURE_DTYPES)
    ptr, edges = c["child_ptr"], len(c["child"])
    _expect(
        all(len(c[k]) == n for k in ("scope", "label")), "node columns differ in length"
    )
    _expect(
        0 <= n_created <= n and len(c["imported"]) == n - n_created, "imported count"
    )
    _expect(len(ptr) == n + 1 and ptr[0] == 0 and ptr[-1] == edges, "child_ptr bounds")
    _expect(bool(np.all(np.diff(ptr) >= 0)), "child_ptr must not decrease")
    for name in ("child", "visits"):
        _expect(bool(np.all((c[name] >= 0) & (c[name] < n))), f"{name} out of range")
    _expect(len(c["src_file"]) == len(c["src_line"]) in (0, n_created), "src length")
    for name, table in (("op", "ops"), ("scope", "scopes"), ("label", "labels"),
                        ("src_file", "files")):  # fmt: skip
        _expect(
            bool(np.all(c[name] < limits[table])),
            f"{name} index past the {table} table",
        )


def check_numbers(numbers: StepNumbers, structure: Structure) -> None:
    """A step's numbers fit its structure: lengths, kinds, start ids."""
    check_numbers_of_steps([numbers], structure)


def check_numbers_of_steps(steps: list[StepNumbers], structure: Structure) -> None:
    """check_numbers for many steps of one structure, in one numpy pass (a long run
    of small steps loads in time linear in its bytes, with a small constant)."""
    n, edges = structure.num_nodes, len(structure.columns["child"])
    columns = [numbers.columns for numbers in steps]
    for c in columns:
        _check_dtypes(c, NUMBER_DTYPES)
        _expect(len(c["data"]) == n, "data has one value per node")
        _expect(len(c["local_kind"]) == edges, "local_kind has one entry per edge")
        _expect(len(c["start_grad"]) == len(c["start_id"]), "start_grad length")
    sizes = [len(c["start_id"]) for c in columns]
    start = np.concatenate([c["start_id"] for c in columns]).astype(np.int64)
    _expect(bool(np.all((start >= 0) & (start < n))), "start_id out of range")
    row = np.repeat(np.arange(len(columns), dtype=np.int64), sizes)
    unique = len(np.unique(row * max(n, 1) + start))
    _expect(unique == len(start), "a node starts backward twice")
    kinds = np.stack([c["local_kind"] for c in columns])
    literals = [len(c["local_literal"]) for c in columns]
    _locals.check(structure.columns["child_ptr"], kinds, literals)


def _check_dtypes(columns: dict[str, np.ndarray], dtypes: dict[str, str]) -> None:
    missing = set(dtypes) - set(columns)
    if missing:
        raise ValueError(f"step graph lacks columns {sorted(missing)}")
    for name, code in dtypes.items():
        if columns[name].dtype != np.dtype(code):
            raise ValueError(
                f"column {name} has dtype {columns[name].dtype}, expected {code}"
            )


def _expect(ok: bool, what: str) -> None:
    if not ok:
        raise ValueError(f"inconsistent step graph: {what}")
