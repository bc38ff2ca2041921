import { describe, expect, it } from "vitest";
import type { ViewLayout } from "../layout/compose";
import { onGroupGlyph } from "./graphView";

const one = (open: number): ViewLayout =>
  ({
    unit: Int32Array.of(0),
    open: Uint8Array.of(open),
    x: Float32Array.of(100),
    y: Float32Array.of(100),
    w: Float32Array.of(164),
    h: Float32Array.of(open ? 300 : 40),
  }) as unknown as ViewLayout;

describe("onGroupGlyph", () => {
  it("finds the ▸ at a closed card's left end, at a finger's width on screen", () => {
    expect(onGroupGlyph(one(0), 0, 105, 120, 1)).toBe(true);
    expect(onGroupGlyph(one(0), 0, 150, 120, 1)).toBe(false); // the card's name: a select
    expect(onGroupGlyph(one(0), 0, 100 + 60, 120, 0.3)).toBe(true); // zoomed out: wider in world units
    expect(onGroupGlyph(one(0), 0, 105, 120, 0.2)).toBe(false); // a card too small to show it
  });

  it("finds the ▾ in an open frame's title bar only", () => {
    expect(onGroupGlyph(one(1), 0, 110, 110, 1)).toBe(true);
    expect(onGroupGlyph(one(1), 0, 110, 250, 1)).toBe(false);
  });
});
