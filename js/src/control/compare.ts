// Comparing the shown step with another: a step of this trace, or of the trace the viewer
// was given to compare with (`mgdebug.show(a, compare=b)`). Owns the reference step's
// requests (a StepLoader of its own, asking the other trace with `trace: "other"`), the
// alignment request when the structures differ, and the Comparison it puts in the state
// (docs/widget-protocol.md).

import { type Comparison, onlyHere } from "../data/comparison";
import { decode } from "../data/decode";
import type { AlignmentMsg, StepDataMsg, TraceMeta } from "../data/protocol";
import { StepLoader } from "../data/stepLoader";
import type { StepView } from "../data/stepView";
import type { ModelLink } from "../model";
import type { Mark } from "../perf";
import type { CompareTarget, Store } from "../state";

export class CompareMode {
  private loader: StepLoader | null = null; // for the target's trace
  private trace: "this" | "other" = "this";
  private reference: StepView | null = null;
  private alignmentId = 0;
  private nextId = 1 + Math.floor(Math.random() * 2 ** 30);
  private startedMs = 0;

  constructor(
    private readonly store: Store,
    private readonly link: ModelLink,
    private readonly mark: Mark = () => {},
  ) {}

  /** Compare with `target` from now on (null: stop comparing). */
  start(target: CompareTarget | null): void {
    const s = this.store.state;
    this.reference = null;
    this.alignmentId = 0;
    if (target === null) {
      this.loader = null;
      const colorMode = s.colorMode === "delta" ? "grad" : s.colorMode;
      return this.store.update({ compareTarget: null, compare: null, colorMode });
    }
    this.startedMs = performance.now();
    this.store.update({ compareTarget: target, compare: null, colorMode: "delta", notice: "" });
    this.trace = target.trace;
    const tag = (c: Record<string, unknown>) => (target.trace === "other" ? { ...c, trace: "other" } : c);
    this.loader = new StepLoader(
      (content) => this.link.send(tag(content)),
      (view) => this.onReference(view),
      (message) => this.store.update({ notice: `cannot compare: ${message}` }),
    );
    if (target.trace === "this" && s.meta) this.onMeta(s.meta);
    else this.link.send({ kind: "hello", trace: "other" });
  }

  /** A kernel message; true when it was this mode's. */
  onMessage(msg: TraceMeta | StepDataMsg | AlignmentMsg | { kind: string }, buffers: DataView[]): boolean {
    if (msg.kind === "trace_meta") {
      const meta = msg as TraceMeta;
      if (meta.trace !== "other") return false;
      if (this.trace === "other") this.onMeta(meta);
      return true;
    }
    if (msg.kind === "step_data") return !!this.loader?.onStepData(msg as StepDataMsg, buffers);
    if (msg.kind === "alignment") {
      this.onAlignment(msg as AlignmentMsg, buffers);
      return true;
    }
    return false;
  }

  /** The shown step changed: compare the new one (its alignment may differ). */
  onShownStep(): void {
    if (this.reference) this.align();
  }

  private onMeta(meta: TraceMeta): void {
    const target = this.store.state.compareTarget;
    if (!this.loader || !target) return;
    if (target.step < 0 || target.step >= meta.steps.length) {
      return this.store.update({ notice: `cannot compare: no step ${target.step} there` });
    }
    this.loader.setMeta(meta);
    this.loader.want(target.step);
  }

  private onReference(view: StepView): void {
    this.reference = view;
    this.align();
  }

  /** Align the shown step with the reference: node for node when their structures are
   * equal (same trace, same key), else as the kernel aligns them. */
  private align(): void {
    const s = this.store.state;
    const shown = s.view;
    const ref = this.reference;
    const target = s.compareTarget;
    if (!shown || !ref || !target) return;
    if (this.trace === "this" && shown.structureKey !== null && shown.structureKey === ref.structureKey) {
      return this.set(shown, ref, null, 0);
    }
    this.alignmentId = this.nextId++;
    this.link.send({
      kind: "get_alignment",
      id: this.alignmentId,
      step: shown.step,
      other_step: ref.step,
      trace: this.trace,
    });
  }

  private onAlignment(msg: AlignmentMsg, buffers: DataView[]): void {
    const s = this.store.state;
    if (msg.id !== this.alignmentId || !s.view || !this.reference || !buffers.length) return;
    try {
      const c = decode(buffers[0]).columns;
      const counterpart = c.counterpart as Int32Array;
      if (counterpart.length !== s.view.numNodes) throw new Error("it does not fit the step shown");
      // equal structures (the kernel compares the columns): node for node
      this.set(s.view, this.reference, msg.same_structure ? null : counterpart, (c.only_other as Int32Array).length);
    } catch (e) {
      this.store.update({ notice: `cannot compare: ${(e as Error).message}` });
    }
  }

  private set(shown: StepView, ref: StepView, counterpart: Int32Array | null, onlyInReference: number): void {
    const target = this.store.state.compareTarget!;
    const label = `${target.trace === "other" ? "other run, " : ""}step ${target.step}`;
    const compare: Comparison = {
      label,
      shownStep: shown.step,
      reference: ref,
      counterpart,
      onlyInReference,
      delta: new Float64Array(shown.numNodes),
      deltaMax: 0,
    };
    const extra = onlyHere(compare, shown);
    const note =
      extra || onlyInReference ? `compared with ${label}: ${extra} nodes only here, ${onlyInReference} only there` : "";
    this.store.update({ compare, notice: note });
    this.mark("compared", { step: shown.step, ms: performance.now() - this.startedMs });
  }
}
