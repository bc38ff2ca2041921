import { describe, expect, it } from "vitest";
import { sideWidth } from "./sidePanel";

describe("sideWidth", () => {
  it("takes ~30% of the viewer by default, what was dragged to otherwise, leaving the graph room", () => {
    expect([sideWidth(551, null), sideWidth(820, null), sideWidth(1400, null)]).toEqual([190, 246, 320]);
    expect(sideWidth(1000, 500)).toBe(500);
    expect(sideWidth(1000, 900)).toBe(1000 - 220); // the graph keeps 220 px
    expect(sideWidth(1000, 20)).toBe(170);
    expect(sideWidth(300, null)).toBe(150); // a tiny viewer: half each
  });
});
