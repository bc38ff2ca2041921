import { describe, expect, it } from "vitest";
import { SMALL_GRAPH_NODES } from "../data/structures";
import {
  type Camera,
  centreOn,
  fitBox,
  fitCamera,
  fitsReadably,
  MAX_SCALE,
  MIN_SCALE,
  panBy,
  pinAt,
  showBox,
  toScreen,
  toWorld,
  zoomAt,
} from "./camera";

const size = { widthPx: 800, heightPx: 600 };
const close = (a: number, b: number) => expect(a).toBeCloseTo(b, 9);

describe("camera", () => {
  it("converts screen to world and back", () => {
    const cam: Camera = { x: 100, y: -50, scale: 2 };
    const w = toWorld(cam, 40, 30);
    expect(w).toEqual({ x: 120, y: -35 });
    expect(toScreen(cam, w.x, w.y)).toEqual({ x: 40, y: 30 });
  });

  it("fits a big picture inside the margins and above the legend, centred", () => {
    const p = { width: 4000, height: 1000, numNodes: 5000 };
    const cam = fitCamera(p, size);
    close(cam.scale, (800 - 32) / 4000); // width-bound
    const left = toScreen(cam, 0, 0);
    const right = toScreen(cam, p.width, p.height);
    close(left.x, 16);
    close(right.x, 800 - 16);
    close((left.y + right.y) / 2, (600 - 40) / 2); // centred in the part above the legend
  });

  it("never blows a tiny picture up past 1.25, nor shrinks a small graph past reading size", () => {
    expect(fitCamera({ width: 10, height: 10, numNodes: 2 }, size).scale).toBe(1.25);
    const wide = { width: 5000, height: 100, numNodes: SMALL_GRAPH_NODES - 1 };
    const cam = fitCamera(wide, size);
    expect(cam.scale).toBe(0.66);
    close(toScreen(cam, wide.width, 0).x, 800 - 16); // the loss end (right) stays in view
    expect(fitsReadably(wide, size)).toBe(false);
    expect(fitsReadably({ width: 600, height: 300, numNodes: 40 }, size)).toBe(true);
    expect(fitsReadably({ width: 600, height: 300, numNodes: SMALL_GRAPH_NODES }, size)).toBe(false);
    expect(fitCamera({ width: 1e9, height: 1, numNodes: 1e6 }, size).scale).toBe(MIN_SCALE);
  });

  it("zooms about a screen point, keeping the world point under it, within the scale limits", () => {
    const cam: Camera = { x: 10, y: 20, scale: 1 };
    const before = toWorld(cam, 300, 200);
    const z = zoomAt(cam, 300, 200, 1.7);
    expect(z.scale).toBe(1.7);
    const after = toWorld(z, 300, 200);
    close(after.x, before.x);
    close(after.y, before.y);
    expect(zoomAt(cam, 0, 0, 1e9).scale).toBe(MAX_SCALE);
    expect(zoomAt(cam, 0, 0, 1e-9).scale).toBe(MIN_SCALE);
  });

  it("pans by screen pixels and pins a world point to a screen point", () => {
    const cam: Camera = { x: 0, y: 0, scale: 2 };
    expect(panBy(cam, 20, -10)).toEqual({ x: -10, y: 5, scale: 2 });
    const pinned = pinAt(cam, 500, 400, 30, 40);
    expect(toScreen(pinned, 500, 400)).toEqual({ x: 30, y: 40 });
  });

  it("centres a box, zooming in to a readable scale but never out", () => {
    const box = { x: 1000, y: 500, w: 100, h: 50 };
    const c = centreOn(box, { x: 0, y: 0, scale: 0.1 }, size);
    expect(c.scale).toBe(0.8);
    const mid = toScreen(c, box.x + box.w / 2, box.y + box.h / 2);
    close(mid.x, 400);
    close(mid.y, 300);
    expect(centreOn(box, { x: 0, y: 0, scale: 2 }, size).scale).toBe(2);
    // a small graph that fits readably is shown whole instead
    const small = { width: 600, height: 300, numNodes: 40 };
    expect(showBox(small, box, { x: 0, y: 0, scale: 0.1 }, size)).toEqual(fitCamera(small, size));
  });
});

describe("fitBox", () => {
  it("shows a whole frame bigger than the view, centred, zoomed out to fit", () => {
    const cam = fitBox({ x: 100, y: 50, w: 2000, h: 400 }, { widthPx: 800, heightPx: 600 });
    expect(cam.scale).toBeCloseTo((800 - 32) / 2000);
    const left = (100 - cam.x) * cam.scale;
    const right = (2100 - cam.x) * cam.scale;
    expect(left).toBeCloseTo(800 - right); // centred
    expect(left).toBeGreaterThanOrEqual(0);
  });
});
