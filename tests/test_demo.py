"""`make demo` opens JupyterLab on the demo notebook, headless, as whoever runs it.

The test starts scripts/demo.sh (what `make demo` runs once setup is done) with this
test run's venv and no display, reads the URL it prints (the lesson's own), waits for
the server's /api/status to answer with that URL's token, checks that the notebook the
URL names is there for the server (its contents API), and stops the server. As root
(CI, a fresh container) that is the path JupyterLab refused without --allow-root.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from browser_helpers import free_port
from kernel_helpers import REPO

URL = re.compile(r"(http://127\.0\.0\.1:\d+)/lab/tree/(\S+\.ipynb)\?token=(\w+)")


class Demo:
    """scripts/demo.sh in a process group of its own, its output read as it comes."""

    def __init__(self, home: Path):
        self.port = free_port()
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("DISPLAY", "WAYLAND_DISPLAY")
        }
        env.update(MGDEBUG_VENV=sys.prefix, JUPYTER_RUNTIME_DIR=str(home / "runtime"))
        command = [
            "bash", str(REPO / "scripts/demo.sh"), f"--port={self.port}",
            "--ServerApp.port_retries=0", "--ip=127.0.0.1", "--LabApp.news_url=",
        ]  # fmt: skip
        self.proc = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, start_new_session=True,
        )  # fmt: skip
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.output.append(line)

    def url(self, timeout_s: float = 90) -> tuple[str, str, str]:
        """The server's base URL, the notebook path and the token, as printed to open."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and self.proc.poll() is None:
            found = URL.search("".join(self.output))
            if found:
                return found.group(1), found.group(2), found.group(3)
            time.sleep(0.2)
        raise AssertionError("no URL printed; output:\n" + "".join(self.output))

    def status(self, base: str, token: str, timeout_s: float = 60) -> int:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(
                    f"{base}/api/status?token={token}", timeout=2
                ) as r:
                    return r.status
            except OSError:
                time.sleep(0.3)
        raise AssertionError(
            "the server never answered; output:\n" + "".join(self.output)
        )

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def check_demo(demo: Demo) -> None:
    try:
        base, path, token = demo.url()
        assert base == f"http://127.0.0.1:{demo.port}"
        assert demo.status(base, token) == 200
        # the lesson the URL opens is where the server looks (not a "file not found" tab)
        with urllib.request.urlopen(
            f"{base}/api/contents/{path}?content=0&token={token}", timeout=10
        ) as r:
            assert r.status == 200
            assert json.load(r)["name"] == "01_micrograd_demo.ipynb"
        printed = "".join(demo.output)
        assert "no display here" in printed
        assert "Running as root is not recommended" not in printed
    finally:
        demo.stop()


def test_the_demo_opens_jupyterlab_headless_as_whoever_runs_it(tmp_path):
    check_demo(Demo(tmp_path))  # as root in CI and on a fresh container
