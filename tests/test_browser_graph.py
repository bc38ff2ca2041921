"""The graph and the training views at demo scale, in real JupyterLab (headless Chromium).

One step of micrograd's demo is 65,818 nodes. These tests look at what a newcomer sees:
parameters inside their neurons, edges that never run across a closed box, pages through
a neuron's calls, hover readouts, a heatmap click that selects the parameter it was on,
and NaN nodes marked. Screenshots land in test-artifacts/ (docs/images/ with
MGDEBUG_UPDATE_SCREENSHOTS=1).
"""

from __future__ import annotations

import pytest
from browser_helpers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    VIEWER,
    JupyterServer,
    lab_run_all,
    open_lab_notebook,
    screenshot,
    wait_for_finished_trace,
    write_overrides,
)

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")

DEMO = """\
%%mgtrace --name run
import random
import numpy as np
from sklearn.datasets import make_moons
from micrograd.engine import Value
from micrograd.nn import MLP
np.random.seed(1337)
random.seed(1337)
X, y = make_moons(n_samples=100, noise=0.1)
y = y * 2 - 1
model = MLP(2, [16, 16, 1])
for k in range(3):
    inputs = [list(map(Value, xrow)) for xrow in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
    loss = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in model.parameters())
    model.zero_grad()
    loss.backward()
    for p in model.parameters():
        p.data -= (1.0 - 0.9 * k / 100) * p.grad
"""

NAN = """\
%%mgtrace --name bad
from micrograd.engine import Value
a = Value(2.0, label="a"); b = Value(0.0, label="b")
z = (a * 1000).exp() * b + a; z.label = "z"
z.backward()
"""

# the page's own view of a viewer: state and actions (viewer.ts sets root.mgdebug)
STATE = f"document.querySelector('{VIEWER}').mgdebug.state()"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    write_overrides()
    s = JupyterServer(tmp_path_factory.mktemp("lab-graph"))
    yield s
    s.stop()


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def new_page(browser, width=1400, height=1000):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    return page


def wait_for_viewer(page, timeout=180_000):
    viewer = page.locator(f"{VIEWER}:visible").first
    viewer.wait_for(timeout=timeout)
    wait_for_finished_trace(page, timeout=timeout)  # (not the live steps)
    settle(page)
    return viewer


def settle(page):
    """Wait until the viewer shows a laid-out picture again (a relayout drops it briefly)."""
    page.wait_for_function(
        "sel => { const v = document.querySelector(sel); const s = v.mgdebug.state();"
        " return v.dataset.busy === '0' && !!s.tree && !!s.layout; }",
        arg=VIEWER,
    )
    page.wait_for_timeout(150)


def screen_of(page, slot: int) -> dict:
    """The on-screen box (page pixels) of layout box `slot`."""
    return page.evaluate(
        """([sel, i]) => { const root = document.querySelector(sel); const s = root.mgdebug.state();
        const l = s.layout, c = s.camera, r = root.querySelector('.mgd-graph canvas').getBoundingClientRect();
        return { x: r.left + (l.x[i] - c.x) * c.scale, y: r.top + (l.y[i] - c.y) * c.scale,
                 w: l.w[i] * c.scale, h: l.h[i] * c.scale, canvas: [r.left, r.top, r.width, r.height] }; }""",
        [VIEWER, slot],
    )


def slot_of_group(page, path: str) -> tuple[int, int]:
    """(group id, layout box) of the scope group with that path in the picture."""
    # a relayout (a late resize refit, the final trace) drops the tree briefly
    settle(page)
    return tuple(
        page.evaluate(
            """([sel, path]) => { const s = document.querySelector(sel).mgdebug.state(); const t = s.tree;
            const g = t.path.findIndex((p, i) => p === path && t.kind[i] === 1);
            return [g, Array.from(s.layout.unit).indexOf(t.numNodes + g)]; }""",
            [VIEWER, path],
        )
    )


CROSSINGS = """sel => { const l = document.querySelector(sel).mgdebug.state().layout; const out = [];
  for (let e = 0; e < l.edgeSrc.length; e++)
    for (let k = l.edgePtr[e]; k + 1 < l.edgePtr[e + 1]; k++) {
      const x0 = Math.min(l.edgeX[k], l.edgeX[k + 1]), x1 = Math.max(l.edgeX[k], l.edgeX[k + 1]);
      const y0 = Math.min(l.edgeY[k], l.edgeY[k + 1]), y1 = Math.max(l.edgeY[k], l.edgeY[k + 1]);
      for (let i = 0; i < l.unit.length; i++) {
        if (l.open[i] || i === l.edgeSrc[e] || i === l.edgeDst[e]) continue;
        if (x1 > l.x[i] + 0.5 && x0 < l.x[i] + l.w[i] - 0.5 && y1 > l.y[i] + 0.5 && y0 < l.y[i] + l.h[i] - 0.5)
          out.push([e, i]);
      }
    }
  return out; }"""


@pytest.fixture(scope="module")
def demo(server):
    server.write_notebook("demo.ipynb", ["%load_ext mgdebug", DEMO])
    return "demo.ipynb"


def test_demo_graph_reads_at_its_first_view_and_pages_through_calls(
    server, browser, demo
):
    page = new_page(browser)
    open_lab_notebook(page, server, demo)
    lab_run_all(page)
    viewer = wait_for_viewer(page)
    # read in one go once a picture shows (a relayout drops the tree while it runs)
    facts = page.wait_for_function(
        f"""() => {{ const s = {STATE}; const t = s.tree;
        if (!t || !s.layout || s.loading) return null;
        return {{ nodes: t.numNodes, owned: t.owned.reduce((a, b) => a + b, 0),
                 imported: Array.from(t.kind).filter(k => k === 4).length,
                 stubs: s.layout.stubNode.length, bundles: s.layout.edgeSrc.length,
                 biggest: Math.max(...s.layout.edgeCount) }}; }}"""
    ).json_value()
    assert facts["nodes"] == 65_818
    # parameters in their neurons, each read by the L2 term outside the model (a tag
    # there); layers.0 -> layers.1 is 16 x 16 x 100 edges, one bundle
    assert facts["owned"] == 337 and facts["imported"] == 0
    assert facts["stubs"] == 337
    assert facts["biggest"] >= 25_600
    assert page.evaluate(CROSSINGS, VIEWER) == []
    screenshot(page, "lab-demo-grouped", viewer)

    # hover a neuron: its full name and size in the readout
    gid, slot = slot_of_group(page, "MLP/layers.1/neurons.10")
    box = screen_of(page, slot)
    page.mouse.move(box["x"] + box["w"] / 2, box["y"] + box["h"] / 2)
    tip = viewer.locator(".mgd-graph .mgd-tip")
    tip.wait_for(state="visible")
    assert "neurons.10 ×100" in tip.inner_text()

    # open it with a real double-click, then page to the next call with ▸
    page.mouse.dblclick(box["x"] + box["w"] / 2, box["y"] + box["h"] / 2)
    settle(page)
    gid, slot = slot_of_group(page, "MLP/layers.1/neurons.10")
    assert page.evaluate(f"() => {STATE}.layout.page[{slot}]") == 0
    # the inspector pages through the calls of the selected group
    viewer.locator(".mgd-inspector button[data-turn]", has_text="▸").click()
    settle(page)
    gid, slot = slot_of_group(page, "MLP/layers.1/neurons.10")
    assert page.evaluate(f"() => {STATE}.layout.page[{slot}]") == 1
    # and so does the frame's own ▸: zoom in with the wheel, drag its corner into view
    canvas = screen_of(page, slot)["canvas"]
    cx, cy = canvas[0] + canvas[2] / 2, canvas[1] + canvas[3] / 2
    page.mouse.move(cx, cy)
    viewer.focus()  # the wheel zooms only while the viewer has focus (else the notebook scrolls)
    for _ in range(30):
        if page.evaluate(f"() => {STATE}.camera.scale") >= 0.7:
            break
        page.mouse.wheel(0, -240)
        page.wait_for_timeout(50)
    assert page.evaluate(f"() => {STATE}.camera.scale") >= 0.7
    frame = screen_of(page, slot)
    page.mouse.down()
    page.mouse.move(
        cx + (cx + 100 - frame["x"] - frame["w"]) / 2, cy + (cy - 100 - frame["y"]) / 2
    )
    page.mouse.move(
        cx + 100 - (frame["x"] + frame["w"] - cx), cy - 100 - (frame["y"] - cy), steps=4
    )
    page.mouse.up()
    settle(page)
    frame = screen_of(page, slot)
    k = page.evaluate(f"() => {STATE}.camera.scale")
    size = max(16, 15 / k) * k  # the button's side on screen (view/pager.ts)
    next_x = frame["x"] + frame["w"] - 4 * k - size / 2
    next_y = frame["y"] + 2 * k + size / 2
    hit = page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y)?.tagName", [next_x, next_y]
    )
    assert hit == "CANVAS"  # nothing covers the pager
    page.mouse.click(next_x, next_y)
    settle(page)
    gid, slot = slot_of_group(page, "MLP/layers.1/neurons.10")
    assert page.evaluate(f"() => {STATE}.layout.page[{slot}]") == 2
    calls = page.evaluate(
        f"""() => {{ const s = {STATE}; const t = s.tree;
        return Array.from(s.layout.unit).filter(u => u >= t.numNodes && t.parent[u - t.numNodes] === {gid})
          .map(u => t.name[u - t.numNodes]); }}"""
    )
    assert calls == ["call 2"]
    assert page.evaluate(CROSSINGS, VIEWER) == []
    # a parameter of it, revealed by the search box
    search = viewer.locator("input.mgd-search:not(.mgd-bp)")
    search.fill("layers.1.neurons.10.w.3")
    search.press("Enter")
    viewer.locator(".mgd-inspector .mgd-title", has_text="neurons.10.w.3").wait_for()
    settle(page)
    screenshot(page, "lab-demo-neuron-call", viewer)
    assert not page.errors
    page.context.close()


def test_heatmap_click_selects_that_parameter_in_that_step_at_laptop_size(
    server, browser, demo
):
    page = new_page(browser, 1000, 800)
    open_lab_notebook(page, server, demo)
    page.keyboard.press("Control+b")  # the file browser stays open beside the notebook
    page.wait_for_timeout(300)
    lab_run_all(page)
    viewer = wait_for_viewer(page)
    page.wait_for_function(f"() => {STATE}.params !== null")
    strip = viewer.locator(".mgd-steps")
    tall = strip.get_by_role("button", name="⇕")
    viewer.scroll_into_view_if_needed()
    tall.scroll_into_view_if_needed()
    tb = tall.bounding_box()
    assert (
        page.evaluate(
            "([x, y]) => document.elementFromPoint(x, y)?.textContent",
            [tb["x"] + tb["width"] / 2, tb["y"] + tb["height"] / 2],
        )
        == "⇕"
    )
    tall.click()
    body = viewer.locator(".mgd-params-body")
    page.wait_for_timeout(300)
    body.scroll_into_view_if_needed()

    def geometry():
        return page.evaluate(
            f"() => document.querySelector('{VIEWER} .mgd-steps').mgdebugParams()"
        )

    def row_y(name: str) -> float:
        """The row's middle on screen, scrolling the rows with the wheel to show it."""
        b = body.bounding_box()
        for _ in range(40):
            g = geometry()
            index = next(i for i, r in enumerate(g["rows"]) if r["full"] == name)
            if g["scroll"] <= index < g["scroll"] + g["fit"]:
                return b["y"] + 13 + (index - g["scroll"]) * 15 + 7
            page.mouse.move(b["x"] + 20, b["y"] + 40)
            page.mouse.wheel(0, 40 if index >= g["scroll"] + g["fit"] else -40)
            page.wait_for_timeout(40)
        raise AssertionError(f"row {name} never came into view")

    b = body.bounding_box()
    page.mouse.click(b["x"] + 20, row_y("layers.0"))  # open the module rows by name
    page.wait_for_timeout(200)
    page.mouse.click(b["x"] + 30, row_y("layers.0.neurons.3"))
    page.wait_for_timeout(200)
    g = geometry()
    target = "layers.0.neurons.3.w.1"
    c0, c1 = g["cols"]
    x = b["x"] + g["heatX"] + (1 + 0.5 - c0) / (c1 - c0) * g["heatW"]  # step 1's cell
    y = row_y(target)
    page.mouse.move(x, y)
    tip = body.locator(".mgd-tip")
    tip.wait_for(state="visible")
    assert f"{target} · step 1" in tip.inner_text()
    screenshot(page, "lab-demo-params", viewer)
    page.mouse.click(x, y)  # one click: step 1, that parameter selected
    page.wait_for_function(
        "sel => /step 1\\//.test(document.querySelector(sel).querySelector('.mgd-readout').textContent)",
        arg=VIEWER,
    )
    viewer.locator(".mgd-inspector .mgd-title", has_text=target).wait_for()
    assert page.evaluate(f"() => {STATE}.stepIndex") == 1

    # the loss curve answers a hover with the step and its loss
    loss = viewer.locator(".mgd-loss")
    lb = loss.bounding_box()
    page.mouse.move(lb["x"] + lb["width"] * 0.5, lb["y"] + lb["height"] * 0.5)
    ltip = loss.locator(".mgd-tip")
    ltip.wait_for(state="visible")
    assert "loss" in ltip.inner_text() and "step" in ltip.inner_text()
    screenshot(page, "lab-demo-laptop", viewer)
    assert not page.errors
    page.context.close()


def test_nan_and_inf_nodes_are_marked_at_any_zoom(server, browser):
    server.write_notebook("nan.ipynb", ["%load_ext mgdebug", NAN])
    page = new_page(browser)
    open_lab_notebook(page, server, "nan.ipynb")
    lab_run_all(page)
    viewer = wait_for_viewer(page)
    page.wait_for_function(
        "sel => Number(document.querySelector(sel).querySelector('.mgd-graph').dataset.nonfinite) > 0",
        arg=VIEWER,
    )
    marked = int(viewer.locator(".mgd-graph").get_attribute("data-nonfinite"))
    assert marked == 7  # exp(2000) = inf, and everything it reaches
    screenshot(page, "lab-nonfinite", viewer)
    canvas = viewer.locator(".mgd-graph canvas")
    cb = canvas.bounding_box()
    page.mouse.move(cb["x"] + cb["width"] / 2, cb["y"] + cb["height"] / 2)
    viewer.focus()  # the wheel zooms only while the viewer has focus
    for _ in range(12):  # far out: the marks keep their size on screen
        page.mouse.wheel(0, 400)
        page.wait_for_timeout(30)
    settle(page)
    assert page.evaluate(f"() => {STATE}.camera.scale") < 0.05
    assert int(viewer.locator(".mgd-graph").get_attribute("data-nonfinite")) == 7
    assert not page.errors
    page.context.close()
