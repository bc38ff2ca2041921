"""micrograd as people really use it: ops written the lecture's way, attributes, subclasses, numpy.

Everything here is accepted by karpathy's micrograd 0.1.0 (or its lecture code);
the engine must accept it too and give the same grads as PyTorch.
"""

import copy
import math
import pickle

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from test_engine import assert_same_as_torch, dags

from micrograd import Value
from micrograd.nn import MLP, Neuron

# ---------------------------------------------------------------------- the lecture's ops


class Closures(Value):
    """Every op written the lecture's way: a node, then its `_backward` closure.

    Each closure does the very float operations of the built-in op (local * grad,
    children in the same order), so the grads must come out equal bit for bit.
    """

    def __add__(self, other):
        other = other if isinstance(other, Value) else Closures(other)
        out = Closures(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += 1.0 * out.grad
            other.grad += 1.0 * out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Closures(other)
        out = Closures(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __pow__(self, k):
        out = Closures(self.data**k, (self,), f"**{k}")

        def _backward():
            self.grad += (k * self.data ** (k - 1)) * out.grad

        out._backward = _backward
        return out

    def tanh(self):
        t = math.tanh(self.data)
        out = Closures(t, (self,), "tanh")

        def _backward():
            self.grad += (1.0 - t * t) * out.grad

        out._backward = _backward
        return out

    def relu(self):
        out = Closures(0.0 if self.data < 0 else self.data, (self,), "ReLU")

        def _backward():
            self.grad += (0.0 if out.data <= 0 else 1.0) * out.grad

        out._backward = _backward
        return out

    def exp(self):
        e = math.exp(self.data)
        out = Closures(e, (self,), "exp")

        def _backward():
            self.grad += e * out.grad

        out._backward = _backward
        return out


# the DAG ops of test_engine, minus the two whose closures the class above leaves out
CLOSURE_OPS = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "x*x": lambda a, b: a * a,
    "tanh": lambda a, b: a.tanh(),
    "relu": lambda a, b: a.relu(),
    "exp": lambda a, b: a.tanh().exp(),
    "sqrt": lambda a, b: (a * a + 1) ** 0.5,
    "div": lambda a, b: a / (b * b + 1),
}


def build(kind, leaves, steps, roots):
    """The program on `kind` leaves: every node, root last."""
    nodes = [kind(x) for x in leaves]
    for op, i, j in steps:
        nodes.append(CLOSURE_OPS[op](nodes[i], nodes[j]))
    out = nodes[-1]
    for r in roots:
        out = out + nodes[r]
    nodes.append(out)
    return nodes


def closure_program(dag):
    leaves, steps, roots = dag
    steps = [(op if op in CLOSURE_OPS else "+", i, j) for op, i, j in steps]
    return leaves, steps, roots


@settings(max_examples=150, deadline=None)
@given(dags())
def test_closure_versions_of_the_builtin_ops_give_the_same_grads_bit_for_bit(dag):
    program = closure_program(dag)
    builtin, closures = build(Value, *program), build(Closures, *program)
    builtin[-1].backward()
    closures[-1].backward()
    assert [v.data for v in closures] == [v.data for v in builtin]
    grads = [(b.grad, c.grad) for b, c in zip(builtin, closures)]
    assert all(b == c or (math.isnan(b) and math.isnan(c)) for b, c in grads)


def test_the_lecture_neuron_matches_torch():
    # the lecture's neuron: x1*w1 + x2*w2 + b through a closure tanh
    def neuron(x1, x2, w1, w2, b):
        n = x1 * w1 + x2 * w2 + b
        return n.tanh() if isinstance(n, torch.Tensor) else Closures.tanh(n)

    assert_same_as_torch(neuron, [2.0, 0.0, -3.0, 1.0, 6.8813735870195432])


def test_an_op_monkeypatched_onto_value_works_like_micrograd():
    def cube(self):
        out = Value(self.data**3, (self,), "cube")

        def _backward():
            self.grad += 3 * self.data**2 * out.grad

        out._backward = _backward
        return out

    Value.cube = cube
    try:
        x = Value(2.0)
        y = x.cube() * 2 + x
        y.backward()
        assert x.grad == 25.0 and y._prev[0]._prev[0]._op == "cube"
    finally:
        del Value.cube


def test_a_closure_node_before_its_backward_is_assigned_passes_nothing_back():
    x = Value(2.0)
    y = Value(4.0, (x,), "sq")
    assert y._prev == (x,) and y.local_grads is None and not y.is_leaf
    y._backward()  # callable from the start, as micrograd's `lambda: None`
    (y * 3).backward()
    assert x.grad == 0.0 and y.grad == 3.0


def test_the_lectures_own_topological_loop_runs_builtin_and_closure_nodes():
    a, b = Value(0.5), Value(-1.5)
    y = Closures.tanh(a * b) * a  # a closure node inside built-in ones
    topo, visited = [], set()

    def build_topo(v):
        if v not in visited:
            visited.add(v)
            for child in v._prev:
                build_topo(child)
            topo.append(v)

    build_topo(y)
    y.grad = 1.0
    for node in reversed(topo):
        node._backward()
    got = (a.grad, b.grad)
    a.grad = b.grad = 0.0
    y.backward()
    assert got == (a.grad, b.grad)


def test_backward_can_be_assigned_on_a_builtin_node_and_prev_set_by_hand():
    x, w = Value(3.0), Value(2.0)
    y = x * w
    y._backward = lambda: setattr(x, "grad", x.grad + 100.0)  # replaces d(xw)/dx
    y.backward()
    assert (x.grad, w.grad) == (100.0, 0.0) and y.local_grads is None
    z = Value(5.0)
    z._prev = {x}  # micrograd's _prev is a set; lecture code may set it
    assert z._prev == (x,) and not z.is_leaf


# ---------------------------------------------------------------------- attributes, classes


def test_any_attribute_can_be_set_on_any_value():
    x = Value(1.0)
    y = x * 2
    y.name, y.note, x.color = "y", {"k": 1}, "red"
    assert (y.name, y.note, x.color) == ("y", {"k": 1}, "red")
    with pytest.raises(AttributeError):
        _ = Value(1.0).name


def test_a_lecture_style_subclass_builds_and_backpropagates():
    class Node(Value):
        def __init__(self, data, _children=(), _op="", label=""):
            super().__init__(data, _children, _op, label)
            self._backward = lambda: None  # as the lecture's __init__ does
            self.seen = True

    a, b = Node(2.0, label="a"), Node(3.0)
    c = a * b + a
    c.backward()
    assert isinstance(c, Value) and a.seen and (a.grad, b.grad) == (4.0, 2.0)


# ---------------------------------------------------------------------- numpy


def test_numpy_arrays_of_values_work_on_either_side():
    v = Value(2.0)
    left, right = np.array([1.0, 2.0]) * v, v * np.array([1.0, 2.0])
    for arr in (left, right, v + np.array([1.0, 2.0]), np.array([4.0, 2.0]) / v):
        assert arr.dtype == object and all(isinstance(e, Value) for e in arr)
    ws = np.array([Value(0.5), Value(-1.0)])
    xs = np.array([3.0, 4.0])
    out = np.dot(ws, xs) + np.float64(1.0) * v
    out.backward()
    assert out.data == -0.5 and [w.grad for w in ws] == [3.0, 4.0] and v.grad == 1.0


@pytest.mark.parametrize("scalar", [np.float64(2.0), np.int64(2), np.float32(2.0)])
def test_numpy_scalars_on_either_side_give_values(scalar):
    v = Value(3.0)
    for out in (scalar * v, v * scalar, scalar + v, scalar - v, scalar / v, v**scalar):
        assert isinstance(out, Value) and type(out.data) is float


# ---------------------------------------------------------------------- nn


@pytest.mark.parametrize(
    "nonlin, kind", [(0, "Linear"), (None, "Linear"), (1, "ReLU"), ("tanh", "Tanh")]
)
def test_neuron_nonlin_goes_by_truthiness_as_in_micrograd(nonlin, kind):
    n = Neuron(2, nonlin=nonlin)
    out = n([Value(-5.0), Value(-5.0)])
    assert repr(n).startswith(kind) and isinstance(out, Value)
    if kind == "Linear":
        assert out._op == "+"


def test_neuron_refuses_an_activation_name_it_does_not_know():
    with pytest.raises(ValueError, match="one of"):
        Neuron(2, nonlin="gelu")


def test_a_masking_local_derivative_reads_as_a_plain_zero():
    x = Value(-2.0)
    (d,) = x.relu().local_grads
    assert type(d) is float and d == 0.0
    assert math.isnan(d * math.inf)  # the mask acts inside backward only


# ---------------------------------------------------------------------- copies


def test_copies_are_new_nodes_to_a_listener_and_keep_everything_else():
    x = Value(1.5, label="w")
    x._tag, x.note = 12345, "kept"
    for copied in (copy.deepcopy(x), copy.copy(x), pickle.loads(pickle.dumps(x))):
        assert copied._tag is None and copied.label == "w" and copied.note == "kept"
    y = (x * -1).relu()
    z = copy.deepcopy(y * math.inf)
    z.backward()  # the copy's relu still masks: torch's 0, not nan
    assert z._prev[0]._prev[0].grad == 0.0


def test_a_deepcopied_model_backpropagates_on_its_own():
    m = MLP(2, [3, 1])
    twin = copy.deepcopy(m)
    twin([Value(1.0), Value(2.0)]).backward()
    assert all(p.grad == 0 for p in m.parameters())
    assert any(p.grad != 0 for p in twin.parameters())
