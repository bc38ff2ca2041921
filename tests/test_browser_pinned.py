"""The viewer on Google Colab's pinned stack, clicked for real: the Colab-pinned venv's
own frontend (classic Notebook 6.5.7 with ipywidgets 7.7.1 and anywidget 0.9.21, the
frontend that stack ships; Colab's own frontend cannot run here) in headless Chromium,
a live pause on ipykernel 6.17.1 (the message pump) resumed by clicking Continue.

Runs in scripts/test-colab.sh, where MGDEBUG_TEST_KERNEL_PYTHON names that venv's
Python; elsewhere it is skipped. Screenshots: test-artifacts/pinned-*.png.
"""

from __future__ import annotations

import os
import subprocess
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from browser_helpers import CHROMIUM, CHROMIUM_ARGS, free_port, screenshot
from kernel_helpers import KERNEL_PYTHON

pytestmark = [pytest.mark.browser, pytest.mark.kernel]
playwright_api = pytest.importorskip("playwright.sync_api")
CLASSIC = Path(KERNEL_PYTHON).parent / "jupyter-notebook" if KERNEL_PYTHON else None

CELLS = [
    "from micrograd.engine import Value\n%load_ext mgdebug",
    "%%mgtrace --name bp --break op:tanh\na = Value(0.5, label='a')\nb = (a * 2).tanh()\n"
    "c = (b * 3).tanh()\nc.backward()\nprint('done', a.grad)",
]


@pytest.fixture
def classic(tmp_path):
    if CLASSIC is None or not CLASSIC.exists():
        pytest.skip(
            "needs MGDEBUG_TEST_KERNEL_PYTHON with a classic Notebook (test-colab)"
        )
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}  # fmt: skip
    nbformat.write(nb, tmp_path / "pinned.ipynb")
    port = free_port()
    log = open(tmp_path / "server.log", "w")
    server = subprocess.Popen(
        [str(CLASSIC), "--no-browser", "--allow-root", "--NotebookApp.token=",
         "--NotebookApp.password=", f"--port={port}", "--ip=127.0.0.1",
         f"--notebook-dir={tmp_path}"],
        stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ, JUPYTER_PLATFORM_DIRS="1"),
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/api/status", timeout=2).close()
            break
        except OSError:
            time.sleep(0.3)
    yield url
    server.terminate()
    server.wait(timeout=15)
    log.close()


def test_a_pause_on_ipykernel_6_is_resumed_by_clicking_continue(classic):
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{classic}/notebooks/pinned.ipynb")
        page.wait_for_function(
            "() => window.Jupyter && Jupyter.notebook && Jupyter.notebook.kernel"
            " && Jupyter.notebook.kernel.is_connected()",
            timeout=60_000,
        )
        page.click("#celllink")  # Cell > Run All, as a reader does
        page.click("#run_all_cells")

        # the pause bar names the breakpoint; its title holds the whole reason
        def reason(text):
            return page.locator(f".mgd-reason[title*='{text}']")

        reason("tanh node (0.979").wait_for(timeout=60_000)
        screenshot(page, "pinned-classic-paused", docs=False)
        for expected in ("tanh node (0.76", None):
            button = page.locator("button", has_text="Continue")
            box = button.bounding_box()
            hit = page.evaluate(
                "([x, y]) => document.elementFromPoint(x, y)?.textContent",
                [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
            )
            assert "Continue" in hit  # nothing covers it
            button.click()
            if expected:
                reason(expected).wait_for(timeout=30_000)
        page.locator(".output_text", has_text="done 0.1023").wait_for(timeout=30_000)
        screenshot(page, "pinned-classic-done", docs=False)
        browser.close()
    assert errors == []
