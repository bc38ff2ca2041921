// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from "vitest";
import { onKeyDown } from "./panels/keyboard";
import { FakeModel, loaded, tick, traceMeta } from "./testing/fakeModel";
import { readBundle, readFixture } from "./testing/fixtures";
import widget from "./widget";

const XSS = "<img src=x onerror=alert(1)>";

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
