"""Where Step over and Step out stop: the call of a scope around a node, and the chain rule after its last.

Backward visits nodes in topological order, and that order interleaves scopes:
in an MLP, the chain rules of a neuron of layer 1 alternate with whole neurons
of layer 0 (their outputs feed it, so they run once their last consumer ran).
So "leaving a scope" cannot mean "the first chain rule outside it": backward
comes back. It means: every chain rule of the scope's *call* has run.

- The call of scope path P around node n: the run of consecutive nodes built
  under P (P itself or deeper) that holds n, cut where P starts a child scope it
  already ran in this run (a model called once per sample builds
  `MLP/layers.0 .. layers.2` and then `MLP/layers.0` again: the next call). The
  viewer cuts its groups the same way (js/src/layout/groups.ts).
- Step over, at node n with scope S: pause right before the first chain rule
  after the last one of S's call around n. Step out: the same for the call of
  S's parent scope. Chain rules of other scopes that backward interleaves run on
  the way, and a breakpoint among them pauses there first.
- Step over at a node built at the top level (or imported: parameters) is one
  chain rule, like Step. Step out of a scope one level deep runs to the end of
  the backward: there is no enclosing call to leave. docs/breakpoints.md has
  the same definitions, with an example.
"""

from __future__ import annotations

import numpy as np

__all__ = ["call_around", "parent_scope", "stop_after_call"]


def parent_scope(path: str) -> str:
    """`MLP/layers.1/neurons.0` -> `MLP/layers.1`; `MLP` -> '' (the top level)."""
    return path.rsplit("/", 1)[0] if "/" in path else ""


def stop_after_call(
    scopes: list[str], scope_of: np.ndarray, n_created: int, visits: np.ndarray,
    node: int, path: str,
) -> int | None:  # fmt: skip
    """The visit position right after the last chain rule of `path`'s call around
    `node`; None if that call's last chain rule is the backward's last."""
    lo, hi = call_around(scopes, scope_of[:n_created], node, path)
    position = np.full(len(scope_of), -1, np.int64)
    position[visits] = np.arange(len(visits))
    last = int(position[lo : hi + 1].max())
    return last + 1 if last + 1 < len(visits) else None


def call_around(
    scopes: list[str], scope_of: np.ndarray, node: int, path: str
) -> tuple[int, int]:
    """The first and last node (creation order) of `path`'s call that holds `node`."""
    depth = path.count("/") + 1
    under = np.zeros(len(scopes), bool)
    child = np.full(len(scopes), -1, np.int64)  # the child scope each path runs in
    names: dict[str, int] = {}
    for sid, s in enumerate(scopes):
        if s == path or s.startswith(path + "/"):
            under[sid] = True
            parts = s.split("/")
            if len(parts) > depth:
                child[sid] = names.setdefault(parts[depth], len(names))
    inside = under[scope_of]
    if not inside[node]:
        raise ValueError(f"node {node} was not built under scope {path!r}")
    outside = np.flatnonzero(~inside)
    k = np.searchsorted(outside, node)
    lo = int(outside[k - 1]) + 1 if k > 0 else 0
    hi = int(outside[k]) - 1 if k < len(outside) else len(inside) - 1
    # cut where the scope runs a child it already ran: the next call of the same scope
    kids = child[scope_of[lo : hi + 1]]
    changes = np.flatnonzero(kids[1:] != kids[:-1]) + 1
    seen = {int(kids[0])} if kids[0] >= 0 else set()
    start = lo
    for at in changes.tolist():
        c = int(kids[at])
        if c < 0:
            continue
        if c in seen:  # a new call begins at lo + at
            if lo + at > node:
                return start, lo + at - 1
            start, seen = lo + at, {c}
        else:
            seen.add(c)
    return start, hi
