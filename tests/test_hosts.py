"""How a traced cell hears the viewer in each kind of kernel (mgdebug/_kernels.py):
awaiting on ipykernel >= 7.4, the message pump on 6.x (Colab's 6.17.1: scripts/test.sh
runs this file against the pinned stack too), record-only elsewhere.
"""

from __future__ import annotations

import time

import pytest
from kernel_helpers import KernelSession, anywidget_comm_id

from mgdebug._kernels import LiveMode, live_mode

CHAIN = (
    "a = Value(0.5, label='a')\nb = (a * 2).tanh()\nc = (b * 3).tanh()\nc.backward()\n"
)

# ---------------------------------------------------------------------- kernel shapes


class Kernel74:
    async def dispatch_shell(self, msg, /, subshell_id=None, *, concurrent=False): ...


class Kernel6:
    shell_stream = object()
    msg_queue = object()
    shell_handlers: dict = {}
    session = object()

    async def dispatch_shell(self, msg): ...


class Kernel73(Kernel6):
    _supports_kernel_subshells = True  # shell messages go through subshell threads


class Shell:
    def __init__(self, kernel):
        self.kernel = kernel


def test_each_kernel_shape_gets_its_way_to_hear_the_viewer():
    assert live_mode(Shell(Kernel74())) == LiveMode("await")
    assert live_mode(Shell(Kernel6())) == LiveMode("pump")
    assert live_mode(Shell(Kernel6())).live and live_mode(Shell(Kernel74())).live
    subshells = live_mode(Shell(Kernel73()))
    assert subshells.name == "record-only" and not subshells.live
    assert "ipykernel" in subshells.note and "mgdebug[live]" in subshells.note
    for nothing in (None, Shell(None)):
        assert (
            live_mode(nothing).name == "none"
            and "on_break='pdb'" in live_mode(nothing).note
        )


# ---------------------------------------------------------------------- real kernels


@pytest.fixture(scope="module")
def kernel():
    session = KernelSession()
    session.run("from micrograd.engine import Value\nimport micrograd, mgdebug")
    yield session
    session.close()


def first_status(r) -> dict:
    """The viewer's `status` as the cell first set it (the recording one)."""
    comm_id = anywidget_comm_id(r)
    for m in r.comm_msgs:
        state = m["content"]["data"].get("state", {})
        if m["content"]["comm_id"] == comm_id and state.get("status"):
            return state["status"]
    raise AssertionError("the viewer's status was never set")


@pytest.mark.kernel
def test_the_kernel_is_judged_by_its_ipykernel(kernel):
    mode = kernel.run(
        "from mgdebug._kernels import live_mode\nprint(live_mode(get_ipython()).name)"
    )
    expected = "await" if kernel.ipykernel >= (7, 4) else "pump"
    assert kernel.ipykernel >= (7, 4) or kernel.ipykernel < (7, 0)  # what we test
    assert mode.streams.strip() == expected


@pytest.mark.kernel
def test_the_viewer_is_told_whether_the_running_cell_hears_it(kernel):
    live = kernel.run("%%mgtrace --name heard\nx = Value(1.0) * 2\n")
    assert first_status(live)["live"] is True
    nested = kernel.run("%%time\n%%mgtrace --name unheard\nx = Value(1.0) * 2\n")
    status = first_status(nested)
    assert status["live"] is False and "inside other code" in status["live_note"]


@pytest.mark.kernel
def test_while_paused_the_pump_still_answers_completion_and_kernel_info(kernel):
    if kernel.ipykernel >= (7,):  # 7.4 answers them after the cell, as for any cell
        pytest.skip("ipykernel 7 answers these requests after the cell, not meanwhile")
    mid = kernel.execute(
        "%%mgtrace --name paused --break op:tanh --timeout 30\n" + CHAIN
    )
    comm_id, paused = None, False
    deadline = time.monotonic() + 30
    while not paused and time.monotonic() < deadline:  # wait for the pause
        msg = kernel.kc.get_iopub_msg(timeout=10)
        content = msg["content"]
        if (
            msg["msg_type"] == "comm_open"
            and content["data"]["state"].get("_model_name") == "AnyModel"
        ):
            comm_id = content["comm_id"]
        if msg["msg_type"] == "comm_msg" and content["comm_id"] == comm_id:
            paused = bool(content["data"].get("state", {}).get("paused"))
    assert paused, "the cell never paused"
    kernel.kc.complete("Valu", 4)
    reply = kernel.kc.get_shell_msg(timeout=10)
    assert (
        reply["msg_type"] == "complete_reply" and "Value" in reply["content"]["matches"]
    )
    kernel.kc.kernel_info()
    info = kernel.kc.get_shell_msg(timeout=10)
    assert info["msg_type"] == "kernel_info_reply" and info["content"]["status"] == "ok"
    for _ in range(2):  # c's tanh, then b's
        kernel.send_custom(comm_id, {"kind": "command", "action": "continue"})
        time.sleep(0.3)
    r = kernel.collect(mid, timeout=30)
    assert r.status == "ok", r.traceback
    assert kernel.run("print(len(paused.hits))").streams.strip() == "2"


@pytest.mark.kernel
def test_the_bodys_output_stays_in_its_cell_while_the_viewer_talks(kernel):
    mid = kernel.execute(
        "%%mgtrace --name chatty\nimport time\nfor i in range(200):\n"
        "    print('line', i)\n    time.sleep(0.005)\n"
    )
    comm_id = None
    while comm_id is None:
        msg = kernel.kc.get_iopub_msg(timeout=10)
        if msg["msg_type"] == "comm_open":
            state = msg["content"]["data"]["state"]
            if state.get("_model_name") == "AnyModel":
                comm_id = msg["content"]["comm_id"]
    for i in range(20):  # the viewer asking while the cell runs
        kernel.send_custom(comm_id, {"kind": "get_params", "id": i})
        time.sleep(0.02)
    r = kernel.collect(mid, timeout=30)
    assert r.status == "ok", r.traceback
    assert r.streams.splitlines() == [f"line {i}" for i in range(200)]


@pytest.mark.kernel
def test_a_kernel_that_cannot_hear_a_busy_cell_records_breakpoints_and_says_so(kernel):
    kernel.run(
        "import mgdebug._transform as _t, mgdebug.magic as _m\n"
        "from mgdebug._kernels import LiveMode\n"
        "_real = _t.live_mode\n"
        "_t.live_mode = _m.live_mode = lambda ip: LiveMode('record-only', "
        "'ipykernel 7.2.0 cannot deliver the viewer buttons to a running cell')\n"
    )
    try:
        r = kernel.run("%%mgtrace --name unheard --break op:tanh\n" + CHAIN, timeout=30)
    finally:
        kernel.run("_t.live_mode = _m.live_mode = _real")
    assert r.status == "ok", r.traceback  # ran through: nothing waited for a click
    assert "breakpoints are recorded as hits, not paused: ipykernel 7.2.0" in r.streams
    status = first_status(r)
    assert status["live"] is False and status["live_note"].startswith("ipykernel 7.2.0")
    assert kernel.run("print(len(unheard.hits))").streams.strip() == "2"
