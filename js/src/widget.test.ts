// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from "vitest";
import type { Model, Traits } from "./model";
import { onKeyDown } from "./panels/keyboard";
import { readBundle, readFixture } from "./testing/fixtures";
import widget from "./widget";

const XSS = "<img src=x onerror=alert(1)>";

/** anywidget's model, as far as the viewer uses it: traits, events, sent messages. */
class FakeModel implements Model {
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

const tick = (ms = 30) => new Promise((r) => setTimeout(r, ms));

function traceMeta(labels: string[]) {
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

async function loaded(model: FakeModel, labels: string[]): Promise<void> {
  model.emit("msg:custom", traceMeta(labels));
  const ask = model.sent.find((m) => m.kind === "get_step")!;
  const fx = readFixture("mlp");
  const step = fx.steps[ask.step as number];
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
}

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
  document.body.replaceChildren();
});

describe("widget", () => {
  it("says hello, asks for the shown step, and ignores answers it no longer waits for", async () => {
    const model = new FakeModel();
    model.traits.step = 1;
    const host = document.createElement("div");
    document.body.append(host);
    cleanups.push(widget.render({ model, el: host }));
    expect(model.sent[0]).toEqual({ kind: "hello" });
    model.emit("msg:custom", traceMeta(readFixture("mlp").strings.labels));
    const ask = model.sent.find((m) => m.kind === "get_step")!;
    expect(ask.step).toBe(1);
    expect(model.sent.map((m) => m.kind)).toEqual(expect.arrayContaining(["get_params", "get_hits", "get_anomaly"]));
    model.emit(
      "msg:custom",
      { kind: "step_data", id: 999, step: 0, n_created: 1, event_offset: 0, has_backward: true },
      [],
    );
    await tick();
    expect(host.querySelector(".mgd-readout")!.textContent).toMatch(/loading step 1/);
  });

  it("shows a label full of markup as text, creating no element from it", async () => {
    const model = new FakeModel();
    const host = document.createElement("div");
    document.body.append(host);
    cleanups.push(widget.render({ model, el: host }));
    const labels = [...readFixture("mlp").strings.labels];
    labels[1] = XSS;
    await loaded(model, labels);
    const fx = readFixture("mlp");
    const bundle = readBundle(fx.steps[0].bundle);
    const { decode, stepColumns } = await import("./data/decode");
    const g = stepColumns(decode(bundle), fx.steps[0].n_created);
    const node = g.label.indexOf(1);
    expect(node).toBeGreaterThanOrEqual(0);
    model.set("selected", node);
    await tick();
    const inspector = host.querySelector(".mgd-inspector")!;
    expect(inspector.textContent).toContain(XSS);
    expect(document.querySelectorAll("img").length).toBe(0);
    expect(inspector.innerHTML).not.toContain("<img");
    // the search box finds it too, still as text
    const search = host.querySelector<HTMLInputElement>(".mgd-search")!;
    search.value = "onerror";
    search.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    await tick();
    expect(host.querySelector(".mgd-hits")!.textContent).toBe("1/1");
    expect(document.querySelectorAll("img").length).toBe(0);
  });

  it("shows a hits reply's problems as a notice (as text), and keeps its hits", async () => {
    const model = new FakeModel();
    const host = document.createElement("div");
    document.body.append(host);
    cleanups.push(widget.render({ model, el: host }));
    await loaded(model, readFixture("mlp").strings.labels);
    const problem = `'op:sigmoid' names no op of this trace; its ops are: *, +, ${XSS}`;
    model.emit("msg:custom", { kind: "hits", id: null, hits: [], live: [], problems: [problem] });
    await tick();
    const notice = host.querySelector<HTMLElement>(".mgd-notice")!;
    expect(notice.textContent).toBe(problem);
    expect(notice.style.display).toBe("");
    expect(document.querySelectorAll("img").length).toBe(0);
  });

  it("steps through events with the arrow keys and writes the cursor back", async () => {
    const model = new FakeModel();
    const host = document.createElement("div");
    document.body.append(host);
    cleanups.push(widget.render({ model, el: host }));
    await loaded(model, readFixture("mlp").strings.labels);
    const root = host.querySelector<HTMLElement>(".mgdebug-root")!;
    const before = host.querySelector(".mgd-readout")!.textContent;
    root.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowLeft", bubbles: true }));
    await tick(150);
    expect(host.querySelector(".mgd-readout")!.textContent).not.toBe(before);
    const last = readFixture("mlp").steps[0].num_events - 1;
    expect(model.traits.cursor).toBe(last - 1);
  });

  it("shows Continue / Step / Stop while paused, and they send commands", async () => {
    const model = new FakeModel();
    const host = document.createElement("div");
    document.body.append(host);
    cleanups.push(widget.render({ model, el: host }));
    model.set("paused", { reason: "breakpoint op:tanh hit" });
    await tick();
    const live = host.querySelector<HTMLElement>(".mgd-live")!;
    expect(live.style.display).toBe("");
    expect(live.textContent).toContain("breakpoint op:tanh hit");
    const buttons = Array.from(live.querySelectorAll("button"));
    for (const b of buttons) b.click();
    expect(model.sent.filter((m) => m.kind === "command").map((m) => m.action)).toEqual(["continue", "step", "stop"]);
  });

  it("cleans up: every model listener removed and the view gone", () => {
    const model = new FakeModel();
    const host = document.createElement("div");
    const cleanup = widget.render({ model, el: host });
    expect(model.listeners()).toBeGreaterThan(0);
    cleanup();
    expect(model.listeners()).toBe(0);
    expect(host.children.length).toBe(0);
  });

  it("keeps keys typed in the search box away from the notebook", () => {
    let stepped = 0;
    const input = document.createElement("input");
    document.body.append(input);
    const e = new KeyboardEvent("keydown", { key: "ArrowRight", bubbles: true });
    Object.defineProperty(e, "target", { value: input });
    let stopped = false;
    e.stopPropagation = () => {
      stopped = true;
    };
    onKeyDown(e, { stepBy: () => stepped++, jump: () => {}, togglePlay: () => {}, fit: () => {} });
    expect(stepped).toBe(0);
    expect(stopped).toBe(true);
  });
});
