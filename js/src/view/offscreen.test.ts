import { describe, expect, it } from "vitest";
import type { ViewLayout } from "../layout/compose";
import { countBeyond } from "./offscreen";

function layout(boxes: [number, number, number, number, number][]): ViewLayout {
  const f = (k: number) => Float32Array.from(boxes.map((b) => b[k]));
  return {
    unit: Int32Array.from(boxes.map((_, i) => i)),
    open: Uint8Array.from(boxes.map((b) => b[4])),
    x: f(0),
    y: f(1),
    w: f(2),
    h: f(3),
  } as unknown as ViewLayout;
}

describe("countBeyond", () => {
  it("counts the closed boxes wholly past each edge of the view", () => {
    const l = layout([
      [-300, 10, 100, 40, 0], // left
      [-500, 10, 100, 40, 0], // left
      [-600, 0, 2000, 900, 1], // an open frame around everything: not counted
      [50, 10, 100, 40, 0], // in view
      [900, 10, 100, 40, 0], // right
      [50, 700, 100, 40, 0], // below
    ]);
    expect(countBeyond(l, { x: 0, y: 0, scale: 1 }, { widthPx: 800, heightPx: 600 })).toEqual({
      left: 2,
      right: 1,
      up: 0,
      down: 1,
    });
    expect(countBeyond(l, { x: -700, y: 0, scale: 0.5 }, { widthPx: 1600, heightPx: 1600 })).toEqual({
      left: 0,
      right: 0,
      up: 0,
      down: 0,
    });
  });
});
