"""The viewer in a real browser: JupyterLab 4 and Notebook 7 in headless Chromium, and the
standalone HTML file from file://. Screenshots land in test-artifacts/ for a person to look at.

Each check compares what the page shows with what Python's `trace.state_at(t)` says,
recomputed here from the same code (the engine is deterministic).
"""

from __future__ import annotations

import re

import pytest
from browser_helpers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    VIEWER,
    JupyterServer,
    lab_run_all,
    open_lab_notebook,
    screenshot,
    unreachable_controls,
    write_overrides,
)

import mgdebug

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")

EXPRESSION = """\
from micrograd.engine import Value
a = Value(2.0, label="a"); b = Value(-3.0, label="b"); c = Value(10.0, label="c")
e = a * b; e.label = "e"
d = e + c; d.label = "d"
f = Value(-2.0, label="f")
L = (d * f).tanh() * 4 + a * a; L.label = "L"
L.backward()
"""


def python_trace(code: str) -> mgdebug.Trace:
    namespace: dict = {}
    with mgdebug.record() as trace:
        exec(code, namespace)
    return trace


def ours(error) -> list[str]:
    """Page errors raised in the viewer's code; Jupyter's own start-up noise is not ours."""
    stack = getattr(error, "stack", "") or ""
    return [f"{error}\n{stack}"] if "blob:" in stack or "mgd" in stack else []


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    write_overrides()
    s = JupyterServer(tmp_path_factory.mktemp("lab"))
    yield s
    s.stop()


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.extend(ours(e)))
    page.on("dialog", lambda d: (errors.append("dialog: " + d.message), d.dismiss()))
    page.errors = (
        errors  # errors thrown by our bundle (anywidget loads it from a blob: URL)
    )
    yield page
    context.close()


def wait_for_viewer(page, index: int = 0, timeout: float = 90_000):
    viewer = page.locator(f"{VIEWER}:visible").nth(index)
    viewer.wait_for(timeout=timeout)
    page.wait_for_function(
        "([sel, i]) => { const v = document.querySelectorAll(sel)[i];"
        " return v && v.dataset.busy === '0' && Number(v.dataset.units || 0) > 0 &&"
        " /t = /.test(v.querySelector('.mgd-readout')?.textContent || ''); }",
        arg=[VIEWER, index],
        timeout=timeout,
    )
    return viewer


def readout_event(viewer) -> int:
    text = viewer.locator(".mgd-readout").inner_text()
    match = re.search(r"t = ([\d,]+) /", text)
    assert match, text
    return int(match.group(1).replace(",", ""))


def wait_for_readout(viewer, event: int) -> None:
    viewer.page.wait_for_function(
        "([sel, t]) => new RegExp('t = ' + t.toLocaleString('en-US') + ' /')"
        ".test(document.querySelector(sel).querySelector('.mgd-readout').textContent)",
        arg=[VIEWER, event],
        timeout=10_000,
    )


def inspector_value(viewer, key: str) -> float:
    row = viewer.locator(".mgd-inspector .mgd-row").filter(
        has=viewer.page.locator(".mgd-key", has_text=re.compile(f"^{key}$"))
    )
    title = row.locator(".mgd-val").get_attribute("title")
    return float(title)


def select_by_label(viewer, label: str) -> None:
    search = viewer.locator("input.mgd-search:not(.mgd-bp)")
    search.fill(label)
    search.press("Enter")
    viewer.locator(".mgd-inspector .mgd-title", has_text=f"{label} (").wait_for()


# ---------------------------------------------------------------------- JupyterLab


def test_lab_scrubbing_shows_python_exact_grads(server, page):
    server.write_notebook(
        "expr.ipynb", ["%load_ext mgdebug", "%%mgtrace --name run\n" + EXPRESSION]
    )
    reference = python_trace(EXPRESSION)
    open_lab_notebook(page, server, "expr.ipynb")
    lab_run_all(page)
    viewer = wait_for_viewer(page)
    last = reference.num_events - 1
    assert readout_event(viewer) == last  # opens at the end of the trace
    select_by_label(viewer, "a")
    assert inspector_value(viewer, "grad") == reference.state_at(last).grad_of("a")
    assert inspector_value(viewer, "value") == 2.0
    back = viewer.locator("button[title^='one event back']")
    for i in range(4):
        back.click()
        wait_for_readout(viewer, last - 1 - i)
    t = readout_event(viewer)
    assert t == last - 4
    assert inspector_value(viewer, "grad") == reference.state_at(t).grad_of("a")
    viewer.focus()  # keys reach the viewer only while it has focus
    for i in range(3):
        page.keyboard.press("ArrowLeft")
        wait_for_readout(viewer, t - 1 - i)
    assert inspector_value(viewer, "grad") == reference.state_at(t - 3).grad_of("a")
    screenshot(page, "lab-expression", viewer)
    assert not page.errors


TRAINING = """\
import random
from micrograd.engine import Value
from micrograd.nn import MLP
random.seed(3)
model = MLP(2, [8, 8, 1])
X = [[1.0, -1.0], [0.5, 2.0], [-1.5, 0.3], [0.2, 0.1], [2.0, 1.0], [-1.0, -1.0]]
Y = [1.0, -1.0, 1.0, -1.0, 1.0, -1.0]
for k in range(4):
    scores = [model(list(map(Value, x))) for x in X]
    loss = sum((s - y) ** 2 for s, y in zip(scores, Y)) * (1.0 / len(X))
    model.zero_grad(); loss.backward()
    for p in model.parameters(): p.data -= 0.05 * p.grad
"""


@pytest.mark.parametrize("width, height", [(1400, 1000), (1000, 800)])
def test_lab_a_breakpoint_typo_names_the_ops_and_the_other_hits_still_work(
    server, browser, width, height
):
    """Typed in the viewer's breakpoint box: `op:relu` hits (any case), `op:sigmod`
    names no op, and the notice says so with the ops the trace has."""
    name = f"typo{width}.ipynb"
    server.write_notebook(
        name, ["%load_ext mgdebug", "%%mgtrace --name run\n" + TRAINING]
    )
    reference = python_trace(TRAINING)
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    open_lab_notebook(page, server, name)  # (the file browser open on the left)
    lab_run_all(page)
    viewer = wait_for_viewer(page)
    viewer.scroll_into_view_if_needed()
    box = viewer.locator("input.mgd-bp")  # the breakpoint list, beside the graph
    box.click()
    box.fill("op:relu, op:sigmod")
    box.press("Enter")
    notice = viewer.locator(".mgd-notice")
    notice.filter(has_text="'op:sigmod' names no op of this trace").wait_for()
    assert "its ops are: *, **2, +, ReLU" in notice.inner_text()
    row = viewer.locator(".mgd-bprow[data-spec='op:sigmod'] .mgd-count")
    assert row.inner_text() == "no such op"  # on its row of the list, too
    assert row.get_attribute("title").startswith("'op:sigmod' names no op")
    screenshot(page, f"lab-breakpoint-typo-{width}", docs=False)
    x, y = notice.bounding_box()["x"] + 5, notice.bounding_box()["y"] + 5
    assert page.evaluate(  # on screen, not under anything
        "([x, y]) => !!document.elementFromPoint(x, y)?.closest('.mgd-notice')", [x, y]
    )
    last = reference.num_events - 1
    relu = [
        h["event"] for h in reference.breakpoint_hits("op:ReLU") if h["event"] < last
    ]
    viewer.focus()  # (out of the field: keys typed there stay there)
    page.keyboard.press("Shift+ArrowLeft")  # the latest hit of op:relu before the end
    step = len(reference.steps) - 1  # (the readout counts events within the step)
    wait_for_readout(viewer, max(relu) - reference.event_offset(step))
    context.close()


def test_lab_groups_expand_collapse_and_steps_switch(server, page):
    server.write_notebook(
        "train.ipynb", ["%load_ext mgdebug", "%%mgtrace --name run\n" + TRAINING]
    )
    reference = python_trace(TRAINING)
    open_lab_notebook(page, server, "train.ipynb")
    lab_run_all(page)
    viewer = wait_for_viewer(page)
    grouped_units = int(viewer.get_attribute("data-units"))
    screenshot(page, "lab-training-grouped", viewer)
    viewer.locator("button.mgd-gear").click()  # the ⚙ menu, opened as a user does
    settings = viewer.locator(".mgd-popover")
    settings.get_by_role("button", name="expand all").click()
    page.wait_for_function(
        "([sel, n]) => { const v = document.querySelector(sel); return v.dataset.busy === '0' && Number(v.dataset.units) > n; }",
        arg=[VIEWER, grouped_units],
    )
    expanded_units = int(viewer.get_attribute("data-units"))
    screenshot(page, "lab-training-expanded", viewer)
    settings.get_by_role("button", name="collapse all").click()
    page.wait_for_function(
        "([sel, n]) => { const v = document.querySelector(sel); return v.dataset.busy === '0' && Number(v.dataset.units) === n; }",
        arg=[VIEWER, grouped_units],
    )
    assert expanded_units > grouped_units
    page.keyboard.press("Escape")
    settings.wait_for(state="hidden")
    # switch to step 1 and check a parameter's grad at the end of that step
    viewer.locator("select.mgd-step").select_option("1")
    page.wait_for_function(
        "sel => /step 1\\//.test(document.querySelector(sel).querySelector('.mgd-readout').textContent)",
        arg=VIEWER,
    )
    wait_for_viewer(page)
    viewer.locator('button[title^="jump to the step\'s last event"]').click()
    select_by_label(
        viewer, "layers.1.neurons.2.w.0"
    )  # inside a collapsed group: it opens
    end_of_step_1 = reference.event_offsets[2] - 1
    expected = reference.state_at(int(end_of_step_1)).grad_of("layers.1.neurons.2.w.0")
    assert inspector_value(viewer, "grad") == expected
    screenshot(page, "lab-training-step1", viewer)
    assert not page.errors


def test_lab_live_breakpoint_step_and_continue(server, page):
    code = "%%mgtrace --name paused --break op:tanh --timeout 120\n" + EXPRESSION
    server.write_notebook(
        "live.ipynb", ["%load_ext mgdebug", code, "print('after', a.grad)"]
    )
    reference = python_trace(EXPRESSION)
    open_lab_notebook(page, server, "live.ipynb")
    lab_run_all(page)
    viewer = page.locator(f"{VIEWER}:visible").first
    cont = viewer.get_by_role("button", name="▶ Continue")
    cont.wait_for(timeout=90_000)
    reason = viewer.locator(".mgd-reason")
    assert reason.inner_text() == "Paused on breakpoint op:tanh"
    paused_at = readout_event(viewer)
    (hit,) = reference.breakpoint_hits("op:tanh")
    assert paused_at == hit["event"]
    viewer.get_by_role("button", name="Step", exact=True).click()
    page.wait_for_function(
        "sel => /Paused after Step$/.test(document.querySelector(sel).querySelector('.mgd-reason')?.textContent || '')",
        arg=VIEWER,
    )
    wait_for_readout(
        viewer, paused_at + 1
    )  # the grown step reloads after the reason changes
    assert readout_event(viewer) == paused_at + 1
    cont.click()
    page.get_by_text(
        f"after {reference.state_at(reference.num_events - 1).grad_of('a')}"
    ).wait_for(timeout=60_000)
    assert not page.errors


# ---------------------------------------------------------------------- Notebook 7


def test_notebook7_shows_the_viewer(server, page):
    server.write_notebook(
        "nb7.ipynb", ["%load_ext mgdebug", "%%mgtrace --name run\n" + EXPRESSION]
    )
    page.goto(f"{server.url}/notebooks/nb7.ipynb")
    page.wait_for_selector(".jp-Notebook", timeout=60_000)
    page.wait_for_function(
        "() => document.body.textContent.includes('Idle') || document.querySelector('.jp-Notebook-ExecutionIndicator')",
        timeout=60_000,
    )
    page.wait_for_timeout(1000)
    page.locator("li.lm-MenuBar-item", has_text="Run").click()
    page.locator(".lm-Menu-item", has_text="Run All Cells").first.click()
    viewer = wait_for_viewer(page)
    select_by_label(viewer, "b")
    reference = python_trace(EXPRESSION)
    assert inspector_value(viewer, "grad") == reference.state_at(
        reference.num_events - 1
    ).grad_of("b")
    screenshot(page, "notebook7-expression", viewer)
    viewer.scroll_into_view_if_needed()
    seen, bad = unreachable_controls(page)
    assert seen > 15 and not bad, bad
    assert not page.errors


# ---------------------------------------------------------------------- standalone HTML


def test_standalone_html_works_offline_with_time_travel(browser, tmp_path):
    trace = python_trace(
        TRAINING.replace("for k in range(4)", "for k in range(3)")
        + "\nhostile = Value(1.0, label='</script><img src=x onerror=alert(1)>') * 2\n"
    )
    path = trace.to_html(tmp_path / "trace.html")
    context = browser.new_context(viewport={"width": 1400, "height": 900}, offline=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: (errors.append("dialog: " + d.message), d.dismiss()))
    page.goto(path.resolve().as_uri())
    viewer = wait_for_viewer(page)
    box = viewer.bounding_box()  # the page is the viewer: it fills the window
    assert box["width"] > 1400 - 40 and box["height"] > 900 - 40, box
    # the last step is forward-only (the hostile label): step back to the training steps
    viewer.locator("select.mgd-step").select_option("2")
    page.wait_for_function(
        "sel => /step 2\\//.test(document.querySelector(sel).querySelector('.mgd-readout').textContent)",
        arg=VIEWER,
    )
    wait_for_viewer(page)
    viewer.locator('button[title^="jump to the step\'s last event"]').click()
    select_by_label(viewer, "layers.0.neurons.1.b")
    end = int(trace.event_offsets[3]) - 1
    assert inspector_value(viewer, "grad") == trace.state_at(end).grad_of(
        "layers.0.neurons.1.b"
    )
    viewer.locator("button[title^='one event back']").click()
    assert inspector_value(viewer, "grad") == trace.state_at(end - 1).grad_of(
        "layers.0.neurons.1.b"
    )
    screenshot(page, "standalone-html", viewer)
    assert page.locator("img").count() == 0 and not errors
    context.close()


# ---------------------------------------------------------------------- your own class

LECTURE_VALUE = """\
import math
class Value:
    def __init__(self, data, _children=(), _op='', label=''):
        self.data = data; self.grad = 0.0; self._backward = lambda: None
        self._prev = set(_children); self._op = _op; self.label = label
    def __add__(self, other):
        out = Value(self.data + other.data, (self, other), '+')
        def _backward():
            self.grad = 1.0 * out.grad  # the lecture's bug: = where += belongs
            other.grad = 1.0 * out.grad
        out._backward = _backward
        return out
    def __mul__(self, other):
        out = Value(self.data * other.data, (self, other), '*')
        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out
    def backward(self):
        topo, visited = [], set()
        def build(v):
            if v not in visited:
                visited.add(v)
                for c in v._prev: build(c)
                topo.append(v)
        build(self)
        self.grad = 1.0
        for v in reversed(topo): v._backward()
"""
REUSED = """\
a, b = Value(2.0, label='a'), Value(-3.0, label='b')
c = a + b; c.label = 'c'
d = c * a; d.label = 'd'
d.backward()
"""


@pytest.mark.parametrize("width, height", [(1000, 800), (1600, 1000)])
def test_lab_pauses_inside_your_own_class_and_steps_through_its_closure(
    server, browser, width, height
):
    namespace: dict = {}
    exec(LECTURE_VALUE, namespace)
    with mgdebug.record(engine=namespace["Value"]) as reference:
        exec(REUSED, namespace)
    (hit,) = reference.breakpoint_hits("op:+")
    name = f"own{width}.ipynb"
    code = '%%mgtrace --name paused --break "op:+" --timeout 120\n' + REUSED
    server.write_notebook(
        name, ["%load_ext mgdebug", LECTURE_VALUE, code, "print('after', a.grad)"]
    )
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.extend(ours(e)))
    open_lab_notebook(page, server, name)
    if width < 1200:  # the small window, with the file browser open beside it
        if not page.locator("#filebrowser:visible").count():
            page.locator('.jp-SideBar [data-id="filebrowser"]').click()
        page.locator("#filebrowser").wait_for(state="visible")
    lab_run_all(page)
    viewer = page.locator(f"{VIEWER}:visible").first
    cont = viewer.get_by_role("button", name="▶ Continue")
    cont.wait_for(timeout=90_000)
    assert "op:+" in viewer.locator(".mgd-reason").inner_text()
    assert page.get_by_text("also tracing Value").count() == 1
    assert readout_event(viewer) == hit["event"]
    select_by_label(viewer, "a")
    assert inspector_value(viewer, "grad") == -1.0  # before the + closure runs
    screenshot(page, f"lab-own-class-paused-{width}", docs=False)
    step = viewer.get_by_role("button", name="Step", exact=True)
    assert page.evaluate(  # the button is on top where it is drawn: a real click lands
        "b => { const r = b.getBoundingClientRect();"
        " return document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === b; }",
        step.element_handle(),
    )
    step.click()
    wait_for_readout(viewer, hit["event"] + 1)
    select_by_label(viewer, "a")
    assert inspector_value(viewer, "grad") == 2.0  # replaced by the buggy closure
    select_by_label(viewer, "c")
    closure_row = viewer.locator(".mgd-inspector .mgd-link").filter(has_text="grad →")
    assert closure_row.count() == 3  # c's two inputs and its consumer d: all closures
    assert "_backward closure" in closure_row.first.locator(".mgd-val").get_attribute(
        "title"
    )
    screenshot(page, f"lab-own-class-stepped-{width}", docs=False)
    cont.click()
    page.get_by_text("after 2.0").wait_for(timeout=60_000)
    assert not errors
    context.close()
