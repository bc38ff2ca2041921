"""Real JupyterLab / Notebook 7 servers and Debian's Chromium, driven by Playwright.

Recipe and pitfalls: ../shared/JUPYTER_FACTS.md ("Testing in a real browser").
Screenshots go to test-artifacts/ (gitignored) so a person can look at them.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]  # fmt: skip
VIEWER = '[aria-label="mgdebug trace viewer"]'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class JupyterServer:
    """`jupyter lab` (which also serves Notebook 7 at /tree) on a free port, in `root`."""

    def __init__(self, root: Path):
        self.root = root
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        bindir = Path(sys.executable).parent
        cmd = [
            str(bindir / "jupyter"), "lab", "--no-browser", "--allow-root",
            "--IdentityProvider.token=", "--ServerApp.password=", f"--port={self.port}",
            "--ip=127.0.0.1", f"--ServerApp.root_dir={root}", "--LabApp.news_url=",
        ]  # fmt: skip
        self.log = open(root / "server.log", "w")
        env = dict(os.environ, JUPYTER_PLATFORM_DIRS="1")
        self.proc = subprocess.Popen(
            cmd, stdout=self.log, stderr=subprocess.STDOUT, env=env
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/api/status", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"jupyter lab did not start; see {root / 'server.log'}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()

    def write_notebook(self, name: str, cells: list[str]) -> str:
        nb = nbformat.v4.new_notebook(
            cells=[nbformat.v4.new_code_cell(c) for c in cells]
        )
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                     "language": "python"}  # fmt: skip
        nbformat.write(nb, self.root / name)
        return name


def open_lab_notebook(page, server: JupyterServer, name: str) -> None:
    """Open `name` in JupyterLab and wait until its kernel says Idle (Run All needs that)."""
    page.goto(
        f"{server.url}/lab/tree/{name}?reset"
    )  # a fresh workspace: no tabs from earlier tests
    page.wait_for_selector(".jp-Notebook", timeout=60_000)
    page.wait_for_function(
        "() => [...document.querySelectorAll('.jp-StatusBar-TextItem, .jp-StatusBar-GroupItem')]"
        ".some(e => /\\| Idle/.test(e.textContent))",
        timeout=60_000,
    )


def lab_run_all(page) -> None:
    page.locator("li.lm-MenuBar-item", has_text="Run").click()
    page.locator(".lm-Menu-item", has_text="Run All Cells").first.click()


def open_notebook7(page, server: JupyterServer, name: str) -> None:
    page.goto(f"{server.url}/notebooks/{name}")
    page.wait_for_selector(".jp-Notebook", timeout=60_000)
    page.wait_for_function(
        "() => document.querySelector('.jp-NotebookKernelStatus, [data-status]') !== null"
        " || document.body.textContent.includes('Idle')",
        timeout=60_000,
    )


def screenshot(page, name: str, locator=None) -> Path:
    """Save a PNG in test-artifacts/; with MGDEBUG_UPDATE_SCREENSHOTS=1 also in docs/images/."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    (locator or page).screenshot(path=str(path))
    if os.environ.get("MGDEBUG_UPDATE_SCREENSHOTS") == "1":
        (REPO / "docs/images").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, REPO / "docs/images" / path.name)
    return path


def write_overrides() -> None:
    """No news toast over the bottom-right corner (JUPYTER_FACTS.md)."""
    target = Path(sys.prefix) / "share/jupyter/lab/settings/overrides.json"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps({"@jupyterlab/apputils-extension:notification":
                                      {"fetchNews": "false", "checkForUpdates": False}}))  # fmt: skip
