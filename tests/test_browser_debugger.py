"""The viewer as a debugger, checked as a user meets it in real JupyterLab: at a laptop's
1000x800 with the file browser open and at 1400x1000, every visible control of a paused
viewer, of its ⚙ menu opened by a click, of its `?` sheet and of a finished training
viewer is on top where it is drawn and inside the viewer; the paused node sits in the
visible graph; Step over and Step out pause where Python says; a click on ▸ opens a
group; the light and dark themes are photographed for a person to look at."""

from __future__ import annotations

import random

import pytest
from browser_helpers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    VIEWER,
    JupyterServer,
    lab_run_all,
    open_file_browser,
    open_lab_notebook,
    paused_node_box,
    screenshot,
    unreachable_controls,
    wait_for_finished_trace,
    write_overrides,
)
from test_browser import TRAINING, ours

import mgdebug
from mgdebug._record import recording
from mgdebug.breakpoints import parse_specs
from micrograd.engine import Value
from micrograd.nn import MLP

pytestmark = pytest.mark.browser
playwright_api = pytest.importorskip("playwright.sync_api")

SIZES = {"laptop": (1000, 800, True), "wide": (1400, 1000, False)}  # w, h, file browser
SETUP = (
    "import random\nfrom micrograd.engine import Value\nfrom micrograd.nn import MLP\n"
    "random.seed(0)\nmodel = MLP(3, [4, 4, 1])\n"
    "x = [Value(2.0), Value(3.0), Value(-1.0)]\ntarget = 1.0"
)
SPEC = "layers.1.neurons.0.ReLU"
PAUSED = (
    f'%%mgtrace --name paused --break "{SPEC}" --timeout 120\n'
    "out = model(x)\nloss = (out - target) ** 2\nmodel.zero_grad()\nloss.backward()"
)


def reference_events(actions: list[str]) -> list[dict]:
    """The pauses Python makes for the lesson's cell, answering with `actions`."""
    random.seed(0)
    model = MLP(3, [4, 4, 1])
    x = [Value(2.0), Value(3.0), Value(-1.0)]
    answers, pauses = list(actions), []

    class Scripted:
        def wait(self, at):
            pauses.append(at.info())
            return answers.pop(0) if answers else "continue"

    trace = mgdebug.Trace()
    with recording(trace, breakpoints=parse_specs(SPEC), pause=Scripted()):
        loss = (model(x) - 1.0) ** 2
        model.zero_grad()
        loss.backward()
    return pauses


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    write_overrides()
    s = JupyterServer(tmp_path_factory.mktemp("lab-debugger"))
    yield s
    s.stop()


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def new_page(browser, size: str):
    w, h, _ = SIZES[size]
    page = browser.new_context(viewport={"width": w, "height": h}).new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.extend(ours(e)))
    return page


def open_and_run(page, server, name: str, cells: list[str], size: str):
    server.write_notebook(name, cells)
    open_lab_notebook(page, server, name)
    if SIZES[size][2]:
        open_file_browser(page)
    lab_run_all(page)
    viewer = page.locator(VIEWER).first
    viewer.wait_for(timeout=90_000)
    return viewer


def settle(page) -> None:
    """Laid out, nothing loading, nothing left to reveal; then the viewer in sight."""
    page.wait_for_function(
        "sel => { const v = document.querySelector(sel); const s = v.mgdebug.state();"
        " return v.dataset.busy === '0' && Number(v.dataset.units) > 0 && s.revealNode < 0; }",
        arg=VIEWER,
        timeout=60_000,
    )
    page.locator(VIEWER).first.scroll_into_view_if_needed()
    page.wait_for_timeout(300)


def assert_all_reachable(page, what: str) -> int:
    seen, bad = unreachable_controls(page)
    assert not bad, f"{what}: controls a user cannot click: {bad}"
    return seen


def picture_on_screen(page) -> dict:
    """The laid out picture's box on screen, the graph's box, and the camera's scale."""
    return page.evaluate(
        """sel => { const v = document.querySelector(sel); const s = v.mgdebug.state();
          const l = s.layout, c = s.camera, g = v.querySelector('.mgd-graph').getBoundingClientRect();
          const x = g.left - c.x * c.scale, y = g.top - c.y * c.scale;
          return {picture: [x, y, x + l.width * c.scale, y + l.height * c.scale],
                  graph: [g.left, g.top, g.right, g.bottom], scale: c.scale}; }""",
        VIEWER,
    )


def on_top(page, locator) -> bool:
    """Whether a user sees `locator`'s middle: elementFromPoint there is it or inside it."""
    return locator.evaluate(
        """e => { const r = e.getBoundingClientRect(); if (!r.width || !r.height) return false;
          const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
          return !!hit && (hit === e || e.contains(hit)); }"""
    )


def slivers(page) -> list[dict]:
    """Side sections squeezed to a strip that scrolls on its own (under 60 px, clipped)."""
    return page.evaluate(
        """sel => [...document.querySelector(sel).querySelectorAll('.mgd-section-body')]
          .filter(b => b.offsetParent && b.scrollHeight > b.clientHeight + 1 && b.clientHeight < 60)
          .map(b => ({section: b.parentElement.textContent.slice(0, 30), shown: b.clientHeight,
                      needs: b.scrollHeight}))""",
        VIEWER,
    )


def assert_side_column_readable(page, viewer) -> None:
    """Every section of the side column is whole or scrolls with the column; the paused
    node's inspector is in sight, and a wheel over the column brings the call path back."""
    assert slivers(page) == []
    assert on_top(page, viewer.locator(".mgd-inspector .mgd-title"))
    side = viewer.locator(".mgd-side").bounding_box()
    page.mouse.move(side["x"] + side["width"] / 2, side["y"] + side["height"] / 2)
    page.mouse.wheel(0, -3000)
    page.wait_for_timeout(200)
    assert on_top(page, viewer.locator(".mgd-crumbs .mgd-crumb.mgd-here"))


def paused_reason(page) -> dict:
    return page.evaluate(
        "sel => document.querySelector(sel).mgdebug.state().paused", VIEWER
    )


def wait_paused(page, how: str) -> dict:
    page.wait_for_function(
        "([sel, how]) => document.querySelector(sel).mgdebug.state().paused.how === how",
        arg=[VIEWER, how],
        timeout=30_000,
    )
    settle(page)
    return paused_reason(page)


def assert_paused_node_in_view(page) -> None:
    box = paused_node_box(page)
    assert box and "node" in box, f"the paused node is not its own box on screen: {box}"
    (x0, y0, x1, y1), (g0, h0, g1, h1) = box["node"], box["graph"]
    assert g0 <= x0 and x1 <= g1 and h0 <= y0 and y1 <= h1, box
    assert box["selected"]


@pytest.mark.parametrize("size", list(SIZES))
def test_a_paused_viewer_shows_where_it_is_and_every_control_is_usable(
    server, browser, size
):
    page = new_page(browser, size)
    viewer = open_and_run(
        page, server, f"paused-{size}.ipynb",
        ["%load_ext mgdebug", SETUP, PAUSED, "print('after', len(paused.hits))"], size,
    )  # fmt: skip
    viewer.locator(".mgd-pausebar").get_by_role("button", name="▶ Continue").wait_for()
    settle(page)
    # (a) paused: the node about to run is revealed, centred, outlined, named
    assert_paused_node_in_view(page)
    first, over, out = reference_events(["over", "out"])[:3]
    assert paused_reason(page)["event"] == first["event"]
    bar = viewer.locator(".mgd-pausebar")
    assert bar.locator(".mgd-reason").inner_text() == f"Paused on breakpoint {SPEC}"
    assert "· grad " in bar.locator(".mgd-facts").inner_text()
    row = viewer.locator(f".mgd-bprow[data-spec='{SPEC}']")
    assert (
        row.locator(".mgd-count").inner_text() == "1 hit so far"
    )  # counts its own pause
    crumbs = viewer.locator(".mgd-crumbs").inner_text()
    assert "layers.1" in crumbs and "neurons.0" in crumbs
    assert_side_column_readable(page, viewer)
    assert assert_all_reachable(page, "paused") > 20
    screenshot(page, f"lab-paused-{size}", docs=size == "laptop")
    if size == "wide":
        screenshot(page, "lab-live-paused")
    # (b) ⚙ opened by a real click: inside the viewer, above the graph, every row usable
    viewer.locator("button.mgd-gear").click()
    menu = viewer.locator(".mgd-popover")
    menu.wait_for(state="visible")
    assert assert_all_reachable(page, "settings open") > 10
    menu.get_by_text("show op nodes").click()  # a real click on a row of the menu
    screenshot(page, f"lab-settings-{size}", docs=size == "laptop")
    page.keyboard.press("Escape")
    menu.wait_for(state="hidden")
    # the ? sheet, by its key, with the pointer over the viewer
    viewer.locator(".mgd-graph").hover()
    page.keyboard.press("?")
    sheet = viewer.locator(".mgd-sheet")
    sheet.wait_for(state="visible")
    assert "Step over" in sheet.inner_text() and "Shift+F11" in sheet.inner_text()
    assert_all_reachable(page, "keys sheet open")
    page.keyboard.press("Escape")
    sheet.wait_for(state="hidden")
    # Step over the neuron (its button), then Step out of the layer (its key)
    bar.get_by_role("button", name="Step over").click()
    got = wait_paused(page, "over")
    assert (got["event"], got["scope"]) == (over["event"], "MLP/layers.1/neurons.0")
    assert_paused_node_in_view(page)
    viewer.locator(".mgd-graph").hover()
    page.keyboard.press("r")
    got = wait_paused(page, "out")
    assert (got["event"], got["scope"]) == (out["event"], out["scope"])
    assert_paused_node_in_view(page)
    assert_all_reachable(page, "paused after Step out")
    bar.get_by_role("button", name="▶ Continue").click()
    page.get_by_text(f"after {len(reference_events(['over', 'out']))}").wait_for()
    assert not page.errors
    page.context.close()


@pytest.mark.parametrize("size", list(SIZES))
def test_a_finished_training_viewer_is_usable_and_a_click_on_its_arrow_opens_a_group(
    server, browser, size
):
    page = new_page(browser, size)
    viewer = open_and_run(
        page, server, f"train-{size}.ipynb",
        ["%load_ext mgdebug", "%%mgtrace --name run\n" + TRAINING], size,
    )  # fmt: skip
    wait_for_finished_trace(page)  # (the viewer may show a live step first)
    settle(page)
    assert assert_all_reachable(page, "finished") > 15
    screenshot(page, f"lab-training-{size}", docs=False)
    before = int(viewer.get_attribute("data-units"))
    # a closed group's ▸, where the card draws it: one click opens it
    at = page.evaluate(
        """sel => { const v = document.querySelector(sel); const s = v.mgdebug.state();
          const l = s.layout, c = s.camera, n = s.tree.numNodes;
          const g = v.querySelector('.mgd-graph').getBoundingClientRect();
          for (let i = 0; i < l.unit.length; i++) {
            if (l.unit[i] < n || l.open[i] || l.w[i] * c.scale < 44) continue;
            const x = g.left + (l.x[i] - c.x) * c.scale, y = g.top + (l.y[i] - c.y) * c.scale;
            const h = l.h[i] * c.scale;
            if (x > g.left + 4 && y > g.top + 4 && x + 44 < g.right && y + h < g.bottom - 50)
              return [x + 9, y + h / 2];
          } return null; }""",
        VIEWER,
    )
    assert at, "no closed group on screen"
    page.mouse.click(*at)
    page.wait_for_function(
        "([sel, n]) => { const v = document.querySelector(sel);"
        " return v.dataset.busy === '0' && Number(v.dataset.units) > n; }",
        arg=[VIEWER, before],
    )
    # the side panel folds away and comes back; the fitted graph takes the room
    viewer.locator("button[title^='fit the graph']").click()
    graph = viewer.locator(".mgd-graph")
    before = picture_on_screen(page)
    viewer.locator(".mgd-sidetoggle").click()
    page.wait_for_function(
        "([sel, w]) => document.querySelector(sel).querySelector('.mgd-graph')"
        ".getBoundingClientRect().width > w + 100",
        arg=[VIEWER, before["graph"][2] - before["graph"][0]],
    )
    page.wait_for_timeout(300)
    after = picture_on_screen(page)
    for shown in (before, after):  # the whole picture in the graph's box, both times
        (x0, y0, x1, y1), (g0, h0, g1, h1) = shown["picture"], shown["graph"]
        assert g0 <= x0 + 1 and x1 <= g1 + 1 and h0 <= y0 + 1 and y1 <= h1 + 1, shown
    assert after["scale"] >= before["scale"]  # refitted to the wider box
    assert_all_reachable(page, "side panel hidden")
    viewer.locator(".mgd-sidetoggle").click()
    assert graph.bounding_box()["width"] < after["graph"][2] - after["graph"][0]
    assert not page.errors
    page.context.close()


BATCH = (
    f'%%mgtrace --name batch --break "{SPEC}" --timeout 120\n'
    "xs = [[Value(0.5 * k), Value(1.0), Value(-0.3 * k)] for k in range(6)]\n"
    "loss = sum((model(x) - target) ** 2 for x in xs)\n"
    "model.zero_grad()\nloss.backward()"
)


def test_a_pause_inside_one_of_many_calls_shows_that_call(server, browser):
    """The model runs once per sample: its neurons are drawn one call at a time (pages).
    A pause in sample 5's neuron turns the page to call 5, and Continue to call 4."""
    page = new_page(browser, "wide")
    viewer = open_and_run(
        page, server, "batch.ipynb",
        ["%load_ext mgdebug", SETUP, BATCH, "print('after', len(batch.hits))"], "wide",
    )  # fmt: skip
    bar = viewer.locator(".mgd-pausebar")
    bar.get_by_role("button", name="▶ Continue").wait_for()
    shown = []
    for _ in range(3):
        settle(page)
        assert_paused_node_in_view(page)
        shown.append(
            page.evaluate(
                """sel => { const s = document.querySelector(sel).mgdebug.state();
                  const t = s.tree, g = t.path.findIndex((p, i) => p === 'MLP/layers.1/neurons.0'
                    && t.kind[i] === 1);
                  return s.pages[t.key[g]] ?? 0; }""",
                VIEWER,
            )
        )
        event = paused_reason(page)["event"]
        bar.get_by_role("button", name="▶ Continue").click()
        page.wait_for_function(
            "([sel, e]) => document.querySelector(sel).mgdebug.state().paused.event > e",
            arg=[VIEWER, event],
            timeout=30_000,
        )
    assert shown == [5, 4, 3]  # backward meets the last sample's neuron first
    viewer.locator(".mgd-pausebar").get_by_role("button", name="■ Stop").click()
    assert not page.errors
    page.context.close()


def test_the_dark_theme_is_photographed_paused(server, browser):
    page = new_page(browser, "wide")
    server.write_notebook("dark.ipynb", ["%load_ext mgdebug", SETUP, PAUSED])
    open_lab_notebook(page, server, "dark.ipynb")
    page.locator("li.lm-MenuBar-item", has_text="Settings").click()
    page.locator(".lm-Menu-item", has_text="Theme").first.hover()
    page.locator(".lm-Menu-item", has_text="JupyterLab Dark").first.click()
    page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'")
    lab_run_all(page)
    viewer = page.locator(VIEWER).first
    viewer.locator(".mgd-pausebar").get_by_role("button", name="▶ Continue").wait_for(
        timeout=90_000
    )
    settle(page)
    assert_all_reachable(page, "dark, paused")
    screenshot(page, "lab-paused-dark", viewer)
    viewer.locator(".mgd-pausebar").get_by_role("button", name="■ Stop").click()
    page.locator(".jp-OutputArea-output", has_text="TraceStopped").first.wait_for()
    # back to the light theme: the server's other pages read the same setting
    page.locator("li.lm-MenuBar-item", has_text="Settings").click()
    page.locator(".lm-Menu-item", has_text="Theme").first.hover()
    page.locator(".lm-Menu-item", has_text="JupyterLab Light").first.click()
    page.wait_for_function("() => document.body.dataset.jpThemeLight === 'true'")
    assert not page.errors
    page.context.close()
