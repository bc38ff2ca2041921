"""A scalar reverse-mode autograd engine, compatible with karpathy/micrograd 0.1.0.

Every Value holds a number (`data`), its gradient (`grad`), at most two children
and the local derivative of itself with respect to each child, which an op
computes right where it computes its result. `backward()` walks the graph in
reverse topological order and applies the chain rule: child.grad += local * grad.

Events (contract in docs/events.md): while a listener is attached with
`micrograd.listen(...)`, every Value announces itself once built
(`value_created`; the Value itself tells its op, children and local grads; or,
cheaper, it is appended to the listener's `tape`, a plain list), and
`backward()` announces `backward_begin` with the visit order,
`before_chain_rule`/`after_chain_rule` around each node if a listener asked for
them, and `backward_end` with how many chain rules ran. With no listener attached each op pays one check of an
int.
"""

from __future__ import annotations

import math
from numbers import Real

from . import events as _events


class Value:
    """A scalar that remembers how it was computed, so gradients can flow back."""

    # micrograd kept each op's chain rule in a closure that refers back to `out`,
    # so every node sat in a reference cycle that only the cyclic GC could free
    # (~90% of its run time). We store plain fields instead: no cycles, no closures.
    __slots__ = ("data", "grad", "label", "_op", "_a", "_b", "_da", "_db", "_tag")

    def __init__(self, data, _children=(), _op="", label="", local_grads=()):
        self.data = _real(data, "Value data")
        self.grad = 0.0
        self.label = _text(label)
        self._op = _op
        self._a = self._b = self._da = self._db = None
        self._tag = None  # reserved for a listener (a recorder's node id); the engine never reads it
        if _children:
            _attach_children(self, tuple(_children), tuple(local_grads))
        if _events.active:
            _events.created(self)

    @property
    def _prev(self):
        """The children, one entry per edge (`x*x` has `x` twice)."""
        if self._a is None:
            return ()
        return (self._a,) if self._b is None else (self._a, self._b)

    @property
    def local_grads(self):
        """d(self)/d(child) for each child in `_prev`, computed when self was built."""
        if self._a is None:
            return ()
        return (self._da,) if self._b is None else (self._da, self._db)

    @property
    def is_leaf(self):
        return self._a is None

    # ------------------------------------------------------------------ primitive ops
    # Each op: coerce the other operand, build `out` from its value, its op name and
    # each child with its local derivative (`_result` announces it), return it.

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        # each child goes in with d out / d child: d(a+b)/da = 1, d(a+b)/db = 1
        return _result(self.data + other.data, "+", self, 1.0, other, 1.0)

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        # d(ab)/da = b, d(ab)/db = a
        return _result(self.data * other.data, "*", self, other.data, other, self.data)

    def __pow__(self, other):
        if isinstance(other, Value):
            return self._pow_value(other)
        k = _real(other, "exponent")
        x = self.data
        _check_real_power(x, k)
        if x == 0 and k < 0:
            raise ZeroDivisionError(
                f"0 ** {other}: zero cannot be raised to a negative power"
            )
        op = f"**{other}"  # micrograd's op name, e.g. '**2', '**-1'
        d = 0.0 if k == 0 else k * _ieee_pow(x, k - 1)  # d(x^k)/dx = k x^(k-1)
        return _result(_ieee_pow(x, k), op, self, d)

    def _pow_value(self, other):
        a, b = self.data, other.data
        _check_real_power(a, b)
        if a == 0 and b < 0:
            raise ZeroDivisionError(
                f"0 ** {b}: zero cannot be raised to a negative power"
            )
        y = _ieee_pow(a, b)
        da = 0.0 if b == 0 else b * _ieee_pow(a, b - 1)  # d(a^b)/da = b a^(b-1)
        db = _pow_exponent_derivative(a, b, y)  # d(a^b)/db = a^b ln a
        return _result(y, "pow", self, da, other, db)

    def relu(self):
        x = self.data
        y = 0.0 if x < 0 else x
        # d relu(x)/dx = [x > 0]; nan passes through, as in torch
        return _result(y, "ReLU", self, 0.0 if y <= 0 else 1.0)

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
                    v._backward()
                    applied += 1
                    if afters:
                        contributions = _contributions(v)
                        for after_chain_rule in afters:
                            after_chain_rule(v, contributions)
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
                    applied += 1
        finally:
            _events.backward_end(self, applied == len(order), applied)

    def _backward(self):
        # the chain rule at one node: each child gets local derivative * our grad
        a = self._a
        if a is not None:
            g = self.grad
            a.grad += self._da * g
            b = self._b
            if b is not None:
                b.grad += self._db * g

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
        # coerce first: numpy ints refuse ** -1, and a str should fail as a divisor
        k = other if isinstance(other, Value) else _real(other, "divisor")
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

    # numpy scalars (np.float64(2) * v) should hand over to our reflected ops
    # rather than wrap the Value in an object array.
    __array_ufunc__ = None

    def __repr__(self):
        if self.label:
            return f"Value(data={self.data}, grad={self.grad}, label={self.label!r})"
        return f"Value(data={self.data}, grad={self.grad})"


# ---------------------------------------------------------------------- helpers


_new = object.__new__  # looked up once: _result runs once per op


def _result(data, op, a, da, b=None, db=None):
    """A new interior node: its value, op name, and each child with d(node)/d(child).

    Every op builds its result here, so here is where listeners hear of it.
    """
    out = _new(Value)  # no __init__: every field is set right here
    out.data = data
    out.grad = 0.0
    out.label = ""
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
            if a is None:  # a leaf has no children to wait for
                emit(v)
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


def _contributions(v):
    """What v's chain rule added to each child's grad (for listeners)."""
    g = v.grad
    if v._a is None:
        return ()
    if v._b is None:
        return (v._da * g,)
    return (v._da * g, v._db * g)


def _real(x, what):
    if type(x) is float:
        return x
    if isinstance(x, Value):
        raise TypeError(
            f"{what} must be a number, got a Value ({x!r}); "
            "use the Value itself, or its .data to copy the number"
        )
    if isinstance(x, Real):  # int, bool, fractions, numpy integer and float scalars
        return float(x)
    if type(x).__module__ == "numpy" and type(x).__name__ in ("bool", "bool_"):
        return float(x)  # numpy bool (what `a > 0` gives) is not a numbers.Real
    raise TypeError(
        f"{what} must be a real number (int, float, bool or a numpy scalar), "
        f"got {type(x).__name__}: {x!r:.60}"
    )


def _text(label):
    if not isinstance(label, str):
        raise TypeError(
            f"label must be a str, got {type(label).__name__}: {label!r:.60}"
        )
    return label


def _attach_children(out, children, local_grads):
    if not all(isinstance(c, Value) for c in children):
        names = ", ".join(type(c).__name__ for c in children)
        raise TypeError(f"_children must be Values, got ({names})")
    if len(children) > 2:
        raise ValueError(
            f"a Value has at most 2 children, got {len(children)}; "
            "build the op from binary ones (a + b + c is (a + b) + c)"
        )
    if len(local_grads) != len(children):
        raise ValueError(
            f"a Value built from {len(children)} children needs local_grads with one "
            f"derivative per child, e.g. Value(x.data**3, (x,), 'cube', "
            f"local_grads=(3 * x.data**2,)); got {len(local_grads)}"
        )
    out._a = children[0]
    out._da = _real(local_grads[0], "local_grads[0]")
    if len(children) == 2:
        out._b = children[1]
        out._db = _real(local_grads[1], "local_grads[1]")


def _check_real_power(x, k):
    if x < 0 and not float(k).is_integer():
        raise ValueError(
            f"{x!r} ** {k!r} is not a real number (negative base, non-integer "
            "exponent); take the power of abs(x) and restore the sign yourself"
        )


def _ieee_pow(x, k):
    """x ** k, but overflow gives inf and 0 ** negative gives inf, as in IEEE and torch."""
    try:
        return x**k
    except (OverflowError, ZeroDivisionError):
        odd = float(k).is_integer() and k % 2 == 1
        return math.copysign(math.inf, x) if odd else math.inf


def _pow_exponent_derivative(a, b, out):
    # torch: d(a^b)/db = a^b ln a, and 0 where a == 0 and b >= 0; ln of a < 0 is nan
    if a > 0:
        return out * math.log(a)
    if a == 0 and b >= 0:
        return 0.0
    return math.nan
