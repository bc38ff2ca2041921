"""One `backward()` of a traced foreign class, heard as the engine's events (engines.py).

For the length of the call every node reachable from the root has its
`_backward` wrapped, and put back after, even if the call raises. When the
first closure runs (the root has been seeded by then) listeners hear
`backward_begin` with the order micrograd's topological sort gives: the same
recursion over the same `_prev` sets, so the same order as the class's own
backward. Around each closure: `before_chain_rule`, `closure_ran` with the
children's grads before and after (the recorder keeps the after), and
`after_chain_rule`; at the end `backward_end`. A backward that visits in another
order is recorded as it ran (`Recorder.visited_in`); per-node events then stop
where the orders part, so live breakpoints stop only where they agree.
"""

from __future__ import annotations

from typing import Any

from micrograd import events

from . import _nodes


class ForeignBackward:
    """One traced `backward()` call: wraps every reachable node's `_backward`."""

    def __init__(self, root: Any, recorder: Any):
        self.root = root
        self.recorder = recorder
        self.order: list | None = None  # predicted when the first closure runs
        self.ran: list = []  # the nodes whose closures ran, in order
        self.in_step = True  # the visits so far agree with `order`
        # per-node listeners (before_chain_rule, after_chain_rule), looked up at begin
        self.befores: tuple = ()
        self.afters: tuple = ()

    def run(self, backward, args, kwargs):
        nodes = _reachable(self.root)
        saved = [(v, _own_backward(v)) for v in nodes]
        for v, _ in saved:
            v._backward = self._wrapped(v, v._backward)
        completed = False
        try:
            result = backward(self.root, *args, **kwargs)
            completed = True
            return result
        finally:
            for v, original in saved:
                _restore(v, original)
            self._end(completed)

    def _wrapped(self, node: Any, closure: Any):
        def _backward():
            if self.order is None:
                self._begin()
            j = len(self.ran)
            self.in_step = (
                self.in_step and j < len(self.order) and self.order[j] is node
            )
            if self.in_step:
                for before_chain_rule in self.befores:
                    before_chain_rule(node)
            children = _nodes.foreign_children(node)
            before = tuple(c.grad for c in children)
            closure()
            after = tuple(c.grad for c in children)
            self.ran.append(node)
            events.closure_ran(node, before, after)
            if self.afters and self.in_step:
                added = tuple(y - x for x, y in zip(before, after))
                for after_chain_rule in self.afters:
                    after_chain_rule(node, added)

        return _backward

    def _begin(self) -> None:
        self.order = _micrograd_order(self.root)
        events.backward_begin(self.root, self.order)
        # after backward_begin, as the engine does: a listener decides there whether
        # this backward needs its per-node events (docs/events.md)
        self.befores, self.afters = events.chain_rule_listeners()

    def _end(self, completed: bool) -> None:
        if self.order is None:  # no closure ran at all (an empty backward)
            self._begin()
        if not self.in_step or (completed and len(self.ran) != len(self.order)):
            # it ran its own way: the trace keeps the visits as they ran
            self.recorder.visited_in(self.ran, agreed=self.in_step)
        events.backward_end(self.root, completed, len(self.ran))


def _reachable(root: Any) -> list:
    seen, stack, out = {id(root)}, [root], []
    while stack:
        v = stack.pop()
        out.append(v)
        for c in v._prev:
            if id(c) not in seen:
                seen.add(id(c))
                stack.append(c)
    return out


def _micrograd_order(root: Any) -> list:
    """reversed(topo) of micrograd's recursive build_topo, with an explicit stack."""
    topo, visited = [], set()
    stack = [(root, iter(root._prev))]
    visited.add(id(root))
    while stack:
        v, children = stack[-1]
        for c in children:
            if id(c) not in visited:
                visited.add(id(c))
                stack.append((c, iter(c._prev)))
                break
        else:
            stack.pop()
            topo.append(v)
    topo.reverse()
    return topo


_MISSING = object()


def _own_backward(v: Any) -> Any:
    """The node's own `_backward` attribute (not its class's), or _MISSING."""
    d = getattr(v, "__dict__", None)
    if d is not None and "_backward" in d:
        return d["_backward"]
    return _MISSING if d is not None else v._backward


def _restore(v: Any, original: Any) -> None:
    if original is _MISSING:
        del v._backward
    else:
        v._backward = original
