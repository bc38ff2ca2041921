// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from "vitest";
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

  it("shows a hits reply's problems as a notice (as text), and keeps its hits", async () => {
    const model = new FakeModel();
    model.traits.breakpoints = ["op:sigmoid", "op:tanh"];
    const host = document.createElement("div");
    document.body.append(host);
    cleanups.push(widget.render({ model, el: host }));
    await loaded(model, readFixture("mlp").strings.labels);
    const problem = `'op:sigmoid' names no op of this trace; its ops are: *, +, ${XSS}`;
    const hit = { event: 3, step: 0, node: 1, spec: "op:tanh" };
    model.emit("msg:custom", { kind: "hits", id: null, hits: [hit], live: [], problems: { "op:sigmoid": problem } });
    await tick();
    const notice = host.querySelector<HTMLElement>(".mgd-notice")!;
    expect(notice.textContent).toBe(problem);
    expect(notice.style.display).toBe("");
    const row = (spec: string) => host.querySelector<HTMLElement>(`.mgd-bprow[data-spec='${spec}'] .mgd-count`)!;
    expect([row("op:sigmoid").textContent, row("op:sigmoid").title]).toEqual(["no such op", problem]);
    expect(row("op:tanh").textContent).toBe("1 hit");
    expect(document.querySelectorAll("img").length).toBe(0);
  });

  it("steps through events with the arrow keys while it has focus, and writes the cursor back", async () => {
    const model = new FakeModel();
    const host = document.createElement("div");
    document.body.append(host);
    cleanups.push(widget.render({ model, el: host }));
    await loaded(model, readFixture("mlp").strings.labels);
    const root = host.querySelector<HTMLElement>(".mgdebug-root")!;
    const before = host.querySelector(".mgd-readout")!.textContent;
    root.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowLeft", bubbles: true }));
    await tick(150);
    expect(host.querySelector(".mgd-readout")!.textContent).toBe(before); // not focused, pointer away: not ours
    root.focus();
    const key = new KeyboardEvent("keydown", { key: "ArrowLeft", bubbles: true, cancelable: true });
    root.dispatchEvent(key);
    await tick(150);
    expect(key.defaultPrevented).toBe(true);
    expect(host.querySelector(".mgd-readout")!.textContent).not.toBe(before);
    const last = readFixture("mlp").steps[0].num_events - 1;
    expect(model.traits.cursor).toBe(last - 1);
  });

  it("takes its keys while the pointer is over it, but not from a field being typed in elsewhere", async () => {
    const model = new FakeModel();
    const host = document.createElement("div");
    const editor = document.createElement("textarea"); // a notebook cell's editor
    document.body.append(host, editor);
    cleanups.push(widget.render({ model, el: host }));
    await loaded(model, readFixture("mlp").strings.labels);
    const root = host.querySelector<HTMLElement>(".mgdebug-root")!;
    root.dispatchEvent(new PointerEvent("pointerenter"));
    const before = host.querySelector(".mgd-readout")!.textContent;
    editor.focus();
    editor.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowLeft", bubbles: true }));
    await tick(60);
    expect(host.querySelector(".mgd-readout")!.textContent).toBe(before);
    editor.blur();
    document.body.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowLeft", bubbles: true }));
    await tick(60);
    expect(host.querySelector(".mgd-readout")!.textContent).not.toBe(before);
    // Ctrl+key stays the notebook's, whatever the pointer does
    const save = new KeyboardEvent("keydown", { key: "s", ctrlKey: true, bubbles: true, cancelable: true });
    document.body.dispatchEvent(save);
    expect(save.defaultPrevented).toBe(false);
  });

  it("shows the debugger's buttons while paused, with what the pause is, and they send commands", async () => {
    const model = new FakeModel();
    const host = document.createElement("div");
    document.body.append(host);
    cleanups.push(widget.render({ model, el: host }));
    model.set("paused", { reason: "breakpoint op:tanh hit at t", spec: "op:tanh", how: "breakpoint", step: 0 });
    await tick();
    const bar = host.querySelector<HTMLElement>(".mgd-pausebar")!;
    expect(bar.style.display).toBe("");
    expect(bar.textContent).toContain("Paused on breakpoint op:tanh");
    for (const b of Array.from(bar.querySelectorAll("button"))) b.click();
    expect(model.sent.filter((m) => m.kind === "command").map((m) => m.action)).toEqual([
      "continue",
      "step",
      "over",
      "out",
      "stop",
    ]);
    expect(model.sent.some((m) => m.kind === "get_hits")).toBe(true); // the counts so far, at each pause
  });

  it("lists breakpoints: adds what parses, says inline what does not, switches off and removes", async () => {
    const model = new FakeModel();
    model.traits.breakpoints = ["op:tanh"];
    const host = document.createElement("div");
    document.body.append(host);
    cleanups.push(widget.render({ model, el: host }));
    await loaded(model, readFixture("mlp").strings.labels);
    const field = host.querySelector<HTMLInputElement>(".mgd-bpadd input")!;
    const enter = () => field.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    field.value = "grad>>1";
    field.dispatchEvent(new Event("input"));
    expect(host.querySelector(".mgd-bplist .mgd-error")!.textContent).toBe("'grad>>1' is not a breakpoint spec");
    enter();
    expect(model.traits.breakpoints).toEqual(["op:tanh"]); // nothing bad reaches the kernel
    field.value = "abs(grad)>1, layers.0.*";
    enter();
    await tick();
    expect(model.traits.breakpoints).toEqual(["op:tanh", "abs(grad)>1", "layers.0.*"]);
    expect(host.querySelector(".mgd-bplist .mgd-error")!.textContent).toBe("");
    const row = (spec: string) => host.querySelector<HTMLElement>(`.mgd-bprow[data-spec="${spec}"]`)!;
    const box = row("op:tanh").querySelector<HTMLInputElement>("input")!;
    box.checked = false;
    box.dispatchEvent(new Event("change", { bubbles: true }));
    await tick();
    expect(model.traits.breakpoints).toEqual(["abs(grad)>1", "layers.0.*"]);
    expect(row("op:tanh").classList.contains("mgd-off")).toBe(true); // still listed, off
    row("layers.0.*").querySelector<HTMLButtonElement>(".mgd-remove")!.click();
    await tick();
    expect(model.traits.breakpoints).toEqual(["abs(grad)>1"]);
    expect(host.querySelectorAll(".mgd-bprow").length).toBe(2);
  });

  it("while a cell records, says whether it hears the viewer, with Stop only where it does", async () => {
    const model = new FakeModel();
    const host = document.createElement("div");
    document.body.append(host);
    cleanups.push(widget.render({ model, el: host }));
    const mode = host.querySelector<HTMLElement>(".mgd-mode")!;
    const stop = Array.from(host.querySelectorAll<HTMLElement>(".mgd-recording > button")).find((b) =>
      b.textContent?.includes("Stop"),
    )!;
    model.set("status", { recording: true, steps: 0, nodes: 0, live: true, live_note: "" });
    await tick();
    expect([mode.textContent, mode.style.display, stop.style.display]).toEqual(["live", "", ""]);
    stop.click();
    expect(model.sent.filter((m) => m.kind === "command").map((m) => m.action)).toEqual(["stop"]);

    const note = "ipykernel 7.2.0 cannot deliver the viewer's buttons to a running cell";
    model.set("status", { recording: true, steps: 0, nodes: 0, live: false, live_note: note });
    await tick();
    expect([mode.textContent, stop.style.display]).toEqual(["record-only", "none"]);
    expect(mode.title).toContain(note);

    model.set("status", { recording: false, steps: 1, nodes: 3, live: true, live_note: "" });
    await tick();
    expect([mode.style.display, stop.style.display]).toEqual(["none", "none"]);
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
    const model = new FakeModel();
    const host = document.createElement("div");
    document.body.append(host);
    cleanups.push(widget.render({ model, el: host }));
    const search = host.querySelector<HTMLInputElement>(".mgd-search")!;
    search.focus();
    let reached = false;
    const onDoc = () => (reached = true);
    document.addEventListener("keydown", onDoc);
    search.dispatchEvent(new KeyboardEvent("keydown", { key: "a", bubbles: true }));
    document.removeEventListener("keydown", onDoc);
    expect(reached).toBe(false);
  });
});
