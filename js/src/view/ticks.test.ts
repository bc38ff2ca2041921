import { describe, expect, it } from "vitest";
import { niceTicks, tickLabel } from "./ticks";

describe("ticks", () => {
  it("falls on round numbers inside the range, about as many as asked", () => {
    expect(niceTicks(0, 99, 4, true)).toEqual([0, 20, 40, 60, 80]);
    expect(niceTicks(0.011, 0.896, 3)).toEqual([0.2, 0.4, 0.6, 0.8]);
    expect(niceTicks(0, 3, 5, true)).toEqual([0, 1, 2, 3]); // whole steps only
    expect(niceTicks(2, 2, 3)).toEqual([2]);
    expect(niceTicks(Number.NaN, 1, 3)).toEqual([]);
  });

  it("labels ticks with as many digits as their spacing needs", () => {
    expect(tickLabel(0.4, 0.2)).toBe("0.4");
    expect(tickLabel(20, 20)).toBe("20");
    expect(tickLabel(0.025, 0.005)).toBe("0.025");
    expect(tickLabel(2e-5, 1e-5)).toBe("2.0e-5");
  });
});
