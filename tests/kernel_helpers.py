"""A real Jupyter kernel driven over jupyter_client, as the notebook frontends drive it.

`KernelSession.run(code)` executes one cell and returns everything the kernel
published for it (streams, display data, results, errors, comm messages), so
tests can check what a notebook would show. `send_custom` injects a widget's
custom message (what the viewer's buttons send) while a cell is busy.
"""

from __future__ import annotations

import queue
import re
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from jupyter_client.manager import KernelManager

REPO = Path(__file__).resolve().parents[1]
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


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
        self.km = KernelManager(kernel_name="python3")
        self.km.start_kernel(cwd=str(cwd or REPO))
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=60)
        self.run("%load_ext mgdebug")

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
            if kind == "stream":
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
