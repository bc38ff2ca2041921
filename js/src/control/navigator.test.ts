import { describe, expect, it } from "vitest";
import { stepOfEvent } from "./navigator";

describe("stepOfEvent", () => {
  it("finds the step whose events hold t, over the trace's event offsets", () => {
    const offsets = [0, 10, 10, 25]; // step 1 has no events
    expect([0, 9, 10, 24].map((t) => stepOfEvent(offsets, t))).toEqual([0, 0, 2, 2]);
    expect(stepOfEvent(offsets, 99)).toBe(2); // past the end: the last step
    expect(stepOfEvent([0, 0], 0)).toBe(0);
  });
});
