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

Also here, as they are not needed on a first reading of engine.py: how a Value
gets its children (`attach_children`), and torch's masks: where relu is off or
an exponent is 0, an exact 0 goes back even for a grad that is not finite
(`MaskedZero`).
"""

from __future__ import annotations

from . import events as _events
from ._numbers import real


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


class MaskedZero(float):
    """A local derivative of 0 that masks, as torch's relu (where off) and x ** 0 do:
    times a grad that is not finite it gives 0 (a plain 0 * inf would be nan).
    Only these few edges pay for the check, through this __mul__."""

    __slots__ = ()

    def __mul__(self, g):
        return float.__mul__(self, g) if g - g == 0.0 else 0.0

    __rmul__ = __mul__

    def __repr__(self):
        return "0.0"


MASKED_ZERO = MaskedZero(0.0)


def attach_children(out, children, local_grads):
    """Give `out` its children: in the built-in fields (up to two, with local
    derivatives), else in a Custom record (a closure node without local_grads)."""
    from .engine import Value  # (engine.py imports this module first)

    if not all(isinstance(c, Value) for c in children):
        names = ", ".join(type(c).__name__ for c in children)
        raise TypeError(f"_children must be Values, got ({names})")
    if local_grads is None:  # the lecture's way: a closure assigned to _backward later
        rule = out._rule
        closure = rule.closure if isinstance(rule, Custom) else None
        out._rule = Custom(children, None, closure)
        return
    local_grads = tuple(real(d, f"local_grads[{i}]") for i, d in enumerate(local_grads))
    if len(local_grads) != len(children):
        raise ValueError(
            f"a Value built from {len(children)} children needs local_grads with one "
            f"derivative per child, e.g. Value(x.data**3, (x,), 'cube', "
            f"local_grads=(3 * x.data**2,)); got {len(local_grads)} (or leave "
            "local_grads out and assign a _backward closure, as in micrograd)"
        )
    if len(children) > 2:  # more than the two built-in fields hold
        out._rule = Custom(children, local_grads)
        return
    out._a, out._da = children[0], local_grads[0]
    if len(children) == 2:
        out._b, out._db = children[1], local_grads[1]
