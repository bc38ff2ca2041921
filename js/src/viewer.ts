// The viewer in one element, for any model that behaves like anywidget's (the notebook's,
// or the saved-trace page's stand-in): the page's parts, the one state object they draw,
// the controller behind them, and a cleanup that removes every listener.

import { Controller } from "./control/controller";
import { refresh } from "./data/comparison";
import { LayoutClient } from "./layout/client";
import { type Model, ModelLink } from "./model";
import { createBreakpointList } from "./panels/breakpointList";
import { createCallPath } from "./panels/callPath";
import { createCompareBar } from "./panels/compareBar";
import { createHeightGrip } from "./panels/heightGrip";
import { breakSpecOf, createInspector } from "./panels/inspector";
import { installKeys } from "./panels/keyboard";
import { createNotices } from "./panels/notices";
import { createPauseBar } from "./panels/pauseBar";
import { createSettings } from "./panels/settings";
import { createShortcuts } from "./panels/shortcuts";
import { createSidePanel } from "./panels/sidePanel";
import { createSteps } from "./panels/stepStrip";
import { createTimeline } from "./panels/timeline";
import { createToolbar } from "./panels/toolbar";
import { perfFor } from "./perf";
import { initialState, type State, Store } from "./state";
import { button, el } from "./view/dom";
import { createGraphView } from "./view/graphView";
import { createHoverTip } from "./view/hoverTip";
import { observeSizes, sizeOf } from "./view/measure";
import { forgetThemes } from "./view/theme";

const DEFAULT_HEIGHT_PX = 560;

export interface RenderOptions {
  model: Model;
  el: HTMLElement;
  fill?: boolean; // take the host's height (a saved page's window) instead of `height_px`
  saved?: boolean; // a saved page: no kernel behind the model
}

export function render({ model, el: host, fill = false, saved = false }: RenderOptions): () => void {
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
    bpList: [...(link.get("breakpoints") ?? [])],
    stepIndex: link.get("step") ?? 0,
    host: saved ? "saved" : "kernel",
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
  const settings = createSettings(a, root, signal);
  const help = createShortcuts(signal);
  const helpButton = button("mgd-btn", "?", "keys and gestures (?)", () => help.toggle(), signal);
  helpButton.setAttribute("aria-label", "keys and gestures");
  const toolbar = createToolbar(a, [settings.button, helpButton], signal);
  const pauseBar = createPauseBar(a, signal);
  const inspector = createInspector(a, signal);
  const callPath = createCallPath(a, signal);
  const bpList = createBreakpointList(a, signal);
  const side = createSidePanel(
    [
      ["Call path", callPath.root, false],
      ["Breakpoints", bpList.root, false],
      ["Node", inspector.root, true],
    ],
    signal,
  );
  const timeline = createTimeline(a, update, signal);
  const steps = createSteps(a, signal, mark);
  const compareBar = createCompareBar(a, signal);
  const notices = createNotices(a, getState, signal);
  const main = el("div", "mgd-main");
  main.append(graph.root, side.splitter, side.root);
  root.append(
    toolbar.root,
    pauseBar.root,
    main,
    timeline.root,
    compareBar.root,
    steps.root,
    ...notices.parts,
    settings.panel,
    help.root,
  );
  host.append(root);

  let draggedPx = 0; // the height the user dragged the grip to, 0 for the trait's
  const applyHeight = () => {
    root.style.height = fill ? "100%" : `${draggedPx || link.get("height_px") || DEFAULT_HEIGHT_PX}px`;
  };
  if (!fill) {
    const onGrip = (px: number) => {
      draggedPx = px;
      applyHeight();
    };
    root.append(createHeightGrip(root, onGrip, signal));
  }
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
    if (v && st.compare) refresh(st.compare, v, st.compareQuantity); // the compared step, same moment
    // for tests and benchmarks driving a real browser: what is on screen, without reading canvases
    const units = String(st.layout?.unit.length ?? 0);
    if (root.dataset.units !== units) root.dataset.units = units;
    const busy = st.loading ? "1" : "0";
    if (root.dataset.busy !== busy) root.dataset.busy = busy;
  });
  // a node chosen (a click, a search, a pause) shows its inspector, also in a short column
  let inspected = -1;
  store.subscribe((st) => {
    if (st.selected === inspected) return;
    inspected = st.selected;
    // after this update's drawing, when the inspector holds the node's rows
    if (inspected >= 0) requestAnimationFrame(() => side.reveal(inspector.root));
  });
  store.subscribe(notices.draw);
  store.subscribe(toolbar.draw);
  store.subscribe(pauseBar.draw);
  store.subscribe(settings.draw);
  store.subscribe(graph.draw);
  store.subscribe(timeline.draw);
  store.subscribe(compareBar.draw);
  store.subscribe(steps.draw);
  store.subscribe(callPath.draw);
  store.subscribe(bpList.draw);
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
    // the first frame that shows a pause's node as its own box, on screen
    const p = st.paused;
    const at = `${p.step}|${p.event}`;
    if (p.node !== undefined && p.node >= 0 && at !== revealed && shows(st, p.node)) {
      revealed = at;
      mark("revealed", { step: p.step ?? -1, node: p.node, ms });
    }
  });
  let revealed = "";
  const shows = (st: State, node: number): boolean => {
    const l = st.layout;
    const v = st.view;
    if (!l || !v || v.step !== st.paused.step || node >= v.numNodes || st.revealNode >= 0) return false;
    const i = l.slotOfNode[node];
    if (l.unit[i] !== node) return false;
    const { widthPx, heightPx } = graph.size();
    const c = st.camera;
    const x = (l.x[i] - c.x) * c.scale;
    const y = (l.y[i] - c.y) * c.scale;
    return x >= 0 && y >= 0 && x + l.w[i] * c.scale <= widthPx && y + l.h[i] * c.scale <= heightPx;
  };

  // ---------------------------------------------------------------- keyboard, focus, size, theme
  installKeys(
    root,
    a,
    {
      focusSearch: () => toolbar.search.focus(),
      toggleSide: () => side.toggle(),
      toggleHelp: () => help.toggle(),
      toggleBreakHere: () => {
        const s = getState();
        const v = s.view;
        if (!v || !s.meta || s.selected < 0 || s.selected >= v.numNodes) return;
        const str = s.meta.strings;
        const spec = breakSpecOf(
          str.labels[v.g.label[s.selected]] ?? "",
          str.scopes[v.g.scope[s.selected]] ?? "",
          str.ops[v.g.op[s.selected]] ?? "",
        );
        if (!spec) return update({ notice: "no breakpoint spec names this node alone" });
        if (s.breakpoints.includes(spec)) a.removeBreakpoint(spec);
        else a.addBreakpoints([spec]);
      },
      closeAll: () => {
        const open = settings.menu.isOpen || help.isOpen();
        settings.menu.close();
        help.toggle(false);
        return open;
      },
    },
    getState,
    signal,
  );
  root.addEventListener("focusin", () => update({ focused: true }), { signal });
  const onFocusOut = (e: FocusEvent) => {
    if (!root.contains(e.relatedTarget as Node | null)) update({ focused: false });
  };
  root.addEventListener("focusout", onFocusOut, { signal });
  const onPointerDown = (e: PointerEvent) => {
    if (!(e.target as HTMLElement).closest("input,select,button,summary")) root.focus({ preventScroll: true });
  };
  root.addEventListener("pointerdown", onPointerDown, { signal });
  const stopSizes = observeSizes([root, main, graph.root, timeline.root, ...steps.boxes], () => {
    side.layout(sizeOf(main).widthPx);
    ctrl.onResize(); // a fitted graph fits again; otherwise its centre stays
    store.redraw();
  });
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
