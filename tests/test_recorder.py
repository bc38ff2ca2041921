"""Recording: what `mgdebug.record()` writes for each Value and backward, steps, caps, failures.

The trace is read through its columns (docs/trace-format.md); grads at a moment
of the backward pass are tested in test_trace.py.
"""

import asyncio
import gc
import inspect
import json
import math
import os
import random
import signal
import threading

import numpy as np
import pytest
from demo_helpers import demo_setup, demo_step

import mgdebug
import micrograd
from micrograd import Value
from micrograd import events as engine_events
from micrograd.nn import MLP

BYTES_PER_NODE = 64  # columns per recorded node, edges included, unshared
BYTES_PER_CAP_NODE = 50  # what max_nodes counts a node as (mgdebug/recorder.py)


def is_being_recorded(trace) -> bool:
    """A recorder writing into `trace` listens here (the trace itself is only data)."""
    return any(getattr(r, "trace", None) is trace for r in micrograd.listeners())


def ops_of(trace, graph):
    return [trace.strings.ops[i] for i in graph.op]


def labels_of(trace, graph):
    return [trace.strings.labels[i] for i in graph.label]


def marked_lines(function) -> dict[str, int]:
    """Line numbers of the `# built: NAME` comments in a function's source."""
    source, first = inspect.getsourcelines(function)
    return {
        line.split("# built: ")[1].strip(): first + i
        for i, line in enumerate(source)
        if "# built: " in line
    }


# ---------------------------------------------------------------------- the demo


@pytest.fixture(scope="module")
def demo_trace():
    """Two demo steps recorded with the default caps, and what they left live."""
    X, y, model = demo_setup()
    losses, grads = [], []
    with mgdebug.record() as trace:
        for k in range(2):
            losses.append(demo_step(model, X, y, k).data)
            grads.append([p.grad for p in model.parameters()])
    return trace, model, losses, grads


# ---------------------------------------------------------------------- small graphs, exactly


def test_a_times_b_plus_a_records_four_nodes_their_edges_and_the_visit_order():
    with mgdebug.record() as trace:
        assert is_being_recorded(trace)
        a = Value(2.0, label="a")
        b = Value(3.0, label="b")
        c = a * b + a
        c.backward()
    assert isinstance(trace, mgdebug.Trace)
    assert len(trace.steps) == 1
    s = trace.steps[0]
    assert (s.index, s.loss, s.has_backward, s.backward_completed) == (
        0,
        8.0,
        True,
        True,
    )
    assert (s.num_created, s.num_visits, s.num_events) == (4, 4, 9)
    assert trace.event_offsets.tolist() == [0, 9]
    g = trace.graph(0)
    assert (g.n_created, g.num_nodes, g.num_edges) == (4, 4, 4)
    assert ops_of(trace, g) == ["", "", "*", "+"]
    assert labels_of(trace, g) == ["a", "b", "", ""]
    assert g.data.tolist() == [2.0, 3.0, 6.0, 8.0]
    assert g.child_ptr.tolist() == [0, 0, 0, 2, 4]
    assert g.child.tolist() == [0, 1, 2, 0]  # a*b has (a, b); the sum has (a*b, a)
    assert g.local.tolist() == [3.0, 2.0, 1.0, 1.0]
    assert g.visits.tolist() == [3, 2, 1, 0]  # micrograd's order: root, a*b, b, a
    assert (g.start_id.tolist(), g.start_grad.tolist()) == ([3], [1.0])  # the seed
    assert g.imported.tolist() == []
    assert (
        g.src_line.tolist() == [] and g.src_file.tolist() == []
    )  # source is off by default
    assert [g.entity_of(i) for i in range(4)] == [g.entity_base + i for i in range(4)]
    assert not is_being_recorded(trace)
    assert trace.error is None and trace.notices == []


COLUMNS = {  # docs/trace-format.md: name -> (dtype, length in n, E, V, S or n_created)
    "op": ("<u4", "n"),
    "scope": ("<u4", "n"),
    "label": ("<u4", "n"),
    "data": ("<f8", "n"),
    "child_ptr": ("<i4", "n+1"),
    "child": ("<i4", "E"),
    "local": ("<f8", "E"),
    "imported": ("<i8", "n-n_created"),
    "visits": ("<i4", "V"),
    "start_id": ("<i4", "S"),
    "start_grad": ("<f8", "S"),
    "src_file": ("<u4", "n_created"),
    "src_line": ("<u4", "n_created"),
}


def test_a_step_graph_has_exactly_the_documented_columns():
    w = Value(0.5)
    w.grad = 0.25  # held from before backward: a second start grad
    with mgdebug.record(source=True) as trace:
        (w * Value(2.0) + w).tanh().backward()
    g = trace.graph(0)
    sizes = {
        "n": g.num_nodes,
        "n+1": g.num_nodes + 1,
        "E": g.num_edges,
        "V": trace.steps[0].num_visits,
        "S": 2,  # the seed, and w's grad from before
        "n-n_created": 1,
        "n_created": g.n_created,
    }
    assert set(g.columns) == set(COLUMNS)
    for name, (dtype, size) in COLUMNS.items():
        column = g.columns[name]
        assert column.dtype == np.dtype(dtype), name
        assert column.shape == (sizes[size],), name
    assert g.num_nodes * 40 < g.nbytes() < g.num_nodes * 100


def test_x_times_x_keeps_two_edges_to_x():
    with mgdebug.record() as trace:
        x = Value(3.0)
        y = x * x
        y.backward()
    g = trace.graph(0)
    assert g.child.tolist() == [0, 0]
    assert g.local.tolist() == [3.0, 3.0]
    assert g.visits.tolist() == [1, 0]
    assert trace.steps[0].num_events == 2 + 1 + 2
    assert x.grad == 6.0


def test_labels_set_after_building_are_in_the_trace():
    with mgdebug.record() as trace:
        x = Value(0.5)
        h = x.tanh()
        h.label = "h"
        out = h * h
        out.label = "out"
        x.label = "x"  # a leaf named late too
        out.backward()
    assert labels_of(trace, trace.graph(0)) == ["x", "h", "out"]


def test_labels_set_before_backward_are_kept_for_nodes_backward_never_reaches():
    with mgdebug.record() as trace:
        x = Value(0.5)
        side = x.exp()  # built in the step, not on the way to the loss
        loss = x * 2.0
        side.label = "side"
        loss.backward()
    graph = trace.graph(0)
    assert labels_of(trace, graph)[1] == "side"
    assert trace.state_at(trace.num_events - 1).node("side") == 1


class _BadStr:
    def __str__(self):
        raise RuntimeError("no text")


class _Shouty(str):
    def __str__(self):
        return "SHOUT"


# a label or op name set by hand, and the text the trace keeps for it
ODD_NAMES = [
    (5, "5"),
    (3.5, "3.5"),
    (b"x", "x"),
    (bytearray(b"y\xff"), "y\\xff"),
    (np.str_("npstr"), "npstr"),
    (_Shouty("sub"), "sub"),
    ([1, 2], "[1, 2]"),
    (np.array([1.0, 2.0]), "[1. 2.]"),
    (_BadStr(), "<_BadStr>"),
    ("lone \ud800 surrogate", "lone \\ud800 surrogate"),
    ("\x00nul, é, 😀, </script>", "\x00nul, é, 😀, </script>"),
    ("L" * 10_000, "L" * 10_000),
]


def test_labels_and_op_names_of_any_type_round_trip_as_text(tmp_path):
    """Whatever record() accepts, save() writes, load() reads and the viewer shows."""
    params = [Value(0.5, label=f"p{i}") for i in range(len(ODD_NAMES))]
    with mgdebug.record() as trace:
        for p, (name, _) in zip(params, ODD_NAMES):
            p.label = name  # a parameter, imported into the step under this name
        built = []
        for i, (name, _) in enumerate(ODD_NAMES):
            v = params[i] * float(i + 1)
            v.label = name  # named after it was built
            built.append(Value(v.data, (v,), name, local_grads=(1.0,)))  # odd op
        loss = built[0]
        for v in built[1:]:
            loss = loss + v
        gone = Value(1.0, label="gone")
        gone.label = None  # None, 0 and b"" are no label, as "" is
        zero = Value(2.0, label="zero")
        (gone * zero).label = 0
        zero.label = b""
        loss = loss + gone * zero
        loss.backward()
    texts = [text for _, text in ODD_NAMES]
    path = tmp_path / "odd.mgtrace"
    trace.save(path)
    for t in (trace, mgdebug.load(path)):
        for table in ("ops", "labels"):
            assert all(type(s) is str for s in getattr(t.strings, table).items)
        graph = t.graph(0)
        labels = set(labels_of(t, graph))
        assert set(texts) <= labels and "gone" not in labels and "zero" not in labels
        assert set(texts) <= set(ops_of(t, graph))
        assert sorted(set(t.parameter_names())) == sorted(set(texts))
        for text in texts:  # the parameter and its product
            assert labels_of(t, graph).count(text) == 2
    meta, _ = mgdebug.protocol.answer(trace, {"kind": "hello", "id": 1})
    # how a kernel sends it (jupyter_client's session): UTF-8, no ASCII escapes
    json.dumps(meta, ensure_ascii=False).encode("utf-8")
    trace.to_html(tmp_path / "odd.html")


def test_a_leaf_as_root_is_a_step_of_one_node_seeded_with_one():
    with mgdebug.record() as trace:
        x = Value(5.0)
        x.backward()
    s = trace.steps[0]
    assert (s.num_created, s.num_visits, s.num_events, s.loss) == (1, 1, 3, 5.0)
    g = trace.graph(0)
    assert g.visits.tolist() == [0]
    assert (g.start_id.tolist(), g.start_grad.tolist()) == ([0], [1.0])


def test_backward_twice_makes_two_steps_and_the_second_imports_the_graph_with_its_identity():
    with mgdebug.record() as trace:
        x = Value(3.0, label="x")
        y = x * x + x
        y.backward()
        y.backward()
    assert x.grad == 14.0  # leaves accumulate, as in torch
    assert [s.num_created for s in trace.steps] == [3, 0]
    assert [s.num_visits for s in trace.steps] == [3, 3]
    assert trace.event_offsets.tolist() == [0, 7, 11]
    g0, g1 = trace.graph(0), trace.graph(1)
    assert g1.n_created == 0 and g1.num_nodes == 3
    # imported children first: x, x*x, y, each with its entity id from step 0
    assert g1.imported.tolist() == [g0.entity_of(0), g0.entity_of(1), g0.entity_of(2)]
    assert ops_of(trace, g1) == ["", "*", "+"] and labels_of(trace, g1)[0] == "x"
    # backward begins with x holding its grad from the first call, and the root seeded
    start = dict(zip(g1.start_id.tolist(), g1.start_grad.tolist(), strict=True))
    assert start == {0: 7.0, 2: 1.0}
    # x, a named leaf, is in both summaries as one entity
    assert [list(s.param_entity) for s in trace.steps] == [[g0.entity_of(0)]] * 2
    assert [list(s.param_grad) for s in trace.steps] == [[7.0], [14.0]]
    assert trace.parameter_history("x")["grad"].tolist() == [7.0, 14.0]


def test_code_after_the_last_backward_is_a_trailing_forward_only_step():
    with mgdebug.record() as trace:
        a = Value(2.0)
        c = a * a
        c.backward()
        d = c * 2.0
    assert d.data == 8.0
    assert len(trace.steps) == 2
    tail = trace.steps[1]
    assert (tail.index, tail.has_backward, tail.backward_completed) == (1, False, False)
    assert math.isnan(tail.loss)
    assert (tail.num_created, tail.num_visits, tail.num_events) == (2, 0, 2)
    g = trace.graph(1)
    assert ops_of(trace, g)[:2] == ["", "*"]  # the constant 2.0, then d
    assert g.num_nodes == 4  # c and a imported (c's graph comes along)
    assert trace.event_offsets.tolist() == [0, 5, 7]
    assert trace.loss_curve().tolist() == [4.0]


def test_an_empty_region_records_no_steps():
    with mgdebug.record() as trace:
        pass
    assert trace.steps == [] and trace.num_events == 0
    assert "0 steps" in repr(trace)


def test_record_rejects_bad_caps():
    with pytest.raises(ValueError, match="max_nodes"):
        with mgdebug.record(max_nodes=0):
            pass
    with pytest.raises(ValueError, match="keep_every"):
        with mgdebug.record(keep_every=0):
            pass


def test_record_works_inside_a_function_and_in_a_plain_thread():
    def train():
        with mgdebug.record() as trace:
            w = Value(1.0)
            (w * 2.0).backward()
        return trace

    assert train().steps[0].num_created == 3
    box = []
    worker = threading.Thread(target=lambda: box.append(train()))
    worker.start()
    worker.join()
    assert box[0].steps[0].num_created == 3


# ---------------------------------------------------------------------- scopes and source lines


def test_nn_scopes_are_recorded_as_paths(demo_trace):
    trace = demo_trace[0]
    g = trace.graph(0)
    scopes = {trace.strings.scopes[i] for i in np.unique(g.scope)}
    assert "MLP/layers.0/neurons.0" in scopes and "MLP/layers.2/neurons.0" in scopes
    assert "" in scopes  # the loss is built at top level
    top = [i for i in range(g.n_created) if trace.strings.scopes[g.scope[i]] == ""]
    assert trace.strings.ops[g.op[top[-1]]] == "+"  # the root: data_loss + reg_loss


def test_source_lines_point_at_the_user_code_that_built_each_node():
    model = MLP(2, [2, 1])
    with mgdebug.record(source=True) as trace:
        x = Value(1.0)  # built: x
        y = x * 2.0  # built: y
        out = model([x, y])  # built: model
    lines = marked_lines(test_source_lines_point_at_the_user_code_that_built_each_node)
    g = trace.graph(0)
    assert len(g.src_line) == g.n_created
    # x, then the constant 2.0 and y on the same line
    assert g.src_line.tolist()[:3] == [lines["x"], lines["y"], lines["y"]]
    assert set(g.src_line.tolist()[3:]) == {lines["model"]}  # nn's own frames skipped
    assert {trace.strings.files[i] for i in g.src_file} == {__file__}
    assert out.data == g.data[g.n_created - 1]


# ---------------------------------------------------------------------- steps and summaries


def test_each_backward_closes_a_step_whose_summary_holds_the_loss_and_persistent_leaves():
    w = Value(0.5, label="w")  # built before recording: a persistent leaf in every step
    seen = []
    with mgdebug.record() as trace:
        for k in range(3):
            loss = (w * float(k + 1) - 1.0) ** 2
            w.grad = 0.0
            loss.backward()
            seen.append((loss.data, w.data, w.grad))
            w.data -= 0.1 * w.grad
    assert [s.index for s in trace.steps] == [0, 1, 2]
    assert all(s.has_backward and s.backward_completed for s in trace.steps)
    assert trace.loss_curve().tolist() == [loss for loss, _, _ in seen]
    entity = trace.steps[0].param_entity
    assert len(entity) == 1
    for s, (_, value, grad) in zip(trace.steps, seen, strict=True):
        assert s.param_entity == entity  # one identity across steps
        # when backward ended
        assert (list(s.param_value), list(s.param_grad)) == ([value], [grad])
        assert s.started_ns <= s.backward_ns <= s.ended_ns
    assert trace.parameter_names() == ["w"]


def test_parameters_keep_one_entity_across_demo_steps(demo_trace):
    trace, model, losses, grads = demo_trace
    s0, s1 = trace.steps
    assert trace.loss_curve().tolist() == losses
    assert len(s0.param_entity) == len(model.parameters()) == 337
    assert s0.param_entity == s1.param_entity
    entity = [p._tag for p in model.parameters()]
    for s, live in zip((s0, s1), grads, strict=True):
        by_entity = dict(zip(s.param_entity, s.param_grad, strict=True))
        assert by_entity == dict(zip(entity, live, strict=True))
    names = [name for name, _ in model.named_parameters()]
    assert sorted(names) == trace.parameter_names()
    g0, g1 = trace.graph(0), trace.graph(1)
    assert set(s0.param_entity) <= set(g0.imported.tolist())
    assert set(s0.param_entity) <= set(g1.imported.tolist())
    assert g1.entity_base == g0.entity_base + g0.n_created  # built nodes number on


def test_parameters_of_a_model_built_inside_the_region_are_in_every_step():
    with mgdebug.record() as trace:
        random.seed(0)
        model = MLP(2, [3, 1])
        for _ in range(3):
            loss = model([Value(1.0), Value(-1.0)]) ** 2
            model.zero_grad()
            loss.backward()
    counts = [len(s.param_entity) for s in trace.steps]
    assert counts == [len(model.parameters())] * 3
    history = trace.parameter_history("layers.0.neurons.0.w.0")
    assert history["step"].tolist() == [0, 1, 2]


# ---------------------------------------------------------------------- caps


def small_step(w, k):
    """10 nodes built (3 inputs, 3 products, the sum's 0 and 3 additions), w imported."""
    loss = sum(wi * Value(float(k + i)) for i, wi in enumerate(w))
    for wi in w:
        wi.grad = 0.0
    loss.backward()
    return loss


def test_past_max_nodes_steps_keep_summaries_and_the_latest_step_in_full():
    # max_nodes is a memory budget in nodes of an unshared graph (50 bytes each):
    # 15 nodes' worth is 750 bytes. The first step pays its structure and numbers
    # (310 + 128 bytes); the next ones share the structure and pay 128 each.
    w = [Value(0.1 * i, label=f"w{i}") for i in range(3)]
    with pytest.warns(mgdebug.RecordingCapWarning, match="max_nodes=15") as caught:
        with mgdebug.record(max_nodes=15) as trace:
            losses = [small_step(w, k).data for k in range(6)]
    assert len([c for c in caught if c.category is mgdebug.RecordingCapWarning]) == 1
    assert trace.graph(0).num_nodes == 13
    assert [s.kept for s in trace.steps] == [True, True, True, False, False, False]
    assert trace.kept_steps() == [0, 1, 2, 5]
    assert trace.graph(5).num_nodes == 13
    assert trace.graph(1).structure is trace.graph(0).structure  # stored once
    with pytest.raises(LookupError, match="kept only its summary"):
        trace.graph(3)
    # summaries go on past the cap
    assert trace.loss_curve().tolist() == losses
    assert trace.parameter_history("w2")["step"].tolist() == list(range(6))
    assert len(trace.notices) == 1 and "max_nodes=15" in trace.notices[0]


def test_once_full_a_smaller_later_step_is_not_kept_either():
    w = [Value(0.1 * i) for i in range(3)]
    with pytest.warns(mgdebug.RecordingCapWarning):
        with mgdebug.record(max_nodes=12) as trace:  # 600 bytes
            small_step(w, 0)  # 438 bytes: kept
            sum(wi * wi for wi in w).backward()  # a new structure (~340 bytes): full
            small_step(w, 2)  # 128 bytes would fit, but the notice said "later steps"
            small_step(w, 3)
    assert [s.kept for s in trace.steps] == [True, False, False, False]
    assert trace.kept_steps() == [0, 3]


def test_keep_every_keeps_every_kth_step_and_the_latest():
    w = [Value(0.1 * i) for i in range(3)]
    with mgdebug.record(keep_every=3) as trace:
        for k in range(8):
            small_step(w, k)
    assert [s.kept for s in trace.steps] == [k % 3 == 0 for k in range(8)]
    assert trace.kept_steps() == [0, 3, 6, 7]
    assert trace.notices == []  # skipping by keep_every is asked for: no notice
    with pytest.raises(LookupError):
        trace.state_at(int(trace.event_offsets[1]))


def test_kept_steps_are_in_order_when_a_kept_step_follows_the_latest():
    w = [Value(0.1 * i) for i in range(3)]
    for steps, kept in ((5, [0, 2, 4]), (4, [0, 2, 3]), (6, [0, 2, 4, 5])):
        with mgdebug.record(keep_every=2) as trace:
            for k in range(steps):
                small_step(w, k)
        assert trace.kept_steps() == kept
        for step in kept:  # each one's graph, not the previous latest's
            assert trace.graph(step).n_created == trace.steps[step].num_created


def test_a_single_step_larger_than_max_nodes_keeps_its_summary_and_counts_every_node():
    w = [Value(0.1 * i) for i in range(3)]
    # 9 nodes: every w has been met (and is in the summary) when the step overflows
    with pytest.warns(mgdebug.RecordingCapWarning, match="on its own"):
        with mgdebug.record(max_nodes=9) as trace:
            loss = small_step(w, 0)
            loss2 = small_step(w, 1)
    assert [s.num_created for s in trace.steps] == [10, 10]
    assert [s.num_visits for s in trace.steps] == [13, 13]
    assert trace.loss_curve().tolist() == [loss.data, loss2.data]
    assert trace.kept_steps() == []
    assert list(trace.steps[1].param_grad) == [w_.grad for w_ in w]
    assert len(trace.notices) == 1
    with pytest.raises(LookupError):
        trace.state_at(0)


def test_a_value_named_in_an_oversized_step_is_imported_by_the_next_step():
    # the oversized step names the Values it read before giving up (entity ids);
    # the next step's own ids must not reuse them
    with pytest.warns(mgdebug.RecordingCapWarning, match="on its own"):
        with mgdebug.record(max_nodes=9) as trace:
            x = Value(1.5)
            early = x * 2.0  # among the first Values: named when the step overflows
            y = (((early + 1.0) + 1.0) + 1.0) + 1.0  # Value 10 overflows, 11 ends it
            y.backward()  # step 0: too big, summary only
            v = (Value(4.0) * 1.0) * 1.0  # step 1: five Values of its own first,
            z = v * early  # then it meets `early` again
            z.backward()
    g = trace.graph(1)
    assert g.n_created == 6
    node = trace.find(early, 1).tolist()
    # imported, not one of step 1's own nodes
    assert len(node) == 1 and node[0] >= g.n_created
    assert g.columns["data"][node[0]] == early.data == 3.0
    assert trace.state_at(trace.num_events - 1).grad_of(early) == early.grad == 4.0


def test_the_demo_step_costs_at_most_64_bytes_per_node_with_its_edges(demo_trace):
    trace = demo_trace[0]
    g = trace.graph(0)
    assert g.num_nodes > 65_000 and g.num_edges > 120_000
    assert g.nbytes() / g.num_nodes <= BYTES_PER_NODE


def test_memory_stays_bounded_past_the_cap():
    w = [Value(0.1 * i) for i in range(3)]
    max_nodes = 100  # 5,000 bytes: 438 for the first step, 128 for each next one
    with pytest.warns(mgdebug.RecordingCapWarning):
        with mgdebug.record(max_nodes=max_nodes) as trace:
            for k in range(60):
                small_step(w, k)
    assert [s.kept for s in trace.steps] == [True] * 36 + [False] * 24
    assert trace.kept_steps() == [*range(36), 59]  # and the latest
    latest = trace.graph(59).numbers.nbytes()
    assert trace.nbytes() <= max_nodes * BYTES_PER_CAP_NODE + latest
    assert len(trace.steps) == 60 and len(trace.notices) == 1


def test_steps_of_a_training_loop_share_one_structure_and_keep_their_own_numbers(
    demo_trace,
):
    trace, model, losses, grads = demo_trace
    g0, g1 = trace.graph(0), trace.graph(1)
    assert g1.structure is g0.structure  # the same graph, stored once
    assert not np.array_equal(g0.data, g1.data)  # numbers of their own
    assert trace.nbytes() == g0.structure.nbytes() + sum(
        trace.graph(k).numbers.nbytes() for k in (0, 1)
    )
    per_step = g1.numbers.nbytes() / g1.num_nodes
    assert per_step <= 12  # bytes a node-step: values, packed locals, start grads
    assert (
        trace.state_at(trace.num_events - 1).grad_of(model.parameters()[0])
        == (grads[1][0])
    )


# ---------------------------------------------------------------------- failures


def assert_detached():
    assert micrograd.listeners() == ()
    assert engine_events.active == 0


def test_a_failing_forward_keeps_the_steps_before_and_the_nodes_built_so_far():
    with pytest.raises(ValueError, match="log of -1.0") as raised:
        with mgdebug.record() as trace:
            a = Value(2.0)
            (a * a).backward()
            b = a - 3.0  # the constant -3.0, then the sum
            b.log()
    assert_detached()
    assert trace.error == {"type": "ValueError", "message": str(raised.value)}
    assert len(trace.steps) == 2
    assert trace.steps[0].backward_completed
    tail = trace.steps[1]
    assert not tail.has_backward and tail.num_created == 2
    assert trace.graph(1).data.tolist() == [-3.0, -1.0, 2.0]  # a imported
    assert not is_being_recorded(trace)
    assert "stopped by ValueError" in repr(trace)


def test_an_exception_in_user_code_propagates_unchanged_and_is_noted():
    err = RuntimeError("my own failure")
    with pytest.raises(RuntimeError) as raised:
        with mgdebug.record() as trace:
            x = Value(1.0)
            (x * 3.0).backward()
            raise err
    assert raised.value is err
    assert trace.error == {"type": "RuntimeError", "message": "my own failure"}
    assert len(trace.steps) == 1
    assert_detached()


def test_a_keyboard_interrupt_is_recorded_too():
    with pytest.raises(KeyboardInterrupt):
        with mgdebug.record() as trace:
            Value(1.0) * 2.0
            raise KeyboardInterrupt
    assert trace.error["type"] == "KeyboardInterrupt"
    assert trace.steps[0].num_created == 3
    assert_detached()


def test_a_grad_set_to_none_raises_a_clear_type_error_and_keeps_the_steps_before(
    tmp_path,
):
    random.seed(4)
    model = MLP(2, [3, 1])
    with pytest.raises(TypeError) as raised:
        with mgdebug.record() as trace:
            for k in range(3):
                loss = (model([Value(1.0), Value(-2.0)]) - 1.0) ** 2
                if k == 2:
                    for p in model.parameters():  # PyTorch's set_to_none habit
                        p.grad = None
                else:
                    model.zero_grad()
                loss.backward()
    message = str(raised.value)
    assert "grad of Value(" in message and "is None, not a number" in message
    assert "set grads to 0.0, not None" in message
    assert raised.value.__context__ is None  # the recorder's own, nothing beneath
    assert trace.error == {"type": "TypeError", "message": message}
    assert [s.has_backward for s in trace.steps] == [True, True, False]
    assert trace.steps[2].num_created == trace.steps[0].num_created
    first = trace.steps[0].param_grad
    assert np.isnan(trace.steps[2].param_grad).all() and not np.isnan(first).any()
    trace.save(tmp_path / "t.mgtrace")
    assert mgdebug.load(tmp_path / "t.mgtrace").num_events == trace.num_events
    assert_detached()


class FailAt:
    """A listener that raises right before the chain rule of its n-th node."""

    def __init__(self, n):
        self.n = n
        self.seen = 0

    def before_chain_rule(self, node):
        self.seen += 1
        if self.seen == self.n:
            raise RuntimeError(f"listener failed at node {self.n}")


def test_a_failing_backward_keeps_only_the_chain_rules_that_ran():
    with pytest.raises(RuntimeError, match="at node 3"):
        with mgdebug.record() as trace:
            x = Value(2.0, label="x")
            w = Value(-3.0, label="w")
            y = (x * w + x).tanh()  # visits: tanh, +, *, w, x
            with micrograd.listen(FailAt(3)):
                y.backward()
    assert_detached()
    s = trace.steps[0]
    assert (s.has_backward, s.backward_completed) == (True, False)
    assert s.num_visits == 2  # tanh and + ran; * never did
    assert trace.error["type"] == "RuntimeError"
    final = trace.state_at(trace.num_events - 1)
    for v in (x, w, y):
        assert final.grad_of(v) == v.grad
    assert w.grad == 0.0 and x.grad != 0.0


def test_when_no_count_of_visits_explains_the_live_grads_the_closest_is_kept_with_a_notice():
    class MessUpThenFail:  # like an interrupt between the two edges of one chain rule
        def before_chain_rule(self, node):
            if node is w:
                y.grad = 5.0
                raise RuntimeError("stopped")

    with pytest.raises(RuntimeError):
        with mgdebug.record() as trace:
            x, w = Value(2.0), Value(3.0)
            y = x * w  # visits: y, w, x
            with micrograd.listen(MessUpThenFail()):
                y.backward()
    assert trace.steps[0].num_visits == 1  # after y's rule only y's grad disagrees
    assert len(trace.notices) == 1 and "inside a chain rule" in trace.notices[0]
    final = trace.state_at(trace.num_events - 1)
    assert (final.grad_of(x), final.grad_of(w), final.grad_of(y)) == (3.0, 2.0, 1.0)


def test_a_backward_that_fails_at_the_first_node_keeps_none():
    with pytest.raises(RuntimeError):
        with mgdebug.record() as trace:
            x = Value(2.0)
            y = x * x
            with micrograd.listen(FailAt(1)):
                y.backward()
    assert trace.steps[0].num_visits == 0
    assert trace.state_at(trace.num_events - 1).grad.tolist() == [0.0, 1.0]


# ---------------------------------------------------------------------- isolation


class Alarm(Exception):
    """What the alarm's handler raises, as a user's timeout would."""


def interrupted_training(seed: int, how: str, one_graph: bool, source: bool = False):
    """A small training loop whose iterations an interrupt lands in at random.

    `how`: "alarm" (SIGALRM, a handler that raises Alarm) or "sigint" (Ctrl-C from
    another thread: KeyboardInterrupt). Returns the trace and, for each step, the
    live grads of the loss and the parameters right after the step closed.
    """
    rng = random.Random(seed)
    random.seed(seed)
    model = MLP(2, [3, 1])
    params = model.parameters()
    live: dict[int, list[tuple[Value, float]]] = {}
    timer = None

    def arm():
        nonlocal timer
        delay = rng.uniform(1e-5, 4e-4)
        if how == "alarm":
            signal.setitimer(signal.ITIMER_REAL, delay)
        else:
            timer = threading.Timer(delay, os.kill, (os.getpid(), signal.SIGINT))
            timer.start()

    def disarm():
        if how == "alarm":
            signal.setitimer(signal.ITIMER_REAL, 0)
        else:
            timer.cancel()
            timer.join()

    with mgdebug.record(source=source) as trace:
        if one_graph:  # backward again and again on one graph
            loss = sum(
                ((model([Value(1.0), Value(x)]) - 1) ** 2 for x in (0.5, -1.0)),
                Value(0.0),
            )
        for k in range(30):
            try:
                try:
                    arm()
                    if not one_graph:
                        loss = (model([Value(1.0), Value(k * 0.1)]) - 1) ** 2
                    loss.backward()
                    for p in params:
                        p.data -= 0.01 * p.grad
                finally:
                    disarm()
            except (Alarm, KeyboardInterrupt):
                pass
            if trace.steps and len(trace.steps) - 1 not in live:
                live[len(trace.steps) - 1] = [(v, v.grad) for v in [loss, *params]]
    return trace, live


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="POSIX timers")
def test_interrupts_at_random_points_leave_every_step_whole_or_marked(
    monkeypatch, tmp_path
):
    """Every step's state at its last event equals the grads live when it closed,
    or a notice names the step; the recording never breaks."""
    deferred = []
    real = mgdebug.recorder.Recorder._run_deferred
    monkeypatch.setattr(
        mgdebug.recorder.Recorder, "_run_deferred",
        lambda self: deferred.append(len(self.deferred)) or real(self),
    )  # fmt: skip

    def on_alarm(signum, frame):
        raise Alarm

    previous = signal.signal(signal.SIGALRM, on_alarm)
    gc.disable()  # an interrupt landing in a gc callback (pytest has one) is lost
    try:
        checked = 0
        for seed in range(12):
            for how, one_graph in (("alarm", True), ("alarm", False), ("sigint", True)):
                trace, live = interrupted_training(seed, how, one_graph, seed % 2 == 1)
                assert trace.error is None
                trace.save(tmp_path / "t.mgtrace")  # what was recorded can be read
                assert (
                    mgdebug.load(tmp_path / "t.mgtrace").num_events == trace.num_events
                )
                for step, pairs in live.items():
                    if any(n.startswith(f"step {step}:") for n in trace.notices):
                        continue  # marked: the step says what it cannot show
                    state = trace.state_at(trace.event_offset(step + 1) - 1)
                    for value, grad in pairs:
                        (node,) = trace.find(value, step)
                        assert state.grad[node] == grad, (seed, how, step)
                    checked += 1
    finally:
        gc.enable()
        signal.signal(signal.SIGALRM, previous)
    assert checked > 300 and deferred  # interrupts did land in the bookkeeping


@pytest.mark.skipif(not hasattr(signal, "SIGALRM"), reason="POSIX signals")
def test_a_signal_during_bookkeeping_waits_for_its_end_and_handlers_come_back():
    def on_alarm(signum, frame):
        raise Alarm

    previous = signal.signal(signal.SIGALRM, on_alarm)
    try:
        with mgdebug._record.recording(mgdebug.Trace()) as recorder:
            assert signal.getsignal(signal.SIGALRM) is not on_alarm  # wrapped
            recorder.busy += 1  # as if inside its bookkeeping
            os.kill(os.getpid(), signal.SIGALRM)
            assert [s for s, _ in recorder.deferred] == [signal.SIGALRM]  # waits
            with pytest.raises(Alarm):  # a second one while the first waits: at once
                os.kill(os.getpid(), signal.SIGALRM)
            recorder.busy -= 1
            with pytest.raises(Alarm):  # the waiting one, as the bookkeeping ends
                recorder.snapshot(None)
            assert recorder.deferred == []
        assert signal.getsignal(signal.SIGALRM) is on_alarm
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler

        def own(signum, frame):
            pass

        with mgdebug.record():
            signal.signal(signal.SIGALRM, own)  # the block's own handler stays
        assert signal.getsignal(signal.SIGALRM) is own
    finally:
        signal.signal(signal.SIGALRM, previous)


def test_values_built_by_a_plain_thread_meanwhile_are_not_recorded():
    built = []

    def other():
        v = Value(10.0) * Value(20.0)
        built.append(v)

    with mgdebug.record() as trace:
        a = Value(1.0)
        worker = threading.Thread(target=other)
        worker.start()
        worker.join()
        assert built[0]._tag is None  # never announced
        b = a + 1.0
        c = b * built[0]  # used here, it is imported like a Value from before
        c.backward()
    s, g = trace.steps[0], trace.graph(0)
    assert s.num_created == 4  # a, the constant 1.0, b, c
    assert g.num_nodes == 4 + 3  # the thread's product and its two leaves, imported
    final = trace.state_at(trace.num_events - 1)
    assert final.grad_of(built[0]) == built[0].grad == 2.0


def test_values_built_in_asyncio_to_thread_are_recorded():
    def build():
        return Value(10.0) * Value(20.0)

    async def main():
        return await asyncio.to_thread(build)

    with mgdebug.record() as trace:
        v = asyncio.run(main())
        v.backward()
    assert trace.steps[0].num_created == 3
    assert ops_of(trace, trace.graph(0)) == ["", "", "*"]


def test_nested_records_the_innermost_records_and_the_outer_hears_nothing_meanwhile():
    with mgdebug.record() as outer:
        a = Value(2.0, label="a")
        b = a * 3.0
        with mgdebug.record() as inner:
            c = b + 1.0
            c.backward()  # a.grad = 3, heard by inner only
        d = b * 2.0
        d.backward()  # a.grad = 3 + 6
    # inner: the constant and c built, b's graph imported
    assert [s.num_created for s in inner.steps] == [2]
    assert inner.graph(0).num_nodes == 5
    # outer: one step, c never appears, and b is the node outer built (no second copy)
    assert len(outer.steps) == 1
    go = outer.graph(0)
    assert (go.n_created, go.num_nodes) == (5, 5)
    assert ops_of(outer, go) == ["", "", "*", "", "*"]
    assert outer.find(b, 0).tolist() == [2]
    assert inner.find(b, 0).tolist() != []
    final = outer.state_at(outer.num_events - 1)
    assert final.grad_of(a) == a.grad == 9.0  # began at 3 (the inner backward), plus 6
    assert final.grad_of(b) == b.grad == 2.0
    assert inner.state_at(inner.num_events - 1).grad_of(a) == 3.0


def test_a_value_stays_findable_in_every_trace_that_recorded_it():
    p = Value(1.5, label="p")
    with mgdebug.record() as first:
        (p * p).backward()
    with mgdebug.record() as second:
        (p * 3.0).backward()
    assert first.find(p, 0).size == 1 and second.find(p, 0).size == 1
    assert first.state_at(first.num_events - 1).grad_of(p) == 3.0
    assert second.state_at(second.num_events - 1).grad_of(p) == 6.0
