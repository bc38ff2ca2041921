import { describe, expect, it } from "vitest";
import { pyFloat, readBundle, readFixture } from "../testing/fixtures";
import { alignCursor, type Comparison, counterpartOf, deltas, largestDelta, onlyHere } from "./comparison";
import { decode, stepColumns } from "./decode";
import type { StepSummary } from "./protocol";
import { StepView } from "./stepView";

function view(step: number): StepView {
  const s = readFixture("mlp").steps[step];
  const summary: StepSummary = {
    index: s.index,
    loss: 0,
    has_backward: true,
    backward_completed: true,
    num_created: s.n_created,
    num_visits: s.num_events - s.n_created - 1,
    num_events: s.num_events,
    kept: true,
  };
  const g = stepColumns(decode(readBundle(s.bundle)), s.n_created);
  return new StepView(g, s.index, s.n_created, s.event_offset, summary, s.structure);
}

describe("comparison of two steps", () => {
  it("gives shown minus reference at the same moment, bit for bit as Python's grads", () => {
    const fx = readFixture("mlp");
    const [a, b] = [view(1), view(0)];
    expect(a.structureKey).toBe(b.structureKey); // a training loop: node i is node i
    const c: Comparison = {
      label: "step 0",
      shownStep: 1,
      reference: b,
      counterpart: null,
      onlyInReference: 0,
      delta: new Float64Array(0),
      deltaMax: 0,
    };
    for (const event of [0, a.nCreated, a.nCreated + 5, a.numEvents - 1]) {
      a.seek(event);
      alignCursor(c, a);
      const d = deltas(c, a, "grad");
      const here = fx.steps[1].grads[event].map(pyFloat);
      const there = fx.steps[0].grads[Math.min(event, b.numEvents - 1)].map(pyFloat);
      expect(Array.from(d)).toEqual(here.map((g, i) => g - there[i]));
    }
    const values = deltas(c, a, "value");
    expect(values[0]).toBe(a.g.data[0] - b.g.data[0]);
    expect(largestDelta(new Float64Array([1, -3, Number.NaN, Number.POSITIVE_INFINITY]))).toBe(3);
    expect(onlyHere(c, a)).toBe(0);
  });

  it("marks nodes with no counterpart as NaN and counts them", () => {
    const [a, b] = [view(1), view(0)];
    const counterpart = new Int32Array(a.numNodes).map((_, i) => (i % 4 === 0 ? -1 : i));
    const c: Comparison = {
      label: "other run, step 0",
      shownStep: 1,
      reference: b,
      counterpart,
      onlyInReference: 2,
      delta: new Float64Array(0),
      deltaMax: 0,
    };
    a.seek(a.numEvents - 1);
    alignCursor(c, a);
    const d = deltas(c, a, "grad");
    expect(Number.isNaN(d[0]) && Number.isNaN(d[4])).toBe(true);
    expect(d[1]).toBe(a.grad[1] - b.grad[1]);
    expect(counterpartOf(c, 4)).toBe(-1);
    expect(onlyHere(c, a)).toBe(Math.ceil(a.numNodes / 4));
  });
});
