// The kernel's messages turned into state (docs/widget-protocol.md): the trace's shape,
// step data (handed to the step loader), parameters, breakpoint hits, the first
// non-finite value, recording progress and errors. Owns the ids of its own requests.

import { readParams } from "../data/params";
import { type ParamsMsg, parseKernelMsg, type TraceMeta } from "../data/protocol";
import type { StepLoader } from "../data/stepLoader";
import type { ModelLink } from "../model";
import type { Mark } from "../perf";
import type { Store } from "../state";
import type { CompareMode } from "./compare";

// while a cell records, the newest finished step is asked for at most this often
const LIVE_REFRESH_MS = 1000;

export class KernelMessages {
  private nextId = 1;
  private paramsRequest = 0; // the get_params whose answer we take
  private liveAskedMs = Number.NEGATIVE_INFINITY; // when we last asked the shape of a trace being recorded

  constructor(
    private readonly store: Store,
    private readonly link: ModelLink,
    private readonly loader: StepLoader,
    private readonly requestStep: (step: number) => void,
    private readonly mark: Mark,
    private readonly compare: CompareMode | null = null,
  ) {}

  onMessage(content: unknown, buffers: DataView[]): void {
    const msg = parseKernelMsg(content);
    if (!msg) return;
    if (this.compare?.onMessage(msg, buffers)) return; // the compared step's, or the other trace's
    const s = this.store.state;
    const update = (p: Parameters<Store["update"]>[0]) => this.store.update(p);
    switch (msg.kind) {
      case "trace_meta":
        return this.onMeta(msg);
      case "step_data":
        this.mark("step-data", { step: msg.step, id: msg.id, bytes: buffers[0]?.byteLength ?? 0 });
        this.loader.onStepData(msg, buffers);
        return;
      case "params":
        return this.onParams(msg, buffers);
      case "hits":
        return update({
          hits: msg.hits.filter((h) => typeof h.event === "number"),
          liveHits: msg.live.filter((h) => typeof h.event === "number"),
          bpProblems: msg.problems,
          ...(Object.keys(msg.problems).length ? { notice: Object.values(msg.problems).join("\n") } : {}),
        });
      case "anomaly":
        return update({ anomaly: msg.anomaly && typeof msg.anomaly.event === "number" ? msg.anomaly : null });
      case "progress":
        update({
          liveLosses: [...s.liveLosses, ...msg.losses],
          status: { ...s.status, steps: msg.steps, nodes: msg.nodes },
        });
        return this.followRecording(msg.steps);
      case "error":
        if (this.loader.onError(msg.id))
          update({ view: null, layout: null, tree: null, loading: "", notice: msg.message });
        else update({ notice: msg.message });
    }
  }

  private onMeta(meta: TraceMeta): void {
    const s = this.store.state;
    this.loader.setMeta(meta);
    this.store.update({
      meta,
      status: { ...s.status, recording: meta.recording },
      otherSteps: meta.other_steps ?? null,
    });
    if (!meta.steps.length) {
      const loading = meta.recording ? "recording…" : "nothing was recorded";
      return this.store.update({ loading, view: null, layout: null });
    }
    const live = Object.keys(s.paused).length > 0;
    if (meta.recording && !live) {
      // the graph live while training: the newest finished step, drawn in the layout it
      // shares with the last one (a training loop repeats its structure)
      if (s.liveFollow) return this.requestStep(meta.steps.length - 1);
      return s.view ? undefined : this.store.update({ loading: "recording…" });
    }
    const step = Math.max(0, Math.min(meta.steps.length - 1, this.link.get("step")));
    // a paused step grows between pauses: reload it when its size changed
    const v = s.view;
    if (!meta.recording || !v || v.step !== step || v.numEvents !== meta.steps[step].num_events) {
      this.requestStep(step);
    }
    if (meta.recording) return;
    this.paramsRequest = this.nextId++;
    this.link.send({ kind: "get_params", id: this.paramsRequest });
    this.link.send({ kind: "get_hits", id: this.nextId++ });
    this.link.send({ kind: "get_anomaly", id: this.nextId++ });
  }

  /** While a cell records, ask for the trace's shape (then its newest step) at most once a second. */
  private followRecording(steps: number): void {
    const s = this.store.state;
    if (!s.liveFollow || Object.keys(s.paused).length > 0 || steps === 0) return;
    if (s.view?.step === steps - 1 && s.meta?.steps.length === steps) return;
    const now = performance.now();
    if (now - this.liveAskedMs < LIVE_REFRESH_MS) return;
    this.liveAskedMs = now;
    this.link.send({ kind: "hello" });
  }

  /** Ask for the breakpoint hits again: at a pause, the hits so far (the paused node's own
   * included), so the counts are right while the cell waits. */
  askHits(): void {
    this.link.send({ kind: "get_hits", id: this.nextId++ });
  }

  private onParams(msg: ParamsMsg, buffers: DataView[]): void {
    if (msg.id !== this.paramsRequest || !buffers.length) return;
    try {
      this.store.update({ params: readParams(msg, buffers[0]) });
    } catch (e) {
      this.store.update({ notice: `could not read the parameter table: ${(e as Error).message}` });
    }
  }
}
