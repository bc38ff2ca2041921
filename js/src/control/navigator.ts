// Moving through the trace: seek, step, jump between a node's events or breakpoint hits,
// load another step, select; and what follows when a step arrives (the cursor, label or
// node asked for while it loaded), when the kernel pauses live, when a trait changes.

import type { StepLoader } from "../data/stepLoader";
import type { StepView } from "../data/stepView";
import type { LayoutClient } from "../layout/client";
import type { ModelLink } from "../model";
import type { Mark } from "../perf";
import type { State, Store } from "../state";
import { nextHitOf } from "./breakpointList";
import type { Player } from "./player";
import type { ViewActions } from "./viewActions";

/** The step holding global event `t`: the last step whose first event is at or before it. */
export function stepOfEvent(offsets: readonly number[], t: number): number {
  let lo = 0;
  let hi = offsets.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (offsets[mid] <= t) lo = mid;
    else hi = mid - 1;
  }
  return Math.max(0, lo);
}

export class Navigator {
  constructor(
    private readonly store: Store,
    private readonly link: ModelLink,
    private readonly loader: StepLoader,
    private readonly layout: LayoutClient,
    private readonly view: ViewActions,
    private readonly player: Player,
    private readonly mark: Mark,
  ) {}

  private get s(): State {
    return this.store.state;
  }

  // ---------------------------------------------------------------- actions

  seek(t: number): void {
    const s = this.s;
    const v = s.view;
    if (!s.meta) return;
    if (!v || t < v.eventOffset || t >= v.eventOffset + v.numEvents) {
      const step = stepOfEvent(s.meta.event_offsets, Math.max(0, t));
      if (step !== s.stepIndex || !v) {
        this.store.update({ pendingCursor: t });
        return this.loadStep(step);
      }
    }
    const shown = s.view!; // not null: a missing view returned above
    const clamped = Math.max(shown.eventOffset, Math.min(shown.eventOffset + shown.numEvents - 1, t));
    if (clamped !== s.cursor) this.store.update({ cursor: clamped });
    this.link.syncCursor(() => this.s.cursor);
  }

  stepBy(d: number): void {
    const s = this.s;
    const v = s.view;
    if (!v) return;
    if (d === Infinity) return this.seek(v.eventOffset + v.numEvents - 1);
    if (d === -Infinity) return this.seek(v.eventOffset);
    this.seek(Math.max(v.eventOffset, Math.min(v.eventOffset + v.numEvents - 1, s.cursor + d)));
  }

  /** To the next / previous breakpoint hit; without hits, the selected node's next / previous event. */
  jump(dir: 1 | -1): void {
    const s = this.s;
    const v = s.view;
    if (!v) return;
    if (s.hits.length) {
      const hit =
        dir > 0 ? s.hits.find((h) => h.event > s.cursor) : [...s.hits].reverse().find((h) => h.event < s.cursor);
      if (hit) this.toHit(hit);
      return;
    }
    const marks =
      s.selected >= 0 && s.selected < v.numNodes ? v.eventsOf(s.selected) : [0, v.nCreated, v.numEvents - 1];
    const e = v.event;
    const next = dir > 0 ? marks.find((m) => m > e) : [...marks].reverse().find((m) => m < e);
    if (next !== undefined) this.seek(v.eventOffset + next);
  }

  /** The next hit of one breakpoint after the cursor (its first after its last). */
  jumpToHit(spec: string): void {
    const s = this.s;
    const event = nextHitOf(s.hits, spec, s.cursor);
    const hit = event === null ? undefined : s.hits.find((h) => h.spec === spec && h.event === event);
    if (hit) this.toHit(hit);
    else this.store.update({ notice: `no hits of ${spec} in the steps kept in full` });
  }

  /** The cursor at a hit, its node selected and revealed (once its step is shown). */
  private toHit(hit: { event: number; step: number; node: number }): void {
    const v = this.s.view;
    if (v && hit.step === v.step) this.view.reveal(hit.node);
    else this.store.update({ pendingNode: hit.node, revealNode: hit.node });
    this.seek(hit.event);
  }

  /** Show `step`; `label`: select the node with that label once it is shown. */
  loadStep(step: number, label?: string): void {
    const s = this.s;
    if (!s.meta || step < 0 || step >= s.meta.steps.length) return;
    // picking a step while a cell records stops the view from following the newest one
    this.store.update({ pendingLabel: label ?? null, liveFollow: !s.status.recording && s.liveFollow });
    const shown = !!s.view && s.view.step === step && !this.loader.busy;
    // the step in force before the trait is written: writing it fires its change event at
    // once, and onTrait must find nothing to do (else it asks again, without the label)
    if (!shown) {
      this.player.stop();
      this.requestStep(step);
    }
    this.link.set("step", step);
    if (shown) this.selectPendingLabel();
  }

  select(node: number): void {
    const v = this.s.view;
    const ok = v && node >= 0 && node < v.numNodes;
    this.store.update({ selected: ok ? node : -1, selectedGroup: -1, path: ok ? v.pathToLoss(node) : null });
    this.link.set("selected", ok ? node : -1);
  }

  selectGroup(group: number): void {
    this.store.update({ selectedGroup: group, selected: -1, path: null });
    this.link.set("selected", -1);
  }

  requestStep(step: number): void {
    this.store.update({ stepIndex: step, loading: `loading step ${step}…`, notice: "" });
    this.loader.want(step);
  }

  // ---------------------------------------------------------------- a step arrived

  showView(view: StepView): void {
    const s = this.s;
    const meta = s.meta;
    if (!meta) return;
    this.mark("view", { step: view.step });
    const trait = this.link.get("cursor");
    const inStep = (t: number | null): t is number =>
      t !== null && t >= view.eventOffset && t < view.eventOffset + view.numEvents;
    const pending = s.pendingCursor;
    const cursor = inStep(pending) ? pending : inStep(trait) ? trait : view.eventOffset + view.numEvents - 1;
    const selected = s.selected < view.numNodes ? s.selected : -1;
    view.seek(cursor - view.eventOffset);
    // the next step of a training loop has the structure of the one shown: its picture is
    // the same, so it is drawn at once; another structure waits for its own layout
    const key = view.structureKey;
    const sameStructure = !!(s.layout && key !== null && s.view?.structureKey === key);
    const placement = sameStructure ? { loading: "" } : { loading: "laying out…", layout: null, tree: null };
    this.store.update({
      view,
      cursor,
      pendingCursor: null,
      lane: s.view && s.view.numEvents === view.numEvents ? s.lane : null,
      ...placement,
      selected,
      path: selected >= 0 ? view.pathToLoss(selected) : null,
      matches: [],
      search: "",
    });
    const node = s.pendingNode;
    if (node >= 0) {
      this.select(node);
      this.store.update({ pendingNode: -1 });
    }
    this.link.set("cursor", cursor);
    this.layout.setGraph(key, () => view.graphInput(meta)); // later requests (expand) refer to it
    if (sameStructure) {
      this.loader.settled();
      this.view.revealPending(); // a pause in a step laid out already: show its node now
    } else this.view.requestLayout();
    this.selectPendingLabel();
  }

  private selectPendingLabel(): void {
    const s = this.s;
    const v = s.view;
    const want = s.pendingLabel;
    if (want === null) return;
    this.store.update({ pendingLabel: null });
    if (!v || !s.meta) return;
    const id = s.meta.strings.labels.indexOf(want);
    if (id <= 0) return this.store.update({ notice: `no node labelled ${want} in step ${v.step}` });
    for (let i = v.numNodes - 1; i >= 0; i--) if (v.g.label[i] === id) return this.view.reveal(i);
  }

  // ---------------------------------------------------------------- the kernel moved

  /** The kernel (or another view of the same model) changed a trait. */
  onTrait(name: "cursor" | "step" | "selected"): void {
    const s = this.s;
    if (name === "cursor") {
      const t = this.link.get("cursor");
      if (t === s.cursor) return;
      if (t < 0 && s.view) return this.seek(s.view.eventOffset + s.view.numEvents - 1);
      this.seek(t);
    } else if (name === "step") {
      const k = this.link.get("step");
      // another step: a label asked for this one no longer applies; the same step not yet
      // shown: keep waiting for it with its label
      if (k !== s.stepIndex) this.loadStep(k);
      else if (!s.view) this.loadStep(k, s.pendingLabel ?? undefined);
    } else if (this.link.get("selected") !== s.selected) this.select(this.link.get("selected"));
  }

  /** A live pause: show the paused step (reloaded when it grew) at its event, and reveal
   * the node about to run (its groups opened, centred, selected) as soon as it is laid out. */
  onPaused(): void {
    const s = this.s;
    const p = s.paused;
    const m = s.meta;
    if (p.step === undefined || !m || p.step >= m.steps.length) return;
    this.mark("paused", { step: p.step, node: p.node ?? -1, event: p.event ?? -1 });
    this.player.stop();
    const stale = !s.view || s.view.step !== p.step || s.view.numEvents !== m.steps[p.step].num_events;
    const node = p.node !== undefined && p.node >= 0 ? p.node : -1;
    if (node >= 0) this.store.update({ pendingNode: node, revealNode: node });
    if (stale && p.event !== undefined) this.store.update({ pendingCursor: p.event });
    if (stale) this.requestStep(p.step);
    else {
      if (p.event !== undefined) this.seek(p.event);
      this.view.revealPending();
    }
  }
}
