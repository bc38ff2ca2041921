"""A real Jupyter kernel driven over jupyter_client, as the notebook frontends drive it.

`KernelSession.run(code)` executes one cell and returns everything the kernel
published for it (streams, display data, results, errors, comm messages), so
tests can check what a notebook would show. `send_custom` injects a widget's
custom message (what the viewer's buttons send) while a cell is busy.

MGDEBUG_TEST_KERNEL_PYTHON runs every kernel of the tests with another Python and
its environment's ipykernel (scripts/test.sh: the Colab-pinned .venv-colab/);
by default they run the "python3" kernelspec of this venv.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager

REPO = Path(__file__).resolve().parents[1]
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
KERNEL_PYTHON = os.environ.get("MGDEBUG_TEST_KERNEL_PYTHON", "")
_SPEC_NAME = "mgdebug-test-kernel"


def kernel_manager() -> KernelManager:
    """A manager for a kernel of the Python under test (see MGDEBUG_TEST_KERNEL_PYTHON)."""
    if not KERNEL_PYTHON:
        return KernelManager(kernel_name="python3")
    specs = KernelSpecManager(kernel_dirs=[_kernelspec_dir()])
    return KernelManager(kernel_name=_SPEC_NAME, kernel_spec_manager=specs)


@functools.cache
def _kernelspec_dir() -> str:
    """A kernelspec for KERNEL_PYTHON, in a temporary directory of its own."""
    if not os.access(KERNEL_PYTHON, os.X_OK):
        raise RuntimeError(
            f"MGDEBUG_TEST_KERNEL_PYTHON={KERNEL_PYTHON!r} is not an executable Python"
        )
    root = Path(tempfile.mkdtemp(prefix="mgdebug-kernels-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    (root / _SPEC_NAME).mkdir()
    spec = {
        "argv": [KERNEL_PYTHON, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": f"Python ({KERNEL_PYTHON})",
        "language": "python",
    }
    (root / _SPEC_NAME / "kernel.json").write_text(json.dumps(spec))
    return str(root)


@functools.cache
def kernel_can_import(module: str) -> bool:
    """Whether the kernels' Python has `module` (the lessons need torch, sklearn...)."""
    python = KERNEL_PYTHON or sys.executable
    found = subprocess.run([python, "-c", f"import {module}"], capture_output=True)
    return found.returncode == 0


@dataclass
class CellResult:
    msg_id: str
    status: str = ""
    streams: str = ""
    results: list[dict] = field(
        default_factory=list
    )  # display_data / execute_result data
    error: dict | None = None
    comm_opens: list[dict] = field(default_factory=list)
    comm_msgs: list[dict] = field(default_factory=list)
    stream_times: list[float] = field(default_factory=list)
    execution_count: int | None = None  # the cell's In[n] (its execute_input)

    @property
    def traceback(self) -> str:
        return _ANSI.sub("", "\n".join(self.error["traceback"])) if self.error else ""

    def widget_model_ids(self) -> list[str]:
        return [
            d["application/vnd.jupyter.widget-view+json"]["model_id"]
            for d in self.results
            if "application/vnd.jupyter.widget-view+json" in d
        ]

    def custom_messages(self, kind: str | None = None) -> list[dict]:
        out = []
        for m in self.comm_msgs:
            data = m["content"]["data"]
            if data.get("method") == "custom":
                content = data["content"]
                if kind is None or content.get("kind") == kind:
                    out.append(content)
        return out


class KernelSession:
    """One kernel (the test venv's python) with `%load_ext mgdebug` already done."""

    def __init__(self, cwd: Path | None = None):
        self.km = kernel_manager()
        self.km.start_kernel(cwd=str(cwd or REPO))
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=60)
        self.ipykernel = (0,)  # its version: ipykernel 6 needs a moment after an error
        loaded = self.run(
            "%load_ext mgdebug\n"
            "print(__import__('ipykernel').__version__, __import__('IPython').__version__)"
        )
        versions = [
            tuple(int(p) for p in v.split(".")[:2]) for v in loaded.streams.split()
        ]
        self.ipykernel, self.ipython = versions

    def close(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)

    def execute(self, code: str) -> str:
        return self.kc.execute(code, allow_stdin=False)

    def collect(self, msg_id: str, timeout: float = 60, on_message=None) -> CellResult:
        """Read iopub until the cell `msg_id` is idle, then its execute_reply status."""
        result = CellResult(msg_id)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(
                    f"cell did not finish in {timeout} s; so far: {result.streams!r}"
                )
            try:
                msg = self.kc.get_iopub_msg(timeout=min(left, 1))
            except queue.Empty:
                continue
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if on_message is not None:
                on_message(msg)
            if kind == "execute_input":
                result.execution_count = content["execution_count"]
            elif kind == "stream":
                result.streams += content["text"]
                result.stream_times.append(time.monotonic())
            elif kind in ("display_data", "execute_result"):
                result.results.append(content["data"])
            elif kind == "error":
                result.error = content
            elif kind == "comm_open":
                result.comm_opens.append(content)
            elif kind == "comm_msg":
                result.comm_msgs.append(msg)
            elif kind == "status" and content["execution_state"] == "idle":
                break
        reply = self.kc.get_shell_msg(timeout=timeout)
        while reply["parent_header"].get("msg_id") != msg_id:
            reply = self.kc.get_shell_msg(timeout=timeout)
        result.status = reply["content"]["status"]
        if result.status == "error" and self.ipykernel < (7,):
            # ipykernel 6 aborts the requests that reach it until a call_later(0)
            # after an error reply (stop_on_error); one sent within that instant is
            # aborted too, whatever it is
            time.sleep(0.3)
        return result

    def run(self, code: str, timeout: float = 60) -> CellResult:
        return self.collect(self.execute(code), timeout)

    def send_custom(self, comm_id: str, content: dict) -> None:
        """What the viewer's `model.send(content)` delivers to the kernel."""
        self.send_comm(comm_id, {"method": "custom", "content": content})

    def send_comm(self, comm_id: str, data: dict) -> None:
        """A comm message as a widget frontend sends it (`update` sets traits)."""
        msg = self.kc.session.msg("comm_msg", {"comm_id": comm_id, "data": data})
        msg["header"]["msg_id"] = uuid.uuid4().hex
        self.kc.shell_channel.send(msg)


def anywidget_comm_id(result: CellResult) -> str:
    """The comm of the cell's AnyModel widget (the first comm_open is a Layout)."""
    for opened in result.comm_opens:
        state = opened["data"].get("state", {})
        if state.get("_model_name") == "AnyModel":
            return opened["comm_id"]
    raise AssertionError(
        f"no anywidget comm opened; comm_opens: {result.comm_opens!r:.300}"
    )


assert sys.version_info >= (3, 11)
