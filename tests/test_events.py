"""What a listener hears from the engine, in which order, in which context and scope."""

import asyncio
import random
import threading

import pytest

from micrograd import Value, current_scope, listen, listeners, scope
from micrograd import events as events_module
from micrograd.nn import MLP, Layer


class Recorder:
    """Records the events every listener can get; no per-node backward events."""

    def __init__(self):
        self.events = []

    def value_created(self, value, scope):
        # how it was built is on the Value (docs/events.md)
        self.events.append(
            ("created", value, value._op, value._prev, value.local_grads, scope)
        )

    def backward_begin(self, root, order):
        self.events.append(("begin", root, list(order)))

    def backward_end(self, root, completed, applied):
        self.events.append(("end", root, completed, applied))

    def created(self):
        return [e[1] for e in self.events if e[0] == "created"]


class ChainRecorder(Recorder):
    """Also asks for the events around each node's chain rule."""

    def before_chain_rule(self, node):
        self.events.append(("before", node, node.grad))

    def after_chain_rule(self, node, contributions):
        self.events.append(("after", node, tuple(contributions)))


def build(rec):
    """c = a*b + a inside listen(rec), then backward; returns the nodes."""
    with listen(rec):
        a = Value(2.0)
        b = Value(3.0)
        ab = a * b
        c = ab + a
        c.backward()
    return a, b, ab, c


def test_small_graph_announces_each_value_then_backward_begin_and_end():
    rec = Recorder()
    a, b, ab, c = build(rec)
    assert rec.events == [
        ("created", a, "", (), (), ""),
        ("created", b, "", (), (), ""),
        ("created", ab, "*", (a, b), (3.0, 2.0), ""),
        ("created", c, "+", (ab, a), (1.0, 1.0), ""),
        ("begin", c, [c, ab, b, a]),
        ("end", c, True, 4),
    ]


def test_chain_rule_events_come_only_to_listeners_that_define_them():
    plain, chain = Recorder(), ChainRecorder()
    with listen(plain):
        a, b, ab, c = build(chain)
    assert chain.events[4:] == [
        ("begin", c, [c, ab, b, a]),
        ("before", c, 1.0),
        ("after", c, (1.0, 1.0)),
        ("before", ab, 1.0),
        ("after", ab, (3.0, 2.0)),
        ("before", b, 2.0),
        ("after", b, ()),
        ("before", a, 4.0),  # 1 from c and 3 from ab: every contribution is in
        ("after", a, ()),
        ("end", c, True, 4),
    ]
    assert [e[0] for e in plain.events] == ["created"] * 4 + ["begin", "end"]


def test_constants_and_self_edges_are_announced_as_built():
    rec = Recorder()
    with listen(rec):
        x = Value(3.0)
        y = x * x + 1
    one = rec.created()[2]
    xx = y._prev[0]
    assert rec.events == [
        ("created", x, "", (), (), ""),
        ("created", xx, "*", (x, x), (3.0, 3.0), ""),
        ("created", one, "", (), (), ""),
        ("created", y, "+", (xx, one), (1.0, 1.0), ""),
    ]
    assert one.data == 1.0


def test_a_raising_listener_ends_backward_incomplete_and_the_error_propagates():
    class Raises(ChainRecorder):
        def before_chain_rule(self, node):
            super().before_chain_rule(node)
            if node._op == "*":
                raise RuntimeError("listener failed")

    rec = Raises()
    with pytest.raises(RuntimeError, match="listener failed"):
        build(rec)
    c = rec.events[3][1]
    assert rec.events[-1] == ("end", c, False, 1)  # c's rule ran, ab's did not
    assert [e[0] for e in rec.events[4:]] == [
        "begin",
        "before",
        "after",
        "before",
        "end",
    ]


def test_backward_end_tells_how_many_chain_rules_ran_when_an_interrupt_stops_it():
    class StopAtSecond:
        def __init__(self):
            self.ends = []

        def backward_begin(self, root, order):
            # what an interrupt arriving during the plain loop looks like: the third
            # node's rule raises (its child's grad cannot take the addition)
            order[2]._a.grad = None

        def backward_end(self, root, completed, applied):
            self.ends.append((completed, applied))

    listener = StopAtSecond()
    with listen(listener):
        a = Value(2.0)
        y = ((a * 3) * 4) * 5
        with pytest.raises(TypeError):
            y.backward()
    # order: y, 5, (a*3)*4, ...: the rules of y and of the leaf 5 ran, the third failed
    assert listener.ends == [(False, 2)]


def test_no_events_outside_the_listen_block():
    rec = ChainRecorder()
    before = Value(1.0)
    with listen(rec) as attached:
        assert attached is rec
        assert listeners() == (rec,)
        inside = Value(2.0)
    after = before * inside
    after.backward()
    assert rec.created() == [inside]
    assert len(rec.events) == 1
    assert listeners() == ()


def test_nested_listeners_both_hear_inner_events():
    outer, inner = Recorder(), Recorder()
    with listen(outer):
        x = Value(1.0)
        with listen(inner):
            assert listeners() == (outer, inner)
            y = Value(2.0)
    assert outer.created() == [x, y]
    assert inner.created() == [y]


class Nothing:
    def value_changed(self, value):  # not an event name
        pass


class NotCallable:
    value_created = "not a method"


@pytest.mark.parametrize("obj", [object(), Nothing(), NotCallable(), 42])
def test_listen_rejects_objects_without_event_methods(obj):
    with pytest.raises(TypeError, match=type(obj).__name__):
        with listen(obj):
            pass
    assert listeners() == ()


# ------------------------------------------------------------------ contexts


def test_listener_follows_the_code_into_asyncio_to_thread():
    rec = Recorder()

    def work():
        return Value(1.0) * 2, threading.get_ident()

    async def main():
        return await asyncio.to_thread(work)

    with listen(rec):
        (v, worker_thread) = asyncio.run(main())
    assert worker_thread != threading.get_ident()
    assert v in rec.created()
    assert len(rec.created()) == 3  # 1.0, the constant 2 and the product


def test_listener_does_not_hear_a_plain_thread_running_meanwhile():
    rec = Recorder()
    made, started, attached = [], threading.Event(), threading.Event()

    def work():
        started.set()
        attached.wait(timeout=10)
        made.append(Value(5.0) * 2)

    t = threading.Thread(target=work)
    t.start()
    started.wait(timeout=10)
    with listen(rec):
        attached.set()  # the thread builds its Values while the listener is attached
        t.join(timeout=10)
        mine = Value(1.0)
    assert made and not t.is_alive()
    assert rec.created() == [mine]


# ------------------------------------------------------------------ scopes


def test_scopes_nest_with_slashes():
    rec = Recorder()
    with listen(rec):
        top = Value(0.0)
        with scope("outer") as outer_path:
            with scope("inner") as inner_path:
                deep = Value(1.0)
                assert current_scope() == "outer/inner"
            mid = Value(2.0)
            assert current_scope() == "outer"
    assert (outer_path, inner_path) == ("outer", "outer/inner")
    assert current_scope() == ""
    assert [(e[1], e[5]) for e in rec.events] == [
        (top, ""),
        (deep, "outer/inner"),
        (mid, "outer"),
    ]


@pytest.mark.parametrize("name", ["", "a/b", None, 3])
def test_bad_scope_names_raise(name):
    with pytest.raises(ValueError, match="scope name"):
        with scope(name):
            pass
    assert current_scope() == ""


def test_nn_modules_scope_their_values_while_a_listener_is_attached():
    random.seed(0)
    model = MLP(2, [4, 1])
    rec = Recorder()
    with listen(rec):
        model([1.0, 2.0])
    scopes = [e[5] for e in rec.events]
    expected = {f"MLP/layers.0/neurons.{i}" for i in range(4)} | {
        "MLP/layers.1/neurons.0"
    }
    assert set(scopes) == expected
    # the neuron's weights are labelled with the dotted name its scope mirrors
    product = next(
        e for e in rec.events if e[5] == "MLP/layers.0/neurons.3" and e[2] == "*"
    )
    assert product[3][0].label == "layers.0.neurons.3.w.0"


def test_a_layer_called_on_its_own_scopes_under_its_class_name():
    random.seed(0)
    layer = Layer(2, 2)
    rec = Recorder()
    with listen(rec):
        layer([1.0, 2.0])
    assert {e[5] for e in rec.events} == {"Layer/neurons.0", "Layer/neurons.1"}


def test_nn_modules_push_no_scope_without_a_listener(monkeypatch):
    calls = []
    real_scope = events_module.scope

    def spy(name):
        calls.append(name)
        return real_scope(name)

    monkeypatch.setattr(events_module, "scope", spy)
    random.seed(0)
    model = MLP(2, [3, 1])
    model([1.0, 2.0])
    assert calls == []
    with listen(Recorder()):
        model([1.0, 2.0])
    assert calls[:3] == ["MLP", "layers.0", "neurons.0"]


# ----------------------------------------------------------------------------- tapes


class TapeListener:
    """A listener that keeps the Values on a tape (no call per Value), as mgdebug's recorder."""

    def __init__(self, **kwargs):
        self.tape = events_module.Tape(**kwargs)


def test_a_tape_gets_every_value_in_order_and_the_scope_changes_beside_it():
    listener = TapeListener()
    x = Value(1.0)  # before the block: never on the tape
    with scope("outer"):
        with listen(listener):
            a = x * 2.0  # the constant 2.0, then the product
            with scope("inner"):
                b = a.relu()
            c = b + a
    assert len(listener.tape) == 4 and listener.tape[0].data == 2.0
    assert listener.tape[1:] == [a, b, c]  # Values compare by identity
    # (first Value, scope path): attached inside outer, inner entered at 2 and left at 3
    assert listener.tape.scopes == [(0, "outer"), (2, "outer/inner"), (3, "outer")]


def test_a_tape_and_value_created_both_hear_every_value():
    tape_listener, caller = TapeListener(), Recorder()
    with listen(tape_listener), listen(caller):
        y = Value(3.0) * Value(4.0)
    assert list(tape_listener.tape) == caller.created() == [*y._prev, y]


def test_on_due_runs_once_the_tape_reaches_due_and_can_stop_the_code():
    seen = []

    def on_due():
        seen.append(len(listener.tape))
        if len(listener.tape) >= 6:
            raise KeyboardInterrupt("stop")
        listener.tape.due = len(listener.tape) + 2

    listener = TapeListener(due=3, on_due=on_due)
    x = Value(0.5)
    with pytest.raises(KeyboardInterrupt), listen(listener):
        for _ in range(10):
            x = x.tanh()
    assert seen == [3, 5, 7]  # the raise at 7 reached the code: no 8th Value
    assert len(listener.tape) == 7


def test_one_tape_per_context_unless_the_second_is_exclusive():
    with listen(TapeListener()):
        with pytest.raises(ValueError, match="exclusive=True"):
            with listen(TapeListener()):
                pass
        inner = TapeListener()
        with listen(inner, exclusive=True):
            v = Value(1.0) + 1.0
        assert v in list(inner.tape)


def test_a_tape_must_be_a_tape():
    class Bad:
        tape = []

    with pytest.raises(TypeError, match="micrograd.events.Tape"):
        with listen(Bad()):
            pass
