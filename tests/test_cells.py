"""A `%%mgtrace` cell behaves as the same cell without the magic: under other magics,
with IPython's own syntax in its body, in its traceback, and when a file cannot be
written. Real kernels (the pinned Colab stack too, scripts/test.sh) and a plain shell.
"""

from __future__ import annotations

import re
import time

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.testing.globalipapp import start_ipython
from kernel_helpers import KernelSession

import mgdebug._transform as transform

CHAIN = (
    "a = Value(0.5, label='a')\nb = (a * 2).tanh()\nc = (b * 3).tanh()\nc.backward()\n"
)


@pytest.fixture(scope="module")
def kernel():
    session = KernelSession()
    session.run("from micrograd.engine import Value\nimport micrograd, mgdebug")
    yield session
    session.close()


def later_cells_are_clean(kernel: KernelSession) -> str:
    """What later cells print once an error replaces `sys.last_traceback` (which kept
    the traced cell's frames alive) and garbage is collected: warnings about lost
    coroutines or futures land there. '' when nothing does."""
    assert kernel.run("raise KeyError('next error')").error["ename"] == "KeyError"
    r = kernel.run("import gc; gc.collect(); print(end='')")
    return r.streams + kernel.run("1").streams


# ---------------------------------------------------------------------- under other magics


@pytest.mark.kernel
def test_mgtrace_under_time_runs_the_body_and_times_it(kernel):
    r = kernel.run(
        "%%time\n%%mgtrace --name timed --no-widget\nx = Value(2.0)\ny = x * x\n"
        "y.backward()\nprint('grad', x.grad)\n"
    )
    assert r.status == "ok", r.traceback
    assert "grad 4.0" in r.streams and "Wall time" in r.streams
    assert kernel.run("print(timed.num_events)").streams.strip() == "5"
    assert later_cells_are_clean(kernel) == ""


@pytest.mark.kernel
def test_mgtrace_under_capture_runs_the_body_once_and_captures_its_output(kernel):
    r = kernel.run(
        "%%capture out\n%%mgtrace --name captured\nx = Value(3.0)\nprint('body ran')\n"
        "(x * x).backward()\n"
    )
    assert r.status == "ok", r.traceback
    assert (
        r.streams == "" and not r.widget_model_ids()
    )  # all captured, as %%capture does
    shown = kernel.run(
        "print(out.stdout.count('body ran'), captured.num_events, x.grad)"
    )
    assert shown.streams.split() == ["1", "5", "6.0"]
    assert later_cells_are_clean(kernel) == ""


@pytest.mark.kernel
def test_run_cell_of_an_mgtrace_cell_runs_it_in_place(kernel):
    r = kernel.run(
        "res = get_ipython().run_cell('%%mgtrace --name nested --no-widget\\n"
        "x = Value(1.5)\\n(x * 2).backward()\\nx.grad')\n"
        "print(res.success, res.result, nested.num_events)"
    )
    assert r.status == "ok", r.traceback
    assert r.streams.split()[-3:] == ["True", "2.0", "7"]
    assert later_cells_are_clean(kernel) == ""


@pytest.mark.kernel
def test_a_nested_run_records_breakpoints_as_hits_and_says_why(kernel):
    r = kernel.run("%%time\n%%mgtrace --name inner --break op:tanh\n" + CHAIN)
    assert r.status == "ok", r.traceback  # no pause: nothing could click Continue
    assert "breakpoints are recorded as hits, not paused" in r.streams
    assert "inside other code" in r.streams
    assert kernel.run("print(len(inner.hits))").streams.strip() == "2"


@pytest.mark.kernel
def test_an_interrupt_stops_a_nested_run_and_keeps_its_trace(kernel):
    mid = kernel.execute(
        "%%time\n%%mgtrace --name inner_stop --no-widget\nx = Value(1.0)\n"
        "while True:\n    x = x * 1.0 + 0.0\n"
    )
    time.sleep(1.5)
    kernel.km.interrupt_kernel()
    r = kernel.collect(mid, timeout=30)
    assert r.error["ename"] == "TraceStopped"  # a KeyboardInterrupt, as in every mode
    assert r.error["evalue"] == "traced cell interrupted; the trace keeps what ran"
    after = kernel.run(
        "print(inner_stop.error['type'], inner_stop.num_events > 0, "
        "micrograd.events.active)"
    )
    assert after.streams.split() == ["TraceStopped", "True", "0"]


# ---------------------------------------------------------------------- IPython syntax in the body


@pytest.mark.kernel
def test_the_body_takes_await_line_magics_shell_escapes_and_an_indent(kernel):
    r = kernel.run(
        "%%mgtrace --name syntax --no-widget\n"
        "    import asyncio\n"
        "    await asyncio.sleep(0.01)\n"
        "    %time y = Value(2.0) * 4\n"
        "    !echo from-the-shell\n"
        "    y.backward()\n"
        "    y\n"
    )
    assert r.status == "ok", r.traceback
    assert "from-the-shell" in r.streams and "Wall time" in r.streams
    assert any(d.get("text/plain") == "Value(data=8.0, grad=1.0)" for d in r.results)
    assert kernel.run("print(syntax.num_events)").streams.strip() == "7"


@pytest.mark.kernel
def test_a_syntax_error_in_the_body_reads_like_a_plain_cells(kernel):
    r = kernel.run("%%mgtrace --name bad\nx = 1\ny = = 2\n")
    assert r.error["ename"] == "SyntaxError"
    assert "y = = 2" in r.traceback and "mgdebug" not in r.traceback
    assert kernel.run("print('bad' in dir())").streams.strip() == "False"


# ---------------------------------------------------------------------- tracebacks


def assert_starts_at_the_users_line(kernel, r, line: int, code: str) -> None:
    tb = r.traceback
    assert "run_traced_cell" not in tb and "skipping hidden" not in tb
    assert "/mgdebug/" not in tb, tb
    assert f"----> {line} {code}" in tb, tb
    if kernel.ipython >= (8,):  # IPython 7 names a cell by its file, as in a plain cell
        assert tb.splitlines()[2] == f"Cell In[{r.execution_count}], line {line}", tb


@pytest.mark.kernel
def test_a_failing_cell_shows_its_own_line_first_with_its_in_number(kernel):
    r = kernel.run("%%mgtrace --name broken\nx = Value(2.0)\ny = x * 3\nz = 1 / 0\n")
    assert r.error["ename"] == "ZeroDivisionError"
    assert_starts_at_the_users_line(kernel, r, 4, "z = 1 / 0")
    assert "micrograd" not in r.traceback


@pytest.mark.kernel
def test_an_error_the_engine_raises_keeps_the_engine_line_that_says_why(kernel):
    r = kernel.run("%%mgtrace --name logged\nx = Value(2.0)\nz = (x - 2).log()\n")
    assert r.error["ename"] == "ValueError"
    assert_starts_at_the_users_line(kernel, r, 3, "z = (x - 2).log()")
    assert "micrograd/engine.py" in r.traceback and "raise ValueError" in r.traceback


@pytest.mark.kernel
def test_a_pause_timeout_ends_at_the_users_backward_line(kernel):
    r = kernel.run("%%mgtrace --name waited --timeout 0.5 --break op:tanh\n" + CHAIN)
    assert r.error["ename"] == "BreakpointTimeout"
    assert_starts_at_the_users_line(kernel, r, 5, "c.backward()")
    assert "micrograd" not in r.traceback  # backward() only led into the pause


@pytest.mark.kernel
def test_the_exception_object_is_the_one_the_body_raised(kernel):
    r = kernel.run(
        "%%mgtrace --name kept\nclass Oops(Exception):\n    pass\nerr = Oops('as raised')\n"
        "raise err\n"
    )
    assert r.error["ename"] == "Oops" and r.error["evalue"] == "as raised"
    check = kernel.run(
        "import sys\nv = sys.last_value\n"
        "print(v is err, v.args, '_render_traceback_' in vars(v), "
        "v.__traceback__.tb_frame.f_code.co_name)"
    )
    # the same object, its args, its own full traceback (from the kernel's frames)
    assert check.streams.split()[:4] == ["True", "('as", "raised',)", "False"]


def interrupt_a_busy_cell(kernel):
    mid = kernel.execute(
        "%%mgtrace --name stopped_here\nx = Value(1.0)\nwhile True:\n"
        "    x = x * 1.0 + 0.0\n"
    )
    time.sleep(1.5)
    kernel.km.interrupt_kernel()
    return kernel.collect(mid, timeout=30)


@pytest.mark.kernel
def test_an_interrupted_cell_shows_the_line_where_it_stopped(kernel):
    r = interrupt_a_busy_cell(kernel)
    assert r.error["ename"] == "TraceStopped"
    assert "/mgdebug/" not in r.traceback and "run_traced_cell" not in r.traceback
    assert re.search(r"----> [34] ", r.traceback), r.traceback  # inside the loop


@pytest.mark.kernel
def test_after_an_interrupt_no_warning_lands_in_later_cells(kernel):
    assert interrupt_a_busy_cell(kernel).error["ename"] == "TraceStopped"
    # asyncio's "Future exception was never retrieved ... TraceStopped", for one
    assert later_cells_are_clean(kernel) == ""


# ---------------------------------------------------------------------- files


@pytest.mark.kernel
def test_a_save_that_fails_is_reported_beside_the_bodys_own_error(kernel, tmp_path):
    bad = tmp_path / "no-such-dir" / "run.mgtrace"
    r = kernel.run(f"%%mgtrace --name lost --save {bad}\nx = Value(2.0) * 3\n1 / 0\n")
    assert r.error["ename"] == "ZeroDivisionError"
    assert f"--save {bad} failed" in r.streams and "kept in lost" in r.streams
    statuses = [
        m["content"]["data"]["state"]["status"]
        for m in r.comm_msgs
        if "status" in m["content"]["data"].get("state", {})
    ]
    assert statuses and statuses[-1]["recording"] is False  # the viewer says: done
    assert statuses[-1]["error"].startswith("ZeroDivisionError")
    assert kernel.run("print(lost.num_events)").streams.strip() == "3"


@pytest.mark.kernel
def test_a_save_that_fails_after_a_good_body_is_the_cells_error(kernel, tmp_path):
    bad = tmp_path / "no-such-dir" / "run.html"
    r = kernel.run(
        f"%%mgtrace --name fine --html {bad} --no-widget\nx = Value(2.0) * 3\n"
    )
    assert r.status == "error"  # IPython shows a UsageError as its message alone
    assert f"UsageError: --html {bad} failed" in r.streams
    assert kernel.run("print(fine.num_events)").streams.strip() == "3"


# ---------------------------------------------------------------------- the transformer


class FakeKernel:
    """Just enough of ipykernel >= 7.4 for the transformer: the running request's code."""

    def __init__(self, code: str):
        self.code = code

    async def dispatch_shell(self, msg, *, concurrent=False): ...

    def get_parent(self, channel="shell"):
        return {"content": {"code": self.code}}


class FakeKernel6(FakeKernel):
    """... and of ipykernel 6: one shell queue that a busy cell can drain itself."""

    shell_stream = msg_queue = session = object()
    shell_handlers: dict = {}

    async def dispatch_shell(self, msg): ...


@pytest.fixture
def shell(monkeypatch):
    start_ipython()
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "mgdebug")
    return ip


def test_only_the_running_cell_is_rewritten(shell, monkeypatch):
    cell = "%%mgtrace --name r\na = {1}\na\n"  # braces: the body is no format string
    monkeypatch.setattr(shell, "kernel", FakeKernel("\n" + cell), raising=False)
    lines = cell.splitlines(keepends=True)
    (call,) = transform.transform_cell(lines)
    assert call == (
        "await __import__('mgdebug.magic').magic."
        "run_traced_cell('--name r', 'a = {1}\\na\\n')\n"
    )
    monkeypatch.setattr(shell, "kernel", FakeKernel6(cell), raising=False)
    assert transform.transform_cell(lines) == [
        call[len("await ") :].replace("run_traced_cell(", "run_traced_cell_pumping(")
    ]
    # the same text under %%time, or run from code: another cell's text, not rewritten
    monkeypatch.setattr(shell, "kernel", FakeKernel("%%time\n" + cell), raising=False)
    assert transform.transform_cell(lines) == lines
    for other in (["x = 1\n"], ["%%mgtrace?\n"], ["%%mgtracex\n", "1\n"]):
        assert transform.transform_cell(other) == other


def test_a_syntax_error_is_raised_at_its_line_in_the_cell(shell, monkeypatch):
    cell = "%%mgtrace\nx = 1\n\ny = = 2\n"
    monkeypatch.setattr(shell, "kernel", FakeKernel(cell), raising=False)
    with pytest.raises(SyntaxError) as raised:
        transform.transform_cell(cell.splitlines(keepends=True))
    assert raised.value.lineno == 4 and "y = = 2" in raised.value.text


def test_in_a_plain_shell_the_traceback_starts_at_the_users_line(shell, capsys):
    shell.run_cell("from micrograd.engine import Value")
    shell.run_cell("%%mgtrace --name plain\nx = Value(2.0)\n\nz = (x - 2).log()\n")
    out = capsys.readouterr().out
    shown = out[out.index("Traceback") :]
    assert "----> 4 z = (x - 2).log()" in shown and "mgdebug/" not in shown
    assert shown.index("----> 4") < shown.index("micrograd/engine.py")
    assert shell.user_ns["plain"].error["type"] == "ValueError"


def test_outside_a_kernel_breakpoints_are_recorded_with_a_notice(shell, capsys):
    shell.run_cell("from micrograd.engine import Value")
    shell.run_cell("%%mgtrace --name here --break op:tanh\n" + CHAIN)
    captured = capsys.readouterr()
    assert "breakpoints are recorded as hits, not paused" in captured.err
    assert "on_break='pdb'" in captured.err
    assert len(shell.user_ns["here"].hits) == 2
