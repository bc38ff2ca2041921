"""Closure ops recorded exactly: state at every event, breakpoints, files, and the shared graph.

A closure's effect is known only once it ran; the recorder keeps, per closure
edge, the child's grad right after it, and the replay sets that value. The live
witness (test_trace.py) reads every grad around each chain rule: the trace must
hold the very same floats.
"""

import copy
import math
import random

import numpy as np
import pytest
from hypothesis import given, settings
from test_breakpoints import record_with_pause
from test_engine import dags
from test_lecture import Closures, build, closure_program
from test_trace import LiveWitness, assert_trace_saw_what_the_witness_saw, random_graph

import mgdebug
import micrograd
from mgdebug import _locals, protocol
from micrograd import Value
from micrograd.nn import MLP


def record_with_witness(build):
    witness = LiveWitness()
    with mgdebug.record() as trace, micrograd.listen(witness):
        build()
    return trace, witness.runs


def set_instead_of_add(self, other):
    """The lecture's famous bug: `=` where `+=` belongs (a child used twice loses one)."""
    out = Value(self.data + other.data, (self, other), "+=bug")

    def _backward():
        self.grad = out.grad
        other.grad = out.grad

    out._backward = _backward
    return out


def test_closure_ops_replay_exactly_at_every_event_even_a_buggy_one():
    def program():
        a, b = Value(0.3, label="a"), Value(-1.2, label="b")
        c = Closures(0.7) * a  # a closure node over a leaf built before it
        d = set_instead_of_add(c.tanh(), a)  # a reaches the root twice
        e = Value(1.0, (a, b, d), "three", local_grads=(1.0, 2.0, 3.0))
        (d * d + e * b).backward()

    trace, runs = record_with_witness(program)
    assert trace.notices == []
    assert_trace_saw_what_the_witness_saw(trace, 0, runs[0])
    graph = trace.graph(0)
    ops = [trace.strings.ops[i] for i in graph.op]
    assert "+=bug" in ops and "three" in ops
    kinds = graph.numbers.columns["local_kind"]
    assert (kinds == _locals.CLOSURE).sum() == 2 + 2 + 1  # c, the bug, tanh's edges


@pytest.mark.parametrize("seed", range(6))
def test_random_graphs_mixing_closure_and_builtin_ops_replay_exactly(seed):
    rng = random.Random(seed)

    def program():
        root, leaves = random_graph(rng, 40)
        mixed = Closures(leaves[0].data) * root + Closures.tanh(root) * leaves[1]
        mixed.backward()

    trace, runs = record_with_witness(program)
    assert_trace_saw_what_the_witness_saw(trace, 0, runs[0])


@settings(max_examples=60, deadline=None)
@given(dags())
def test_closure_versions_of_the_builtin_ops_record_the_same_trace(dag):
    program = closure_program(dag)
    traces = []
    for kind in (Value, Closures):
        with mgdebug.record() as trace:
            build(kind, *program)[-1].backward()
        traces.append(trace)
    (builtin, closures), (g, h) = traces, (t.graph(0) for t in traces)
    for name in ("op", "child_ptr", "child", "visits", "data", "start_grad"):
        assert np.array_equal(getattr(g, name), getattr(h, name), equal_nan=True), name
    assert builtin.strings.ops.items == closures.strings.ops.items
    for t in range(builtin.num_events):
        a, b = builtin.state_at(t).grad, closures.state_at(t).grad
        assert np.array_equal(a.view(np.int64), b.view(np.int64)), t  # bit for bit


def test_a_closure_edge_shows_a_local_derivative_derived_from_what_it_did():
    x = Value(3.0)
    with mgdebug.record() as trace:
        y = Closures(2.0) * x  # d y / d x = 2
        sq = y * y  # built-in, two edges to y
        (Closures.tanh(sq) * 0.0 + y).backward()  # tanh's closure runs with grad 0
    graph = trace.graph(0)
    node = trace.find(y, 0)[0]
    lo = graph.child_ptr[node]
    assert graph.local[lo + 1] == 2.0  # (after - before) / grad, here exact
    tanh = int(np.flatnonzero([trace.strings.ops[i] == "tanh" for i in graph.op])[0])
    assert math.isnan(graph.local_of(tanh)[0])  # a grad of 0 tells nothing


def test_a_closure_that_changes_a_grad_outside_its_children_is_noticed():
    z = Value(1.0)

    def leaky(self):
        out = Value(self.data, (self,), "leaky")

        def _backward():
            self.grad += out.grad
            z.grad += 5.0  # z is not a child of out

        out._backward = _backward
        return out

    with mgdebug.record() as trace:
        (leaky(Value(2.0)) + z).backward()
    assert any("outside its node's children" in n for n in trace.notices)


def test_masks_replay_as_torch_masks():
    with mgdebug.record() as trace:
        a = Value(-1.0)
        b = Value(3.0)
        (a.relu() * math.inf + b**0 * math.inf + b).backward()
    end = trace.state_at(trace.num_events - 1)
    assert end.grad[end.node(a)] == 0.0 and end.grad[end.node(b)] == 1.0
    kinds = trace.graph(0).numbers.columns["local_kind"]
    assert (kinds == _locals.MASK).sum() == 2


def test_breakpoints_pause_and_step_at_closure_nodes():
    def body(pause):
        x = Value(0.5, label="x")
        y = Closures.tanh(Closures(2.0) * x) * x
        pause.watch(y)
        y.backward()

    trace, pause = record_with_pause(["step", "step", "continue"], "op:tanh", body)
    reasons = [info["reason"] for info, _ in pause.pauses]
    assert reasons[0].startswith("breakpoint op:tanh hit") and len(reasons) == 3
    assert reasons[1].startswith("stepped to") and len(pause.grads_at_pause) == 3
    assert pause.pauses[0][1]._op == "tanh"  # paused right before the closure ran


def test_closure_steps_save_load_and_reach_the_viewer_like_any_step(tmp_path):
    x = Value(0.25, label="x")
    with mgdebug.record() as trace:
        for _ in range(2):
            (Closures.tanh(x * 3.0) * set_instead_of_add(x, x)).backward()
    trace.save(tmp_path / "c.mgtrace")
    loaded = mgdebug.load(tmp_path / "c.mgtrace")
    for t in range(trace.num_events):
        assert np.array_equal(trace.state_at(t).grad, loaded.state_at(t).grad)
    reply, buffers = protocol.answer(trace, {"kind": "get_step", "step": 1, "id": 7})
    assert reply["kind"] == "step_data" and buffers
    columns = protocol.frontend_columns(trace.graph(1), with_structure=True)
    assert _locals.CLOSURE in columns["local_kind"]
    trace.to_html(tmp_path / "c.html")
    assert (tmp_path / "c.html").stat().st_size > 10_000


def test_seventy_thousand_distinct_op_names_in_one_step_are_recorded_saved_loaded(
    tmp_path,
):
    x = Value(1.0001)
    with mgdebug.record() as trace:
        total = x
        for i in range(70_000):
            total = total + x ** (1 + i / 1e5)  # '**1.0', '**1.00001', ...
        total.backward()
    assert len(trace.strings.ops) > 70_000 and trace.graph(0).op.dtype == "<u4"
    trace.save(tmp_path / "ops.mgtrace")
    loaded = mgdebug.load(tmp_path / "ops.mgtrace")
    g = loaded.graph(0)
    assert loaded.strings.ops[int(g.op[-3])] == f"**{1 + 69_999 / 1e5}"
    np.testing.assert_array_equal(
        loaded.state_at(loaded.num_events - 1).grad,
        trace.state_at(trace.num_events - 1).grad,
    )


# ---------------------------------------------------------------------- copies (issue 16)


def test_a_recorded_model_and_its_shifted_deepcopy_are_two_models_to_the_recorder():
    random.seed(3)
    m = MLP(2, [4, 1])
    xs = [Value(1.0), Value(-2.0)]
    with mgdebug.record() as trace:  # name m's parameters (tags) once
        m(xs).backward()
    twin = copy.deepcopy(m)
    for p in twin.parameters():
        p.data += 0.5
    with mgdebug.record() as both:
        m.zero_grad(), twin.zero_grad()
        (m(xs) * twin(xs)).backward()
    state = both.state_at(both.num_events - 1)
    pairs = list(zip(m.parameters(), twin.parameters()))
    for p in [*m.parameters(), *twin.parameters()]:
        (node,) = both.find(p, 0)
        assert state.grad[node] == p.grad  # each recorded grad is its own live one
    assert all(both.find(a, 0) != both.find(b, 0) for a, b in pairs)
    first, copied = pairs[0]
    history = both.parameter_history(copied)
    assert history["value"].tolist() == [copied.data] != [first.data]
    with pytest.raises(ValueError, match="pass the parameter"):
        both.parameter_history(first.label)  # one label, two models: ambiguous
    assert trace.parameter_history(first.label)["grad"].shape == (1,)
