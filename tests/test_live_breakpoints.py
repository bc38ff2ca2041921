"""The viewer's breakpoint list on a running cell (mgdebug/_live.py LiveSpecs, the
`breakpoints` trait): changes apply live, thread-safely; with none set a backward costs no
per-node events; hits counted while paused include the pause; a paused step travels with
its whole visit order and its structure's key. Also: the spec checks the viewer runs as
the user types agree with the parser (js/fixtures/specs.json)."""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

import pytest
from kernel_helpers import REPO, KernelSession
from test_breakpoints import CHAIN, Clicker, ScriptedPause, collect_cells

import mgdebug
import micrograd
from mgdebug import protocol
from mgdebug._live import LiveSpecs
from mgdebug._record import recording
from mgdebug.breakpoints import parse_specs
from micrograd.engine import Value

# ---------------------------------------------------------------------- in Python


class Answers:
    """A pause handler that notes each pause and answers Continue."""

    def __init__(self):
        self.pauses: list[tuple[dict, Value]] = []

    def wait(self, at) -> str:
        self.pauses.append((at.info(), at.value))
        return "continue"


class Probe:
    """Attached inside the recording: does this backward run per-node events?"""

    def __init__(self):
        self.per_node: list[bool] = []

    def backward_begin(self, root, order):
        self.per_node.append(any(micrograd.events.chain_rule_listeners()))


def chain(k: float = 0.5):
    a = Value(k, label="a")
    c = ((a * 2).tanh() * 3).tanh()
    c.backward()
    return a, c


def test_with_nothing_to_check_a_backward_runs_no_per_node_events_until_a_spec_is_set():
    trace = mgdebug.Trace()
    specs = LiveSpecs()
    pause = Answers()
    probe = Probe()
    with recording(trace, pause=pause, live_specs=specs), micrograd.listen(probe):
        chain()
        specs.replace(
            parse_specs("op:tanh")
        )  # the viewer's list, set between backwards
        chain()
        specs.replace([])
        chain()
    assert probe.per_node == [False, True, False]
    assert [info["spec"] for info, _ in pause.pauses] == ["op:tanh", "op:tanh"]
    assert {info["step"] for info, _ in pause.pauses} == {1}


def test_specs_replaced_while_paused_apply_from_the_next_chain_rule():
    trace = mgdebug.Trace()
    specs = LiveSpecs(parse_specs("op:tanh"))

    class Edit(ScriptedPause):
        def wait(self, at):
            action = super().wait(at)
            if (
                len(self.pauses) == 1
            ):  # at c's tanh: break at every * instead, from now on
                specs.replace(parse_specs("op:*"))
            return action

    pause = Edit(trace, [])
    with recording(
        trace, breakpoints=parse_specs("op:tanh"), pause=pause, live_specs=specs
    ):
        a = Value(0.5, label="a")
        b = (a * 2).tanh()
        c = (b * 3).tanh()
        pause.root = c
        c.backward()
    ops = [node._op for _, node in pause.pauses]
    assert ops == ["tanh", "*", "*"]  # b's tanh no longer pauses: it was taken out
    replay = [h["event"] for h in trace.breakpoint_hits("op:*")]
    assert [info["event"] for info, _ in pause.pauses][1:] == replay


def test_a_spec_replaced_from_another_thread_is_adopted_whole():
    trace = mgdebug.Trace()
    specs = LiveSpecs()
    pause = Answers()
    stop = threading.Event()

    def flip():
        while not stop.is_set():
            specs.replace(parse_specs(["op:tanh", "op:*"]))
            specs.replace(parse_specs("op:tanh"))

    flipper = threading.Thread(target=flip)
    flipper.start()
    try:
        with recording(trace, pause=pause, live_specs=specs):
            for _ in range(20):
                chain()
    finally:
        stop.set()
        flipper.join()
    # every pause is at a node one of the two lists names, under a spec from the list
    assert pause.pauses
    for info, node in pause.pauses:
        assert (info["spec"], node._op) in (("op:tanh", "tanh"), ("op:*", "*"))


def test_hits_asked_while_paused_count_the_paused_node_too():
    trace = mgdebug.Trace()
    seen = []

    class Ask(ScriptedPause):
        def wait(self, at):
            reply, _ = protocol.answer(
                at.trace, {"kind": "get_hits", "id": 1}, breakpoints=["op:tanh", "op:*"],
                recording=True, paused=at.info(),
            )  # fmt: skip
            seen.append((at.info(), reply))
            return super().wait(at)

    pause = Ask(trace, [])
    with recording(trace, breakpoints=parse_specs("op:tanh"), pause=pause):
        a = Value(0.5, label="a")
        c = ((a * 2).tanh() * 3).tanh()
        pause.root = c
        c.backward()
    final = trace.breakpoint_hits(["op:tanh", "op:*"])
    for info, reply in seen:
        so_far = [h for h in final if h["event"] <= info["event"]]
        assert reply["hits"] == so_far  # every hit up to the pause, its own included
        assert info["event"] in [
            h["event"] for h in reply["hits"] if h["spec"] == "op:tanh"
        ]
        assert reply["live"] == [h for h in trace.hits if h["event"] <= info["event"]]


def test_a_paused_step_comes_whole_with_how_many_chain_rules_ran():
    trace = mgdebug.Trace()
    bundles = []

    class Fetch(Answers):
        def wait(self, at):
            reply, [_, structure] = protocol.answer(
                at.trace, {"kind": "get_step", "id": 1, "step": at.step}
            )  # its numbers, and its structure (none held)
            bundles.append((at.info(), reply, mgdebug._bundle.decode(structure)[0]))
            return super().wait(at)

    pause = Fetch()
    with recording(trace, breakpoints=parse_specs("op:tanh"), pause=pause):
        chain()
    final = trace.graph(0)
    keys = {reply["structure"] for _, reply, _ in bundles}
    assert keys == {protocol.structure_key(final)}  # one structure for every pause
    for info, reply, columns in bundles:
        assert columns["visits"].tolist() == final.visits.tolist()  # the whole order
        assert reply["num_visits"] == info["event"] - final.n_created  # of which ran


def test_the_viewer_checks_specs_as_the_parser_does():
    sys.path.insert(0, str(REPO / "js" / "fixtures"))
    try:
        from make_fixtures import spec_answers
    finally:
        sys.path.pop(0)
    fixture = json.loads((REPO / "js/fixtures/specs.json").read_text(encoding="utf-8"))
    assert fixture == spec_answers(), (
        "the parser changed: run js/fixtures/make_fixtures.py, then npm test"
    )
    assert Path(REPO / "js/src/data/specs.test.ts").exists()


# ---------------------------------------------------------------------- in a kernel


@pytest.fixture(scope="module")
def kernel():
    session = KernelSession()
    session.run("from micrograd.engine import Value\nimport micrograd, mgdebug, time")
    yield session
    session.close()


def set_breakpoints(kernel: KernelSession, comm_id: str, specs: list[str]) -> None:
    """What the viewer's list does: a change of the `breakpoints` trait."""
    kernel.send_comm(comm_id, {"method": "update", "state": {"breakpoints": specs},
                               "buffer_paths": []})  # fmt: skip


@pytest.mark.kernel
def test_the_list_edited_while_paused_applies_to_the_running_cell(kernel):
    def edit(clicker):
        if len(clicker.paused) == 1:  # at c's tanh: break on every * instead
            set_breakpoints(kernel, clicker.comm_id, ["op:*"])
            time.sleep(0.3)  # (the trait reaches the kernel before the click does)

    clicker = Clicker(kernel, ["continue"] * 3, at_pause=edit)
    hits = []

    def watch(msg):
        clicker(msg)
        data = msg["content"].get("data", {})
        if (
            msg["msg_type"] == "comm_msg"
            and data.get("content", {}).get("kind") == "hits"
        ):
            hits.append(data["content"])

    cell = kernel.execute(
        "%%mgtrace --name edited --break op:tanh --timeout 30\n" + CHAIN
    )
    log = collect_cells(kernel, [cell], watch, count=1)
    assert not [m for _, m in log if m["msg_type"] == "error"]
    assert [p["spec"] for p in clicker.paused] == ["op:tanh", "op:*", "op:*"]
    # the change while paused was answered with the hits of the new list so far: none
    # yet (no * ran before c's tanh); the kernel answers such changes while paused only
    assert hits and hits[0]["id"] is None and hits[0]["hits"] == []
    out = kernel.run("print([h['reason'][:20] for h in edited.hits])").streams
    assert out.count("op:*") == 2 and out.count("op:tanh") == 1


@pytest.mark.kernel
def test_a_breakpoint_added_to_a_cell_running_without_one_pauses_it(kernel):
    body = (
        "w = Value(0.5, label='w')\n"
        "for k in range(100):\n"
        "    (w * 2.0).tanh().backward()\n"
        "    time.sleep(0.05)\n"
    )
    state = {"comm": None, "paused": []}

    def on_message(msg):
        kind, content = msg["msg_type"], msg["content"]
        if (
            kind == "comm_open"
            and content["data"]["state"].get("_model_name") == "AnyModel"
        ):
            state["comm"] = content["comm_id"]
            set_breakpoints(kernel, state["comm"], ["op:tanh"])
        elif kind == "comm_msg" and content["comm_id"] == state["comm"]:
            data = content["data"]
            if data.get("method") == "update" and data["state"].get("paused"):
                state["paused"].append(data["state"]["paused"])
                kernel.send_custom(state["comm"], {"kind": "command", "action": "stop"})

    r = kernel.collect(
        kernel.execute("%%mgtrace --name added\n" + body), 60, on_message
    )
    assert r.error and r.error["ename"] == "TraceStopped"
    assert [p["spec"] for p in state["paused"]] == ["op:tanh"]
    out = kernel.run("print(len(added.steps) < 100, added.hits[0]['reason'][:25])")
    assert out.streams.split() == ["True", "breakpoint", "op:tanh", "hit", "at"]


@pytest.mark.kernel
def test_get_hits_at_a_pause_answers_the_hits_so_far(kernel):
    replies = []

    def ask(clicker):
        kernel.send_custom(clicker.comm_id, {"kind": "get_hits", "id": 5})
        time.sleep(0.3)

    clicker = Clicker(kernel, ["continue", "continue"], at_pause=ask)

    def watch(msg):
        clicker(msg)
        data = msg["content"].get("data", {})
        if (
            msg["msg_type"] == "comm_msg"
            and data.get("content", {}).get("kind") == "hits"
        ):
            replies.append(data["content"])

    cell = kernel.execute(
        "%%mgtrace --name counted --break op:tanh --timeout 30\n" + CHAIN
    )
    collect_cells(kernel, [cell], watch, count=1)
    assert [len(r["hits"]) for r in replies] == [1, 2]  # the first pause counts itself
    assert [r["hits"][-1]["event"] for r in replies] == [
        p["event"] for p in clicker.paused
    ]
