// The viewer in one element, for any model that behaves like anywidget's (the notebook's,
// or the saved-trace page's stand-in): the page's parts, the one state object they draw,
// the controller behind them, and a cleanup that removes every listener.

import { Controller } from "./control/controller";
import { LayoutClient } from "./layout/client";
import { type Model, ModelLink } from "./model";
import { createInspector } from "./panels/inspector";
import { onKeyDown } from "./panels/keyboard";
import { createNotices } from "./panels/notices";
import { createSteps } from "./panels/stepStrip";
import { createTimeline } from "./panels/timeline";
import { createToolbar } from "./panels/toolbar";
import { perfFor } from "./perf";
import { initialState, type State, Store } from "./state";
import { el } from "./view/dom";
import { createGraphView } from "./view/graphView";
import { createHoverTip } from "./view/hoverTip";
import { observeSizes } from "./view/measure";
import { forgetThemes } from "./view/theme";

const DEFAULT_HEIGHT_PX = 560;

export function render({ model, el: host }: { model: Model; el: HTMLElement }): () => void {
  const abort = new AbortController();
  const signal = abort.signal;
  const link = new ModelLink(model);
  const root = el("div", "mgdebug-root");
  root.tabIndex = 0;
  root.setAttribute("data-lm-suppress-shortcuts", "true"); // JupyterLab: our keys stay ours while focused
  root.setAttribute("role", "application");
  root.setAttribute("aria-label", "mgdebug trace viewer");
  const store = new Store({
    ...initialState(),
    status: link.get("status") ?? {},
    paused: link.get("paused") ?? {},
    breakpoints: link.get("breakpoints") ?? [],
    stepIndex: link.get("step") ?? 0,
  });
  const getState = () => store.state;
  const update = (p: Partial<State>) => store.update(p);

  // the layout client and the controller call back into parts made right after them
  const layout = new LayoutClient(
    (ans) => ctrl.onLayout(ans),
    (message) => update({ notice: message, loading: "" }),
  );
  const mark = perfFor();
  const ctrl = new Controller(store, link, layout, () => graph.size(), mark);
  const a = ctrl.actions;
  // for bench/viewer_bench.py: drive the viewer and read its state without synthetic pointer events
  (root as HTMLElement & { mgdebug?: unknown }).mgdebug = { state: getState, actions: a };
  const graph = createGraphView(a, getState, update, signal);
  const toolbar = createToolbar(a, signal);
  const inspector = createInspector(a, signal);
  const timeline = createTimeline(a, update, signal);
  const steps = createSteps(a, signal, mark);
  const notices = createNotices(a, getState, signal);
  const main = el("div", "mgd-main");
  main.append(graph.root, inspector.root);
  root.append(toolbar.root, main, timeline.root, steps.root, ...notices.parts);
  host.append(root);

  const applyHeight = () => {
    root.style.height = `${link.get("height_px") || DEFAULT_HEIGHT_PX}px`;
  };
  applyHeight();
  link.onChange("height_px", () => {
    applyHeight();
    store.redraw();
  });

  // ---------------------------------------------------------------- one frame
  const frame = { startMs: 0 };
  store.subscribe((st) => {
    frame.startMs = performance.now();
    const v = st.view;
    if (v && st.cursor >= v.eventOffset) v.seek(st.cursor - v.eventOffset); // the replay hot path
    // for tests and benchmarks driving a real browser: what is on screen, without reading canvases
    const units = String(st.layout?.unit.length ?? 0);
    if (root.dataset.units !== units) root.dataset.units = units;
    const busy = st.loading ? "1" : "0";
    if (root.dataset.busy !== busy) root.dataset.busy = busy;
  });
  store.subscribe(notices.draw);
  store.subscribe(toolbar.draw);
  store.subscribe(graph.draw);
  store.subscribe(timeline.draw);
  store.subscribe(steps.draw);
  store.subscribe(createHoverTip(graph.root)); // the full name of the box under the pointer
  store.subscribe(inspector.draw); // DOM writes last
  store.subscribe((st, changed) => {
    const ms = performance.now() - frame.startMs;
    root.dataset.frameMs = ms.toFixed(2);
    // the first frame that shows a step in its layout: a new layout, or a new step drawn
    // in the layout it shares with the last one
    if ((changed.has("layout") || changed.has("view")) && st.layout) {
      mark("painted", { step: st.view?.step ?? -1, units: st.layout.unit.length, ms });
    }
  });

  // ---------------------------------------------------------------- keyboard, focus, size, theme
  root.addEventListener("keydown", (e) => onKeyDown(e, a), { signal });
  root.addEventListener("focusin", () => update({ focused: true }), { signal });
  const onFocusOut = (e: FocusEvent) => {
    if (!root.contains(e.relatedTarget as Node | null)) update({ focused: false });
  };
  root.addEventListener("focusout", onFocusOut, { signal });
  const onPointerDown = (e: PointerEvent) => {
    if (!(e.target as HTMLElement).closest("input,select,button,summary")) root.focus({ preventScroll: true });
  };
  root.addEventListener("pointerdown", onPointerDown, { signal });
  const stopSizes = observeSizes([root, graph.root, timeline.root, ...steps.boxes], () => store.redraw());
  // a theme switch changes the CSS variables the canvases read
  const onTheme = () => {
    forgetThemes();
    store.redraw();
  };
  const themeWatch = typeof MutationObserver !== "undefined" ? new MutationObserver(onTheme) : null;
  themeWatch?.observe(document.body, {
    attributes: true,
    attributeFilter: ["data-jp-theme-name", "data-jp-theme-light"],
  });

  link.send({ kind: "hello" }); // anything sent before we rendered was lost: ask now
  store.redraw();

  return () => {
    abort.abort();
    link.dispose();
    ctrl.dispose();
    layout.dispose();
    store.dispose();
    stopSizes();
    themeWatch?.disconnect();
    root.remove();
  };
}
