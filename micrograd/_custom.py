"""Nodes outside the built-in form: ops written the lecture's way, or with many children.

The backprop lecture writes every op as a node plus a closure:

    out = Value(t, (self,), 'tanh')
    def _backward():
        self.grad += (1 - t**2) * out.grad
    out._backward = _backward

Such a node keeps its children and its closure in a `Custom` record (the
Value's `_rule`), as micrograd kept them on the node; `backward()` runs the
closure exactly where micrograd would: once every node that uses this one has
run its own. A node built with a local derivative for each of more than two
children keeps them here too. Built-in ops never come here: engine.py stores
their (at most two) children and local derivatives in plain fields.
"""

from __future__ import annotations

from . import events as _events


class Custom:
    """A node's children, and how its chain rule runs: local derivatives or a closure."""

    __slots__ = ("children", "local_grads", "closure")

    def __init__(self, children, local_grads=None, closure=None):
        self.children = children  # one entry per edge, in the order given
        self.local_grads = local_grads  # d node / d child per edge; None: a closure
        self.closure = closure  # the `_backward` assigned; None: not yet (a no-op)

    def run(self, node):
        """The chain rule at `node`: the closure, or child.grad += local * grad."""
        if self.local_grads is None:
            if self.closure is not None:
                self.closure()
            return
        g = node.grad
        for c, d in zip(self.children, self.local_grads):
            c.grad += d * g

    def run_heard(self, node):
        """`run`, while listeners are attached: a closure's effect is known only by
        running it, so they hear each child's grad right before and right after
        (`closure_ran`). Returns what each child's grad gained."""
        children = self.children
        if self.local_grads is not None:
            self.run(node)
            g = node.grad
            return tuple(d * g for d in self.local_grads)
        before = tuple(c.grad for c in children)
        if self.closure is not None:
            self.closure()
        after = tuple(c.grad for c in children)
        _events.closure_ran(node, before, after)
        return tuple(y - x for x, y in zip(before, after))


def nothing():
    """The `_backward` of a closure node before one is assigned (micrograd's `lambda: None`)."""
