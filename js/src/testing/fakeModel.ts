// Test helper: anywidget's model as far as the viewer uses it (traits, change events,
// custom messages both ways), and the kernel's answers for the mlp fixture.
import type { Model, Traits } from "../model";
import { readBundle, readFixture } from "./fixtures";

/** anywidget's model: `set` fires its change event at once, as Backbone's does. */
export class FakeModel implements Model {
  traits: Traits = { cursor: -1, step: 0, selected: -1, status: {}, paused: {}, breakpoints: [], height_px: 500 };
  sent: Record<string, unknown>[] = [];
  handlers = new Map<string, Set<(...args: never[]) => void>>();
  get<K extends keyof Traits>(k: K): Traits[K] {
    return this.traits[k];
  }
  set<K extends keyof Traits>(k: K, v: Traits[K]): void {
    this.traits[k] = v;
    this.emit(`change:${k}`);
  }
  save_changes(): void {}
  on(ev: string, cb: (...args: never[]) => void): void {
    if (!this.handlers.has(ev)) this.handlers.set(ev, new Set());
    this.handlers.get(ev)!.add(cb);
  }
  off(ev?: string | null, cb?: ((...args: never[]) => void) | null): void {
    if (ev && cb) this.handlers.get(ev)?.delete(cb);
  }
  send(content: unknown): void {
    this.sent.push(content as Record<string, unknown>);
  }
  emit(ev: string, ...args: unknown[]): void {
    for (const cb of this.handlers.get(ev) ?? []) (cb as (...a: unknown[]) => void)(...args);
  }
  listeners(): number {
    let n = 0;
    for (const s of this.handlers.values()) n += s.size;
    return n;
  }
}

export const tick = (ms = 30) => new Promise((r) => setTimeout(r, ms));

/** The mlp fixture's trace_meta, with its label table replaced by `labels`. */
export function traceMeta(labels: string[]) {
  const fx = readFixture("mlp");
  const steps = fx.steps.map((s) => ({
    index: s.index,
    loss: 0.5,
    has_backward: true,
    backward_completed: true,
    num_created: s.n_created,
    num_visits: s.num_events - s.n_created - 1,
    num_events: s.num_events,
    kept: true,
  }));
  const offsets = [0];
  for (const s of steps) offsets.push(offsets[offsets.length - 1] + s.num_events);
  return {
    kind: "trace_meta",
    strings: { ...fx.strings, labels },
    steps,
    event_offsets: offsets,
    notices: [],
    error: null,
    recording: false,
  };
}

/** Answer the latest get_step the viewer sent, as the kernel would (full bundle). */
export async function answerStep(model: FakeModel): Promise<number> {
  const ask = [...model.sent].reverse().find((m) => m.kind === "get_step")!;
  const step = readFixture("mlp").steps[ask.step as number];
  model.emit(
    "msg:custom",
    {
      kind: "step_data",
      id: ask.id,
      step: step.index,
      n_created: step.n_created,
      event_offset: step.event_offset,
      has_backward: true,
    },
    [readBundle(step.bundle, 3)],
  );
  await tick(60); // the layout runs on the main thread here (no Worker), after a timeout
  return step.index;
}

/** Send the trace's shape and the step the viewer asks for first. */
export async function loaded(model: FakeModel, labels: string[]): Promise<void> {
  model.emit("msg:custom", traceMeta(labels));
  await answerStep(model);
}
