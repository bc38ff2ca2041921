// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from "vitest";
import { answerStep, FakeModel, loaded, tick } from "../testing/fakeModel";
import { readFixture } from "../testing/fixtures";
import widget from "../widget";
import { stepOfEvent } from "./navigator";

describe("stepOfEvent", () => {
  it("finds the step whose events hold t, over the trace's event offsets", () => {
    const offsets = [0, 10, 10, 25]; // step 1 has no events
    expect([0, 9, 10, 24].map((t) => stepOfEvent(offsets, t))).toEqual([0, 0, 2, 2]);
    expect(stepOfEvent(offsets, 99)).toBe(2); // past the end: the last step
    expect(stepOfEvent([0, 0], 0)).toBe(0);
  });
});

let cleanup: (() => void) | null = null;
afterEach(() => {
  cleanup?.();
  document.body.replaceChildren();
});

describe("loadStep", () => {
  it("selects the asked label in another step, although writing the step trait fires at once", async () => {
    const model = new FakeModel();
    const host = document.createElement("div");
    document.body.append(host);
    cleanup = widget.render({ model, el: host });
    const labels = readFixture("mlp").strings.labels;
    await loaded(model, labels);
    const root = host.querySelector(".mgdebug-root") as HTMLElement & {
      mgdebug: { actions: { loadStep(k: number, l?: string): void; select(n: number): void } };
    };
    const title = () => host.querySelector(".mgd-inspector .mgd-title")?.textContent ?? "";
    const first = labels.find((l) => l.endsWith(".b"))!;
    const other = labels.find((l) => l.endsWith(".w.1"))!;
    root.mgdebug.actions.loadStep(0, first); // the shown step
    await tick();
    expect(title()).toContain(first);
    root.mgdebug.actions.loadStep(1, other); // another step, as a heatmap click does
    expect(model.traits.step).toBe(1);
    expect(await answerStep(model)).toBe(1);
    await tick();
    expect(title()).toContain(other);
    expect(model.sent.filter((m) => m.kind === "get_step" && m.step === 1).length).toBe(1);
  });
});
