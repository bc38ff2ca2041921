"""Comparing two steps: aligned nodes and the differences of their values and grads."""

from __future__ import annotations

import math

import numpy as np
import pytest

import mgdebug
from mgdebug import _bundle, protocol
from micrograd import Value


def two_steps():
    """y = (w * x + b)**2 at w = 2, then w = 1.5 (x = 3, b = -1): hand-checkable."""
    w, b = Value(2.0, label="w"), Value(-1.0, label="b")
    with mgdebug.record() as trace:
        for wk in (2.0, 1.5):
            w.data, w.grad, b.grad = wk, 0.0, 0.0
            y = (w * 3.0 + b) ** 2
            y.backward()
    return trace


def test_two_steps_of_one_loop_align_node_for_node():
    trace = two_steps()
    c = trace.compare(0, other_step=1)
    assert c.same_structure and len(c.only_a) == len(c.only_b) == 0
    g = trace.graph(0)
    by_label = {
        trace.strings.labels[int(g.label[n])]: i for i, n in enumerate(c.node_a)
    }
    # step 0: y = (6 - 1)^2 = 25, dy/dw = 2 * 5 * 3 = 30; step 1: y = (4.5 - 1)^2
    # = 12.25, dy/dw = 2 * 3.5 * 3 = 21
    w = by_label["w"]
    assert (c.value_a[w], c.value_b[w]) == (2.0, 1.5)
    assert (c.grad_a[w], c.grad_b[w]) == (30.0, 21.0)
    assert c.delta_grad[w] == -9.0 and c.grad_ratio[w] == 0.7
    b = by_label["b"]
    assert (c.grad_a[b], c.grad_b[b], c.delta_value[b]) == (10.0, 7.0, 0.0)
    root = int(np.argmax(c.value_a))  # y, the largest value
    assert (c.value_a[root], c.value_b[root]) == (25.0, 12.25)
    # the constant 3's grad (2 * (w*3 + b) * w) changed most: 20 -> 10.5; then w's
    first, second = c.largest(2)
    assert (first["what"], first["a"], first["b"]) == ("#0 (leaf)", 20.0, 10.5)
    assert (second["what"], second["delta"]) == ("w (leaf)", -9.0)
    assert "same structure" in repr(c) and "#0 (leaf): 20 -> 10.5" in repr(c)


def test_at_an_event_both_steps_are_read_at_the_same_moment():
    trace = two_steps()
    n_created = trace.graph(0).n_created
    c = mgdebug.compare(trace, step_a=0, step_b=1, event=n_created)
    # backward begins: only the root is seeded, every other grad is still 0
    assert (
        sorted(set(c.grad_a.tolist())) == [0.0, 1.0] == sorted(set(c.grad_b.tolist()))
    )
    with pytest.raises(IndexError, match="outside step 0"):
        mgdebug.compare(trace, step_a=0, step_b=1, event=10_000)


def test_different_structures_align_by_scope_op_label_and_leave_the_rest_out():
    w = Value(2.0, label="w")
    with mgdebug.record() as before:
        (w * 3.0).backward()
    w.grad = 0.0
    with mgdebug.record() as after:  # the fix: an extra + 1 on top
        (w * 3.0 + 1.0).backward()
    c = mgdebug.compare(before, after)
    assert not c.same_structure
    ops_b = [after.strings.ops[int(o)] for o in after.graph(0).op]
    assert len(c.only_a) == 0
    assert sorted(ops_b[i] for i in c.only_b) == ["", "+"]  # the constant 1 and the +
    labels = [before.strings.labels[int(before.graph(0).label[n])] for n in c.node_a]
    w_pair = labels.index("w")
    assert (c.grad_a[w_pair], c.grad_b[w_pair]) == (3.0, 3.0)


def test_bad_arguments_say_what_was_wrong():
    trace = two_steps()
    with pytest.raises(IndexError, match="step_b=5 is outside"):
        trace.compare(0, other_step=5)
    with pytest.raises(TypeError, match="must be a mgdebug Trace"):
        mgdebug.compare(trace, [1, 2])
    with pytest.raises(TypeError, match="step_a must be an int"):
        mgdebug.compare(trace, step_a=1.5)
    with pytest.raises(ValueError, match="by must be"):
        trace.compare(0, other_step=1).largest(by="loss")


def test_the_viewer_asks_for_alignments_and_the_other_trace_through_the_protocol():
    trace = two_steps()
    w = Value(2.0, label="w")
    with mgdebug.record() as other:
        (w * 3.0 + 1.0).backward()
    reply, buffers = protocol.answer(
        trace, {"kind": "get_alignment", "id": 4, "step": 0, "other_step": 0,
                "trace": "other"}, other=other,
    )  # fmt: skip
    assert reply["kind"] == "alignment" and reply["id"] == 4
    assert reply["same_structure"] is False and reply["trace"] == "other"
    columns, _ = _bundle.decode(buffers[0])
    c = mgdebug.compare(trace, other, step_a=0, step_b=0)
    expected = np.full(trace.graph(0).num_nodes, -1)
    expected[c.node_a] = c.node_b
    assert columns["counterpart"].tolist() == expected.tolist()
    assert columns["only_other"].tolist() == c.only_b.tolist()
    meta, _ = protocol.answer(trace, {"kind": "hello", "trace": "other"}, other=other)
    assert meta["trace"] == "other" and len(meta["steps"]) == 1
    refused, _ = protocol.answer(trace, {"kind": "hello", "trace": "other", "id": 9})
    assert refused["kind"] == "error" and "no other trace" in refused["message"]


def test_grad_ratio_marks_division_by_zero_plainly():
    x = Value(1.0, label="x")
    with mgdebug.record() as trace:
        for k in (
            0.0,
            2.0,
        ):  # x's grad is 0, then 2; the constant's grad is 1 both times
            x.grad = 0.0
            (x * k).backward()
    c = trace.compare(0, other_step=1)
    labels = [trace.strings.labels[int(trace.graph(0).label[n])] for n in c.node_a]
    i = labels.index("x")
    assert (c.grad_a[i], c.grad_b[i], c.grad_ratio[i]) == (0.0, 2.0, math.inf)
    root = int(trace.graph(0).visits[0])
    assert c.grad_ratio[list(c.node_a).index(root)] == 1.0
