"""Every notebook in notebooks/ runs top to bottom on a fresh kernel, and its check cell passes."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from kernel_helpers import REPO, KernelSession, kernel_can_import, kernel_manager
from nbclient import NotebookClient

# a lesson that needs torch (Colab has it; the pinned venv here cannot get it)
TORCH = r"\bimport torch\b|\bfrom torch\b|\btorch_crosscheck\b"
NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_there_are_five_lessons():
    assert [p.name[:3] for p in NOTEBOOKS] == ["01_", "02_", "03_", "04_", "05_"]


def test_no_lesson_sets_a_pause_timeout_of_its_own():
    # a reader must be able to click Step: the test run sets the timeout from outside
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        code = "".join(c.source for c in nb.cells if c.cell_type == "code")
        assert "--timeout" not in code and "--on-timeout" not in code, path.name


@pytest.mark.kernel
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_and_its_checks_pass(path, tmp_path, monkeypatch):
    # nobody clicks here: a live pause (lesson 03) continues after half a second; the
    # lessons themselves wait for a human (README, "%%mgtrace options")
    monkeypatch.setenv("MGDEBUG_PAUSE_TIMEOUT", "0.5")
    monkeypatch.setenv("MGDEBUG_ON_TIMEOUT", "continue")
    nb = nbformat.read(path, as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    if re.search(TORCH, code) and not kernel_can_import("torch"):
        pytest.skip(
            "the kernel's Python has no torch (the Colab-pinned venv cannot get a CPU wheel here)"
        )
    assert all(
        not cell.get("outputs") for cell in nb.cells if cell.cell_type == "code"
    ), "notebooks are committed without outputs"
    NotebookClient(
        nb,
        km=kernel_manager(),
        timeout=300,
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    outputs = "".join(
        o.get("text", "")
        for cell in nb.cells
        if cell.cell_type == "code"
        for o in cell.outputs
    )
    assert "all checks passed" in outputs


def colab_cell(path: Path) -> str:
    """The lesson's first code cell: the install that runs only in Google Colab."""
    nb = nbformat.read(path, as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "code").source
    assert first.startswith("# 0. Google Colab only") and "google.colab" in first
    return first


@pytest.mark.kernel
def test_each_lessons_colab_cell_installs_only_mgdebug_into_colabs_stack():
    cells = {colab_cell(path) for path in NOTEBOOKS}
    assert len(cells) == 1  # the same cell in every lesson
    cell = cells.pop()
    session = KernelSession()
    try:
        # as in Colab: google.colab imported; first without the clone, then with it
        session.run(
            "import sys, types; sys.modules['google.colab'] = types.ModuleType('c')"
        )
        missing = session.run(cell)
        assert missing.error["ename"] == "FileNotFoundError"
        assert "!git clone <its URL> /content/mgdebug" in missing.error["evalue"]
        dry = cell.replace("/content/mgdebug", str(REPO)).replace(
            "install -q", "install --dry-run"
        )
        would = session.run(dry, timeout=240)
        assert would.status == "ok", would.traceback
        (line,) = [
            t for t in would.streams.splitlines() if t.startswith("Would install")
        ]
        names = {n.rsplit("-", 1)[0].lower() for n in line.split()[2:]}
        assert "mgdebug" in names and names <= {"mgdebug", "graphviz"}, line
    finally:
        session.close()
