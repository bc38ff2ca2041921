// The anywidget entry: builds the viewer in `el`, wires the model's traits and messages
// to the one state object, and returns a cleanup that removes every listener.
// Contract with the kernel: docs/widget-protocol.md.

import { createController } from "./control/controller";
import type { Paused, Status } from "./data/protocol";
import { LayoutClient } from "./layout/client";
import { createInspector } from "./panels/inspector";
import { createSteps } from "./panels/stepStrip";
import { createTimeline } from "./panels/timeline";
import { createToolbar } from "./panels/toolbar";
import { perfFor } from "./perf";
import { initialState, Store } from "./state";
import { button, el } from "./view/dom";
import { createGraphView, type GraphPart } from "./view/graphView";
import { observeSizes } from "./view/measure";
import { forgetThemes } from "./view/theme";

/** The synced traits of `TraceViewer` in mgdebug/widget.py. */
export interface Traits {
  cursor: number; // event t over the whole trace, -1 = the last
  step: number;
  selected: number; // node id in `step`, -1 for none
  status: Status;
  paused: Paused;
  breakpoints: string[];
  height_px: number;
}

/** The part of anywidget's model (AFM) that we use. */
export interface Model {
  get<K extends keyof Traits>(key: K): Traits[K];
  set<K extends keyof Traits>(key: K, value: Traits[K]): void;
  save_changes(): void;
  on(event: string, callback: (...args: never[]) => void): void;
  off(event?: string | null, callback?: ((...args: never[]) => void) | null): void;
  send(content: unknown, callbacks?: unknown, buffers?: ArrayBuffer[]): void;
}

function render({ model, el: host }: { model: Model; el: HTMLElement }): () => void {
  const abort = new AbortController();
  const signal = abort.signal;
  const root = el("div", "mgdebug-root");
  root.tabIndex = 0;
  root.setAttribute("data-lm-suppress-shortcuts", "true"); // JupyterLab: our keys stay ours while focused
  root.setAttribute("role", "application");
  root.setAttribute("aria-label", "mgdebug trace viewer");
  const store = new Store(initialState());
  const s = store.state;
  s.status = model.get("status") ?? {};
  s.paused = model.get("paused") ?? {};
  s.breakpoints = model.get("breakpoints") ?? [];
  s.stepIndex = model.get("step") ?? 0;

  let graph: GraphPart | null = null;
  const layout = new LayoutClient(
    (ans) => ctrl.onLayout(ans),
    (message) => store.update({ notice: message, loading: "" }),
  );
  const mark = perfFor();
  const ctrl = createController(model, store, layout, () => graph?.size() ?? { widthPx: 0, heightPx: 0 }, mark);
  const a = ctrl.actions;
  // for bench/viewer_bench.py: drive the viewer and read its state without synthetic pointer events
  (root as HTMLElement & { mgdebug?: unknown }).mgdebug = { state: () => store.state, actions: a };
  graph = createGraphView(
    a,
    () => store.state,
    (p) => store.update(p),
    signal,
  );
  const toolbar = createToolbar(a, signal);
  const inspector = createInspector(a, signal);
  const timeline = createTimeline(a, (p) => store.update(p), signal);
  const steps = createSteps(a, signal);
  const notice = el("div", "mgd-notice");
  const anomaly = el("div", "mgd-anomaly");
  const anomalyText = el("span");
  anomaly.append(
    button(
      "mgd-btn mgd-mini",
      "go",
      "move the cursor where it was born",
      () => {
        const bad = store.state.anomaly;
        if (bad) a.seek(bad.event), bad.node >= 0 && store.state.view?.step === bad.step && a.select(bad.node);
      },
      signal,
    ),
    anomalyText,
  );
  const main = el("div", "mgd-main");
  main.append(graph.root, inspector.root);
  root.append(toolbar.root, main, timeline.root, steps.root, anomaly, notice);
  host.append(root);

  const applyHeight = () => (root.style.height = `${model.get("height_px") || 560}px`);
  applyHeight();
  let frameStart = 0;
  store.subscribe((st) => {
    frameStart = performance.now();
    const v = st.view;
    if (v && st.cursor >= v.eventOffset) v.seek(st.cursor - v.eventOffset); // the replay hot path
    notice.textContent = st.notice || st.status.error || errorText(st);
    notice.style.display = notice.textContent ? "" : "none";
    // for tests and benchmarks driving a real browser: what is on screen, without reading canvases
    const units = String(st.layout?.unit.length ?? 0);
    if (root.dataset.units !== units) root.dataset.units = units;
    const busy = st.loading ? "1" : "0";
    if (root.dataset.busy !== busy) root.dataset.busy = busy;
    const bad = st.anomaly;
    anomalyText.textContent = bad
      ? `first non-finite value: ${bad.what ?? `node #${bad.node}`} (step ${bad.step}, ${bad.phase})`
      : "";
    anomaly.style.display = bad ? "" : "none";
  });
  store.subscribe(toolbar.draw);
  store.subscribe(graph.draw);
  store.subscribe(timeline.draw);
  store.subscribe(steps.draw);
  store.subscribe(inspector.draw); // DOM writes last
  store.subscribe((st, changed) => {
    const ms = performance.now() - frameStart;
    root.dataset.frameMs = ms.toFixed(2);
    // the first frame that shows a step in its layout: a new layout, or a new step drawn
    // in the layout it shares with the last one
    if ((changed.has("layout") || changed.has("view")) && st.layout)
      mark("painted", { step: st.view?.step ?? -1, units: st.layout.unit.length, ms });
  });

  // ---------------------------------------------------------------- model wiring
  const onCustom = (content: unknown, buffers?: DataView[]) => ctrl.onCustomMsg(content, buffers);
  const onCursor = () => ctrl.onTrait("cursor");
  const onStep = () => ctrl.onTrait("step");
  const onSelected = () => ctrl.onTrait("selected");
  const onStatus = () => store.update({ status: model.get("status") ?? {} });
  const onPaused = () => (store.update({ paused: model.get("paused") ?? {} }), ctrl.onPaused());
  const onBreakpoints = () => store.update({ breakpoints: model.get("breakpoints") ?? [] });
  const onHeight = () => (applyHeight(), store.redraw());
  const handlers: [string, (...args: never[]) => void][] = [
    ["msg:custom", onCustom],
    ["change:cursor", onCursor],
    ["change:step", onStep],
    ["change:selected", onSelected],
    ["change:status", onStatus],
    ["change:paused", onPaused],
    ["change:breakpoints", onBreakpoints],
    ["change:height_px", onHeight],
  ];
  for (const [ev, f] of handlers) model.on(ev, f);

  // ---------------------------------------------------------------- keyboard, focus, size
  root.addEventListener("keydown", (e) => onKeyDown(e, a), { signal });
  root.addEventListener("focusin", () => store.update({ focused: true }), { signal });
  root.addEventListener(
    "focusout",
    (e) => !root.contains(e.relatedTarget as Node | null) && store.update({ focused: false }),
    { signal },
  );
  root.addEventListener(
    "pointerdown",
    (e) => {
      if (!(e.target as HTMLElement).closest("input,select,button,summary")) root.focus({ preventScroll: true });
    },
    { signal },
  );
  const stopSizes = observeSizes([root, graph.root, timeline.root, ...steps.boxes], () => store.redraw());
  // a theme switch changes the CSS variables the canvases read
  const themeWatch =
    typeof MutationObserver !== "undefined" ? new MutationObserver(() => (forgetThemes(), store.redraw())) : null;
  themeWatch?.observe(document.body, {
    attributes: true,
    attributeFilter: ["data-jp-theme-name", "data-jp-theme-light"],
  });

  model.send({ kind: "hello" }); // anything sent before we rendered was lost: ask now
  store.redraw();

  return () => {
    abort.abort();
    for (const [ev, f] of handlers) model.off(ev, f);
    ctrl.dispose();
    layout.dispose();
    store.dispose();
    stopSizes();
    themeWatch?.disconnect();
    root.remove();
  };
}

function errorText(s: { meta: { error: { type: string; message: string } | null } | null }): string {
  const e = s.meta?.error;
  return e ? `the traced code raised ${e.type}: ${e.message}` : "";
}

/** ←/→ one event, Shift+←/→ the selected node's previous / next event, Home/End, space. */
export function onKeyDown(
  e: KeyboardEvent,
  a: { stepBy(d: number): void; jump(d: 1 | -1): void; togglePlay(): void; fit(): void },
): void {
  const target = e.target as HTMLElement;
  if (target.closest?.("input,select,textarea")) {
    e.stopPropagation(); // typing in the search box must not reach notebook shortcuts
    return;
  }
  const handled = (f: () => void) => {
    e.preventDefault();
    e.stopPropagation();
    f();
  };
  if (e.key === "ArrowRight") handled(() => (e.shiftKey ? a.jump(1) : a.stepBy(1)));
  else if (e.key === "ArrowLeft") handled(() => (e.shiftKey ? a.jump(-1) : a.stepBy(-1)));
  else if (e.key === "Home") handled(() => a.stepBy(-Infinity));
  else if (e.key === "End") handled(() => a.stepBy(Infinity));
  else if (e.key === " " && !target.closest?.("button,summary")) handled(() => a.togglePlay());
  else if ((e.key === "f" || e.key === "F") && !e.ctrlKey && !e.metaKey) handled(() => a.fit());
}

export default { render };
