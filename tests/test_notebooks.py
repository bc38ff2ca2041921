"""Every notebook in notebooks/ runs top to bottom on a fresh kernel, and its check cell passes."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_there_are_four_lessons():
    assert [p.name[:3] for p in NOTEBOOKS] == ["01_", "02_", "03_", "04_"]


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
    assert all(
        not cell.get("outputs") for cell in nb.cells if cell.cell_type == "code"
    ), "notebooks are committed without outputs"
    NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    outputs = "".join(
        o.get("text", "")
        for cell in nb.cells
        if cell.cell_type == "code"
        for o in cell.outputs
    )
    assert "all checks passed" in outputs
