"""Your own micrograd, traced: `mgdebug.record(engine=...)` on a lecture-style class and on
karpathy's micrograd 0.1.0 itself, whose code is never changed.

The live witness (test_trace.py) hears the backward events the tracer sends and
reads every grad around each closure; the trace must hold the very same floats.
"""

import importlib.util
import math
import random
import subprocess
import sys
from pathlib import Path

import pytest
from test_breakpoints import ScriptedPause
from test_trace import LiveWitness, assert_trace_saw_what_the_witness_saw

import mgdebug
import micrograd
from mgdebug._record import recording
from mgdebug.breakpoints import parse_specs


class Value:
    """The backprop lecture's Value, as a student types it (label included)."""

    def __init__(self, data, _children=(), _op="", label=""):
        self.data = data
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = set(_children)
        self._op = _op
        self.label = label

    def __repr__(self):
        return f"Value(data={self.data})"

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += 1.0 * out.grad
            other.grad += 1.0 * out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __rmul__(self, other):
        return self * other

    def tanh(self):
        x = self.data
        t = (math.exp(2 * x) - 1) / (math.exp(2 * x) + 1)
        out = Value(t, (self,), "tanh")

        def _backward():
            self.grad += (1 - t**2) * out.grad

        out._backward = _backward
        return out

    def backward(self):
        topo = []
        visited = set()

        def build_topo(v):
            if v not in visited:
                visited.add(v)
                for child in v._prev:
                    build_topo(child)
                topo.append(v)

        build_topo(self)
        self.grad = 1.0
        for node in reversed(topo):
            node._backward()


def lecture_neuron(x1=2.0, x2=0.0, w1=-3.0, w2=1.0, b=6.8813735870195432):
    """The lecture's neuron: o = tanh(x1*w1 + x2*w2 + b), every input labelled."""
    leaves = {k: Value(v, label=k) for k, v in dict(x1=x1, x2=x2, w1=w1, w2=w2,
                                                    b=b).items()}  # fmt: skip
    n = leaves["x1"] * leaves["w1"] + leaves["x2"] * leaves["w2"] + leaves["b"]
    o = n.tanh()
    o.label = "o"
    return o, leaves


def test_a_lecture_class_is_recorded_exactly_and_restored():
    init, backward = Value.__dict__["__init__"], Value.__dict__["backward"]
    witness = LiveWitness()
    with mgdebug.record(engine=Value) as trace, micrograd.listen(witness):
        for _ in range(2):  # leaves from the first pass are imported by the second
            o, leaves = lecture_neuron()
            o.backward()
    assert Value.__dict__["__init__"] is init and Value.__dict__["backward"] is backward
    assert len(trace.steps) == 2 and trace.notices == []
    for step, run in enumerate(witness.runs):
        assert_trace_saw_what_the_witness_saw(trace, step, run)
    g = trace.graph(1)
    ops = [trace.strings.ops[i] for i in g.op[: g.n_created]]
    labels = [trace.strings.labels[i] for i in g.label[: g.n_created]]
    assert ops == ["", "", "", "", "", "*", "*", "+", "+", "tanh"]
    assert labels[:5] == ["x1", "x2", "w1", "w2", "b"] and labels[-1] == "o"
    x1w1 = g.child[g.child_ptr[5] : g.child_ptr[6]].tolist()
    assert x1w1 == [0, 2]  # the children in the order the constructor got them
    assert math.isclose(leaves["w1"].grad, 1.0) and trace.steps[1].loss == o.data


def test_the_class_is_restored_when_the_block_raises():
    init = Value.__dict__["__init__"]
    with pytest.raises(ZeroDivisionError), mgdebug.record(engine=(Value,)) as trace:
        lecture_neuron()[0].backward()
        raise ZeroDivisionError("user code failed")
    assert Value.__dict__["__init__"] is init and "backward" in Value.__dict__
    assert trace.error["type"] == "ZeroDivisionError" and len(trace.steps) == 1
    o, _ = lecture_neuron()  # untraced again: no listener hears it
    assert not hasattr(o, "_tag")


def test_nested_records_of_one_class_hand_its_nodes_to_the_innermost_once():
    init = Value.__dict__["__init__"]
    with mgdebug.record(engine=Value) as outer:
        with mgdebug.record(engine=Value) as inner:
            o, _ = lecture_neuron()
            o.backward()
        assert hasattr(Value.__init__, "__wrapped__")  # the outer block still traces
        o2, _ = lecture_neuron()
        o2.backward()
    assert Value.__dict__["__init__"] is init
    assert [s.num_created for s in inner.steps] == [10]  # each node once
    assert [s.num_created for s in outer.steps] == [10] and outer.notices == []
    end = inner.state_at(inner.num_events - 1)
    assert end.grad[end.node(o)] == 1.0


def test_a_breakpoint_pauses_inside_the_lecture_class_backward():
    def body(pause):
        o, _ = lecture_neuron()
        pause.watch(o)
        o.backward()

    trace = mgdebug.Trace()
    pause = ScriptedPause(trace, ["step", "continue"])
    with recording(trace, breakpoints=parse_specs("op:tanh"), pause=pause,
                   engines=(Value,)):  # fmt: skip
        body(pause)
    (first, node), (second, _) = pause.pauses
    assert node._op == "tanh" and first["reason"].startswith("breakpoint op:tanh")
    assert second["reason"].startswith("stepped to") and len(pause.grads_at_pause) == 2


def test_a_backward_that_runs_its_own_order_is_recorded_as_it_ran(monkeypatch):
    def backward(self):  # breadth first from the root: another topological order
        self.grad = 1.0
        order, seen, at = [self], {id(self)}, 0
        while at < len(order):
            for c in sorted(order[at]._prev, key=lambda c: c.data):
                if id(c) not in seen:
                    seen.add(id(c))
                    order.append(c)
            at += 1
        for v in order:
            v._backward()

    monkeypatch.setattr(Value, "backward", backward)
    with mgdebug.record(engine=Value) as trace:
        a, b = Value(2.0), Value(3.0)
        ab = a * b
        (ab * ab.tanh() + a).backward()
    assert any("its own order" in n for n in trace.notices)
    end = trace.state_at(trace.num_events - 1)
    assert end.grad[end.node(a)] == a.grad and end.grad[end.node(b)] == b.grad


@pytest.mark.parametrize(
    "engine, error, words",
    [
        ("Value", TypeError, "must be a class"),
        (micrograd.Value, ValueError, "traced already"),
        (int, TypeError, "no backward"),
    ],
)
def test_engine_must_be_a_micrograd_shaped_class(engine, error, words):
    with pytest.raises(error, match=words), mgdebug.record(engine=engine):
        pass


# ---------------------------------------------------------------------- micrograd 0.1.0


@pytest.fixture(scope="module")
def micrograd_010(tmp_path_factory):
    """karpathy's micrograd 0.1.0 wheel from PyPI, in a temporary folder, imported
    under its own module objects (our package has the same import name)."""
    folder = tmp_path_factory.mktemp("micrograd-0.1.0")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
         "--no-compile", "--target", str(folder), "micrograd==0.1.0"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    if done.returncode != 0:
        pytest.skip(
            f"could not install micrograd==0.1.0 from PyPI: {done.stderr[-300:]}"
        )
    return load_isolated(folder / "micrograd")


def load_isolated(package: Path):
    """Import the package at `package` as 'micrograd' for a moment, ours put back after."""
    ours = {k: m for k, m in sys.modules.items() if k.split(".")[0] == "micrograd"}
    try:
        for k in ours:
            del sys.modules[k]
        spec = importlib.util.spec_from_file_location(
            "micrograd", package / "__init__.py",
            submodule_search_locations=[str(package)],
        )  # fmt: skip
        module = importlib.util.module_from_spec(spec)
        sys.modules["micrograd"] = module
        spec.loader.exec_module(module)
        import micrograd.engine as engine  # theirs, while theirs is in sys.modules
        import micrograd.nn as nn

        assert Path(engine.__file__).parent == package
        return engine, nn
    finally:
        for k in [k for k in sys.modules if k.split(".")[0] == "micrograd"]:
            del sys.modules[k]
        sys.modules.update(ours)


def test_micrograd_010_training_steps_are_recorded_exactly(micrograd_010):
    engine, nn = micrograd_010
    assert engine.Value is not micrograd.Value and micrograd.Value.__module__ == (
        "micrograd.engine"
    )
    random.seed(1337)
    model = nn.MLP(2, [4, 4, 1])
    xs, ys = [[0.5, -1.2], [-0.3, 0.8], [1.1, 0.2]], [1, -1, 1]
    witness = LiveWitness()
    with mgdebug.record(engine=engine.Value) as trace, micrograd.listen(witness):
        for k in range(3):
            scores = [model(list(map(engine.Value, x))) for x in xs]
            losses = [(1 + -y * s).relu() for y, s in zip(ys, scores)]
            loss = sum(losses) * (1.0 / len(losses))
            model.zero_grad()
            loss.backward()
            for p in model.parameters():
                p.data -= (1.0 - 0.9 * k / 100) * p.grad
    assert len(trace.steps) == 3 and trace.notices == [] and trace.error is None
    for step, run in enumerate(witness.runs):
        assert_trace_saw_what_the_witness_saw(trace, step, run)
    assert trace.steps[2].loss == loss.data
    # every parameter: one entity in every step, its last grad as it is live
    end = trace.state_at(trace.num_events - 1)
    for p in model.parameters():
        (node,) = trace.find(p, 2)
        assert end.grad[node] == p.grad
    entities = [sorted(s.param_entity) for s in trace.steps]
    assert len(entities[0]) == len(model.parameters()) and entities[0] == entities[2]
    assert "backward" in engine.Value.__dict__ and not hasattr(
        engine.Value.__init__, "__wrapped__"
    )  # restored: their own code again


# ---------------------------------------------------------------------- %%mgtrace


@pytest.fixture(scope="module")
def ip():
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.testing.globalipapp import start_ipython

    start_ipython()
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "mgdebug")
    shell.user_ns["Value"] = Value  # the notebook defined its own Value
    shell.user_ns["lecture_neuron"] = lecture_neuron
    return shell


def test_mgtrace_finds_a_micrograd_style_class_the_cell_uses_and_says_so(ip, capsys):
    ip.run_cell_magic(
        "mgtrace", "--name mine", "o, _ = lecture_neuron()\no.backward()\n"
    )
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if "micrograd-style" in line]
    assert len(lines) == 1 and "tracing Value" in lines[0]
    trace = ip.user_ns["mine"]
    assert trace.steps[0].num_created == 10 and trace.steps[0].has_backward
    assert not hasattr(Value.__init__, "__wrapped__")  # restored after the cell


def test_mgtrace_says_nothing_when_the_cell_uses_only_micrograd(ip, capsys):
    ip.run_cell("from micrograd.engine import Value as Ours")
    ip.run_cell_magic("mgtrace", "--name ours", "y = Ours(2.0) * 3\ny.backward()\n")
    assert "micrograd-style" not in capsys.readouterr().out
    assert ip.user_ns["ours"].steps[0].num_created == 3


def test_mgtrace_engine_option_names_the_class_and_refuses_unknown_names(ip, capsys):
    from IPython.core.error import UsageError

    ip.run_cell_magic("mgtrace", "--engine Value --name chosen",
                      "o, _ = lecture_neuron()\no.backward()\n")  # fmt: skip
    assert "micrograd-style" not in capsys.readouterr().out  # chosen: no line
    assert ip.user_ns["chosen"].steps[0].num_created == 10
    with pytest.raises(UsageError, match="no such name"):
        ip.run_cell_magic("mgtrace", "--engine Nope", "pass\n")
    with pytest.raises(UsageError, match="must be a class"):
        ip.run_cell_magic("mgtrace", "--engine lecture_neuron", "pass\n")
