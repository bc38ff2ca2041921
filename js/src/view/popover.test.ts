import { describe, expect, it } from "vitest";
import { placeBelow } from "./popover";

const box = { left: 100, top: 50, width: 560, height: 560 };

describe("placeBelow", () => {
  it("puts a menu under its button, right-aligned, inside the viewer's box", () => {
    const at = placeBelow({ left: 600, top: 60, width: 26, height: 24 }, { width: 220, height: 200 }, box);
    expect(at).toEqual({ left: 626 - 100 - 220, top: 60 + 24 - 50 + 4, width: 220, height: 200 });
  });

  it("shifts a menu wider than the room to its left back inside, and lets a tall one scroll", () => {
    const at = placeBelow({ left: 105, top: 60, width: 26, height: 24 }, { width: 300, height: 900 }, box);
    expect(at.left).toBe(4);
    expect(at.top + at.height).toBeLessThanOrEqual(box.height - 4);
  });

  it("uses the whole height when the button sits too low for the menu below it", () => {
    const at = placeBelow({ left: 600, top: 560, width: 26, height: 24 }, { width: 220, height: 400 }, box);
    expect(at.top).toBe(4);
    expect(at.height).toBe(400);
  });
});
