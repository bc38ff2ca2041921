// What the viewer does: the user's actions and the kernel's messages, turned into state
// updates, layout requests and messages back to the kernel (docs/widget-protocol.md).

import { decode } from "../data/decode";
import { type ParamsMsg, parseKernelMsg, type TraceMeta } from "../data/protocol";
import { StepLoader } from "../data/stepLoader";
import type { StepView } from "../data/stepView";
import type { LayoutAnswer, LayoutClient } from "../layout/client";
import type { Actions, ParamTable, State, Store } from "../state";
import type { Model } from "../widget";
import { createViewActions } from "./viewActions";

const CURSOR_SYNC_MS = 100; // the cursor trait follows a scrub at most 10 times a second

export interface Controller {
  actions: Actions;
  onCustomMsg(content: unknown, buffers?: DataView[]): void;
  onLayout(a: LayoutAnswer): void;
  onTrait(name: "cursor" | "step" | "selected"): void;
  onPaused(): void;
  dispose(): void;
}

export function createController(
  model: Model,
  store: Store,
  layout: LayoutClient,
  viewSize: () => { widthPx: number; heightPx: number },
  mark: (name: string, detail?: Record<string, number | string | boolean>) => void = () => {},
): Controller {
  const s = store.state;
  const update = (p: Partial<State>) => store.update(p);
  let nextId = 1;
  let paramsRequest = 0;
  let pendingCursor: number | null = null; // where to go once the requested step arrives
  let pendingSelect: string | null = null; // a label to select once it arrives
  let pendingNode = -1; // a node to select once its step arrives
  let syncTimer: ReturnType<typeof setTimeout> | null = null;
  let playFrame = 0;
  let playLast = 0;
  let playCarry = 0;

  const setTrait = <K extends "cursor" | "step" | "selected">(k: K, v: number) => {
    if (model.get(k) === v) return;
    model.set(k, v);
    model.save_changes();
  };
  const syncCursor = () => {
    if (syncTimer) return;
    syncTimer = setTimeout(() => {
      syncTimer = null;
      setTrait("cursor", s.cursor);
    }, CURSOR_SYNC_MS);
  };
  const requestLayout = () => {
    if (!s.view) return;
    layout.request({ bySample: s.bySample }, { showOps: s.showOps }, s.expanded);
  };
  const stepOfEvent = (t: number): number => {
    const off = s.meta?.event_offsets ?? [0, 0];
    let lo = 0; // the last step whose first event is <= t
    let hi = off.length - 2;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (off[mid] <= t) lo = mid;
      else hi = mid - 1;
    }
    return Math.max(0, lo);
  };
  const loader = new StepLoader(
    (content) => (mark("step-request", { step: Number(content.step), id: Number(content.id) }), model.send(content)),
    (view) => showView(view),
    (message) => update({ loading: "", notice: message }),
  );
  const requestStep = (step: number) => {
    update({ stepIndex: step, loading: `loading step ${step}…`, notice: "" });
    loader.want(step);
  };

  // ------------------------------------------------------------------ actions

  const view = createViewActions({ s, update, requestLayout, viewSize, select: (node) => actions.select(node) });

  const actions: Actions = {
    seek(t) {
      const v = s.view;
      if (!s.meta) return;
      if (!v || t < v.eventOffset || t >= v.eventOffset + v.numEvents) {
        const step = stepOfEvent(Math.max(0, t));
        if (step !== s.stepIndex || !v) {
          pendingCursor = t;
          return actions.loadStep(step);
        }
      }
      const vv = s.view!;
      const clamped = Math.max(vv.eventOffset, Math.min(vv.eventOffset + vv.numEvents - 1, t));
      if (clamped !== s.cursor) update({ cursor: clamped });
      syncCursor();
    },
    stepBy(d) {
      const v = s.view;
      if (!v) return;
      if (d === Infinity) return actions.seek(v.eventOffset + v.numEvents - 1);
      if (d === -Infinity) return actions.seek(v.eventOffset);
      actions.seek(Math.max(v.eventOffset, Math.min(v.eventOffset + v.numEvents - 1, s.cursor + d)));
    },
    jump(dir) {
      const v = s.view;
      if (!v) return;
      if (s.hits.length) {
        const hit =
          dir > 0 ? s.hits.find((h) => h.event > s.cursor) : [...s.hits].reverse().find((h) => h.event < s.cursor);
        if (hit) {
          if (hit.step === v.step) actions.select(hit.node);
          else pendingNode = hit.node;
          actions.seek(hit.event);
        }
        return;
      }
      const marks =
        s.selected >= 0 && s.selected < v.numNodes ? v.eventsOf(s.selected) : [0, v.nCreated, v.numEvents - 1];
      const e = v.event;
      const next = dir > 0 ? marks.find((m) => m > e) : [...marks].reverse().find((m) => m < e);
      if (next !== undefined) actions.seek(v.eventOffset + next);
    },
    togglePlay() {
      if (s.playing) return stopPlay();
      const v = s.view;
      if (!v) return;
      if (v.event >= v.numEvents - 1) actions.seek(v.eventOffset);
      update({ playing: true });
      playLast = performance.now();
      playCarry = 0;
      playFrame = requestAnimationFrame(onPlayFrame);
    },
    loadStep(step, select) {
      if (!s.meta || step < 0 || step >= s.meta.steps.length) return;
      pendingSelect = select ?? null;
      setTrait("step", step);
      if (s.view && s.view.step === step && !loader.busy) return applyPendingSelect();
      stopPlay();
      requestStep(step);
    },
    select(node) {
      const v = s.view;
      const ok = v && node >= 0 && node < v.numNodes;
      update({ selected: ok ? node : -1, selectedGroup: -1, path: ok ? v.pathToLoss(node) : null });
      setTrait("selected", ok ? node : -1);
    },
    selectGroup(group) {
      update({ selectedGroup: group, selected: -1, path: null });
      setTrait("selected", -1);
    },
    ...view.actions,
    command(action) {
      model.send({ kind: "command", action });
    },
    setBreakpoints(specs) {
      update({ breakpoints: specs });
      model.set("breakpoints", specs);
      model.save_changes(); // the kernel answers with `hits`
    },
  };

  function applyPendingSelect() {
    const v = s.view;
    const want = pendingSelect;
    pendingSelect = null;
    if (!v || !s.meta || want === null) return;
    const id = s.meta.strings.labels.indexOf(want);
    if (id <= 0) return update({ notice: `no node labelled ${want} in step ${v.step}` });
    for (let i = v.numNodes - 1; i >= 0; i--) if (v.g.label[i] === id) return view.reveal(i);
  }

  function stopPlay() {
    if (playFrame) cancelAnimationFrame(playFrame);
    playFrame = 0;
    if (s.playing) update({ playing: false });
  }

  function onPlayFrame(now: number) {
    const v = s.view;
    if (!v || !s.playing) return stopPlay();
    playCarry += ((now - playLast) / 1000) * s.speed;
    playLast = now;
    const whole = Math.floor(playCarry);
    playCarry -= whole;
    if (whole) actions.seek(Math.min(v.eventOffset + v.numEvents - 1, s.cursor + whole));
    if (s.cursor >= v.eventOffset + v.numEvents - 1) return stopPlay();
    playFrame = requestAnimationFrame(onPlayFrame);
  }

  // ------------------------------------------------------------------ kernel messages

  function onMeta(meta: TraceMeta) {
    loader.setMeta(meta);
    update({ meta, status: { ...s.status, recording: meta.recording } });
    if (!meta.steps.length)
      return update({ loading: meta.recording ? "recording…" : "nothing was recorded", view: null, layout: null });
    const live = Object.keys(s.paused).length > 0;
    if (meta.recording && !live) return s.view ? undefined : update({ loading: "recording…" });
    const step = Math.max(0, Math.min(meta.steps.length - 1, model.get("step")));
    // a paused step grows between pauses: reload it when its size changed
    if (!meta.recording || !s.view || s.view.step !== step || s.view.numEvents !== meta.steps[step].num_events)
      requestStep(step);
    if (meta.recording) return;
    paramsRequest = nextId++;
    model.send({ kind: "get_params", id: paramsRequest });
    model.send({ kind: "get_hits", id: nextId++ });
    model.send({ kind: "get_anomaly", id: nextId++ });
  }

  function showView(view: StepView) {
    if (!s.meta) return;
    mark("view", { step: view.step });
    const trait = model.get("cursor");
    const inStep = (t: number | null) => t !== null && t >= view.eventOffset && t < view.eventOffset + view.numEvents;
    const cursor = inStep(pendingCursor)
      ? pendingCursor!
      : inStep(trait)
        ? trait
        : view.eventOffset + view.numEvents - 1;
    pendingCursor = null;
    const selected = s.selected < view.numNodes ? s.selected : -1;
    view.seek(cursor - view.eventOffset);
    // the next step of a training loop has the structure of the one shown: its picture is
    // the same, so it is drawn at once; another structure waits for its own layout
    const key = view.structureKey;
    const sameStructure = !!(s.layout && key !== null && s.view?.structureKey === key);
    const placement = sameStructure ? { loading: "" } : { loading: "laying out…", layout: null, tree: null };
    update({
      view,
      cursor,
      lane: s.view && s.view.numEvents === view.numEvents ? s.lane : null,
      ...placement,
      selected,
      path: selected >= 0 ? view.pathToLoss(selected) : null,
      matches: [],
      search: "",
    });
    if (pendingNode >= 0) actions.select(pendingNode);
    pendingNode = -1;
    setTrait("cursor", cursor);
    const meta = s.meta;
    layout.setGraph(key, () => view.graphInput(meta)); // later requests (expand) refer to it
    if (sameStructure) loader.settled();
    else requestLayout();
    applyPendingSelect();
  }

  function onParams(msg: ParamsMsg, buffers: DataView[] | undefined) {
    if (msg.id !== paramsRequest || !buffers?.length) return;
    try {
      const c = decode(buffers[0]).columns;
      const table: ParamTable = {
        names: msg.names,
        step: c.step as Int32Array,
        param: c.param as Int32Array,
        value: c.value as Float64Array,
        grad: c.grad as Float64Array,
      };
      update({ params: table });
    } catch (e) {
      update({ notice: `could not read the parameter table: ${(e as Error).message}` });
    }
  }

  return {
    actions,
    onCustomMsg(content, buffers) {
      const msg = parseKernelMsg(content);
      if (!msg) return;
      if (msg.kind === "trace_meta") onMeta(msg);
      else if (msg.kind === "step_data") {
        mark("step-data", { step: msg.step, id: msg.id, bytes: buffers?.[0]?.byteLength ?? 0 });
        loader.onStepData(msg, buffers);
      } else if (msg.kind === "params") onParams(msg, buffers);
      else if (msg.kind === "hits") {
        update({
          hits: msg.hits.filter((h) => typeof h.event === "number"),
          liveHits: msg.live.filter((h) => typeof h.event === "number"),
        });
      } else if (msg.kind === "anomaly")
        update({ anomaly: msg.anomaly && typeof msg.anomaly.event === "number" ? msg.anomaly : null });
      else if (msg.kind === "progress") {
        update({
          liveLosses: [...s.liveLosses, ...msg.losses],
          status: { ...s.status, steps: msg.steps, nodes: msg.nodes },
        });
      } else if (msg.kind === "error") {
        if (loader.onError(msg.id)) update({ view: null, layout: null, tree: null, loading: "", notice: msg.message });
        else update({ notice: msg.message });
      }
    },
    onLayout(ans) {
      mark("layout", { ms: ans.result.ms, units: ans.result.layout.unit.length });
      view.onLayout(ans);
      loader.settled();
    },
    onTrait(name) {
      if (name === "cursor") {
        const t = model.get("cursor");
        if (t === s.cursor) return;
        if (t < 0 && s.view) return actions.seek(s.view.eventOffset + s.view.numEvents - 1);
        actions.seek(t);
      } else if (name === "step") {
        const k = model.get("step");
        if (k !== s.stepIndex || !s.view) actions.loadStep(k);
      } else if (model.get("selected") !== s.selected) actions.select(model.get("selected"));
    },
    onPaused() {
      const p = s.paused;
      const m = s.meta;
      if (p.step === undefined || !m || p.step >= m.steps.length) return;
      const stale = !s.view || s.view.step !== p.step || s.view.numEvents !== m.steps[p.step].num_events;
      if (p.node !== undefined && p.node >= 0) pendingNode = p.node;
      if (stale && p.event !== undefined) pendingCursor = p.event;
      if (stale) requestStep(p.step);
      else if (p.event !== undefined) actions.seek(p.event);
    },
    dispose() {
      stopPlay();
      if (syncTimer) clearTimeout(syncTimer);
    },
  };
}
