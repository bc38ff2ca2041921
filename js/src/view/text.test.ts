import { describe, expect, it } from "vitest";
import { cutMiddle, firstFitting, fitText } from "./text";

/** A context whose font is 6 px a character: enough to test the fitting logic. */
const ctx = {
  font: "10px x",
  measureText: (t: string) => ({ width: 6 * t.length }),
} as unknown as CanvasRenderingContext2D;

describe("text", () => {
  it("keeps a label whole where it fits", () => {
    expect(cutMiddle("neurons.3", 9)).toBe("neurons.3");
    expect(fitText(ctx, "neurons.3", 60)).toBe("neurons.3");
  });

  it("cuts in the middle, keeping more of the distinctive end", () => {
    expect(cutMiddle("layers.0.neurons.3.w.1", 13)).toBe("laye…ns.3.w.1"); // 4 from the start, 8 from the end
    const fit = fitText(ctx, "layers.0.neurons.3.w.1", 80);
    expect(fit.length * 6).toBeLessThanOrEqual(80);
    expect(fit.endsWith("w.1")).toBe(true);
    expect(fit.startsWith("lay")).toBe(true);
    expect(fit).toContain("…");
  });

  it("gives up to nothing rather than overflow", () => {
    expect(fitText(ctx, "layers.0", 5)).toBe("");
    expect(cutMiddle("abc", 1)).toBe("…");
  });

  it("picks the longest variant that fits", () => {
    expect(firstFitting(ctx, ["×100 calls · 655 nodes", "×100 calls", "×100"], 70)).toBe("×100 calls");
    expect(firstFitting(ctx, ["×100 calls", "×100"], 12)).toBe("…0");
  });
});
