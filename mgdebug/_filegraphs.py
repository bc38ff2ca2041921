"""The graph sections of a trace file: each structure once, each kept step's numbers.

Format 2 (docs/trace-format.md, "Trace files"): columns `s{i}.{name}` hold
structure i, `g{step}.{name}` the numbers of a kept step; the header lists
`structures` ({"n_created"}) and `graphs` ({"step", "structure", "entity_base",
"num_visits"}). Format 1 files (one full set of columns per kept step, no
sharing) are read too, each step's columns split into structure and numbers.

Reading checks what replay relies on, so that work and memory after a
successful load stay within a small multiple of the file's size: lengths and
index ranges, each node's children numbered before it (topological, as the
recorder numbers them), and no node visited twice in a backward.
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
    check_structure,
)

if TYPE_CHECKING:
    from .trace import Trace


def graph_sections(trace: Trace) -> tuple[dict[str, np.ndarray], list, list]:
    """(columns, structures meta, graphs meta) of every kept step of `trace`."""
    columns: dict[str, np.ndarray] = {}
    index: dict[int, int] = {}  # id(structure) -> its number in the file
    structures: list[dict] = []
    graphs: list[dict] = []
    for step in trace.kept_steps():
        graph = trace.graph(step)
        i = index.get(id(graph.structure))
        if i is None:
            i = index[id(graph.structure)] = len(structures)
            structures.append({"n_created": graph.n_created})
            for name, column in graph.structure.columns.items():
                columns[f"s{i}.{name}"] = column
        graphs.append({"step": step, "structure": i, "entity_base": graph.entity_base,
                       "num_visits": graph.num_visits})  # fmt: skip
        for name, column in graph.numbers.columns.items():
            columns[f"g{step}.{name}"] = column
    return columns, structures, graphs


def read_graphs(
    columns: dict[str, np.ndarray], meta: dict, limits: dict[str, int]
) -> dict[int, StepGraph]:
    """Each kept step's graph from a format 2 file, every invariant checked."""
    structures = []
    for i, raw in enumerate(_list(meta, "structures")):
        cols = _section(columns, f"s{i}.", STRUCTURE_DTYPES)
        structure = Structure(cols, _int(raw, "n_created"))
        check_structure(structure, limits)
        check_order(structure)
        structures.append(structure)
    graphs = {}
    for raw in _list(meta, "graphs"):
        step = _int(raw, "step")
        i = _int(raw, "structure")
        if i >= len(structures) or step in graphs:
            raise ValueError(f"graph of step {step}: no such structure, or twice")
        numbers = StepNumbers(_section(columns, f"g{step}.", NUMBER_DTYPES))
        check_numbers(numbers, structures[i])
        graphs[step] = StepGraph(
            structures[i], numbers, _int(raw, "entity_base"), _int(raw, "num_visits")
        )
    return graphs


def read_graphs_v1(
    columns: dict[str, np.ndarray], meta: dict, limits: dict[str, int]
) -> dict[int, StepGraph]:
    """Each kept step's graph from a format 1 file (full columns per step)."""
    graphs = {}
    for raw in _list(meta, "graphs"):
        step = _int(raw, "step")
        cols = _section(columns, f"g{step}.", {**STRUCTURE_DTYPES, "op": "<u2",
                        "data": "<f8", "local": "<f8", "start_id": "<i4",
                        "start_grad": "<f8"})  # fmt: skip
        cols["op"] = cols["op"].astype("<u4")  # format 1 held op ids as u2
        n = len(cols["op"])
        for name in ("data",):
            if len(cols[name]) != n:
                raise ValueError(
                    "inconsistent step graph: node columns differ in length"
                )
        if len(cols["local"]) != len(cols["child"]):
            raise ValueError("inconsistent step graph: local has one entry per edge")
        structure = Structure(
            {name: cols[name] for name in STRUCTURE_DTYPES}, _int(raw, "n_created")
        )
        check_structure(structure, limits)
        check_order(structure)
        graph = StepGraph.from_columns(
            cols, structure.n_created, _int(raw, "entity_base")
        )
        check_numbers(graph.numbers, graph.structure)
        graphs[step] = graph
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


def _section(
    columns: dict[str, np.ndarray], prefix: str, dtypes: dict[str, str]
) -> dict[str, np.ndarray]:
    cols = {k[len(prefix) :]: v for k, v in columns.items() if k.startswith(prefix)}
    missing = set(dtypes) - set(cols)
    if missing:
        raise ValueError(f"section {prefix[:-1]} lacks columns {sorted(missing)}")
    for name, code in dtypes.items():
        if cols[name].dtype != np.dtype(code):
            raise ValueError(
                f"column {prefix}{name} has dtype {cols[name].dtype}, expected {code}"
            )
    return {name: cols[name] for name in dtypes}


def _list(meta: dict, key: str) -> list:
    value = meta[key]
    if not isinstance(value, list):
        raise ValueError(f"header {key!r} must be a list")
    return value


def _int(raw: Any, key: str) -> int:
    if not isinstance(raw, dict):
        raise ValueError(f"a graph entry must be an object, got {raw!r:.40}")
    value = raw[key]
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{key} must be a non-negative int, got {value!r:.40}")
    return value
