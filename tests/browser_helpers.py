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
        # settings a test changes (a theme) stay in this server's folder, not the user's
        env = dict(
            os.environ,
            JUPYTER_PLATFORM_DIRS="1",
            JUPYTERLAB_SETTINGS_DIR=str(root / ".lab-settings"),
            JUPYTERLAB_WORKSPACES_DIR=str(root / ".lab-workspaces"),
        )
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


def wait_for_finished_trace(page, index: int = 0, timeout: float = 180_000) -> None:
    """Wait until viewer `index` shows the finished trace, laid out. While a cell runs the
    viewer shows its live steps; the finished trace's shape (meta.recording false) can
    reach the page after the cell's prompt is done, and its step is then shown again."""
    page.wait_for_function(
        "([sel, i]) => { const v = document.querySelectorAll(sel)[i]; const s = v?.mgdebug?.state();"
        " return !!s && !!s.meta && !s.meta.recording && s.loading === '' && !!s.tree && !!s.layout; }",
        arg=[VIEWER, index],
        timeout=timeout,
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


def screenshot(page, name: str, locator=None, *, docs: bool = True) -> Path:
    """Save a PNG in test-artifacts/; with MGDEBUG_UPDATE_SCREENSHOTS=1 also in docs/images/
    (unless `docs` is False: a picture for the person running the tests only)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    (locator or page).screenshot(path=str(path))
    if docs and os.environ.get("MGDEBUG_UPDATE_SCREENSHOTS") == "1":
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


def open_file_browser(page) -> None:
    """Show JupyterLab's file browser in the left area (a laptop's narrower notebook)."""
    tab = page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab[data-id='filebrowser']")
    if "lm-mod-current" not in (tab.get_attribute("class") or ""):
        tab.click()
    page.locator(".jp-FileBrowser").wait_for(state="visible")


# Every visible control of the viewer, checked as a user meets it: the element at its
# centre is the control (nothing covers it) and it lies inside the viewer's box. A
# control scrolled out of a scrolling panel is reachable and skipped; one cut off by a
# box that does not scroll (overflow: hidden) is not, and fails.
_UNREACHABLE_CONTROLS = """
([sel, index]) => {
  const root = document.querySelectorAll(sel)[index];
  const box = root.getBoundingClientRect();
  const name = (e) => e ? (e.getAttribute('aria-label') || e.title || e.textContent || e.className
                           || e.tagName).toString().trim().slice(0, 60) : 'nothing';
  const within = (x, y, c) => x >= c.left && x <= c.right && y >= c.top && y <= c.bottom;
  const scrolledAway = (e, x, y) => {
    for (let p = e.parentElement; p && p !== root.parentElement; p = p.parentElement) {
      if (/(auto|scroll)/.test(getComputedStyle(p).overflow) && !within(x, y, p.getBoundingClientRect()))
        return true;
    }
    return false;
  };
  // an open menu or sheet covers what is under it: those controls are not visible now
  const layers = [...root.querySelectorAll('.mgd-popover:not([hidden]), .mgd-overlay:not([hidden])')];
  const covered = (e, x, y) => layers.some((l) => !l.contains(e) && within(x, y, l.getBoundingClientRect()));
  const bad = [];
  let seen = 0;
  for (const e of root.querySelectorAll('button, select, input, [role=separator], kbd')) {
    const r = e.getBoundingClientRect();
    if (!r.width || !r.height || getComputedStyle(e).visibility === 'hidden') continue;
    const x = r.left + r.width / 2, y = r.top + r.height / 2;
    if (scrolledAway(e, x, y) || covered(e, x, y)) continue;
    seen++;
    const hit = document.elementFromPoint(x, y);
    const onTop = !!hit && (hit === e || e.contains(hit));
    const inside = r.left >= box.left - 0.5 && r.right <= box.right + 0.5
      && r.top >= box.top - 0.5 && r.bottom <= box.bottom + 0.5;
    if (!onTop || !inside) bad.push({control: name(e), found: name(hit), inside,
      at: [Math.round(x), Math.round(y)], box: [Math.round(box.left), Math.round(box.top),
      Math.round(box.right), Math.round(box.bottom)]});
  }
  return {seen, bad};
}
"""


def unreachable_controls(page, index: int = 0) -> tuple[int, list[dict]]:
    """(how many visible controls were checked, those a user could not click)."""
    found = page.evaluate(_UNREACHABLE_CONTROLS, [VIEWER, index])
    return found["seen"], found["bad"]


# Where the node a pause is at sits on screen, and the graph canvas's visible box.
_PAUSED_NODE_BOX = """
([sel, index]) => {
  const root = document.querySelectorAll(sel)[index];
  const st = root.mgdebug.state();
  const l = st.layout, node = st.paused.node;
  if (!l || node === undefined || node < 0 || node >= l.slotOfNode.length) return null;
  const i = l.slotOfNode[node];
  if (l.unit[i] !== node) return {inGroup: true};
  const c = st.camera, g = root.querySelector('.mgd-graph').getBoundingClientRect();
  const x = g.left + (l.x[i] - c.x) * c.scale, y = g.top + (l.y[i] - c.y) * c.scale;
  return {node: [x, y, x + l.w[i] * c.scale, y + l.h[i] * c.scale],
          graph: [g.left, g.top, g.right, g.bottom], selected: st.selected === node};
}
"""


def paused_node_box(page, index: int = 0) -> dict | None:
    return page.evaluate(_PAUSED_NODE_BOX, [VIEWER, index])
