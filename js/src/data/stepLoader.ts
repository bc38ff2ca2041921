// Getting step graphs from the kernel: the get_step requests and their ids, the one the
// view waits for (older answers are stale), a small cache of decoded steps, the step
// structures later bundles may leave out (data/structures.ts), and a prefetch of the
// neighbours of the step shown, so moving to the next or previous training step needs
// no round trip.
// The prefetch waits until the view has settled on its step (`settled()`, called once
// its layout arrived): on two cores, a neighbour built by the kernel and decoded here
// while the shown step is still being laid out made that step's switch ~50 % slower.

import { decode, type StepStructure, stepColumns, structureFrom, structureOf, withStructure } from "./decode";
import type { StepDataMsg, TraceMeta } from "./protocol";
import { StepView } from "./stepView";
import { KEEP_STRUCTURES, StructureCache } from "./structures";

const CACHE_STEPS = 4; // ~7 MB each at the demo's scale (columns + replay arrays)

export class StepLoader {
  // ids start at a random base: every view of one widget model receives every answer, and a
  // second view (a widget displayed twice) must not take the first view's answers for its own
  private nextId = 1 + Math.floor(Math.random() * 2 ** 30);
  private waiting = 0; // the get_step whose answer the view waits for
  private waitingStep = -1;
  private prefetching = 0; // at most one prefetch in flight
  private cache = new Map<number, StepView>(); // in order of use, oldest first
  private meta: TraceMeta | null = null;
  private asked = new Map<number, { step: number; events: number }>(); // every get_step not answered yet
  private shown = -1; // the step the view shows or waits for: prefetch around it
  private prefetchDue = false; // the shown step arrived: prefetch once the view settles
  // step structures by their kernel digest, most recent first: a training loop repeats its
  // structure, so later steps come as numbers only (0.7 of a demo step's 2.3 MB)
  private structures = new StructureCache<StepStructure>();

  constructor(
    private send: (content: Record<string, unknown>) => void,
    private onReady: (view: StepView) => void,
    private onFail: (message: string) => void,
  ) {}

  /** New trace shape: forget cached steps that changed (a provisional step grew). */
  setMeta(meta: TraceMeta): void {
    this.meta = meta;
    // requests in flight for a step that changed since must not be adopted (see `want`)
    for (const a of this.asked.values()) {
      const st = meta.steps[a.step];
      if (!st || st.num_events !== a.events || meta.recording) a.events = -1;
    }
    for (const [k, v] of this.cache) {
      const st = meta.steps[k];
      if (!st || st.num_events !== v.numEvents || meta.recording) this.cache.delete(k);
    }
  }

  get busy(): boolean {
    return this.waiting !== 0;
  }

  /** Show `step`: at once when cached, else once the kernel answers. */
  want(step: number): void {
    this.shown = step;
    const hit = this.cache.get(step);
    if (hit) {
      this.waiting = 0;
      this.waitingStep = -1;
      this.touch(step, hit);
      this.prefetchDue = true;
      this.onReady(hit);
      return;
    }
    if (this.waiting && this.waitingStep === step) return; // asked already (the same trace_meta twice)
    const events = this.meta?.steps[step]?.num_events ?? -1;
    for (const [id, a] of this.asked) {
      // a request of this step on its way (the prefetch, or one the view left): wait for it
      // rather than have the kernel build and send the same 3 MB again
      if (a.step === step && a.events === events && events >= 0) {
        this.waiting = id;
        this.waitingStep = step;
        return;
      }
    }
    this.waiting = this.nextId++;
    this.waitingStep = step;
    this.asked.set(this.waiting, { step, events });
    this.send({ kind: "get_step", id: this.waiting, step, structures: this.structures.keys() });
  }

  /** A `step_data` message; false when it answers nothing we asked. */
  onStepData(msg: StepDataMsg, buffers: DataView[] | undefined): boolean {
    const ask = this.asked.get(msg.id);
    if (ask && ask.step !== msg.step) return false; // another view's request that happens to share the id
    const forView = msg.id === this.waiting;
    const forCache = msg.id === this.prefetching || ask !== undefined; // a step the view left: keep it
    this.asked.delete(msg.id);
    if (!forView && !forCache) return false;
    const wasPrefetch = msg.id === this.prefetching;
    if (wasPrefetch) this.prefetching = 0;
    if (forView) {
      this.waiting = 0;
      this.waitingStep = -1;
    }
    const summary = this.meta?.steps[msg.step];
    if (!buffers?.length || !summary) {
      if (forView) this.onFail("step data arrived without its bundle");
      return true;
    }
    let view: StepView;
    try {
      view = new StepView(
        this.columnsOf(msg, buffers),
        msg.step,
        msg.n_created,
        msg.event_offset,
        summary,
        msg.structure ?? null,
      );
    } catch (e) {
      if (forView) this.onFail(`could not read step ${msg.step}: ${(e as Error).message}`);
      return true;
    }
    if (!this.meta?.recording) this.touch(msg.step, view);
    if (forView) {
      this.prefetchDue = true;
      this.onReady(view);
    } else if (wasPrefetch && this.shown >= 0) this.prefetch(this.shown); // then the other neighbour
    return true;
  }

  // a step comes as its numbers, plus its structure as a second bundle unless this view
  // keeps it (docs/widget-protocol.md); a single bundle holding everything is read too
  private columnsOf(msg: StepDataMsg, buffers: DataView[]) {
    const bundle = decode(buffers[0]);
    const key = msg.structure;
    if (buffers.length > 1) {
      const structure = structureFrom(decode(buffers[1]));
      if (key !== undefined) this.keepStructure(key, structure);
      return stepColumns(withStructure(bundle, structure), msg.n_created);
    }
    if (msg.structure_sent === false) {
      const kept = key === undefined ? undefined : this.structures.use(key);
      // we name only structures we keep, and drop none while a request is out
      if (!kept) throw new Error("the kernel sent numbers for a structure this view does not keep");
      this.keepStructure(key!, kept);
      return stepColumns(withStructure(bundle, kept), msg.n_created);
    }
    const columns = stepColumns(bundle, msg.n_created);
    if (key !== undefined) this.keepStructure(key, structureOf(columns));
    return columns;
  }

  private keepStructure(key: string, structure: StepStructure): void {
    // keep the newest; the oldest goes when no request that may rely on it is out (or past
    // twice the usual count: at most two requests are out, the view's and one prefetch)
    this.structures.add(key, structure, this.asked.size === 0 ? KEEP_STRUCTURES : 2 * KEEP_STRUCTURES);
  }

  /** The view shows its step (laid out and drawn): time to fetch the neighbours. */
  settled(): void {
    if (!this.prefetchDue || this.waiting) return;
    this.prefetchDue = false;
    if (this.shown >= 0) this.prefetch(this.shown);
  }

  /** An `error` message; true when it answered the request the view waits for. */
  onError(id: number | null): boolean {
    if (id !== null) this.asked.delete(id);
    if (id !== null && id === this.prefetching) this.prefetching = 0;
    if (id === null || id !== this.waiting) return false;
    this.waiting = 0;
    this.waitingStep = -1;
    return true;
  }

  private touch(step: number, view: StepView): void {
    this.cache.delete(step);
    this.cache.set(step, view);
    while (this.cache.size > CACHE_STEPS) this.cache.delete(this.cache.keys().next().value!);
  }

  // the nearest kept neighbour not cached yet, next step first (one at a time: the kernel
  // answers in order, and a request for the view must not queue behind two prefetches)
  private prefetch(step: number): void {
    const m = this.meta;
    if (!m || m.recording || this.prefetching) return;
    for (const k of [step + 1, step - 1]) {
      if (k < 0 || k >= m.steps.length || !m.steps[k].kept || this.cache.has(k)) continue;
      this.prefetching = this.nextId++;
      this.asked.set(this.prefetching, { step: k, events: m.steps[k].num_events });
      this.send({ kind: "get_step", id: this.prefetching, step: k, structures: this.structures.keys() });
      return;
    }
  }
}
