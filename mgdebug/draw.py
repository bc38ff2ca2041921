"""`draw_dot`: micrograd's notebook picture of a graph, via graphviz, without a recursion limit.

Same call as micrograd's trace_graph notebook: `draw_dot(root, format='svg',
rankdir='LR')` returns a `graphviz.Digraph` that Jupyter shows as an image. Each
Value is a record `label | data | grad`; each op is a small node feeding it;
`x*x` draws two edges from `x`.
"""

from __future__ import annotations

import shutil
from typing import Any

_MAX_NODES = (
    5_000  # graphviz dot took 8.5 s for 5.5k nodes here and did not finish 10.6k
)


def trace_nodes(root) -> tuple[list, list[tuple]]:
    """All Values under `root` and the edges (child, parent), one per use, iteratively."""
    nodes, edges, seen = [], [], set()
    stack = [root]
    while stack:
        v = stack.pop()
        if id(v) in seen:
            continue
        seen.add(id(v))
        nodes.append(v)
        for child in v._prev:
            edges.append((child, v))
            stack.append(child)
    return nodes, edges


def draw_dot(
    root, format: str = "svg", rankdir: str = "LR", max_nodes: int = _MAX_NODES
) -> Any:
    """A graphviz Digraph of everything `root` depends on (label, data, grad, op)."""
    if rankdir not in ("LR", "TB"):
        raise ValueError(f"rankdir must be 'LR' or 'TB', got {rankdir!r}")
    if not (hasattr(root, "_prev") and hasattr(root, "grad")):
        raise TypeError(f"draw_dot draws a micrograd Value, got {type(root).__name__}")
    import graphviz

    if shutil.which("dot") is None:
        raise RuntimeError(
            "graphviz's `dot` program is not installed, so the picture cannot be rendered; "
            "install it (Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz) "
            "or use the trace viewer (%%mgtrace), which needs no graphviz"
        )
    nodes, edges = trace_nodes(root)
    if len(nodes) > max_nodes:
        raise ValueError(
            f"this graph has {len(nodes):,} nodes; graphviz becomes unusable past a few "
            f"thousand (max_nodes={max_nodes:,}). Use the trace viewer for large graphs, "
            "or pass a larger max_nodes"
        )
    dot = graphviz.Digraph(format=format, graph_attr={"rankdir": rankdir})
    for v in nodes:
        uid = str(id(v))
        label = _escape(v.label)
        dot.node(
            name=uid,
            label=f"{{ {label} | data {v.data:.4f} | grad {v.grad:.4f} }}",
            shape="record",
        )
        if v._op:
            dot.node(name=uid + v._op, label=_escape(v._op))
            dot.edge(uid + v._op, uid)
    for child, parent in edges:
        dot.edge(str(id(child)), str(id(parent)) + parent._op)
    return dot


def _escape(text: str) -> str:
    """Record labels treat | { } < > and quotes as syntax: show them literally."""
    for ch in '\\|{}<>"':
        text = text.replace(ch, "\\" + ch)
    return text
