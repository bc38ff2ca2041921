"""Training in a real browser: the graph live while a cell trains, and two steps compared.

Uses the JupyterLab server, browser and page fixtures of test_browser.py.
"""

from __future__ import annotations

import pytest
from browser_helpers import VIEWER, lab_run_all, open_lab_notebook, screenshot
from test_browser import browser, page, server  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

SLOW_TRAINING = """\
%%mgtrace --name live
import random, time
from micrograd.engine import Value
from micrograd.nn import MLP
random.seed(3)
model = MLP(2, [4, 1])
for k in range(40):
    loss = sum((model([Value(1.0), Value(-1.0)]) - y) ** 2 for y in (1.0, -1.0))
    model.zero_grad(); loss.backward()
    for p in model.parameters(): p.data -= 0.05 * p.grad
    time.sleep(0.15)
print("trained", k + 1)
"""

SHOWN = """([sel]) => {
  const v = document.querySelector(sel);
  const st = v && v.mgdebug && v.mgdebug.state();
  return st && st.view ? {step: st.view.step, recording: !!st.status.recording,
                          units: Number(v.dataset.units || 0)} : null;
}"""


def test_the_graph_is_live_while_a_cell_trains(server, page):  # noqa: F811
    server.write_notebook("live.ipynb", ["%load_ext mgdebug", SLOW_TRAINING])
    open_lab_notebook(page, server, "live.ipynb")
    lab_run_all(page)
    page.locator(VIEWER).first.wait_for(timeout=90_000)
    seen = []  # (step shown, still recording) while the cell runs
    for _ in range(200):
        shown = page.evaluate(SHOWN, [VIEWER])
        if shown and shown["recording"] and shown["units"] > 0:
            seen.append(shown["step"])
            if len(set(seen)) >= 3:
                break
        page.wait_for_timeout(250)
    # the graph was drawn while recording, and moved on to newer steps by itself
    assert len(set(seen)) >= 3, seen
    assert seen == sorted(seen)
    screenshot(page, "lab-live-training", page.locator(VIEWER).first)
    page.get_by_text("trained 40").wait_for(timeout=90_000)
    page.wait_for_function(
        "([sel]) => { const st = document.querySelector(sel).mgdebug.state();"
        " return st.view && st.view.step === 39 && !st.status.recording; }",
        arg=[VIEWER],
        timeout=30_000,
    )
    requests = page.evaluate(
        "() => (window.__mgdebugPerf || []).filter(m => m.name === 'step-request').length"
    )
    assert requests <= 40  # at most one a second while recording, and the last step
    assert not page.errors
