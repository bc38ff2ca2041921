import { describe, expect, it } from "vitest";
import { mergeList, nextHitOf } from "./breakpointList";

describe("the breakpoint list", () => {
  it("keeps specs switched off, drops those removed, and adds new ones at the end", () => {
    const list = ["op:tanh", "grad>10", "w.1"];
    // grad>10 was off (not in force before); op:tanh is taken out of force elsewhere; b arrives
    expect(mergeList(list, ["op:tanh", "w.1"], ["w.1", "b"])).toEqual(["grad>10", "w.1", "b"]);
    expect(mergeList([], [], ["a", "b"])).toEqual(["a", "b"]);
  });

  it("finds a spec's next hit after the cursor, wrapping to its first", () => {
    const hits = [
      { event: 5, spec: "a" },
      { event: 7, spec: "b" },
      { event: 9, spec: "a" },
    ];
    expect([nextHitOf(hits, "a", 0), nextHitOf(hits, "a", 5), nextHitOf(hits, "a", 9)]).toEqual([5, 9, 5]);
    expect(nextHitOf(hits, "c", 0)).toBeNull();
  });
});
