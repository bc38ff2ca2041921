"""Training in a real browser: the graph live while a cell trains, and two steps compared.

Uses the JupyterLab server, browser and page fixtures of test_browser.py.
"""

from __future__ import annotations

import pytest
from browser_helpers import VIEWER, lab_run_all, open_lab_notebook, screenshot
from test_browser import browser, page, python_trace, server  # noqa: F401 (fixtures)

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


TRAIN = """\
import random
from micrograd.engine import Value
from micrograd.nn import MLP
random.seed(4)
model = MLP(2, [4, 1])
for k in range(3):
    loss = sum((model([Value(1.0), Value(-1.0)]) - y) ** 2 for y in (1.0, -1.0))
    model.zero_grad(); loss.backward()
    for p in model.parameters(): p.data -= 0.1 * p.grad
"""
THREE_STEPS = "%%mgtrace --name run\n" + TRAIN

OTHER_RUN = """\
%%mgtrace --name fixed --no-widget
random.seed(4)
model = MLP(2, [4, 1])
loss = sum((model([Value(1.0), Value(-1.0)]) - y) ** 2 * 0.5 for y in (1.0, -1.0))
model.zero_grad(); loss.backward()
"""


def inspector_title(viewer, key: str) -> str:
    row = viewer.locator(".mgd-inspector .mgd-row").filter(
        has=viewer.page.locator(".mgd-key", has_text=key)
    )
    return row.locator(".mgd-val").get_attribute("title")


def test_two_steps_and_two_runs_compared_in_the_viewer(server, page):  # noqa: F811
    server.write_notebook(
        "compare.ipynb",
        ["%load_ext mgdebug", THREE_STEPS, OTHER_RUN,
         "import mgdebug\nmgdebug.show(run, compare=fixed)"],
    )  # fmt: skip
    run = python_trace(TRAIN)  # the same cell in this process: the same numbers
    open_lab_notebook(page, server, "compare.ipynb")
    lab_run_all(page)
    viewer = page.locator(VIEWER).nth(1)
    viewer.wait_for(timeout=90_000)
    page.wait_for_function(
        "([sel]) => { const v = document.querySelectorAll(sel)[1];"
        " return v && v.dataset.busy === '0' && Number(v.dataset.units || 0) > 0; }",
        arg=[VIEWER],
        timeout=90_000,
    )
    state = "([sel]) => { const st = document.querySelectorAll(sel)[1].mgdebug.state(); return {"
    state += " label: st.compare ? st.compare.label : null, mode: st.colorMode,"
    state += " same: st.compare ? st.compare.counterpart === null : null}; }"
    pick = viewer.locator("select.mgd-compare-pick")
    pick.select_option("this:1")  # the last step, compared with the one before
    page.wait_for_function(
        f"([sel]) => ({state})([sel]).label === 'step 1'", arg=[VIEWER]
    )
    assert page.evaluate(state, [VIEWER]) == {
        "label": "step 1",
        "mode": "delta",
        "same": True,
    }
    search = viewer.locator("input.mgd-search:not(.mgd-bp)")
    search.fill("layers.0.neurons.1.w.0")
    search.press("Enter")
    viewer.locator(
        ".mgd-inspector .mgd-sub", has_text="compared with step 1"
    ).wait_for()
    c = run.compare(1, other_step=2)  # b - a: the shown step minus the compared one
    g = run.graph(2)
    node = run.find("layers.0.neurons.1.w.0", 2)[0]
    i = list(c.node_b).index(node)
    title = inspector_title(viewer, "Δ value, Δ grad")
    dv, dg = float(c.delta_value[i]), float(c.delta_grad[i])
    assert f"{dv!r}, {dg!r}" in title
    assert g.num_nodes == len(c.node_a)
    screenshot(page, "lab-compare-steps", viewer)
    # step 0 built the model (its parameters are its own nodes): aligned, not node for node
    pick.select_option("this:0")
    page.wait_for_function(
        f"([sel]) => ({state})([sel]).label === 'step 0'", arg=[VIEWER]
    )
    page.wait_for_function(f"([sel]) => ({state})([sel]).same === false", arg=[VIEWER])
    # the other run: a different graph, aligned by scope, op and label
    pick.select_option("other:0")
    page.wait_for_function(
        f"([sel]) => ({state})([sel]).label === 'other run, step 0'",
        arg=[VIEWER],
        timeout=30_000,
    )
    assert page.evaluate(state, [VIEWER])["same"] is False
    viewer.locator(".mgd-compare-status", has_text="aligned by scope").wait_for()
    pick.select_option("off")
    page.wait_for_function(f"([sel]) => ({state})([sel]).mode === 'grad'", arg=[VIEWER])
    assert not page.errors
