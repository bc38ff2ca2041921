"""The graph sections of a trace file: each structure once, the numbers of its steps together.

Format 3 (docs/trace-format.md, "Trace files"): columns `s{i}.{name}` hold
structure i; `n{i}.{name}` the numbers of every kept step on it, one after the
other in step order (`data` and `local_kind` a fixed size per step; the
literals and start grads of each step counted in `graph_literals` and
`graph_starts`). One row per kept step (`graph_step`, `graph_structure`,
`graph_entity_base`, `graph_num_visits`, ...) and one per structure
(`structure_n_created`) join them. So a run of any length is a fixed number of
columns per structure: the header stays small, and loading is a few numpy
calls per structure. Format 2 kept a step's numbers as `g{step}.{name}` and the
rows in the header; format 1 (one full set of columns per kept step, no
sharing) is read too, each step's columns split into structure and numbers.

Reading checks what replay relies on, so that work and memory after a
successful load stay within a small multiple of the file's size: lengths and
index ranges, each node's children numbered before it (topological, as the
recorder numbers them), no node visited twice in a backward, no node starting
backward twice, every structure used and every column accounted for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ._graph import (
    NUMBER_DTYPES,
    STRUCTURE_DTYPES,
    StepGraph,
    StepNumbers,
    Structure,
    check_numbers,
    check_numbers_of_steps,
    check_structure,
)

if TYPE_CHECKING:
    from .trace import Trace

GRAPH_COLUMNS = {
    "graph_step": "<i8", "graph_structure": "<i8", "graph_entity_base": "<i8",
    "graph_num_visits": "<i8", "graph_literals": "<i8", "graph_starts": "<i8",
    "structure_n_created": "<i8",
}  # fmt: skip
_MAX_ENTITY = 1 << 63


def graph_sections(trace: Trace) -> dict[str, np.ndarray]:
    """The columns of every kept step of `trace`: sections and the rows that join them."""
    columns: dict[str, np.ndarray] = {}
    index: dict[int, int] = {}  # id(structure) -> its number in the file
    numbers: list[list[dict]] = []  # per structure, its steps' numbers in order
    rows: dict[str, list[int]] = {name: [] for name in GRAPH_COLUMNS}
    for step in trace.kept_steps():
        graph = trace.graph(step)
        i = index.get(id(graph.structure))
        if i is None:
            i = index[id(graph.structure)] = len(numbers)
            numbers.append([])
            rows["structure_n_created"].append(graph.n_created)
            for name, column in graph.structure.columns.items():
                columns[f"s{i}.{name}"] = column
        c = graph.numbers.columns
        numbers[i].append(c)
        for name, value in (("step", step), ("structure", i),
                            ("entity_base", graph.entity_base),
                            ("num_visits", graph.num_visits),
                            ("literals", len(c["local_literal"])),
                            ("starts", len(c["start_id"]))):  # fmt: skip
            rows[f"graph_{name}"].append(value)
    for i, steps in enumerate(numbers):
        for name, dtype in NUMBER_DTYPES.items():
            columns[f"n{i}.{name}"] = np.concatenate([c[name] for c in steps]).astype(
                dtype, copy=False
            )
    for name, values in rows.items():
        columns[name] = np.asarray(values, dtype=GRAPH_COLUMNS[name])
    return columns


def split_sections(
    columns: dict[str, np.ndarray],
) -> tuple[dict[str, np.ndarray], dict[str, dict[str, np.ndarray]]]:
    """(top-level columns, sections by prefix): `s0.op` is column `op` of section `s0`."""
    top: dict[str, np.ndarray] = {}
    sections: dict[str, dict[str, np.ndarray]] = {}
    for name, column in columns.items():
        head, dot, rest = name.partition(".")
        if dot:
            sections.setdefault(head, {})[rest] = column
        else:
            top[name] = column
    return top, sections


def graph_rows(top: dict[str, np.ndarray], meta: dict, version: int) -> dict:
    """The rows joining sections: from columns (format 3) or the header (format 2)."""
    if version >= 3:
        return {name: top[name] for name in GRAPH_COLUMNS}
    structures, graphs = _list(meta, "structures"), _list(meta, "graphs")
    rows = {"structure_n_created": [_int(raw, "n_created") for raw in structures]}
    for name in ("step", "structure", "entity_base", "num_visits"):
        rows[f"graph_{name}"] = [_int(raw, name) for raw in graphs]
    return {name: np.asarray(values, dtype=np.int64) for name, values in rows.items()}


def read_graphs(
    sections: dict[str, dict[str, np.ndarray]],
    rows: dict,
    limits: dict[str, int],
    version: int,
) -> dict[int, StepGraph]:
    """Each kept step's graph (formats 2 and 3), every invariant checked."""
    steps, numbers_of = rows["graph_step"], rows["graph_structure"]
    base, visits = rows["graph_entity_base"], rows["graph_num_visits"]
    if not len(steps) == len(numbers_of) == len(base) == len(visits):
        raise ValueError("the graph rows differ in length")
    if np.any(np.diff(steps) <= 0) or np.any(base < 0) or np.any(visits < 0):
        raise ValueError("graph rows out of order, or negative")
    n_created = rows["structure_n_created"]
    if np.any(n_created < 0) or set(numbers_of.tolist()) != set(range(len(n_created))):
        raise ValueError("a graph names a structure the file lacks, or one is unused")
    structures = []
    for i, count in enumerate(n_created.tolist()):
        structure = Structure(_section(sections, f"s{i}", STRUCTURE_DTYPES), count)
        check_structure(structure, limits)
        check_order(structure)
        if int(n_created[i]) + int(base[numbers_of == i].max()) >= _MAX_ENTITY:
            raise ValueError(f"structure {i}: entity ids past 2**63")
        structures.append(structure)
    if version >= 3:
        numbers = _numbers_by_structure(sections, rows, structures)
    else:  # format 2: a section per step
        numbers = [
            StepNumbers(_section(sections, f"g{step}", NUMBER_DTYPES))
            for step in steps.tolist()
        ]
    _all_read(sections)
    for i, structure in enumerate(structures):  # one pass for all of its steps
        check_numbers_of_steps(
            [numbers[r] for r in np.flatnonzero(numbers_of == i)], structure
        )
    return {
        step: StepGraph(structures[i], numbers[r], entity_base, num_visits)
        for r, (step, i, entity_base, num_visits) in enumerate(
            zip(steps.tolist(), numbers_of.tolist(), base.tolist(), visits.tolist())
        )
    }


def _numbers_by_structure(sections, rows: dict, structures: list) -> list:
    """Each graph row's numbers: views into its structure's `n{i}` columns."""
    numbers_of = rows["graph_structure"]
    literals, starts = rows["graph_literals"], rows["graph_starts"]
    if not len(literals) == len(starts) == len(numbers_of):
        raise ValueError("the graph rows differ in length")
    if np.any(literals < 0) or np.any(starts < 0):
        raise ValueError("a graph row counts negative literals or starts")
    numbers: list = [None] * len(numbers_of)
    for i, structure in enumerate(structures):
        c = _section(sections, f"n{i}", NUMBER_DTYPES)
        mine = np.flatnonzero(numbers_of == i)
        n, edges, k = structure.num_nodes, len(structure.columns["child"]), len(mine)
        lit_end = np.cumsum(literals[mine])
        start_end = np.cumsum(starts[mine])
        if (len(c["data"]) != k * n or len(c["local_kind"]) != k * edges
                or len(c["local_literal"]) != lit_end[-1]
                or not len(c["start_id"]) == len(c["start_grad"]) == start_end[-1]):  # fmt: skip
            raise ValueError(f"section n{i} does not hold its {k} steps' numbers")
        lit, st = np.concatenate([[0], lit_end]), np.concatenate([[0], start_end])
        for j, r in enumerate(mine.tolist()):
            numbers[r] = StepNumbers({
                "data": c["data"][j * n : (j + 1) * n],
                "local_kind": c["local_kind"][j * edges : (j + 1) * edges],
                "local_literal": c["local_literal"][lit[j] : lit[j + 1]],
                "start_id": c["start_id"][st[j] : st[j + 1]],
                "start_grad": c["start_grad"][st[j] : st[j + 1]],
            })  # fmt: skip
    return numbers


def read_graphs_v1(
    sections: dict[str, dict[str, np.ndarray]], meta: dict, limits: dict[str, int]
) -> dict[int, StepGraph]:
    """Each kept step's graph from a format 1 file (full columns per step)."""
    graphs = {}
    for raw in _list(meta, "graphs"):
        step = _int(raw, "step")
        if step in graphs:
            raise ValueError(f"graph of step {step} twice")
        cols = _section(sections, f"g{step}", {**STRUCTURE_DTYPES, "data": "<f8",
                        "local": "<f8", "start_id": "<i4", "start_grad": "<f8"})  # fmt: skip
        n = len(cols["op"])
        if len(cols["data"]) != n:
            raise ValueError("inconsistent step graph: node columns differ in length")
        if len(cols["local"]) != len(cols["child"]):
            raise ValueError("inconsistent step graph: local has one entry per edge")
        structure = Structure(
            {name: cols[name] for name in STRUCTURE_DTYPES}, _int(raw, "n_created")
        )
        check_structure(structure, limits)
        check_order(structure)
        entity_base = _int(raw, "entity_base")
        if entity_base + structure.n_created >= _MAX_ENTITY:
            raise ValueError(f"graph of step {step}: entity ids past 2**63")
        graph = StepGraph.from_columns(cols, structure.n_created, entity_base)
        check_numbers(graph.numbers, graph.structure)
        graphs[step] = graph
    _all_read(sections)
    return graphs


def check_order(structure: Structure) -> None:
    """Children numbered before their parents, and no node visited twice.

    The recorder numbers built nodes in the order they were built and copies
    imported ones after their children, so every child of node p is below p,
    except a built node's imported children (numbered from n_created on).
    """
    c, n_created = structure.columns, structure.n_created
    ptr, child = c["child_ptr"].astype(np.int64), c["child"].astype(np.int64)
    parent = np.repeat(np.arange(structure.num_nodes), np.diff(ptr))
    imported_child_of_built = (parent < n_created) & (child >= n_created)
    if not np.all((child < parent) | imported_child_of_built):
        raise ValueError("inconsistent step graph: a child numbered after its parent")
    visits = c["visits"]
    if len(np.unique(visits)) != len(visits):
        raise ValueError(
            "inconsistent step graph: a node visited twice in one backward"
        )


# columns that earlier writers stored narrower, widened on load: op ids were u2
# until closure nodes (a new op name per closure, if one likes) made 65,536 too few
_WIDENED = {"op": "<u2"}


def _section(
    sections: dict[str, dict[str, np.ndarray]], name: str, dtypes: dict[str, str]
) -> dict[str, np.ndarray]:
    """Section `name`'s columns, exactly these and of these dtypes; read only once."""
    cols = sections.pop(name, None)
    if cols is None:
        raise ValueError(f"section {name} is missing (or named twice)")
    if set(cols) != set(dtypes):
        raise ValueError(
            f"section {name} has columns {sorted(cols)[:12]}, expected {sorted(dtypes)}"
        )
    for column, code in dtypes.items():
        if column in _WIDENED and cols[column].dtype == np.dtype(_WIDENED[column]):
            cols[column] = cols[column].astype(code)
        if cols[column].dtype != np.dtype(code):
            raise ValueError(
                f"column {name}.{column} has dtype {cols[column].dtype}, expected {code}"
            )
    return cols


def _all_read(sections: dict) -> None:
    if sections:
        raise ValueError(
            f"columns of sections this version does not read: {sorted(sections)[:5]}"
        )


def _list(meta: dict, key: str) -> list:
    value = meta[key]
    if not isinstance(value, list):
        raise ValueError(f"header {key!r} must be a list")
    return value


def _int(raw: Any, key: str) -> int:
    if not isinstance(raw, dict):
        raise ValueError(f"a graph entry must be an object, got {raw!r:.40}")
    value = raw[key]
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**63:
        raise ValueError(f"{key} must be a non-negative int, got {value!r:.40}")
    return value
