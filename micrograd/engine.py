"""A scalar reverse-mode autograd engine, compatible with karpathy/micrograd 0.1.0.

Every Value holds a number (`data`), its gradient (`grad`), its children and how
to pass a gradient back to them. A built-in op stores at most two children and
the local derivative of its result with respect to each, computed right where
it computes the result; `backward()` walks the graph in reverse topological
order and applies the chain rule: child.grad += local * grad. Ops written the
lecture's way work too: `out = Value(data, children, op)`, then assign
`out._backward`; backward() runs that closure where micrograd would (_custom.py).

Events (contract in docs/events.md): while a listener is attached with
`micrograd.listen(...)`, every Value announces itself once built
(`value_created`; the Value itself tells its op, children and local grads; or,
cheaper, it is appended to the listener's `tape`, a plain list), and
`backward()` announces `backward_begin` with the visit order,
`before_chain_rule`/`after_chain_rule` around each node if a listener asked for
them, `closure_ran` with the children's grads around each closure, and
`backward_end` with how many chain rules ran. With no listener attached each op
pays one check of an int.
"""

from __future__ import annotations

import math

from . import events as _events
from ._custom import (
    MASKED_ZERO,
    Custom,
    MaskedZero,  # noqa: F401  (listeners tell masking edges by it)
    attach_children,
    nothing,
)
from ._numbers import (
    check_real_power,
    ieee_pow,
    is_array,
    number_pow,
    pow_exponent_derivative,
    real,
    text,
)


class Value:
    """A scalar that remembers how it was computed, so gradients can flow back."""

    # micrograd kept each op's chain rule in a closure that refers back to `out`,
    # so every node sat in a reference cycle that only the cyclic GC could free
    # (~90% of its run time). Built-in ops store plain fields instead: no cycles.
    # The fields backward and listeners read in loops are slots; the rest live in
    # `__dict__` (with any attribute a user sets, `v.name = ...`), which Python
    # keeps inline, so a Value costs 144 bytes (micrograd's: ~690):
    _op = ""  # the op that built it, micrograd's name ('+', '**2', ...; '' for a leaf)
    label = ""  # a name to show (nn gives parameters theirs)
    _rule = (
        None  # a node built the lecture's way: its children and closure (_custom.py)
    )
    # `_tag` is reserved for a listener (a recorder's node id); the engine never reads it
    __slots__ = ("data", "grad", "_a", "_b", "_da", "_db", "_tag", "__dict__")

    def __init__(self, data, _children=(), _op="", label="", local_grads=None):
        self.data = real(data, "Value data")
        self.grad = 0.0
        if _op.__class__ is not str or _op:  # most are '': the class default
            self._op = _op
        if text(label):
            self.label = label
        self._a = self._b = self._da = self._db = self._tag = None
        if _children:
            attach_children(self, tuple(_children), local_grads)
        if _events.active:
            _events.created(self)

    @property
    def _prev(self):
        """The children, one entry per edge (`x*x` has `x` twice)."""
        a = self._a
        if a is not None:
            return (a,) if self._b is None else (a, self._b)
        return () if self._rule is None else self._rule.children

    @_prev.setter
    def _prev(self, children):
        # lecture code may set the children itself (micrograd kept a set): they
        # become a closure node's, and the closure assigned so far stays
        children = tuple(children)
        attach_children(self, children, None)
        self._a = self._b = self._da = self._db = None

    @property
    def local_grads(self):
        """d(self)/d(child) for each child in `_prev`, computed when self was built
        (None for a closure node: only its closure knows)."""
        if self._a is not None:  # (plain floats: a MaskedZero's masking stays inside)
            a = float(self._da)
            return (a,) if self._b is None else (a, float(self._db))
        return () if self._rule is None else self._rule.local_grads

    @property
    def is_leaf(self):
        return not self._prev

    @property
    def _backward(self):
        """The chain rule at this node, a function of no arguments, as in micrograd."""
        rule = self._rule
        if self._a is not None or rule is None or rule.local_grads is not None:
            return self._chain_rule
        return rule.closure or nothing

    @_backward.setter
    def _backward(self, closure):
        if not callable(closure):
            raise TypeError(
                f"_backward must be a function of no arguments, got "
                f"{type(closure).__name__}: {closure!r:.60}"
            )
        self._rule = Custom(self._prev, None, closure)  # a closure node from now on
        self._a = self._b = self._da = self._db = None

    # ------------------------------------------------------------------ primitive ops
    # Each op: coerce the other operand, build `out` from its value, its op name and
    # each child with its local derivative (`_result` announces it), return it.

    def __add__(self, other):
        if not isinstance(other, Value):
            if is_array(other):
                return NotImplemented  # numpy builds an array of Values instead
            other = Value(other)
        # each child goes in with d out / d child: d(a+b)/da = 1, d(a+b)/db = 1
        return _result(self.data + other.data, "+", self, 1.0, other, 1.0)

    def __mul__(self, other):
        if not isinstance(other, Value):
            if is_array(other):
                return NotImplemented  # numpy builds an array of Values instead
            other = Value(other)
        # d(ab)/da = b, d(ab)/db = a
        return _result(self.data * other.data, "*", self, other.data, other, self.data)

    def __pow__(self, other):
        if isinstance(other, Value):
            return self._pow_value(other)
        if is_array(other):
            return NotImplemented
        k = real(other, "exponent")
        x = self.data
        check_real_power(x, k)
        if x == 0 and k < 0:
            raise ZeroDivisionError(
                f"0 ** {other}: zero cannot be raised to a negative power"
            )
        op = f"**{other}"  # micrograd's op name, e.g. '**2', '**-1'
        if k == 0:  # x^0 = 1, and torch passes back an exact 0 whatever the grad
            return _result(1.0, op, self, MASKED_ZERO)
        d = k * number_pow(x, k - 1)  # d x^k/dx = k x^(k-1)
        return _result(number_pow(x, k), op, self, d)

    def _pow_value(self, other):
        a, b = self.data, other.data
        check_real_power(a, b)
        if a == 0 and b < 0:
            raise ZeroDivisionError(
                f"0 ** {b}: zero cannot be raised to a negative power"
            )
        y = ieee_pow(a, b)  # (torch's pow of two tensors: C's pow throughout)
        db = pow_exponent_derivative(a, b, y)  # d(a^b)/db = a^b ln a
        if b == 0:  # as for x ** 0: the base's edge masks
            return _result(y, "pow", self, MASKED_ZERO, other, db)
        da = b * ieee_pow(a, b - 1)  # d(a^b)/da = b a^(b-1)
        return _result(y, "pow", self, da, other, db)

    def relu(self):
        x = self.data
        if x > 0 or x != x:  # d relu(x)/dx = 1; nan passes through, as in torch
            return _result(x, "ReLU", self, 1.0)
        # off: the derivative is 0, and torch passes back 0 even for an inf grad
        return _result(0.0 if x < 0 else x, "ReLU", self, MASKED_ZERO)

    def tanh(self):
        t = math.tanh(self.data)
        return _result(t, "tanh", self, 1.0 - t * t)  # d tanh(x)/dx = 1 - tanh(x)^2

    def exp(self):
        try:
            e = math.exp(self.data)
        except OverflowError:
            e = math.inf  # IEEE overflow; the debugger's anomaly mode finds it
        return _result(e, "exp", self, e)  # d e^x/dx = e^x

    def log(self):
        x = self.data
        if x <= 0:
            raise ValueError(
                f"log of {x!r}: log is only defined for positive values "
                "(clamp the input, e.g. (x + 1e-12).log(), if it can reach 0)"
            )
        return _result(math.log(x), "log", self, 1.0 / x)  # d ln(x)/dx = 1/x

    def sigmoid(self):
        x = self.data
        # two forms so that exp never overflows: 1/(1+e^-x) for x >= 0, e^x/(1+e^x) below
        if x >= 0:
            s = 1.0 / (1.0 + math.exp(-x))
        else:
            e = math.exp(x)
            s = e / (1.0 + e)
        return _result(s, "sigmoid", self, s * (1.0 - s))  # d sigmoid(x)/dx = s (1-s)

    # ------------------------------------------------------------------ backward

    def backward(self):
        """Fill in d(self)/d(node) as `grad` of every node this Value depends on.

        Leaves accumulate across calls, as in PyTorch; every interior node is reset
        first, so its grad is exact for this call.
        """
        order = _topological_order(self)  # also sets every interior grad to 0
        self.grad += 1.0
        if not _events.active:
            return _apply_chain_rules(order)
        applied = 0  # chain rules run to the end, told to backward_end
        try:
            _events.backward_begin(self, order)
            befores, afters = _events.chain_rule_listeners()
            if befores or afters:
                for v in order:
                    for before_chain_rule in befores:
                        before_chain_rule(v)
                    added = _heard_chain_rule(v)
                    applied += 1
                    for after_chain_rule in afters:
                        after_chain_rule(v, added)
            else:
                # _apply_chain_rules with a count: if the loop stops early (an
                # interrupt, a listener raising), listeners learn how far it got
                for v in order:
                    a = v._a
                    if a is not None:
                        g = v.grad
                        a.grad += v._da * g
                        b = v._b
                        if b is not None:
                            b.grad += v._db * g
                    elif v._rule is not None:
                        v._rule.run_heard(v)
                    applied += 1
        finally:
            _events.backward_end(self, applied == len(order), applied)

    def _chain_rule(self):
        # the chain rule at one node: each child gets local derivative * our grad
        a = self._a
        if a is not None:
            g = self.grad
            a.grad += self._da * g
            b = self._b
            if b is not None:
                b.grad += self._db * g
        elif self._rule is not None:
            self._rule.run(self)

    # ------------------------------------------------------------------ derived ops

    def __neg__(self):  # -self
        return self * -1

    def __radd__(self, other):  # other + self
        return self + other

    def __sub__(self, other):  # self - other
        return self + (-other)

    def __rsub__(self, other):  # other - self
        return other + (-self)

    def __rmul__(self, other):  # other * self
        return self * other

    def __truediv__(self, other):  # self / other = self * other^-1
        if is_array(other):
            return NotImplemented
        # coerce first: numpy ints refuse ** -1, and a str should fail as a divisor
        k = other if isinstance(other, Value) else real(other, "divisor")
        try:
            return self * k**-1
        except ZeroDivisionError:
            raise ZeroDivisionError(
                f"division by zero in {self!r} / {other!r}"
            ) from None

    def __rtruediv__(self, other):  # other / self = other * self^-1
        try:
            return other * self**-1
        except ZeroDivisionError:
            raise ZeroDivisionError(
                f"division by zero in {other!r} / {self!r}"
            ) from None

    def __rpow__(self, other):  # other ** self, with a constant base
        return Value(other) ** self

    def __repr__(self):
        if self.label:
            return f"Value(data={self.data}, grad={self.grad}, label={self.label!r})"
        return f"Value(data={self.data}, grad={self.grad})"

    def __getstate__(self):
        # copy.deepcopy and pickle make a new node: a listener's tag stays behind
        attributes, fields = super().__getstate__()
        return attributes, {**fields, "_tag": None}


# ---------------------------------------------------------------------- helpers


_new = object.__new__  # looked up once: _result runs once per op


def _result(data, op, a, da, b=None, db=None):
    """A new interior node: its value, op name, and each child with d(node)/d(child).

    Every op builds its result here, so here is where listeners hear of it.
    """
    out = _new(Value)  # no __init__: every field is set right here
    out.data = data
    out.grad = 0.0
    out._op = op
    out._a = a
    out._da = da
    out._b = b
    out._db = db
    out._tag = None
    if _events.active:  # events.created(out), inlined: this runs once per op
        ctx = _events._context.get()
        tape = ctx.tape
        if tape is not None:  # a recorder's list: an append, no call
            tape.append(out)
            if len(tape) >= tape.due:
                tape.on_due()
        if ctx.on_created:
            for value_created in ctx.on_created:
                value_created(out, ctx.scope)
    return out


def _topological_order(root):
    """Every node `root` depends on, root first and each node before its children.

    micrograd recursed here and hit Python's recursion limit at a depth of ~1000;
    this is the same depth-first post-order with an explicit stack. Each interior
    node's grad is set to 0 as it joins the order (backward starts from zero).
    """
    order, visited = [], set()
    stack = [root]
    # bound once: the loop below runs once or twice per node
    pop, push, emit, seen = stack.pop, stack.append, order.append, visited.add
    while stack:
        v = pop()
        if v is None:  # 2. the marker: every child of the node below it is in `order`
            v = pop()
            v.grad = 0.0
            emit(v)
        elif v not in visited:  # 1. first visit
            seen(v)
            a = v._a
            if a is None:
                children = () if v._rule is None else v._rule.children
                if not children:  # a leaf has no children to wait for
                    emit(v)
                    continue
                push(v)
                push(None)
                for c in reversed(children):  # the first explored first
                    if c not in visited:
                        push(c)
                continue
            push(v)  # come back to v after its children
            push(None)
            b = v._b
            if b is not None and b not in visited:
                push(b)
            if a not in visited:
                push(a)  # pushed last, so explored first, as micrograd's recursion did
    order.reverse()
    return order


def _apply_chain_rules(order):
    """v._backward() for every v in order, inlined: this loop runs once per node."""
    for v in order:
        a = v._a
        if a is not None:
            g = v.grad
            a.grad += v._da * g
            b = v._b
            if b is not None:
                b.grad += v._db * g
        elif v._rule is not None:  # a node built the lecture's way
            v._rule.run(v)


def _heard_chain_rule(v):
    """v's chain rule, returning what it added to each child's grad (for listeners)."""
    if v._a is None:
        return () if v._rule is None else v._rule.run_heard(v)
    v._chain_rule()
    g = v.grad
    return (v._da * g,) if v._b is None else (v._da * g, v._db * g)
