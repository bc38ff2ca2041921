"""Breakpoints (issue #6): the spec grammar, record-only hits against replay hits,
stepping and stopping at a pause, the provisional step shown while paused, where a
NaN or inf was born, pdb at the node, and live pauses in a real kernel."""

from __future__ import annotations

import json
import math
import queue
import random
import subprocess
import sys
import threading
import time

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.testing.globalipapp import start_ipython
from kernel_helpers import REPO, KernelSession, anywidget_comm_id

import mgdebug
import micrograd
from mgdebug import protocol
from mgdebug._pause import BreakpointTimeout, PauseAt, WidgetPause
from mgdebug._record import recording
from mgdebug.breakpoints import BreakpointSpecError, parse_spec, parse_specs
from mgdebug.magic import TracedCell
from mgdebug.recorder import TraceStopped
from micrograd.engine import Value
from micrograd.nn import MLP

GRAMMAR = "breakpoint specs: nonfinite | op:NAME | scope:PATH"


# ---------------------------------------------------------------------- helpers


def tiny_mlp() -> MLP:
    random.seed(0)
    return MLP(2, [3, 1])


def train(model: MLP, steps: int = 2, before_backward=None) -> list[Value]:
    """Steps of a tiny regression: forward, zero_grad, backward, SGD; the losses."""
    losses = []
    for _ in range(steps):
        loss = (model([Value(1.0), Value(-2.0)]) - 1) ** 2
        model.zero_grad()
        if before_backward is not None:
            before_backward(loss)
        loss.backward()
        for p in model.parameters():
            p.data -= 0.1 * p.grad
        losses.append(loss)
    return losses


def reachable(root: Value) -> list[Value]:
    """Every Value `root` depends on (each once), the root included."""
    seen, stack, out = set(), [root], []
    while stack:
        v = stack.pop()
        if id(v) not in seen:
            seen.add(id(v))
            out.append(v)
            stack.extend(v._prev)
    return out


def assert_trace_grads_are_live(trace, event: int, values: list[Value]) -> None:
    """state_at(event) holds exactly the grad each live Value has right now."""
    state = trace.state_at(event)
    for v in values:
        (node,) = trace.find(v, state.step)
        g = float(state.grad[node])
        same = g == v.grad or (math.isnan(g) and math.isnan(v.grad))
        assert same, (trace.describe(state.step, int(node)), g, v)


class ScriptedPause:
    """A pause handler whose answers are scripted; it notes where it was asked, and
    checks the provisional step against the live grads each time."""

    def __init__(self, trace, actions: list[str]):
        self.trace = trace
        self.actions = list(actions)
        self.pauses: list[tuple[dict, Value]] = []
        self.root: Value | None = None  # set right before each backward
        self.grads_at_pause: list[dict[int, float]] = []  # node id -> grad, per pause

    def watch(self, root: Value) -> None:
        """Called right before each backward: wait() compares this graph's grads."""
        self.root = root

    def wait(self, at) -> str:
        info, node = at.info(), at.value
        trace = at.trace  # as the viewer shows it: the step so far is its last step
        assert trace is not self.trace and trace.steps[:-1] == self.trace.steps
        assert (
            trace.steps[-1].index == info["step"] and info["step"] in trace.kept_steps()
        )
        graph = trace.graph(info["step"])
        assert graph.n_created == trace.steps[-1].num_created
        if info["event"] >= trace.event_offsets[info["step"]] + graph.n_created:
            (paused_at,) = trace.find(node, info["step"])
            assert info["node"] == paused_at
            values = reachable(self.root)
            assert_trace_grads_are_live(trace, info["event"], values)
            self.grads_at_pause.append(
                {int(trace.find(v, info["step"])[0]): v.grad for v in values}
            )
        self.pauses.append((info, node))
        return self.actions.pop(0) if self.actions else "continue"


def record_with_pause(pause_actions, specs, body):
    """Run `body(pause)` recording with live breakpoints and a ScriptedPause."""
    trace = mgdebug.Trace()
    pause = ScriptedPause(trace, pause_actions)
    with recording(trace, breakpoints=parse_specs(specs), pause=pause):
        body(pause)
    return trace, pause


# ---------------------------------------------------------------------- grammar


@pytest.mark.parametrize(
    "text, kind, argument",
    [
        ("nonfinite", "nonfinite", None),
        ("op:tanh", "op", "tanh"),
        ("op:ReLU", "op", "ReLU"),
        ("op:**2", "op", "**2"),
        ("  op:exp  ", "op", "exp"),
        ("scope:layers.1", "scope", "layers.1"),
        ("scope:/MLP/layers.0/neurons.2/", "scope", "MLP/layers.0/neurons.2"),
        ("grad>10", "condition", (False, "grad", ">", 10.0)),
        ("abs(grad)>1e3", "condition", (True, "grad", ">", 1000.0)),
        ("abs( grad ) >= 1e-3", "condition", (True, "grad", ">=", 0.001)),
        ("value<0", "condition", (False, "value", "<", 0.0)),
        ("value != -2.5", "condition", (False, "value", "!=", -2.5)),
        ("grad==inf", "condition", (False, "grad", "==", math.inf)),
        ("abs(value)<=.5", "condition", (True, "value", "<=", 0.5)),
        ("layers.1.neurons.0.*", "label", "layers.1.neurons.0.*"),
        ("layers.0.neurons.?.ReLU", "label", "layers.0.neurons.?.ReLU"),
        ("w.1", "label", "w.1"),
        ("label:nonfinte", "label", "nonfinte"),
        ("label: grad", "label", "grad"),
    ],
)
def test_every_kind_of_spec_string_parses(text, kind, argument):
    b = parse_spec(text)
    assert (b.kind, b.argument, b.text) == (kind, argument, text.strip())


def test_specs_joined_with_and_must_all_hold_and_step_n_names_one_step():
    b = parse_spec("step:57 & abs(grad)>10")
    assert (b.kind, b.text) == ("all", "step:57 & abs(grad)>10")
    assert [(t.kind, t.argument) for t in b.terms] == [
        ("step", 57),
        ("condition", (True, "grad", ">", 10.0)),
    ]
    assert (parse_spec("step: 3").kind, parse_spec("step: 3").argument) == ("step", 3)
    both = parse_spec("layers.1.* & nonfinite")
    assert [t.kind for t in both.terms] == ["label", "nonfinite"]
    assert both.once_per_backward and both.replayable


@pytest.mark.parametrize(
    "spec", ["step:", "step:x", "step:-1", "step:1.5", "op:tanh &", "& grad>1",
             "op:tanh && grad>1", "op:tanh & bad spec"],
)  # fmt: skip
def test_bad_joined_or_step_specs_say_what_is_wrong(spec):
    with pytest.raises(BreakpointSpecError) as caught:
        parse_spec(spec)
    assert GRAMMAR in str(caught.value)


def test_values_callables_and_lists_parse_too():
    v = Value(2.0, label="w")

    def big(node):
        return abs(node.grad) > 5

    bv, bc = parse_spec(v), parse_spec(big)
    assert (bv.kind, bc.kind) == ("value", "callable")
    assert bv.argument is v and bc.argument is big and bc.text == "big"
    assert parse_spec(bv) is bv  # already parsed
    assert parse_specs(None) == []
    assert [b.kind for b in parse_specs("op:tanh")] == ["op"]  # one string is one spec
    kinds = [b.kind for b in parse_specs(["op:tanh", v, big])]
    assert kinds == ["op", "value", "callable"]


@pytest.mark.parametrize(
    "spec",
    ["", "   ", "op:", "scope:", "scope:/", "grad>>1", "grad>", "abs(grad>1", "value=1",
     "grad > ten", "two words", "lr(0.1)", "grad>nan", 42, None, 1.5],
)  # fmt: skip
def test_bad_specs_raise_with_the_grammar_in_the_message(spec):
    with pytest.raises(BreakpointSpecError) as caught:
        parse_specs([spec])
    assert isinstance(caught.value, ValueError)
    assert GRAMMAR in str(caught.value)


@pytest.mark.parametrize(
    "spec, hint",
    [
        ("nonfinte", "'nonfinte': did you mean 'nonfinite'? (to break on a node "
                     "labelled 'nonfinte', write label:nonfinte)"),
        ("NaN", "did you mean 'nonfinite'?"),
        ("Nonfinite", "did you mean 'nonfinite'?"),
        ("grad", "'grad' alone is not a condition: compare it, e.g. grad>10"),
        ("Op:tanh", "did you mean 'op:tanh'?"),
        ("opp:relu", "did you mean 'op:relu'?"),
        ("scop:layers.1", "did you mean 'scope:layers.1'?"),
        ("setp:3", "did you mean 'step:3'?"),
        ("lable:w", "did you mean 'label:w'?"),
        ("x:1", "'x' is no prefix (prefixes: op: scope: step: label:)"),
        ("step 5", "did you mean 'step:5'?"),
        ("op relu", "did you mean 'op:relu'?"),
        ("grda>10", "did you mean 'grad'? (a condition compares value or grad)"),
        ("abs(vlaue)<1", "did you mean 'value'?"),
        ("step:1 & nonfnite", "did you mean 'nonfinite'?"),
    ],
)  # fmt: skip
def test_a_near_miss_of_a_keyword_says_did_you_mean(spec, hint):
    with pytest.raises(BreakpointSpecError) as caught:
        parse_spec(spec)
    assert hint in str(caught.value) and GRAMMAR in str(caught.value)


@pytest.fixture(scope="module")
def ip():
    start_ipython()  # once per process; returns None if another test module started it
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "mgdebug")
    return shell


@pytest.mark.parametrize(
    "line, texts",
    [
        ('--break "grad>10"', ["grad>10"]),
        ("--break 'abs(grad)>1e3' --break op:tanh", ["abs(grad)>1e3", "op:tanh"]),
        ('--break "abs(grad) > 1e3"', ["abs(grad) > 1e3"]),
        ("--break 'scope:layers.1' --break nonfinite", ["scope:layers.1", "nonfinite"]),
    ],
)
def test_magic_line_quotes_are_stripped_and_parse_like_python(ip, line, texts):
    cell = TracedCell(ip, line, "x = 1\n")
    assert [b.text for b in cell.breakpoints] == texts
    assert cell.breakpoints == parse_specs(texts)


def test_a_bad_spec_in_the_magic_stops_before_the_cell_runs(ip):
    ip.user_ns["ran"] = False
    with pytest.raises(UsageError, match="not a breakpoint spec") as caught:
        ip.run_cell_magic("mgtrace", '--break "grad>>10"', "ran = True\n")
    assert GRAMMAR in str(caught.value)
    assert ip.user_ns["ran"] is False


# ------------------------------------------------------------------ record-only hits


REPLAYABLE = [
    "op:ReLU",
    "op:+",
    "op:**2",
    "scope:layers.1",
    "scope:neurons.2",
    "scope:MLP/layers.0/neurons.1",
    "layers.0.neurons.1.*",
    "layers.0.neurons.?.ReLU",
    "layers.1.neurons.0.b",
    "grad>0.1",
    "abs(grad)>=0.5",
    "value<0",
]


@pytest.mark.parametrize("spec", REPLAYABLE)
def test_record_only_hits_sit_exactly_where_replay_puts_them(spec):
    model = tiny_mlp()
    with mgdebug.record(break_on=[spec]) as trace:
        train(model)
    live = [(h["event"], h["step"]) for h in trace.hits]
    replay = trace.breakpoint_hits([spec])
    assert live == [(h["event"], h["step"]) for h in replay]
    assert {h["step"] for h in replay} == {0, 1}
    for h in trace.hits:
        assert h["reason"].startswith(f"breakpoint {spec} hit at ")
    for h in replay:  # a hit: the moment right before that node's chain rule
        graph = trace.graph(h["step"])
        j = h["event"] - trace.event_offsets[h["step"]] - graph.n_created
        assert graph.visits[j] == h["node"] and h["spec"] == spec
        assert trace.state_at(h["event"]).phase == "backward"


def test_op_names_match_ignoring_case_live_and_in_replay():
    with mgdebug.record(break_on="op:relu") as trace:
        train(tiny_mlp())
    exact = trace.breakpoint_hits("op:ReLU")
    assert [h["event"] for h in trace.hits] == [h["event"] for h in exact] and exact
    assert [h["event"] for h in trace.breakpoint_hits("op:RELU")] == [
        h["event"] for h in exact
    ]


def test_an_op_the_trace_never_built_is_an_error_in_replay_and_a_warning_live():
    with pytest.warns(mgdebug.BreakpointWarning, match="'op:sigmoid' names no op"):
        with mgdebug.record(break_on=["op:sigmoid", "op:relu"]) as trace:
            train(tiny_mlp())
    notice = trace.notices[-1]
    assert notice.startswith("breakpoint 'op:sigmoid' names no op of this trace")
    assert "its ops are: *, **2, +, ReLU" in notice and notice.endswith("never hit")
    assert trace.hits  # op:relu hit as usual
    with pytest.raises(
        BreakpointSpecError, match="its ops are: \\*, \\*\\*2, \\+, ReLU"
    ):
        trace.breakpoint_hits("op:sigmoid")
    with pytest.raises(BreakpointSpecError, match="'op:tahn' names no op"):
        trace.breakpoint_hits("step:0 & op:tahn")
    # the viewer: the other specs' hits still come, the typo is reported beside them
    reply = protocol.hits(trace, ["op:relu", "op:sigmoid"], 7)
    assert reply["hits"] == trace.breakpoint_hits("op:relu")
    assert list(reply["problems"]) == ["op:sigmoid"]
    assert reply["problems"]["op:sigmoid"].startswith("'op:sigmoid' names no op of")
    assert "problems" not in protocol.hits(trace, ["op:relu"], 8)


def test_a_failing_block_still_notes_an_unknown_op_without_a_warning():
    with pytest.raises(ZeroDivisionError):
        with mgdebug.record(break_on="op:sigmoid") as trace:
            train(tiny_mlp(), steps=1)
            Value(1.0) / 0.0
    assert trace.error["type"] == "ZeroDivisionError"
    assert "'op:sigmoid' names no op" in trace.notices[-1]


JOINED = ["step:1", "step:1 & op:ReLU", "layers.0.* & grad>0.1", "op:+ & value<0"]


@pytest.mark.parametrize("spec", JOINED)
def test_joined_and_step_specs_hit_where_every_term_holds_in_every_mode(spec):
    with mgdebug.record(break_on=[spec]) as quiet:
        train(tiny_mlp(), steps=3)
    replay = quiet.breakpoint_hits([spec])
    assert [(h["event"], h["step"]) for h in quiet.hits] == [
        (h["event"], h["step"]) for h in replay
    ]
    assert replay, "each spec hits somewhere in three steps"
    # the same nodes as the terms' own hits, intersected
    terms = [t.strip() for t in spec.split("&")]
    alone = [
        {(h["event"], h["node"]) for h in quiet.breakpoint_hits([t])} for t in terms
    ]
    assert {(h["event"], h["node"]) for h in replay} == set.intersection(*alone)
    if spec.startswith("step:1"):
        assert {h["step"] for h in replay} == {1}

    def body(pause):
        train(tiny_mlp(), steps=3, before_backward=pause.watch)

    live, pause = record_with_pause([], [spec], body)
    assert live.hits == quiet.hits
    assert [info["event"] for info, _ in pause.pauses] == [
        h["event"] for h in live.hits
    ]


def test_a_joined_nonfinite_spec_pauses_once_at_the_first_match_inside_its_scope():
    def body(pause):
        x = Value(0.0, label="x")
        with micrograd.scope("early"):
            r = x**0.5  # d/dx = inf: x's grad is born non-finite here
        with micrograd.scope("late"):
            y = (r * 2.0) * Value(1e308) * Value(1e308)  # inf in forward, late
        pause.root = y
        y.backward()

    trace, pause = record_with_pause([], ["scope:late & nonfinite"], body)
    reasons = [info["reason"] for info, _ in pause.pauses]
    assert len(reasons) == 1 and reasons[0].startswith(
        "breakpoint scope:late & nonfinite hit at"
    )
    (info, node) = pause.pauses[0]
    assert not math.isfinite(node.grad)
    (nid,) = trace.find(node, 0)
    assert trace.strings.scopes[int(trace.graph(0).scope[nid])] == "late"
    assert (
        trace.breakpoint_hits(["scope:late & nonfinite"])[0]["event"] == info["event"]
    )


def test_the_magic_and_the_viewer_take_joined_specs(ip):
    cell = TracedCell(ip, '--break "step:1 & op:ReLU" --break step:0', "x = 1\n")
    assert [b.text for b in cell.breakpoints] == ["step:1 & op:ReLU", "step:0"]
    with mgdebug.record() as trace:
        train(tiny_mlp(), steps=2)
    reply, _ = protocol.answer(
        trace, {"kind": "get_hits", "id": 7}, breakpoints=["step:1 & op:ReLU"]
    )
    assert reply["kind"] == "hits" and reply["id"] == 7
    assert reply["hits"] == trace.breakpoint_hits(["step:1 & op:ReLU"]) != []
    assert {h["step"] for h in reply["hits"]} == {1}
    bad, _ = protocol.answer(
        trace, {"kind": "get_hits", "id": 8}, breakpoints=["step:"]
    )
    assert bad["kind"] == "error" and "step: needs a step number" in bad["message"]


def test_a_value_object_breaks_at_that_very_node_in_every_step():
    model = tiny_mlp()
    weight = model.layers[1].neurons[0].w[2]
    with mgdebug.record(break_on=weight) as trace:
        train(model)
    replay = trace.breakpoint_hits([weight])
    assert [h["event"] for h in trace.hits] == [h["event"] for h in replay]
    assert [h["step"] for h in replay] == [0, 1]
    for h in replay:
        assert trace.find(weight, h["step"]).tolist() == [h["node"]]
        assert trace.describe(h["step"], h["node"]) == "layers.1.neurons.0.w.2 (leaf)"


def test_several_specs_note_each_node_once_under_the_first_spec_that_matches():
    model = tiny_mlp()
    with mgdebug.record(break_on=REPLAYABLE) as trace:
        train(model)
    replay = trace.breakpoint_hits(REPLAYABLE)  # one entry per (node, spec)
    assert [h["event"] for h in trace.hits] == sorted({h["event"] for h in replay})
    for h in trace.hits:
        specs = [r["spec"] for r in replay if r["event"] == h["event"]]
        first = min(REPLAYABLE.index(spec) for spec in specs)
        assert h["reason"].startswith(f"breakpoint {REPLAYABLE[first]} hit")


def test_record_only_and_a_pausing_handler_find_the_same_hits():
    # record-only finds hits when each backward ends; with a pause handler each node
    # is checked live, right before its chain rule
    with mgdebug.record(break_on=REPLAYABLE) as quiet:
        train(tiny_mlp())

    def body(pause):
        train(tiny_mlp(), before_backward=pause.watch)

    live, pause = record_with_pause([], REPLAYABLE, body)
    assert quiet.hits == live.hits
    assert [info["event"] for info, _ in pause.pauses] == [
        h["event"] for h in live.hits
    ]


def test_a_callable_breaks_live_only():
    def relu_with_grad(node):
        return node._op == "ReLU" and node.grad != 0

    with mgdebug.record(break_on=relu_with_grad) as trace:
        train(tiny_mlp())
    relu = trace.breakpoint_hits(["op:ReLU"])
    expected = [
        h["event"] for h in relu if trace.state_at(h["event"]).grad[h["node"]] != 0
    ]
    assert [h["event"] for h in trace.hits] == expected and expected
    assert trace.hits[0]["reason"].startswith("breakpoint relu_with_grad hit at ")
    with pytest.raises(TypeError, match="'relu_with_grad' is a callable: it can only"):
        trace.breakpoint_hits([relu_with_grad])  # recorded numbers cannot call it


def test_a_label_set_by_hand_to_any_type_is_matched_as_text_live_past_the_cap():
    with pytest.warns(mgdebug.RecordingCapWarning):  # the step's nodes are not read
        with mgdebug.record(max_nodes=2, break_on=["5", lambda node: False]) as trace:
            a = Value(1.0)
            c = a * 2.0 * 3.0
            c.label = 5
            (c + 1.0).backward()
    assert trace.kept_steps() == []  # past the cap: checked on the live Values
    assert [h["reason"] for h in trace.hits] == ["breakpoint 5 hit at 5"]


def test_no_breakpoints_leave_no_hits_and_no_listener_behind():
    with mgdebug.record(break_on=[]) as trace:
        train(tiny_mlp())
    assert trace.hits == [] and micrograd.events.active == 0


# ---------------------------------------------------------------------- pausing


def test_step_pauses_at_the_very_next_node_and_continue_runs_to_the_next_hit():
    def body(pause):
        a = Value(0.5, label="a")
        b = (a * 2).tanh()
        c = (b * 3).tanh()
        pause.root = c
        body.nodes = (a, b, c)
        c.backward()

    trace, pause = record_with_pause(["step", "continue", "continue"], "op:tanh", body)
    a, b, c = body.nodes
    order = trace.graph(0).visits.tolist()
    paused_at = [node for _, node in pause.pauses]
    assert paused_at[0] is c and paused_at[2] is b
    assert paused_at[1] is c._prev[0]  # the node visited right after c: b * 3
    reasons = [info["reason"] for info, _ in pause.pauses]
    assert reasons[0].startswith("breakpoint op:tanh hit at tanh node")
    assert reasons[1].startswith("stepped to * node")
    assert reasons[2].startswith("breakpoint op:tanh hit at tanh node")
    n_created = trace.graph(0).n_created
    for info, node in pause.pauses:  # backward begins, then one event per chain rule
        (nid,) = trace.find(node, 0)
        assert info["event"] == n_created + order.index(nid)
    events = [info["event"] for info, _ in pause.pauses]
    assert [h["event"] for h in trace.hits] == events
    assert len(trace.steps) == 1
    assert trace.steps[0].backward_completed and a.grad == pytest.approx(
        (1 - c.data**2) * 3 * (1 - b.data**2) * 2
    )


def test_stop_raises_trace_stopped_and_the_trace_keeps_what_ran():
    model = tiny_mlp()
    trace = mgdebug.Trace()
    pause = ScriptedPause(trace, ["continue", "continue", "continue", "stop"])

    with pytest.raises(TraceStopped, match="stopped at a breakpoint"):
        with recording(trace, breakpoints=parse_specs("op:ReLU"), pause=pause):
            train(model, steps=2, before_backward=pause.watch)
    assert micrograd.events.active == 0
    assert trace.error["type"] == "TraceStopped"
    assert len(trace.steps) == 2  # three ReLUs in step 0, stopped at step 1's first
    last, (info, node) = trace.steps[-1], pause.pauses[-1]
    assert last.has_backward and not last.backward_completed
    assert trace.steps[0].backward_completed
    # the last event is the pause: every chain rule before the node ran, its own did not
    assert trace.num_events - 1 == info["event"]
    graph = trace.graph(1)
    assert last.num_visits == info["event"] - trace.event_offsets[1] - graph.n_created
    assert node._op == "ReLU" and node.grad != 0
    assert all(c.grad == 0 for c in node._prev)  # its own chain rule did not run
    assert_trace_grads_are_live(trace, info["event"], reachable(pause.root))


def test_while_paused_the_step_so_far_is_a_provisional_last_step():
    model = tiny_mlp()
    trace = mgdebug.Trace()
    pause = ScriptedPause(trace, [])  # continue every time; wait() checks each pause

    with recording(trace, breakpoints=parse_specs(["op:ReLU", "value<0"]), pause=pause):
        train(model, steps=2, before_backward=pause.watch)
    assert len(pause.pauses) == len(trace.hits) > 6
    assert {info["step"] for info, _ in pause.pauses} == {0, 1}
    assert len(pause.grads_at_pause) == len(pause.pauses)  # every pause was checked
    assert len(trace.steps) == 2
    # once done, the same events of the final trace show the grads seen while paused
    for (info, _), seen in zip(pause.pauses, pause.grads_at_pause, strict=True):
        grad = trace.state_at(info["event"]).grad
        assert {node: grad[node] for node in seen} == seen


class FakeViewer:
    def __init__(self):
        self.shown: list[dict] = []

    def show_pause(self, at) -> None:
        self.shown.append(at.info() if at is not None else {})


def pause_at(reason="r", step=0, event=3, node=1) -> PauseAt:
    return PauseAt(reason, step, event, node, value=None, trace=mgdebug.Trace())


def test_widget_pause_waits_for_a_button_from_another_thread():
    viewer = FakeViewer()
    pause = WidgetPause(viewer, timeout_s=30)
    at = pause_at()
    clicker = threading.Timer(0.05, pause.command, ["step"])
    clicker.start()
    assert pause.wait(at) == "step"
    assert viewer.shown == [at.info(), {}]  # shown while paused, cleared after
    with pytest.raises(ValueError, match="unknown command 'jump'"):
        pause.command("jump")


def test_widget_pause_times_out_with_a_clear_message():
    viewer = FakeViewer()
    pause = WidgetPause(viewer, timeout_s=0.01)
    with pytest.raises(BreakpointTimeout) as caught:
        pause.wait(pause_at("breakpoint op:tanh hit at b"))
    assert isinstance(caught.value, TraceStopped)
    assert str(caught.value) == (
        "paused at 'breakpoint op:tanh hit at b' for 0.01 s without Continue; the cell "
        "stops here and the trace keeps what ran (--timeout or MGDEBUG_PAUSE_TIMEOUT sets "
        "the wait)"
    )
    assert viewer.shown[-1] == {}


def test_widget_pause_after_a_stop_never_waits_again():
    viewer = FakeViewer()
    pause = WidgetPause(viewer, timeout_s=30)
    pause.command("stop")  # Stop clicked while the body ran on to a breakpoint
    assert pause.wait(pause_at(event=3)) == "stop"
    pause.command("continue")  # a late click does not undo the Stop
    assert pause.wait(pause_at(event=4)) == "stop"
    assert viewer.shown == []  # nothing to show: it never paused


# ----------------------------------------------------------------- non-finite values


def test_nonfinite_pauses_in_forward_where_the_inf_is_born_with_its_inputs():
    def body(pause):
        x = Value(1000.0, label="x")
        e = x.exp()
        y = e * 0  # inf * 0 = nan, but the inf was born one node earlier
        body.nodes = (x, e, y)
        pause.root = y
        y.backward()

    trace, pause = record_with_pause([], "nonfinite", body)
    x, e, y = body.nodes
    info, node = pause.pauses[0]
    assert node is e
    assert info["reason"] == "non-finite value inf born in forward at exp(1000.0)"
    assert (info["step"], info["event"], info["node"]) == (0, 1, 1)
    # the forward pause reported only the birth, not every node that inherits it
    assert [i["event"] for i, _ in pause.pauses if "forward" in i["reason"]] == [1]
    for i, _ in pause.pauses[1:]:
        assert i["reason"].startswith("breakpoint nonfinite hit at")
    # backward pauses once: at the first node whose grad is not finite (the constant 0,
    # whose grad is e.data * 1 = inf), not at every node that inherits the nan after it
    assert len(pause.pauses) == 2
    assert pause.pauses[1][1]._op == "" and pause.pauses[1][1].data == 0.0
    assert pause.pauses[1][1].grad == float("inf") and pause.pauses[1][0]["event"] == 5
    assert [h["event"] for h in trace.hits] == [i["event"] for i, _ in pause.pauses]


def test_nonfinite_forward_pause_shows_the_step_without_a_backward():
    seen = {}

    class Peek(ScriptedPause):
        def wait(self, at):
            seen["has_backward"] = at.trace.steps[-1].has_backward
            seen["phase"] = at.trace.state_at(at.event).phase
            seen["value"] = at.trace.state_at(at.event).value[at.node]
            return "stop"

    trace = mgdebug.Trace()
    pause = Peek(trace, [])
    with pytest.raises(TraceStopped):
        with recording(trace, breakpoints=parse_specs("nonfinite"), pause=pause):
            x = Value(2.0)
            y = (x * 400).exp()
            y.backward()
    assert seen == {"has_backward": False, "phase": "forward", "value": math.inf}
    assert trace.steps[0].num_created == 4 and not trace.steps[0].has_backward


def test_first_nonfinite_forward_names_the_op_and_its_finite_inputs():
    with mgdebug.record() as trace:
        x = Value(1000.0, label="x")
        e = x.exp()
        e.label = "e"
        y = e * 0
        y.backward()
    assert trace.first_nonfinite() == {
        "phase": "forward",
        "step": 0,
        "event": 1,
        "node": 1,
        "op": "exp",
        "value": math.inf,
        "inputs": [1000.0],
        "local_grads": [math.inf],
        "what": "e (exp) = inf from inputs [1000.0]",
        "steps_not_searched": [],
    }


def test_first_nonfinite_backward_points_at_the_chain_rule_that_made_nan():
    with mgdebug.record() as trace:
        x = Value(0.0, label="x")
        r = x**0.5  # forward sqrt(0) = 0 is fine; d/dx = 0.5 / sqrt(0) = inf
        r.label = "r"
        z = r * 0
        z.backward()
    assert math.isnan(x.grad)
    found = trace.first_nonfinite()
    n_created = trace.graph(0).n_created  # x, r, the constant 0, z
    visits = trace.graph(0).visits.tolist()
    assert found == {
        "phase": "backward",
        "step": 0,
        "event": n_created + 1 + visits.index(1),  # right after r's chain rule
        "node": 1,
        "child": 0,
        "local_grad": math.inf,
        "grad": 0.0,
        "what": "chain rule of r (**0.5) gave x (leaf) inf * 0.0 = nan",
        "steps_not_searched": [],
    }
    assert math.isnan(trace.state_at(found["event"]).grad[0])
    assert trace.state_at(found["event"] - 1).grad[0] == 0.0


def test_first_nonfinite_backward_inf_from_an_infinite_local_derivative():
    with mgdebug.record() as trace:
        x = Value(0.0, label="x")
        z = (x**0.5) * 3
        z.backward()
    found = trace.first_nonfinite()
    assert (found["phase"], found["node"], found["child"]) == ("backward", 1, 0)
    assert (found["local_grad"], found["grad"]) == (math.inf, 3.0)
    assert found["what"] == "chain rule of #1 (**0.5) gave x (leaf) inf * 3.0 = inf"


def test_first_nonfinite_notes_a_grad_already_infinite_when_backward_began():
    x = Value(0.0, label="x")
    x.grad = math.inf  # from an earlier backward nobody recorded
    with mgdebug.record() as trace:
        y = x * 2
        y.backward()
    found = trace.first_nonfinite()
    assert found["phase"] == "backward" and found["event"] == trace.graph(0).n_created
    assert found["what"] == (
        "x (leaf) started backward with grad inf (accumulated in an earlier backward)"
    )


def test_first_nonfinite_names_the_steps_it_could_not_search():
    # keep_every=2: steps 0 and 2 kept, step 1 a summary only, step 3 the latest
    with mgdebug.record(keep_every=2) as trace:
        for k in range(4):
            y = Value(1.0) * (Value(1000.0).exp() if k == 3 else 2.0)
            y.backward()
    assert trace.kept_steps() == [0, 2, 3]
    found = trace.first_nonfinite()
    assert (found["phase"], found["step"], found["op"]) == ("forward", 3, "exp")
    assert found["steps_not_searched"] == [1]
    assert found["event"] == trace.event_offsets[3] + found["node"]


def test_no_nonfinite_anywhere_gives_none():
    with mgdebug.record() as trace:
        train(tiny_mlp())
    assert trace.first_nonfinite() is None


# ---------------------------------------------------------------------- pdb


PDB_SCRIPT = """\
import mgdebug
from micrograd.engine import Value
from mgdebug.recorder import TraceStopped

try:
    with mgdebug.record(break_on="op:tanh", on_break="pdb") as trace:
        a = Value(0.5, label="a")
        b = (a * 2).tanh()
        b.backward()
    print("finished", len(trace.hits), repr(a.grad))
except TraceStopped as e:
    print("stopped:", trace.error["type"], trace.steps[-1].backward_completed, e)
"""


def run_pdb_script(tmp_path, commands: str) -> subprocess.CompletedProcess:
    script = tmp_path / "pdb_at_tanh.py"
    script.write_text(PDB_SCRIPT)
    return subprocess.run(
        [sys.executable, str(script)], input=commands, capture_output=True, text=True,
        timeout=60, cwd=REPO,
    )  # fmt: skip


def test_pdb_opens_at_the_node_with_children_and_grads_at_hand(tmp_path):
    commands = "p node.data\np grads\np [c.data for c in children]\nc\n"
    done = run_pdb_script(tmp_path, commands)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert (
        "mgdebug: breakpoint op:tanh hit at tanh node (0.761594) (step 0, event 4)\n"
        in out
    )
    assert f"(Pdb) {math.tanh(1.0)!r}\n" in out  # node.data
    assert "(Pdb) [0.0]\n" in out  # grads: the child's, before tanh's rule adds to it
    assert "(Pdb) [1.0]\n" in out  # children: a * 2
    assert f"finished 1 {(1 - math.tanh(1.0) ** 2) * 2!r}" in out  # the script went on


def test_q_at_the_pdb_prompt_stops_with_trace_stopped(tmp_path):
    done = run_pdb_script(tmp_path, "q\n")
    assert done.returncode == 0, done.stderr
    stopped = "stopped: TraceStopped False stopped at a breakpoint (breakpoint op:tanh"
    assert stopped in done.stdout
    assert "finished" not in done.stdout and "BdbQuit" not in done.stderr


# ----------------------------------------------------------------- live, in a kernel


@pytest.fixture(scope="module")
def kernel():
    session = KernelSession()
    session.run("from micrograd.engine import Value\nimport micrograd, mgdebug")
    yield session
    session.close()


CHAIN = (
    "a = Value(0.5, label='a')\n"
    "b = (a * 2).tanh()\n"
    "c = (b * 3).tanh()\n"
    "c.backward()\n"
    "a_grad = a.grad\n"
)  # backward visits c (tanh), b*3, 3, b (tanh), a*2, 2, a: events 7 to 13
A_GRAD = (1 - math.tanh(3 * math.tanh(1.0)) ** 2) * 3 * (1 - math.tanh(1.0) ** 2) * 2


class Clicker:
    """Watches a cell's messages; at each pause, clicks the next scripted button."""

    def __init__(self, kernel: KernelSession, actions: list[str], at_pause=None):
        self.kernel = kernel
        self.actions = list(actions)
        self.at_pause = at_pause  # called at each pause, before the click
        self.comm_id = None
        self.paused: list[dict] = []  # every non-empty `paused` state, in order
        self.cleared = 0  # times `paused` went back to {}
        self.errors: list[str] = []  # `error` messages from the viewer

    def __call__(self, msg) -> None:
        kind, content = msg["msg_type"], msg["content"]
        if kind == "comm_open":
            if content["data"].get("state", {}).get("_model_name") == "AnyModel":
                self.comm_id = content["comm_id"]
        if kind != "comm_msg" or content["comm_id"] != self.comm_id:
            return
        data = content["data"]
        if data.get("method") == "custom" and data["content"].get("kind") == "error":
            self.errors.append(data["content"]["message"])
        if data.get("method") != "update" or "paused" not in data["state"]:
            return
        state = data["state"]["paused"]
        if not state:
            self.cleared += 1
            return
        self.paused.append(state)
        if self.at_pause is not None:
            self.at_pause(self)
        if self.actions:
            self.click(self.actions.pop(0))

    def click(self, action: str) -> None:
        self.kernel.send_custom(self.comm_id, {"kind": "command", "action": action})


def collect_cells(kernel: KernelSession, ids: list[str], on_message, count: int):
    """Read iopub until `count` cells of `ids` are idle; [(cell id, msg)] in order.

    Unlike KernelSession.collect, every message reaches `on_message` (the viewer's
    answers to a click have the click as parent, not the cell), and `ids` may grow
    while we read (a cell queued from `on_message`).
    """
    log, idle = [], set()
    deadline = time.monotonic() + 60
    while len(idle) < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"cells not idle after 60 s: {set(ids) - idle}")
        try:
            msg = kernel.kc.get_iopub_msg(timeout=1)
        except queue.Empty:
            continue
        on_message(msg)
        parent = msg["parent_header"].get("msg_id")
        log.append((parent, msg))
        if parent in ids and msg["msg_type"] == "status":
            if msg["content"]["execution_state"] == "idle":
                idle.add(parent)
    return [(cell, msg) for cell, msg in log if cell in ids]


def next_custom_message(kernel: KernelSession, comm_id: str) -> dict:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        msg = kernel.kc.get_iopub_msg(timeout=10)
        if msg["msg_type"] == "comm_msg" and msg["content"]["comm_id"] == comm_id:
            data = msg["content"]["data"]
            if data.get("method") == "custom":
                return data["content"]
    raise TimeoutError("no custom message from the viewer")


def run_clicking(kernel: KernelSession, line: str, clicker: Clicker):
    return kernel.collect(kernel.execute(f"%%mgtrace {line}\n" + CHAIN), 30, clicker)


def printed(kernel: KernelSession, expression: str) -> list[str]:
    return kernel.run(f"print({expression})").streams.split()


@pytest.mark.kernel
def test_a_paused_cell_steps_and_continues_from_viewer_buttons(kernel):
    clicker = Clicker(kernel, ["step", "continue", "continue"])
    r = run_clicking(kernel, "--name bp --break op:tanh", clicker)
    assert r.status == "ok", r.traceback
    reasons = [p["reason"] for p in clicker.paused]
    assert reasons[0].startswith("breakpoint op:tanh hit at tanh node (0.979")  # c
    assert reasons[1].startswith("stepped to * node")  # the very next chain rule: b * 3
    assert reasons[2].startswith("breakpoint op:tanh hit at tanh node (0.761")  # b
    assert [(p["step"], p["event"], p["node"]) for p in clicker.paused] == [
        (0, 7, 6),
        (0, 8, 5),
        (0, 10, 3),
    ]
    assert clicker.cleared == 3 and not clicker.errors
    out = kernel.run("import json; print(json.dumps(bp.hits))").streams
    assert [(h["event"], h["reason"]) for h in json.loads(out)] == [
        (p["event"], p["reason"]) for p in clicker.paused
    ]
    assert printed(kernel, "a_grad, len(bp.steps), micrograd.events.active") == [
        repr(A_GRAD),
        "1",
        "0",
    ]


@pytest.mark.kernel
def test_an_unknown_button_while_paused_answers_an_error_and_the_pause_goes_on(kernel):
    def click_a_bogus_button_first(clicker):
        if len(clicker.paused) == 1:
            clicker.click("jump")

    clicker = Clicker(kernel, ["continue", "continue"], click_a_bogus_button_first)
    cell = kernel.execute("%%mgtrace --name bogus --break op:tanh\n" + CHAIN)
    log = collect_cells(kernel, [cell], clicker, count=1)
    assert not [m for _, m in log if m["msg_type"] == "error"]
    assert len(clicker.errors) == 1 and "unknown command 'jump'" in clicker.errors[0]
    assert len(clicker.paused) == 2


@pytest.mark.kernel
def test_stop_while_paused_ends_the_cell_with_trace_stopped_keeping_the_trace(kernel):
    clicker = Clicker(kernel, ["continue", "stop"])
    r = run_clicking(kernel, "--name halted --break op:tanh", clicker)
    assert r.error["ename"] == "TraceStopped"
    assert r.error["evalue"] == (
        "stopped at a breakpoint (breakpoint op:tanh hit at tanh node (0.761594)); "
        "the trace keeps what ran"
    )
    assert clicker.cleared == 2
    # stopped right before b's chain rule: 3 of 7 ran; events: 7 nodes, begin, 3 rules
    s = "halted.steps[-1]"
    assert printed(
        kernel,
        f"halted.error['type'], {s}.backward_completed, {s}.num_visits, "
        "halted.num_events, len(halted.hits), len(halted.steps), micrograd.events.active",
    ) == ["TraceStopped", "False", "3", "11", "2", "1", "0"]


@pytest.mark.kernel
def test_a_pause_nobody_answers_times_out_with_a_clear_message(kernel):
    clicker = Clicker(kernel, [])
    r = run_clicking(kernel, "--name idle --timeout 1 --break op:tanh", clicker)
    assert r.error["ename"] == "BreakpointTimeout"
    assert "for 1 s without Continue" in r.error["evalue"]
    assert "(--timeout or MGDEBUG_PAUSE_TIMEOUT sets the wait)" in r.error["evalue"]
    assert len(clicker.paused) == 1 and clicker.cleared == 1
    assert printed(
        kernel,
        "idle.error['type'], len(idle.steps), micrograd.events.active",
    ) == ["BreakpointTimeout", "1", "0"]


@pytest.mark.kernel
def test_kernel_interrupt_while_paused_stops_the_cell_without_waiting_out_the_pause(
    kernel,
):
    clicker = Clicker(kernel, [], at_pause=lambda _: kernel.km.interrupt_kernel())
    r = run_clicking(kernel, "--name interrupted --timeout 20 --break op:tanh", clicker)
    assert r.error["ename"] == "TraceStopped"
    # had the worker waited out the pause, the trace would say BreakpointTimeout
    assert printed(kernel, "interrupted.error['type'], micrograd.events.active") == [
        "TraceStopped",
        "0",
    ]


@pytest.mark.kernel
def test_a_cell_queued_while_another_is_paused_runs_after_it_and_sees_its_names(kernel):
    kernel.run("a_grad = None")
    ids: list[str] = []

    def queue_the_next_cell(clicker):
        if len(clicker.paused) == 1:  # as Run All does: the next cell waits its turn
            ids.append(kernel.execute("print('second sees', a_grad, len(first.hits))"))
            time.sleep(0.5)  # time enough to start, if it were going to

    clicker = Clicker(kernel, ["continue", "continue"], queue_the_next_cell)
    ids.append(kernel.execute("%%mgtrace --name first --break op:tanh\n" + CHAIN))
    log = collect_cells(kernel, ids, clicker, count=2)
    first, second = ids
    states = [
        (c, m["content"]["execution_state"])
        for c, m in log
        if m["msg_type"] == "status"
    ]
    assert states == [
        (first, "busy"),
        (first, "idle"),
        (second, "busy"),
        (second, "idle"),
    ]
    assert not [m for _, m in log if m["msg_type"] == "error"]
    text = [
        m["content"]["text"]
        for c, m in log
        if c == second and m["msg_type"] == "stream"
    ]
    assert "".join(text) == f"second sees {A_GRAD!r} 2\n"


@pytest.mark.kernel
def test_buttons_when_nothing_is_paused_answer_an_error_message(kernel):
    ran_past = kernel.run("%%mgtrace --name calm --break op:sigmoid\n" + CHAIN)
    assert ran_past.status == "ok" and printed(kernel, "calm.hits") == ["[]"]
    no_breaks = kernel.run("%%mgtrace --name plain\n" + CHAIN)
    shown = kernel.run("_ = mgdebug.show(plain)")
    for result in (ran_past, no_breaks, shown):
        comm_id = anywidget_comm_id(result)
        for action in ("continue", "step", "over", "out", "stop"):
            kernel.send_custom(comm_id, {"kind": "command", "action": action})
            reply = next_custom_message(kernel, comm_id)
            assert reply["kind"] == "error", reply
            assert "nothing is paused" in reply["message"]
            assert repr(action) in reply["message"]
    assert printed(kernel, "1 + 1") == ["2"]  # the kernel is fine


def test_first_nonfinite_is_asked_again_once_the_trace_has_grown():
    with mgdebug.record() as trace:
        (Value(1.0) * 2.0).backward()
        assert trace.first_nonfinite() is None
        assert trace.first_nonfinite() is None  # (kept: the trace did not change)
        (Value(1000.0).exp() * 2.0).backward()
    found = trace.first_nonfinite()
    assert (found["phase"], found["step"], found["op"]) == ("forward", 1, "exp")
    found["step"] = 99  # a caller's copy: the next answer is the trace's
    assert trace.first_nonfinite()["step"] == 1
