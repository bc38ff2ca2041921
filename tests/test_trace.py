"""The trace as data: state at any event against a live witness, lookups, files, Perfetto.

The witness is an independent listener that reads every grad live around each
chain rule; the trace must replay exactly what it saw, bit for bit.
"""

import json
import math
import pickle
import random
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from demo_helpers import demo_setup, demo_step

import mgdebug
import micrograd
from mgdebug import _anomaly, _batch, _bundle, _replay
from micrograd import Value
from micrograd.nn import MLP

MAGIC = b"MGTRACE\0"  # docs/trace-format.md, "Trace files"


class LiveWitness:
    """Reads grads live: at backward begin, after each chain rule, and at the end."""

    def __init__(self, snapshots=None, seed=0):
        self.snapshots = (
            snapshots  # full snapshots per backward (None: after every visit)
        )
        self.rng = random.Random(seed)
        self.runs = []

    def backward_begin(self, root, order):
        n = len(order)
        picked = (
            range(n)
            if self.snapshots is None
            else self.rng.sample(range(n), self.snapshots)
        )
        self.run = {
            "order": list(order),
            "begin": [v.grad for v in order],
            "children": [],  # per visit: (node, its children's grads right after its rule)
            "full": {j: None for j in picked},  # visit -> every grad right after it
        }
        self.runs.append(self.run)

    def after_chain_rule(self, node, contributions):
        run = self.run
        j = len(run["children"])
        run["children"].append((node, [c.grad for c in node._prev]))
        if j in run["full"]:
            run["full"][j] = [v.grad for v in run["order"]]

    def backward_end(self, root, completed, applied):
        self.run["end"] = [v.grad for v in self.run["order"]]
        self.run["data"] = [v.data for v in self.run["order"]]


def node_ids(trace, step, values):
    """Each live Value's node id in `step`, found by the trace's own lookup."""
    state = trace.state_at(int(trace.event_offsets[step]))
    return np.array([state.node(v) for v in values])


def ids_of(trace, step, run):
    """node_ids of a witnessed backward's nodes, computed once."""
    if "ids" not in run:
        run["ids"] = node_ids(trace, step, run["order"])
    return run["ids"]


def assert_trace_saw_what_the_witness_saw(trace, step, run, every_visit=True):
    """Grads at backward begin, after the witnessed visits and at the end, exactly."""
    begin = int(trace.event_offsets[step]) + trace.steps[step].num_created
    ids = ids_of(trace, step, run)
    state = trace.state_at(begin)
    assert state.phase == "backward" and state.current_node is None
    np.testing.assert_array_equal(state.grad[ids], run["begin"])
    np.testing.assert_array_equal(state.value[ids], run["data"])
    for j, live in run["full"].items():
        np.testing.assert_array_equal(trace.state_at(begin + 1 + j).grad[ids], live)
    if (
        every_visit
    ):  # each chain rule's effect on its children, stepping one event at a time
        where = {id(v): i for v, i in zip(run["order"], ids, strict=True)}
        for j, (node, live) in enumerate(run["children"]):
            state = state.move(begin + 1 + j)
            assert state.current_node == where[id(node)]
            seen = state.grad[[where[id(c)] for c in node._prev]].tolist()
            if seen != live:  # (the nan-aware check only when a plain == fails: speed)
                np.testing.assert_array_equal(seen, live)
    end = trace.state_at(begin + trace.steps[step].num_visits)
    np.testing.assert_array_equal(end.grad[ids], run["end"])


# ---------------------------------------------------------------------- small graphs


def random_graph(rng, n_ops):
    """A random expression DAG with shared nodes and self-edges, over every op."""
    pool = [Value(rng.uniform(-2, 2), label=f"x{i}") for i in range(4)]
    for _ in range(n_ops):
        a, b = rng.choice(pool), rng.choice(pool)
        op = rng.choice(
            ["+", "*", "self*", "relu", "tanh", "exp", "pow", "sigmoid", "-", "/"]
        )
        if op == "+":
            out = a + b
        elif op == "*":
            out = a * b
        elif op == "self*":
            out = a * a
        elif op == "relu":
            out = a.relu()
        elif op == "tanh":
            out = a.tanh()
        elif op == "exp":
            out = (a * 0.1).exp()
        elif op == "pow":
            out = a**2
        elif op == "sigmoid":
            out = a.sigmoid()
        elif op == "-":
            out = a - b
        else:
            out = a / (b * b + 1.0)
        pool.append(out)
    return pool[-1] + pool[-2] * pool[-3], pool[:4]


def record_with_witness(build, snapshots=None):
    witness = LiveWitness(snapshots)
    with mgdebug.record() as trace, micrograd.listen(witness):
        build()
    return trace, witness.runs


def test_a_times_b_plus_a_at_every_event():
    def build():
        a, b = Value(2.0, label="a"), Value(3.0, label="b")
        (a * b + a).backward()

    trace, runs = record_with_witness(build)
    assert trace.num_events == 9
    grads = [trace.state_at(t).grad.tolist() for t in range(9)]
    # nodes a, b, a*b, c; events: 4 built, backward begins, visits c, a*b, b, a
    assert grads == [[0.0] * 4] * 4 + [
        [0.0, 0.0, 0.0, 1.0],
        [1.0, 0.0, 1.0, 1.0],
        [4.0, 2.0, 1.0, 1.0],
        [4.0, 2.0, 1.0, 1.0],
        [4.0, 2.0, 1.0, 1.0],
    ]
    exists = [trace.state_at(t).exists.tolist() for t in range(4)]
    assert exists == [
        [True] + [False] * 3,
        [True] * 2 + [False] * 2,
        [True] * 3 + [False],
        [True] * 4,
    ]
    assert [trace.state_at(t).current_node for t in range(9)] == [
        0,
        1,
        2,
        3,
        None,
        3,
        2,
        1,
        0,
    ]
    assert [trace.state_at(t).phase for t in (3, 4)] == ["forward", "backward"]
    assert_trace_saw_what_the_witness_saw(trace, 0, runs[0])


def test_x_times_x_adds_both_edges_in_one_event():
    def build():
        x = Value(3.0)
        (x * x).backward()

    trace, runs = record_with_witness(build)
    assert [trace.state_at(t).grad.tolist() for t in (2, 3)] == [[0.0, 1.0], [6.0, 1.0]]
    assert_trace_saw_what_the_witness_saw(trace, 0, runs[0])


@pytest.mark.parametrize("seed", range(6))
def test_random_graphs_replay_exactly_at_every_event(seed):
    rng = random.Random(seed)

    def build():
        out, leaves = random_graph(rng, 40)
        leaves[0].grad = 0.25  # a leaf that holds a grad from before: it accumulates
        out.backward()
        out.backward()  # and a second backward over the same graph

    trace, runs = record_with_witness(build)
    assert len(trace.steps) == len(runs) == 2
    for step, run in enumerate(runs):
        assert_trace_saw_what_the_witness_saw(trace, step, run)


def test_nan_and_inf_grads_replay_as_they_happened():
    def build():
        x = Value(1000.0)
        y = x.exp() * 0.0 + x  # exp overflows to inf; inf * 0 gives a nan grad to x
        y.backward()

    trace, runs = record_with_witness(build)
    end = trace.state_at(trace.num_events - 1)
    assert np.isnan(end.grad[0]) and np.isinf(end.value[1])
    assert_trace_saw_what_the_witness_saw(trace, 0, runs[0])


class ReplayPaths:
    """Counts which replay strategy ran: numpy levels or the edge-by-edge loop."""

    def __init__(self, monkeypatch):
        self.by_level = self.in_order = 0
        for name in ("_contributions_by_level", "_running_sums_in_order"):
            real = getattr(_replay, name)
            monkeypatch.setattr(_replay, name, self._counting(name, real))

    def _counting(self, name, real):
        def wrapper(*args):
            if name == "_contributions_by_level":
                self.by_level += 1
            else:
                self.in_order += 1
            return real(*args)

        return wrapper


def assert_both_replays_agree_bit_for_bit(graph, monkeypatch):
    monkeypatch.setattr(_replay, "_level_budget", lambda edges: edges)  # levels always
    paths = ReplayPaths(monkeypatch)
    by_level = _replay.BackwardReplay(graph)
    assert paths.by_level == 1
    monkeypatch.setattr(_replay, "_MAX_ROUNDS", -1)  # forces the edge-by-edge loop
    in_order = _replay.BackwardReplay(graph)
    monkeypatch.undo()
    for name in ("after", "before", "final"):
        a, b = getattr(by_level, name), getattr(in_order, name)
        assert a.view(np.int64).tolist() == b.view(np.int64).tolist(), name


@pytest.mark.parametrize("seed", range(4))
def test_numpy_replay_and_edge_by_edge_replay_give_the_same_bits(seed, monkeypatch):
    rng = random.Random(seed)
    with mgdebug.record() as trace:
        for _ in range(3):
            out, leaves = random_graph(rng, 200)
            (out * Value(math.inf) + leaves[0]).backward()  # inf and nan on the way
    for step in range(3):
        assert_both_replays_agree_bit_for_bit(trace.graph(step), monkeypatch)


def test_the_demo_step_replays_by_levels_and_agrees_with_the_loop(monkeypatch):
    X, y, model = demo_setup()
    with mgdebug.record() as trace:
        demo_step(model, X, y, 0)
    paths = ReplayPaths(monkeypatch)
    trace.replay(0)
    assert paths.by_level == 1 and paths.in_order == 0
    monkeypatch.undo()
    assert_both_replays_agree_bit_for_bit(trace.graph(0), monkeypatch)


@pytest.mark.parametrize("shape", ["long chain", "one node with 1,000 parents"])
def test_graphs_the_numpy_replay_declines_replay_edge_by_edge_exactly(
    shape, monkeypatch
):
    def build():
        x = Value(0.5, label="x")
        y = Value(0.0)
        for i in range(1000):
            # a chain 2,000 levels deep, or x feeding 1,000 products
            y = y * 0.999 + x if shape == "long chain" else y + x * (i % 7 - 3)
        y.backward()

    trace, runs = record_with_witness(build)
    paths = ReplayPaths(monkeypatch)
    assert_trace_saw_what_the_witness_saw(trace, 0, runs[0])
    assert paths.in_order == 1 and paths.by_level == 0


def one_op(op, a, b):
    if op in ("+", "*", "-"):
        return a + b if op == "+" else a * b if op == "*" else a - b
    if op == "self*":
        return a * a
    return a.tanh() if op == "tanh" else a.relu() if op == "relu" else (a * 400.0).exp()


def shared_steps(seed, steps, shape="random"):
    """`steps` training steps of one structure: the same ops each step on four
    parameters that SGD changes, so every step has its own numbers."""
    params = [Value(random.Random(seed + i).uniform(-2, 2)) for i in range(4)]
    with mgdebug.record() as trace:
        for _ in range(steps):
            rng = random.Random(seed)
            pool = list(params)
            for i in range(300 if shape == "random" else 1000):
                a, b = rng.choice(pool), rng.choice(pool)
                if shape == "long chain":
                    out = pool[-1] * 0.999 + params[i % 4]
                else:
                    op = rng.choice(["+", "*", "self*", "tanh", "relu", "-", "exp"])
                    out = one_op(op, a, b)
                pool.append(out)
            loss = pool[-1] + pool[-2] * pool[-3]
            for p in params:
                p.grad = 0.0
            loss.backward()
            for p in params:
                p.data -= 0.01 * p.grad if math.isfinite(p.grad) else 0.5
    return trace


@pytest.mark.parametrize(
    "seed, shape", [(1, "random"), (2, "random"), (3, "random"), (4, "long chain")]
)
def test_final_grads_of_many_steps_at_once_are_each_steps_own_bit_for_bit(seed, shape):
    trace = shared_steps(seed, 6, shape)
    assert len({id(trace.graph(k).structure) for k in range(6)}) == 1
    (batch,) = _batch.batches(trace, trace.kept_steps(), grads=True)
    assert batch.steps.tolist() == list(range(6))
    seen_inf = False
    for row, step in enumerate(batch.steps.tolist()):
        replay = trace.replay(step)
        np.testing.assert_array_equal(batch.final[row], replay.final)
        np.testing.assert_array_equal(batch.start[row], replay.start)
        np.testing.assert_array_equal(batch.data[row], trace.graph(step).data)
        seen_inf |= not np.isfinite(replay.final).all()
    assert seen_inf or shape == "long chain"  # exp(400 x) overflows somewhere


def test_first_nonfinite_over_many_steps_finds_what_a_step_by_step_search_finds():
    for seed in range(1, 6):
        trace = shared_steps(seed, 5)
        expected = None
        for step in trace.kept_steps():  # the definition, one step at a time
            graph, offset = trace.graph(step), trace.event_offset(step)
            expected = _anomaly._forward_birth(
                trace, step, graph, offset
            ) or _anomaly._backward_birth(trace, step, graph, offset)
            if expected:
                expected["steps_not_searched"] = []
                break
        assert trace.first_nonfinite() == expected


def test_first_nonfinite_over_many_steps_of_two_structures_finds_the_first_birth():
    w = Value(1.0, label="w")
    with mgdebug.record() as trace:
        for k in range(60):
            w.data = 0.0 if k in (37, 52) else 1.0 + k  # d sqrt(w)/dw = inf at 0
            out = w**0.5 + w * 2.0
            if k % 2:
                out = out * 3.0  # odd steps: a second structure
            w.grad = 0.0
            out.backward()
    found = trace.first_nonfinite()
    assert (found["phase"], found["step"], found["steps_not_searched"]) == (
        "backward",
        37,
        [],
    )
    assert found["what"] == "chain rule of #0 (**0.5) gave w (leaf) inf * 3.0 = inf"


def test_before_backward_every_grad_reads_zero_and_nodes_appear_as_built():
    x = Value(2.0)
    x.grad = 5.0  # held from before: the trace shows it only once backward begins
    with mgdebug.record() as trace:
        y = x * 3.0
        z = y + 1.0
        z.backward()
    g = trace.graph(0)
    imported = g.num_nodes - 1  # x is imported: it exists from the step's start
    for t in range(g.n_created):
        state = trace.state_at(t)
        assert state.grad.tolist() == [0.0] * g.num_nodes
        assert state.exists.tolist() == [i <= t for i in range(g.n_created)] + [True]
    assert trace.state_at(g.n_created).grad[imported] == 5.0
    assert trace.state_at(trace.num_events - 1).grad_of(x) == x.grad == 8.0


# ---------------------------------------------------------------------- the demo, exactly


@pytest.fixture(scope="module")
def demo():
    """Two demo steps recorded with a live witness (20 full snapshots per backward)."""
    X, y, model = demo_setup()
    witness = LiveWitness(snapshots=20)
    with mgdebug.record() as trace, micrograd.listen(witness):
        for k in range(2):
            demo_step(model, X, y, k)
    return trace, witness.runs


def test_demo_grads_at_each_backward_end_equal_the_live_grads(demo):
    trace, runs = demo
    assert len(trace.steps) == 2 and trace.steps[0].num_visits > 65_000
    for step, run in enumerate(runs):
        end = trace.state_at(int(trace.event_offsets[step + 1]) - 1)
        ids = ids_of(trace, step, run)
        np.testing.assert_array_equal(end.grad[ids], run["end"])


def test_demo_grads_mid_backward_equal_what_a_live_listener_saw(demo):
    trace, runs = demo
    assert_trace_saw_what_the_witness_saw(trace, 0, runs[0], every_visit=True)
    assert_trace_saw_what_the_witness_saw(trace, 1, runs[1], every_visit=False)


# ---------------------------------------------------------------------- State.move


def three_steps():
    rng = random.Random(7)
    with mgdebug.record() as trace:
        w = [Value(rng.uniform(-1, 1), label=f"w{i}") for i in range(3)]
        for _ in range(3):
            out, _ = random_graph(rng, 25)
            loss = out * w[0] + w[1] * w[2]
            loss.backward()
        w[0] * 2.0  # a trailing forward-only step
    return trace


def assert_same_state(a, b):
    assert (a.t, a.step, a.phase, a.current_node) == (
        b.t,
        b.step,
        b.phase,
        b.current_node,
    )
    np.testing.assert_array_equal(a.exists, b.exists)
    np.testing.assert_array_equal(a.value, b.value)
    np.testing.assert_array_equal(a.grad, b.grad)


def test_state_move_one_event_at_a_time_forward_and_back_equals_state_at():
    trace = three_steps()
    n = trace.num_events
    state = trace.state_at(0)
    for t in [*range(1, n), *range(n - 2, -1, -1)]:
        state = state.move(t)
        assert_same_state(state, trace.state_at(t))


def test_state_move_by_random_jumps_equals_state_at():
    trace = three_steps()
    rng = random.Random(1)
    state = trace.state_at(0)
    for _ in range(300):
        t = rng.randrange(trace.num_events)
        if rng.random() < 0.5:  # mostly near jumps within a step, long ones too
            t = min(max(state.t + rng.randint(-90, 90), 0), trace.num_events - 1)
        state = state.move(t)
        assert_same_state(state, trace.state_at(t))


def test_state_at_outside_the_trace_raises_index_error():
    trace = three_steps()
    with pytest.raises(IndexError, match="outside this trace"):
        trace.state_at(trace.num_events)
    with pytest.raises(IndexError):
        trace.state_at(-1)


@pytest.mark.parametrize("t", [1.5, "3", None, True, [2]])
def test_an_event_that_is_not_an_int_is_a_clear_type_error(t):
    trace = three_steps()
    with pytest.raises(TypeError, match="expected an event number \\(an int\\), got"):
        trace.state_at(t)
    with pytest.raises(TypeError, match="expected an event number"):
        trace.state_at(0).move(t)
    with pytest.raises(TypeError, match="expected a step number \\(an int\\), got"):
        trace.graph(t)


def test_numpy_integers_are_events_and_steps_too():
    trace = three_steps()
    last = np.int64(trace.num_events - 1)
    assert trace.state_at(last).t == trace.state_at(int(last)).t
    assert trace.graph(np.int32(1)).n_created == trace.steps[1].num_created


# ---------------------------------------------------------------------- lookups


@pytest.fixture
def labelled():
    with mgdebug.record() as trace:
        w1, w2 = Value(2.0, label="w1"), Value(-1.0, label="w2")
        x = Value(3.0, label="x")
        h = w1 * x + w2 * x
        h.label = "h"
        h.backward()
    return trace, (w1, w2, x, h)


def test_nodes_are_found_by_value_id_label_and_label_glob(labelled):
    trace, (w1, w2, x, h) = labelled
    state = trace.state_at(trace.num_events - 1)
    assert trace.find(w1, 0).tolist() == [0]
    assert trace.find(3, 0).tolist() == [3]
    assert trace.find("x", 0).tolist() == [2]
    assert trace.find("w*", 0).tolist() == [0, 1]
    assert trace.find("w[2]", 0).tolist() == [1]
    assert trace.find("nothing*", 0).tolist() == []
    assert state.node(h) == state.node("h") == 5
    assert (state.grad_of("w1"), state.grad_of(w2), state.grad_of(x)) == (3.0, 3.0, 1.0)
    assert state.value_of("h") == 3.0
    assert state.grads_of("w?") == {0: 3.0, 1: 3.0}
    assert trace.describe(0, 5) == "h (+)" and trace.describe(0, 3) == "#3 (*)"


def test_lookups_that_find_nothing_or_too_much_say_so(labelled):
    trace, _ = labelled
    state = trace.state_at(trace.num_events - 1)
    with pytest.raises(KeyError, match="no node matches 'nope' in step 0"):
        state.node("nope")
    with pytest.raises(KeyError, match="2 nodes match 'w\\*' in step 0; use grads_of"):
        state.grad_of("w*")
    with pytest.raises(KeyError, match="no node matches"):
        state.node(Value(1.0))  # a Value this trace never met
    with pytest.raises(IndexError, match="node 99 is outside step 0"):
        state.node(99)
    with pytest.raises(TypeError, match="find a node by Value, node id"):
        state.node(2.5)


def test_a_value_built_in_a_later_step_is_not_in_an_earlier_one():
    with mgdebug.record() as trace:
        a = Value(1.0)
        (a * 2.0).backward()
        b = a * 3.0
        b.backward()
    assert trace.find(b, 0).tolist() == []
    assert trace.find(b, 1).tolist() == [1]
    assert trace.find(a, 1).size == 1  # imported into step 1 under its identity


# ---------------------------------------------------------------------- across steps


def test_parameter_history_and_loss_curve_follow_a_five_step_sgd_loop():
    random.seed(3)
    model = MLP(2, [4, 1])
    data = [([1.0, -2.0], 1.0), ([0.5, 0.3], -1.0), ([-1.5, 2.0], 1.0)]
    live_loss, live = [], {name: [] for name, _ in model.named_parameters()}
    with mgdebug.record() as trace:
        for _ in range(5):
            loss = sum((model(list(map(Value, x))) - y) ** 2 for x, y in data)
            model.zero_grad()
            loss.backward()
            live_loss.append(loss.data)
            for name, p in model.named_parameters():
                live[name].append((p.data, p.grad))
            for p in model.parameters():
                p.data -= 0.05 * p.grad
    assert trace.loss_curve().tolist() == live_loss
    assert trace.parameter_names() == sorted(live)
    for name, seen in live.items():
        history = trace.parameter_history(name)
        assert history["step"].tolist() == [0, 1, 2, 3, 4]
        assert history["value"].tolist() == [v for v, _ in seen]
        assert history["grad"].tolist() == [g for _, g in seen]
    with pytest.raises(
        KeyError, match="no parameter labelled 'layers.0.neurons.9.w.0'"
    ):
        trace.parameter_history("layers.0.neurons.9.w.0")


def test_parameter_history_takes_a_label_or_the_value_and_refuses_anything_else():
    w = Value(0.5, label="w")
    unnamed = Value(2.0)
    with mgdebug.record() as trace:
        for _ in range(3):
            (w * unnamed).backward()
    by_label, by_value = trace.parameter_history("w"), trace.parameter_history(w)
    for key in ("step", "value", "grad"):
        np.testing.assert_array_equal(by_label[key], by_value[key])
    assert trace.parameter_history(unnamed)["grad"].tolist() == [0.5, 1.0, 1.5]
    for wrong in (None, 3, b"w", ["w"]):
        with pytest.raises(TypeError, match="takes a parameter's label .* got"):
            trace.parameter_history(wrong)
    with pytest.raises(KeyError, match="did you mean one of \\['w'\\]"):
        trace.parameter_history("ww")
    with pytest.raises(KeyError, match="is not a parameter of this trace"):
        trace.parameter_history(Value(1.0))


# ---------------------------------------------------------------------- save and load


def rich_trace():
    """Every kind of content: scopes, labels, source lines, summaries, a tail, an error."""
    random.seed(5)
    model = MLP(2, [3, 1])
    with pytest.raises(ZeroDivisionError):
        with mgdebug.record(source=True) as trace:
            for k in range(3):
                loss = (model([Value(1.0), Value(float(k))]) - 1.0) ** 2
                loss.label = "loss"
                model.zero_grad()
                loss.backward()
                for p in model.parameters():
                    p.data -= 0.1 * p.grad
            model([Value(2.0), Value(3.0)]) / 0.0
    return trace


def capped_trace():
    w = [Value(0.5, label="w0"), Value(-0.5, label="w1")]
    with pytest.warns(mgdebug.RecordingCapWarning):
        with mgdebug.record(
            max_nodes=6
        ) as trace:  # 300 bytes: two steps, and the latest
            for k in range(5):
                (w[0] * float(k) + w[1] * w[1]).backward()
    return trace


def assert_same_trace(a, b):
    assert len(a.steps) == len(b.steps)
    for s, t in zip(a.steps, b.steps, strict=True):
        for name in vars(s):
            x, y = getattr(s, name), getattr(t, name)
            assert x == y or (name == "loss" and np.isnan(x) and np.isnan(y)), name
    assert a.event_offsets.tolist() == b.event_offsets.tolist()
    assert a.kept_steps() == b.kept_steps()
    for table in ("ops", "scopes", "labels", "files"):
        assert getattr(a.strings, table).items == getattr(b.strings, table).items
    assert (a.error, a.notices) == (b.error, b.notices)
    assert a.parameter_names() == b.parameter_names()
    for name in a.parameter_names():
        for key, column in a.parameter_history(name).items():
            np.testing.assert_array_equal(column, b.parameter_history(name)[key])
    for step in a.kept_steps():
        ga, gb = a.graph(step), b.graph(step)
        assert (ga.n_created, ga.entity_base) == (gb.n_created, gb.entity_base)
        assert ga.columns.keys() == gb.columns.keys()
        for name, column in ga.columns.items():
            assert column.dtype == gb.columns[name].dtype, name
            np.testing.assert_array_equal(column, gb.columns[name])
        for t in range(int(a.event_offsets[step]), int(a.event_offsets[step + 1])):
            sa, sb = a.state_at(t), b.state_at(t)
            assert_same_state(sa, sb)


def test_save_then_load_gives_the_same_trace_and_states(tmp_path):
    for i, trace in enumerate((rich_trace(), capped_trace(), three_steps())):
        path = tmp_path / f"t{i}.mgtrace"
        trace.save(path)
        loaded = mgdebug.load(path)
        assert_same_trace(trace, loaded)
        loaded.save(tmp_path / "again.mgtrace")  # and it saves back byte for byte
        assert (tmp_path / "again.mgtrace").read_bytes() == path.read_bytes()
    assert loaded.error is None and trace.kept_steps() == [0, 1, 2, 3]


def format1_run():
    """What tests/fixtures/format1.mgtrace recorded (written by mgdebug 0.1.0 before
    structures were shared): three steps of a tiny MLP, keep_every=2."""
    random.seed(0)
    model = MLP(2, [3, 1])
    with mgdebug.record(keep_every=2) as trace:
        for _ in range(3):
            with micrograd.scope("loss"):
                loss = (model([Value(1.0), Value(-2.0)]) - 1) ** 2
            model.zero_grad()
            loss.backward()
            for p in model.parameters():
                p.data -= 0.1 * p.grad
    return trace


def test_a_run_of_any_length_saves_a_small_header_and_loads(tmp_path):
    """Summaries and numbers are columns: 100k kept steps (a per-sample SGD loop on
    a tiny model) load like 2 do. Format 2 kept ~190 header bytes of summary and
    five column entries per step, and could not load past ~20k kept steps."""
    w = Value(0.5, label="w")
    with mgdebug.record() as one:
        (w * 2.0 + 1.0).tanh().backward()
    graph, first = one.graph(0), one.steps[0]

    def header_bytes(steps):
        trace = mgdebug.Trace()
        trace.strings = one.strings
        for k in range(steps):
            summary = mgdebug.trace.StepSummary(k, 0.5, True, True, first.num_created,
                                                first.num_visits, k, k, k, [7], [0.5],
                                                [0.25])  # fmt: skip
            trace.add_step(summary, graph, permanent=True)
        trace.save(tmp_path / "long.mgtrace")
        data = (tmp_path / "long.mgtrace").read_bytes()
        loaded = mgdebug.load(tmp_path / "long.mgtrace")
        assert len(loaded.kept_steps()) == steps and loaded.steps[-1].started_ns == k
        assert loaded.state_at(loaded.num_events - 1).grad.tolist() == (
            one.state_at(one.num_events - 1).grad.tolist()
        )
        return struct.unpack_from("<I", data, len(MAGIC) + 4)[0]

    assert header_bytes(100_000) < header_bytes(2) + 200  # only the shapes grow


def test_a_format_1_file_loads_and_replays_like_a_new_recording(tmp_path):
    old = mgdebug.load(Path(__file__).parent / "fixtures" / "format1.mgtrace")
    new = format1_run()
    assert old.loss_curve().tolist() == new.loss_curve().tolist()
    assert old.kept_steps() == new.kept_steps() == [0, 2]
    assert old.graph(2).structure is old.graph(0).structure  # shared once loaded
    for step in (0, 2):
        for t in range(int(new.event_offsets[step]), int(new.event_offsets[step + 1])):
            assert_same_state(old.state_at(t), new.state_at(t))
    old.save(tmp_path / "now.mgtrace")  # written back in the current format
    again = mgdebug.load(tmp_path / "now.mgtrace")
    assert_same_trace(old, again)


def format2_run():
    """What tests/fixtures/format2.mgtrace recorded (format 2: step summaries in the
    JSON header): four steps of a tiny MLP and a trailing forward, keep_every=2,
    record-only hits, the error that ended it."""
    random.seed(1)
    model = MLP(2, [3, 1])
    with pytest.raises(RuntimeError, match="end of the run"):
        with mgdebug.record(keep_every=2, break_on="op:ReLU") as trace:
            for k in range(4):
                with micrograd.scope("loss"):
                    loss = (model([Value(1.0), Value(-2.0 + k)]) - 1) ** 2
                loss.label = "loss"
                model.zero_grad()
                loss.backward()
                for p in model.parameters():
                    p.data -= 0.1 * p.grad
            model([Value(2.0), Value(3.0)])
            raise RuntimeError("end of the run")
    return trace


def test_a_format_2_file_loads_and_replays_like_a_new_recording(tmp_path):
    old = mgdebug.load(Path(__file__).parent / "fixtures" / "format2.mgtrace")
    new = format2_run()
    assert old.kept_steps() == new.kept_steps() == [0, 2, 4]
    assert old.hits == new.hits and len(old.hits) == 12
    assert old.error == new.error and old.notices == new.notices
    for step in (0, 2, 4):
        for t in range(int(new.event_offsets[step]), int(new.event_offsets[step + 1])):
            assert_same_state(old.state_at(t), new.state_at(t))
    old.save(tmp_path / "now.mgtrace")  # written back in the current format
    assert_same_trace(old, mgdebug.load(tmp_path / "now.mgtrace"))


def mixed_batches(shared: bool, monkeypatch) -> mgdebug.Trace:
    """Five steps of a tiny MLP; step 2 sees three samples, the others two."""
    if not shared:  # a recording that stores every step's structure of its own
        monkeypatch.setattr(mgdebug.Trace, "shared", lambda self, graph: graph)
    random.seed(3)
    model = MLP(2, [3, 1])
    with mgdebug.record() as trace:
        for k in range(5):
            xs = [[1.0, -2.0], [0.5, 0.25]] + ([[3.0, 1.0]] if k == 2 else [])
            loss = sum((model([Value(a), Value(b)]) - 1) ** 2 for a, b in xs)
            model.zero_grad()
            loss.backward()
            for p in model.parameters():
                p.data -= 0.05 * p.grad
    monkeypatch.undo()
    return trace


def test_sharing_structures_changes_no_column_and_no_state(monkeypatch):
    shared, alone = mixed_batches(True, monkeypatch), mixed_batches(False, monkeypatch)
    structures = [shared.graph(k).structure for k in range(5)]
    assert [structures[k] is structures[0] for k in range(5)] == [
        True, True, False, True, True,
    ]  # fmt: skip
    assert len({id(alone.graph(k).structure) for k in range(5)}) == 5
    assert shared.nbytes() < alone.nbytes()
    assert shared.event_offsets.tolist() == alone.event_offsets.tolist()
    for step in range(5):
        a, b = shared.graph(step), alone.graph(step)
        assert a.columns.keys() == b.columns.keys()
        for name, column in a.columns.items():
            if name == "imported":  # entity ids: each recorder numbers its own
                column, other = column - column[0], b.columns[name] - b.columns[name][0]
            else:
                other = b.columns[name]
            np.testing.assert_array_equal(column, other, err_msg=name)
        first, end = (
            int(shared.event_offsets[step]),
            int(shared.event_offsets[step + 1]),
        )
        for t in range(first, end):  # bit for bit at every event
            assert_same_state(shared.state_at(t), alone.state_at(t))


def test_a_loaded_error_and_notices_survive(tmp_path):
    trace = rich_trace()
    trace.save(tmp_path / "t.mgtrace")
    loaded = mgdebug.load(tmp_path / "t.mgtrace")
    assert loaded.error["type"] == "ZeroDivisionError"
    assert loaded.steps[-1].has_backward is False
    assert loaded.graph(0).src_line.size == loaded.graph(0).n_created
    capped = capped_trace()
    capped.save(tmp_path / "c.mgtrace")
    assert mgdebug.load(tmp_path / "c.mgtrace").notices == capped.notices != []


def test_loading_never_unpickles(tmp_path, monkeypatch):
    three_steps().save(tmp_path / "t.mgtrace")

    def refuse(*args, **kwargs):
        raise AssertionError("load() must not unpickle")

    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(np, "load", refuse)
    mgdebug.load(tmp_path / "t.mgtrace")


# ---------------------------------------------------------------------- bad files


def tiny_trace():
    """Two steps of 5 built nodes and w imported, in a scope: a file of ~2 kB."""
    w = Value(0.5, label="w")
    with mgdebug.record() as trace:
        for k in range(2):
            with micrograd.scope("loss"):
                loss = (w * float(k + 1) + 1.0).tanh()
            loss.backward()
    return trace


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A small valid trace file's bytes, and its bundle decoded."""
    path = tmp_path_factory.mktemp("saved") / "t.mgtrace"
    tiny_trace().save(path)
    data = path.read_bytes()
    columns, meta = _bundle.decode(data[len(MAGIC) : -4])
    return data, {k: v.copy() for k, v in columns.items()}, meta


def write_file(path, bundle: bytes):
    """A trace file as docs/trace-format.md lays it out, with a valid CRC-32."""
    data = MAGIC + bundle
    path.write_bytes(data + struct.pack("<I", zlib.crc32(data)))
    return path


def raw_bundle(header, payload=b"", version=1, header_len=None):
    """A bundle written by hand, so that its header can say anything (even Infinity)."""
    text = json.dumps(header).encode() if not isinstance(header, bytes) else header
    head = (
        struct.pack("<II", version, len(text) if header_len is None else header_len)
        + text
    )
    return head + b"\0" * (-len(head) % 8) + payload


def columns_bundle(columns, meta):
    """Columns and meta laid out as docs/trace-format.md says, by hand."""
    specs, blobs = [], []
    for name, a in columns.items():
        specs.append(
            {"name": name, "dtype": a.dtype.str.lstrip("<>|="), "shape": [len(a)]}
        )
        blob = a.astype(a.dtype.newbyteorder("<")).tobytes()
        blobs.append(blob + b"\0" * (-len(blob) % 8))
    return raw_bundle({"meta": meta, "columns": specs}, b"".join(blobs))


def load_fails(path, match=None):
    with pytest.raises(mgdebug.TraceFileError, match=match):
        mgdebug.load(path)


def test_a_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="no trace file"):
        mgdebug.load(tmp_path / "nothing.mgtrace")


def test_a_file_truncated_anywhere_is_refused(tmp_path, saved):
    data = saved[0]
    path = tmp_path / "cut.mgtrace"
    for n in range(len(data)):  # every length short of the whole file
        path.write_bytes(data[:n])
        load_fails(path, "truncated|not an mgdebug trace")


def test_a_file_with_any_flipped_byte_is_refused(tmp_path, saved):
    data = saved[0]
    path = tmp_path / "flipped.mgtrace"
    for i in range(len(data)):
        path.write_bytes(data[:i] + bytes([data[i] ^ 0x10]) + data[i + 1 :])
        load_fails(path, "corrupted|not an mgdebug trace")


def test_a_file_with_extra_bytes_is_refused(tmp_path, saved):
    load_fails(
        write_file(tmp_path / "x", saved[0][len(MAGIC) : -4] + b"\0" * 8),
        "after the last",
    )


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"MGTRACE",
        b"NOTATRACE\0\0\0\0\0\0\0\0",
        pickle.dumps({"a": 1}),
        b"\x89PNG\r\n",
    ],
    ids=["empty", "magic-only-part", "wrong-magic", "a-pickle", "png"],
)
def test_files_that_are_not_traces_are_refused(tmp_path, content):
    path = tmp_path / "bad.mgtrace"
    path.write_bytes(content)
    load_fails(path, "not an mgdebug trace")


def test_a_crafted_file_with_a_valid_crc_is_still_checked_field_by_field(
    tmp_path, saved
):
    """Random byte changes with the CRC recomputed: a clear error or a sound trace."""
    data = saved[0]
    body = data[len(MAGIC) : -4]
    rng = random.Random(0)
    refused = 0
    for _ in range(400):
        i = rng.randrange(len(body))
        mutated = body[:i] + bytes([rng.randrange(256)]) + body[i + 1 :]
        path = write_file(tmp_path / "m.mgtrace", mutated)
        try:
            trace = mgdebug.load(path)
        except mgdebug.TraceFileError:
            refused += 1
            continue
        repr(trace)  # what loads is usable at every event it claims to have
        for step in trace.kept_steps():
            for t in range(
                int(trace.event_offsets[step]), int(trace.event_offsets[step + 1])
            ):
                trace.state_at(t)
    assert refused > 50


def _setitem(name, i, value):
    def mutate(columns, meta):
        columns[name][i] = value

    return mutate


def _retype(name, dtype):
    def mutate(columns, meta):
        columns[name] = columns[name].astype(dtype)

    return mutate


def _meta_set(path, value):
    def mutate(columns, meta):
        target = meta
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return mutate


def _drop(name):
    return lambda columns, meta: columns.pop(name)


def _add(name, column):
    return lambda columns, meta: columns.__setitem__(name, column)


def _cut(name, n):
    return lambda columns, meta: columns.__setitem__(name, columns[name][:n])


def _unkeep(step):
    return _setitem("step_flags", step, 3)  # backward, completed, not kept


def _drop_last_graph(columns, meta):
    """The last kept step's graph row and numbers gone, its summary kept."""
    literals, starts = (
        int(columns["graph_literals"][-1]),
        int(columns["graph_starts"][-1]),
    )
    for name in [k for k in columns if k.startswith("graph_")]:
        columns[name] = columns[name][:-1]
    n, edges = len(columns["s0.op"]), len(columns["s0.child"])
    for name, count in (("data", n), ("local_kind", edges), ("local_literal", literals),
                        ("start_id", starts), ("start_grad", starts)):  # fmt: skip
        columns[f"n0.{name}"] = columns[f"n0.{name}"][
            : len(columns[f"n0.{name}"]) - count
        ]


def _unused_structure(columns, meta):
    columns["structure_n_created"] = np.append(columns["structure_n_created"], 5)
    for name in [k for k in columns if k.startswith("s0.")]:
        columns["s1." + name[3:]] = columns[name].copy()


def _column_cases():
    """(id, mutate(columns, meta)) for hostile content that a CRC cannot catch.

    The columns and header of tiny_trace() in the current format: two steps that
    share one structure of 6 nodes (5 built, w imported) and 6 visits."""
    return [
        ("child-out-of-range", _setitem("s0.child", 0, 10_000)),
        ("child-negative", _setitem("s0.child", 0, -1)),
        ("visit-out-of-range", _setitem("s0.visits", 0, 10_000)),
        ("start-id-out-of-range", _setitem("n0.start_id", 0, -5)),
        ("start-id-twice", _setitem("n0.start_id", 2, 4)),  # step 1 starts at 4, 5
        ("op-past-its-table", _setitem("s0.op", 0, 60_000)),
        ("label-past-its-table", _setitem("s0.label", 0, 4_000_000)),
        ("scope-past-its-table", _setitem("s0.scope", 1, 77)),
        ("child-ptr-decreasing", _setitem("s0.child_ptr", 3, -2)),
        ("data-as-int", _retype("n0.data", "<i8")),
        ("op-as-float", _retype("s0.op", "<f8")),
        ("flags-as-int", _retype("step_flags", "<i4")),
        ("a-column-missing", _drop("n0.local_kind")),
        ("a-structure-column-missing", _drop("s0.visits")),
        ("a-step-column-missing", _drop("step_num_visits")),
        ("an-unknown-column", _add("evil", np.zeros(2))),
        ("an-unknown-section-column", _add("s0.evil", np.zeros(2))),
        ("an-unknown-section", _add("x9.op", np.zeros(2, dtype="<u2"))),
        ("a-node-visited-twice", _setitem("s0.visits", 1, 4)),
        ("a-child-after-its-parent", _setitem("s0.child", 1, 3)),
        ("local-kind-unknown", _setitem("n0.local_kind", 0, 9)),
        ("local-kind-sibling-on-one-edge", _setitem("n0.local_kind", 4, 3)),
        ("local-literals-too-many", _setitem("n0.local_kind", 4, 1)),
        ("numbers-of-a-step-missing", _cut("n0.data", 6)),
        ("literals-counted-wrong", _setitem("graph_literals", 0, 2)),
        ("starts-counted-negative", _setitem("graph_starts", 1, -1)),
        ("a-step-section-of-format-2", _add("g0.data", np.zeros(6))),
        ("graph-structure-missing", _setitem("graph_structure", 0, 7)),
        ("graph-structure-negative", _setitem("graph_structure", 0, -1)),
        ("a-structure-unused", _unused_structure),
        ("graph-visits-past-structure", _setitem("graph_num_visits", 0, 99)),
        ("graph-of-no-step", _setitem("graph_step", 1, 5)),
        ("graphs-out-of-order", _setitem("graph_step", 0, 1)),
        ("graph-rows-differ", _cut("graph_entity_base", 1)),
        ("entity-ids-past-2-63", _setitem("graph_entity_base", 0, 2**63 - 3)),
        ("kept-without-a-graph", _drop_last_graph),
        ("a-graph-not-kept-before-a-kept-one", _unkeep(0)),
        ("format-version-from-the-future", _meta_set(["version"], 4)),
        ("format-version-not-an-int", _meta_set(["version"], 3.0)),
        ("param-ptr-missing", _drop("param_ptr")),
        ("param-ptr-past-the-end", _setitem("param_ptr", -1, 10**9)),
        ("param-ptr-decreasing", _setitem("param_ptr", 1, -3)),
        ("summary-visits-disagree", _setitem("step_num_visits", 0, 3)),
        ("summary-nodes-disagree", _setitem("step_num_created", 0, 2)),
        ("summary-negative", _setitem("step_num_created", 1, -4)),
        ("summary-time-negative", _setitem("step_ended_ns", 1, -1)),
        ("summary-count-huge", _setitem("step_num_visits", 0, 2**50)),
        ("summary-flags-unknown", _setitem("step_flags", 0, 15)),
        ("completed-without-backward", _setitem("step_flags", 0, 6)),
        ("visits-without-backward", _setitem("step_flags", 0, 4)),
        ("step-columns-differ", _cut("step_flags", 1)),
        ("string-table-not-strings", _meta_set(["strings", "ops"], ["", 1, 2])),
        ("string-table-not-from-empty", _meta_set(["strings", "labels"], ["w"])),
        ("string-table-twice", _meta_set(["strings", "labels"], ["", "w", "w"])),
        ("string-not-utf8", _meta_set(["strings", "labels"], ["", "w", "\ud800"])),
        ("string-table-missing", _meta_set(["strings"], {"ops": [""]})),
        ("wrong-format", _meta_set(["format"], "pickle")),
        ("entity-names-not-pairs", _meta_set(["entity_names"], [[1, 2, 3]])),
        ("entity-name-not-text", _meta_set(["entity_names"], [[1, ["w"]]])),
        ("error-not-a-dict", _meta_set(["error"], "boom")),
        ("error-wrong-keys", _meta_set(["error"], {"type": "E"})),
        ("notices-not-text", _meta_set(["notices"], [{"a": 1}])),
        ("hit-outside-its-step", _meta_set(["hits"], [
            {"event": 14, "reason": "r", "step": 0}])),  # step 1 owns events 12..23
        ("hit-of-no-step", _meta_set(["hits"], [{"event": 1, "reason": "r", "step": 2}])),
        ("hit-not-an-object", _meta_set(["hits"], [[1, "r", 0]])),
    ]  # fmt: skip


@pytest.mark.parametrize(
    "mutate", [m for _, m in _column_cases()], ids=[i for i, _ in _column_cases()]
)
def test_hostile_columns_and_meta_are_refused(tmp_path, saved, mutate):
    _, columns, meta = saved
    columns = {k: v.copy() for k, v in columns.items()}
    meta = json.loads(json.dumps(meta))
    mutate(columns, meta)
    load_fails(write_file(tmp_path / "h.mgtrace", columns_bundle(columns, meta)))


def _format2_cases():
    """Hostile step summaries and graph entries of a format 2 header."""
    return [
        ("graph-structure-missing", _meta_set(["graphs", 0, "structure"], 7)),
        ("graph-visits-past-structure", _meta_set(["graphs", 0, "num_visits"], 99)),
        ("summary-visits-disagree", _meta_set(["steps", 0, "num_visits"], 3)),
        ("summary-nodes-disagree", _meta_set(["steps", 0, "num_created"], 2)),
        ("summary-negative", _meta_set(["steps", 1, "num_created"], -4)),
        ("summary-out-of-order", _meta_set(["steps", 1, "index"], 5)),
        ("summary-flag-not-bool", _meta_set(["steps", 0, "kept"], "yes")),
        ("summary-extra-field", _meta_set(["steps", 0, "evil"], 1)),
        ("summary-huge", _meta_set(["steps", 0, "started_ns"], 2**70)),
        ("graph-step-infinite", _meta_set(["graphs", 0, "step"], float("inf"))),
        ("graph-step-text", _meta_set(["graphs", 0, "step"], "zero")),
        ("n-created-negative", _meta_set(["structures", 0, "n_created"], -1)),
        ("n-created-huge", _meta_set(["structures", 0, "n_created"], 10**30)),
        ("steps-not-a-list", _meta_set(["steps"], {"0": {}})),
        ("step-columns-of-format-3", _add("step_flags", np.zeros(5, dtype="<u1"))),
    ]


@pytest.fixture(scope="module")
def saved_format2():
    data = (Path(__file__).parent / "fixtures" / "format2.mgtrace").read_bytes()
    columns, meta = _bundle.decode(data[len(MAGIC) : -4])
    return data, {k: v.copy() for k, v in columns.items()}, meta


@pytest.mark.parametrize(
    "mutate", [m for _, m in _format2_cases()], ids=[i for i, _ in _format2_cases()]
)
def test_hostile_format_2_headers_are_refused(tmp_path, saved_format2, mutate):
    _, columns, meta = saved_format2
    columns = {k: v.copy() for k, v in columns.items()}
    meta = json.loads(json.dumps(meta))
    path = write_file(tmp_path / "ok.mgtrace", columns_bundle(columns, meta))
    assert mgdebug.load(path).num_events == 287  # as written, it loads
    mutate(columns, meta)
    load_fails(write_file(tmp_path / "h.mgtrace", columns_bundle(columns, meta)))


def one_step_file(path, child_ptr, child, visits, n_created):
    """A format 3 file of one kept step, laid out by hand (docs/trace-format.md)."""
    n, edges = len(child_ptr) - 1, len(child)
    i8 = lambda *x: np.array(x, dtype="<i8")  # noqa: E731
    columns = {
        "step_loss": np.array([1.0]), "step_flags": np.array([7], dtype="<u1"),
        "step_num_created": i8(n_created), "step_num_visits": i8(len(visits)),
        "step_started_ns": i8(1), "step_backward_ns": i8(2), "step_ended_ns": i8(3),
        "param_ptr": i8(0, 0), "param_entity": i8(), "param_value": np.zeros(0),
        "param_grad": np.zeros(0), "structure_n_created": i8(n_created),
        "s0.op": np.ones(n, dtype="<u2"), "s0.scope": np.zeros(n, dtype="<u4"),
        "s0.label": np.zeros(n, dtype="<u4"),
        "s0.child_ptr": np.array(child_ptr, dtype="<i4"),
        "s0.child": np.array(child, dtype="<i4"), "s0.imported": i8(*[0] * (n - n_created)),
        "s0.visits": np.array(visits, dtype="<i4"),
        "s0.src_file": np.zeros(0, dtype="<u4"), "s0.src_line": np.zeros(0, dtype="<u4"),
        "graph_step": i8(0), "graph_structure": i8(0), "graph_entity_base": i8(0),
        "graph_num_visits": i8(len(visits)), "graph_literals": i8(0),
        "graph_starts": i8(1),
        "n0.data": np.ones(n), "n0.local_kind": np.ones(edges, dtype="<u1"),
        "n0.local_literal": np.zeros(0), "n0.start_id": np.array([n - 1], dtype="<i4"),
        "n0.start_grad": np.array([1.0]),
    }  # fmt: skip
    meta = {"format": "mgtrace", "version": 3, "notices": [], "error": None,
            "hits": [], "entity_names": [],
            "strings": {"ops": ["", "+"], "scopes": [""], "labels": [""], "files": [""]}}  # fmt: skip
    return write_file(path, columns_bundle(columns, meta))


@pytest.mark.parametrize("edges", [3_000, 20_000])
def test_the_reviews_crafted_files_one_node_visited_thousands_of_times_are_refused(
    tmp_path, edges
):
    """The hostile review's files: one node with `edges` edges, visited as often
    (48 KB made state_at take 4.6 s and 1.5 GB; 313 KB ran out of 6 GB)."""
    path = one_step_file(
        tmp_path / "evil.mgtrace", [0, 0, edges], [0] * edges, [1] * edges, 2
    )
    assert path.stat().st_size < 200_000
    load_fails(path, "a node visited twice in one backward")


def test_a_node_with_thousands_of_edges_visited_once_costs_one_pass(
    tmp_path, monkeypatch
):
    edges = 20_000
    path = one_step_file(tmp_path / "wide.mgtrace", [0, 0, edges], [0] * edges, [1], 2)
    trace = mgdebug.load(path)
    replayed = []
    real = _replay.BackwardReplay.__init__

    def counting(self, graph):
        real(self, graph)
        replayed.append(self.num_edges)

    monkeypatch.setattr(_replay.BackwardReplay, "__init__", counting)
    last = trace.state_at(trace.num_events - 1)
    assert last.grad.tolist() == [float(edges), 1.0] and replayed == [edges]
    assert trace.first_nonfinite() is None


HOSTILE_HEADERS = {
    "version-2": ({"meta": {}, "columns": []}, {"version": 2}),
    "header-length-huge": ({"meta": {}, "columns": []}, {"header_len": 0xFFFFFFFF}),
    "header-length-past-the-end": ({"meta": {}, "columns": []}, {"header_len": 4096}),
    "not-json": (b"{'meta': pickle}", {}),
    "not-utf8": (b"\xff\xfe\x00{", {}),
    "nested-too-deep": (b"[" * 100_000 + b"]" * 100_000, {}),
    "header-a-list": ([1, 2], {}),
    "columns-not-a-list": ({"meta": {}, "columns": 7}, {}),
    "shape-huge": (
        {"meta": {}, "columns": [{"name": "a", "dtype": "f8", "shape": [2**40]}]},
        {},
    ),
    "shape-negative": (
        {"meta": {}, "columns": [{"name": "a", "dtype": "f8", "shape": [-8]}]},
        {},
    ),
    "shape-2d": (
        {"meta": {}, "columns": [{"name": "a", "dtype": "f8", "shape": [1, 1]}]},
        {},
    ),
    "shape-float": (
        {"meta": {}, "columns": [{"name": "a", "dtype": "f8", "shape": [1.5]}]},
        {},
    ),
    "dtype-object": (
        {"meta": {}, "columns": [{"name": "a", "dtype": "O", "shape": [1]}]},
        {},
    ),
    "dtype-string": (
        {"meta": {}, "columns": [{"name": "a", "dtype": "<U8", "shape": [1]}]},
        {},
    ),
    "dtype-void": (
        {"meta": {}, "columns": [{"name": "a", "dtype": "V8", "shape": [1]}]},
        {},
    ),
    "name-not-text": (
        {"meta": {}, "columns": [{"name": [], "dtype": "f8", "shape": [0]}]},
        {},
    ),
    "meta-missing": ({"columns": []}, {}),
    "meta-empty": ({"meta": {}, "columns": []}, {}),
}


@pytest.mark.parametrize("case", list(HOSTILE_HEADERS))
def test_hostile_headers_are_refused(tmp_path, case):
    header, options = HOSTILE_HEADERS[case]
    load_fails(write_file(tmp_path / "h.mgtrace", raw_bundle(header, **options)))


# ---------------------------------------------------------------------- Perfetto


def test_perfetto_export_has_step_forward_backward_slices_and_a_loss_counter(tmp_path):
    trace = three_steps()  # 3 steps with backward, then a forward-only one
    trace.to_perfetto(tmp_path / "t.json")

    def no_nan(name):
        raise AssertionError(f"{name} is not strict JSON")

    doc = json.loads((tmp_path / "t.json").read_text(), parse_constant=no_nan)
    events = doc["traceEvents"]
    tracks = {
        e["tid"]: e["args"]["name"] for e in events if e.get("name") == "thread_name"
    }
    assert tracks == {1: "steps", 2: "forward", 3: "backward"}
    slices = {
        tid: [e for e in events if e["ph"] == "X" and e["tid"] == tid] for tid in tracks
    }
    assert [e["name"] for e in slices[1]] == ["step 0", "step 1", "step 2", "step 3"]
    assert [e["name"] for e in slices[2]] == ["forward"] * 4
    assert [e["name"] for e in slices[3]] == ["backward"] * 3
    assert [e["args"].get("loss") for e in slices[1]] == [
        *trace.loss_curve().tolist(),
        None,
    ]
    assert [e["args"]["nodes built"] for e in slices[1]] == [
        s.num_created for s in trace.steps
    ]
    for track in slices.values():
        assert all(e["dur"] > 0 and e["ts"] >= 0 and e["pid"] == 1 for e in track)
        ends = [e["ts"] + e["dur"] for e in track]
        assert all(
            end <= nxt["ts"] + 1e-3 for end, nxt in zip(ends, track[1:], strict=False)
        )  # no overlap
    for step, back in zip(
        slices[1], slices[3], strict=False
    ):  # each backward within its step
        assert (
            step["ts"] <= back["ts"]
            and back["ts"] + back["dur"] <= step["ts"] + step["dur"] + 1e-3
        )
    counters = [e for e in events if e["ph"] == "C"]
    assert [e["name"] for e in counters] == ["loss"] * 3
    assert [e["args"]["loss"] for e in counters] == trace.loss_curve().tolist()
    assert [e["ts"] for e in counters] == [e["ts"] for e in slices[3]]


def test_the_layout_written_by_hand_loads_when_nothing_is_wrong(tmp_path, saved):
    _, columns, meta = (
        saved  # the seam: the same bytes as docs/trace-format.md describes
    )
    path = write_file(tmp_path / "ok.mgtrace", columns_bundle(columns, meta))
    assert path.read_bytes() == saved[0]
    assert mgdebug.load(path).num_events == tiny_trace().num_events
