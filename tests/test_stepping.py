"""Step over and Step out (mgdebug/_stepping.py, mgdebug/_live.py): where a scope's call
begins and ends, where each pauses, in Python with a scripted pause handler, at the pdb
prompt, and from the viewer's buttons in a real kernel."""

from __future__ import annotations

import random
import subprocess
import sys

import numpy as np
import pytest
from kernel_helpers import REPO, KernelSession
from test_breakpoints import Clicker, record_with_pause

import mgdebug
from mgdebug._stepping import call_around, parent_scope, stop_after_call
from micrograd.engine import Value
from micrograd.nn import MLP

# ---------------------------------------------------------------------- an oracle


def scope_of(trace, step: int, node: int) -> str:
    graph = trace.graph(step)
    if node >= graph.n_created:
        return ""
    return trace.strings.scopes[int(graph.scope[node])]


def expected_stop(trace, step: int, j: int, path: str, call: set[int]) -> int | None:
    """Where a run through `call` (the nodes of one call of `path`) pauses: right after
    the last of its chain rules, written out plainly; None at the end of backward."""
    visits = trace.graph(step).structure.columns["visits"].tolist()
    last = max(k for k, n in enumerate(visits) if n in call)
    assert last >= j
    return last + 1 if last + 1 < len(visits) else None


def one_call_per_scope(trace, step: int, path: str) -> set[int]:
    """Every node built under `path`: the call itself, when the model ran once."""
    graph = trace.graph(step)
    return {
        n
        for n in range(graph.n_created)
        if (s := scope_of(trace, step, n)) == path or s.startswith(path + "/")
    }


def one_sample_run(seed: int = 0, sizes=(3, 3, 1)):
    random.seed(seed)
    model = MLP(2, list(sizes))

    def body(pause):
        x = [Value(1.0), Value(-2.0)]
        loss = (model(x) - 1) ** 2
        pause.root = loss
        loss.backward()

    return body


# ---------------------------------------------------------------------- the call of a scope


def test_parent_scope_drops_the_last_segment():
    assert parent_scope("MLP/layers.1/neurons.0") == "MLP/layers.1"
    assert parent_scope("MLP") == "" and parent_scope("") == ""


def test_a_model_called_once_per_sample_back_to_back_has_one_call_per_sample():
    random.seed(1)
    model = MLP(2, [3, 2, 1])
    X = [[1.0, -1.0], [0.5, 2.0], [-1.5, 0.3]]
    with mgdebug.record() as trace:
        inputs = [list(map(Value, x)) for x in X]  # built first: the calls touch
        scores = list(map(model, inputs))
        sum(scores).backward()
    graph = trace.graph(0)
    scopes, column = trace.strings.scopes, graph.scope[: graph.n_created]
    per_call = len(one_call_per_scope(trace, 0, "MLP")) // len(X)
    starts = []
    for score in scores:
        node = int(trace.find(score, 0)[0])
        lo, hi = call_around(scopes, column, node, "MLP")
        assert hi == node  # a sample's call ends with its score
        assert hi - lo + 1 == per_call  # and holds that sample's nodes only
        starts.append(lo)
    assert starts == sorted(set(starts))  # three calls, one after the other
    # a layer's call is cut at the model's next call the same way
    lo, hi = call_around(
        scopes, column, int(trace.find(scores[1], 0)[0]), "MLP/layers.2"
    )
    assert all(
        scope_of(trace, 0, n).startswith("MLP/layers.2") for n in range(lo, hi + 1)
    )
    with pytest.raises(ValueError, match="was not built under scope 'MLP/layers.0'"):
        call_around(scopes, column, int(trace.find(scores[0], 0)[0]), "MLP/layers.0")


# ---------------------------------------------------------------------- pausing, in Python


@pytest.mark.parametrize("action", ["over", "out"])
def test_step_over_and_out_pause_right_after_the_last_chain_rule_of_the_call(action):
    # pause at the ReLU of neuron 2 of layer 1 (its first node visited), then run on
    spec = "layers.1.neurons.2.ReLU"
    trace, pause = record_with_pause([action, "continue"], spec, one_sample_run())
    (first, _), (second, _) = pause.pauses[:2]
    step, nc = 0, trace.graph(0).n_created
    j = first["event"] - nc
    scope = scope_of(trace, step, first["node"])
    path = scope if action == "over" else parent_scope(scope)
    assert path == ("MLP/layers.1/neurons.2" if action == "over" else "MLP/layers.1")
    stop = expected_stop(trace, step, j, path, one_call_per_scope(trace, step, path))
    assert second["event"] == nc + stop
    assert (
        second["how"] == action and second["scope"] == path and second["spec"] is None
    )
    verb = "stepped over" if action == "over" else "stepped out of"
    assert second["reason"].startswith(f"{verb} {path} to ")
    # chain rules of other scopes ran on the way: backward interleaves them
    visits = trace.graph(step).visits.tolist()
    between = {scope_of(trace, step, n) for n in visits[j:stop]}
    inside = {b for b in between if b == path or b.startswith(path + "/")}
    assert inside and between - inside  # both: the call's own rules and others
    assert len(pause.pauses) == 2  # nothing else matched: it ran to the end
    assert trace.steps[0].backward_completed


def test_the_example_in_the_docs_pauses_where_it_says():
    # docs/breakpoints.md, "Stepping": over at visit 5 pauses at visit 14, out at 58
    for action, visit in (("over", 14), ("out", 58)):
        trace, pause = record_with_pause(
            [action], "layers.1.neurons.2.ReLU", one_sample_run()
        )
        nc = trace.graph(0).n_created
        assert [p["event"] - nc for p, _ in pause.pauses] == [5, visit]
    visits = trace.graph(0).visits.tolist()
    assert scope_of(trace, 0, visits[58]) == "MLP/layers.0/neurons.0"


def test_step_over_at_a_node_built_at_the_top_level_is_one_chain_rule():
    trace, pause = record_with_pause(["over", "continue"], "op:**2", one_sample_run())
    (first, _), (second, _) = pause.pauses[:2]
    assert scope_of(trace, 0, first["node"]) == ""  # the loss's square
    assert second["event"] == first["event"] + 1 and second["how"] == "step"


def test_step_out_of_a_scope_one_level_deep_runs_to_the_end_of_the_backward():
    def body(pause):
        a = Value(0.5, label="a")
        with __import__("micrograd").scope("loss"):
            b = (a * 2).tanh()
        c = b * 3
        pause.root = c
        c.backward()

    trace, pause = record_with_pause(["out"], "op:tanh", body)
    assert len(pause.pauses) == 1 and trace.steps[0].backward_completed


def test_a_breakpoint_on_the_way_pauses_first_and_ends_the_step_over():
    # over the neuron of layer 2 runs the neurons of layer 1 (interleaved): a breakpoint
    # in one of them pauses there, as a debugger's step over stops at a breakpoint inside
    specs = ["layers.2.neurons.0.*", "layers.1.neurons.1.ReLU"]
    trace, pause = record_with_pause(["over", "continue"], specs, one_sample_run())
    kinds = [(p["how"], p["spec"]) for p, _ in pause.pauses]
    assert kinds[0] == ("breakpoint", "layers.2.neurons.0.*")
    second = pause.pauses[1][0]
    assert second["how"] == "breakpoint"
    assert scope_of(trace, 0, second["node"]) in (
        "MLP/layers.2/neurons.0",
        "MLP/layers.1/neurons.1",
    )
    # whatever hit next, it came before the step over's own stop
    nc = trace.graph(0).n_created
    path = "MLP/layers.2/neurons.0"
    j = pause.pauses[0][0]["event"] - nc
    stop = expected_stop(trace, 0, j, path, one_call_per_scope(trace, 0, path))
    assert second["event"] - nc < stop


def test_over_in_a_training_loop_stops_inside_the_same_backward_for_every_sample():
    random.seed(2)
    model = MLP(2, [4, 1])
    X = [[1.0, -1.0], [0.5, 2.0], [-1.5, 0.3], [0.2, 0.1]]

    def body(pause):
        scores = [model(list(map(Value, x))) for x in X]
        loss = sum((s - 1) ** 2 for s in scores)
        pause.root = loss
        loss.backward()

    actions = ["over", "continue"] * len(X)
    trace, pause = record_with_pause(actions, "layers.0.neurons.1.ReLU", body)
    graph = trace.graph(0)
    scopes, column = trace.strings.scopes, graph.scope[: graph.n_created]
    pairs = [pause.pauses[k : k + 2] for k in range(0, len(pause.pauses), 2)]
    assert len(pairs) == len(X)  # one ReLU per sample, each stepped over
    for (hit, _), (stepped, _) in pairs:
        j = hit["event"] - graph.n_created
        lo, hi = call_around(scopes, column, hit["node"], "MLP/layers.0/neurons.1")
        call = set(range(lo, hi + 1))
        assert hi - lo + 1 == len(
            one_call_per_scope(trace, 0, "MLP/layers.0/neurons.1")
        ) // len(X)
        stop = expected_stop(trace, 0, j, "MLP/layers.0/neurons.1", call)
        assert stepped["event"] - graph.n_created == stop
        assert stop == stop_after_call(
            scopes,
            graph.scope,
            graph.n_created,
            graph.visits,
            hit["node"],
            "MLP/layers.0/neurons.1",
        )


# ---------------------------------------------------------------------- pdb

PDB_STEPPING = """\
import random, mgdebug
from micrograd.engine import Value
from micrograd.nn import MLP
random.seed(0)
model = MLP(2, [3, 3, 1])
with mgdebug.record(break_on="layers.1.neurons.2.ReLU", on_break="pdb") as trace:
    loss = (model([Value(1.0), Value(-2.0)]) - 1) ** 2
    loss.backward()
print("events", [h["event"] for h in trace.hits])
"""


def run_pdb(tmp_path, commands: str) -> str:
    script = tmp_path / "pdb_stepping.py"
    script.write_text(PDB_STEPPING)
    done = subprocess.run(
        [sys.executable, str(script)], input=commands, capture_output=True, text=True,
        timeout=60, cwd=REPO,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def reference_pauses(actions: list[str]) -> list[int]:
    trace, pause = record_with_pause(
        [*actions, "continue"], "layers.1.neurons.2.ReLU", one_sample_run()
    )
    return [p["event"] for p, _ in pause.pauses]


@pytest.mark.parametrize(
    "typed, actions",
    [
        ("step\n", ["step"]),
        ("s\ns\n", ["step", "step"]),
        ("over\n", ["over"]),
        ("n\n", ["over"]),
        ("out\n", ["out"]),
        ("r\n", ["out"]),
    ],
)
def test_pdb_steps_the_backward_with_step_over_and_out(tmp_path, typed, actions):
    out = run_pdb(tmp_path, typed + "c\n")
    events = eval(out.split("events ")[-1])  # noqa: S307 (our own script's printed list)
    assert events == reference_pauses(actions)
    assert "'over' (n) runs this node's scope, 'out' (r) the enclosing one" in out
    assert "  value " in out and ", grad " in out  # the node's value and grad, up front
    if actions[0] != "step":
        verb = "stepped over" if actions[0] == "over" else "stepped out of"
        assert f"mgdebug: {verb} MLP/layers.1" in out


# ---------------------------------------------------------------------- in a kernel


@pytest.fixture(scope="module")
def kernel():
    session = KernelSession()
    session.run(
        "import random\nfrom micrograd.engine import Value\nfrom micrograd.nn import MLP"
    )
    yield session
    session.close()


KERNEL_CELL = """\
loss = (model([Value(1.0), Value(-2.0)]) - 1) ** 2
loss.backward()
"""


@pytest.mark.kernel
@pytest.mark.parametrize("actions", [["over", "continue"], ["out", "continue"]])
def test_step_over_and_out_buttons_pause_where_python_does(kernel, actions):
    kernel.run(
        "random.seed(0); model = MLP(2, [3, 3, 1])"
    )  # as one_sample_run builds it
    clicker = Clicker(kernel, list(actions))
    line = "%%mgtrace --name stepped --break layers.1.neurons.2.ReLU --timeout 30\n"
    r = kernel.collect(kernel.execute(line + KERNEL_CELL), 60, clicker)
    assert r.status == "ok", r.traceback
    assert not clicker.errors
    assert [p["event"] for p in clicker.paused] == reference_pauses(actions[:1])
    assert clicker.paused[1]["how"] == actions[0]
    assert clicker.paused[1]["scope"].startswith("MLP/layers.1")
    assert clicker.paused[0]["spec"] == "layers.1.neurons.2.ReLU"


def test_the_oracle_agrees_with_the_vectorised_search_on_every_node():
    trace, _ = record_with_pause([], "value>1e300", one_sample_run(3, (4, 4, 1)))
    graph = trace.graph(0)
    scopes = trace.strings.scopes
    visits = graph.visits.tolist()
    for j, n in enumerate(visits):
        scope = scope_of(trace, 0, n)
        for path in {scope, parent_scope(scope)} - {""}:
            want = expected_stop(trace, 0, j, path, one_call_per_scope(trace, 0, path))
            got = stop_after_call(
                scopes, graph.scope, graph.n_created, graph.visits, n, path
            )
            assert got == want, (j, n, path)
    assert np.array_equal(graph.visits, np.asarray(visits))
