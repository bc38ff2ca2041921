import { describe, expect, it } from "vitest";
import { compose, mlpInput, overlaps, synthetic } from "../testing/graphs";
import { defaultExpanded } from "./compose";
import { buildGroups, type GraphInput } from "./groups";
import { Kind } from "./groupTree";
import { layoutLevel } from "./levelLayout";

describe("layout", () => {
  it("is deterministic: the same graph and view give the same coordinates", () => {
    const g = mlpInput();
    const a = compose(g, buildGroups(g, { bySample: true }), new Uint8Array(64).fill(1));
    const b = compose(g, buildGroups(g, { bySample: true }), new Uint8Array(64).fill(1));
    expect(Array.from(a.x)).toEqual(Array.from(b.x));
    expect(Array.from(a.y)).toEqual(Array.from(b.y));
    expect(Array.from(a.edgeSrc)).toEqual(Array.from(b.edgeSrc));
  });

  it("never overlaps boxes, fully expanded or grouped", () => {
    const g = mlpInput();
    const t = buildGroups(g, { bySample: true });
    expect(overlaps(compose(g, t, new Uint8Array(t.numGroups).fill(1)))).toEqual([]);
    const grouped = new Uint8Array(t.numGroups);
    grouped[0] = 1;
    expect(overlaps(compose(g, t, grouped))).toEqual([]);
  });

  it("keeps boxes of one layer apart and in order", () => {
    const w = new Float64Array([100, 100, 100, 100, 100]);
    const h = new Float64Array([20, 40, 20, 20, 30]);
    const out = layoutLevel(w, h, Int32Array.from([0, 1, 2, 3]), Int32Array.from([4, 4, 4, 4]));
    const col = [0, 1, 2, 3].sort((p, q) => out.y[p] - out.y[q]);
    for (let k = 1; k < col.length; k++)
      expect(out.y[col[k]]).toBeGreaterThanOrEqual(out.y[col[k - 1]] + h[col[k - 1]]);
    expect(out.x[4]).toBeGreaterThan(out.x[0]);
  });

  it("shows a closed group as one box, and its contents once opened", () => {
    const g = synthetic(8, 3);
    const t = buildGroups(g, { bySample: true });
    const open = new Uint8Array(t.numGroups);
    open[0] = 1;
    const closed = compose(g, t, open);
    const bundle = t.kind.indexOf(Kind.Bundle);
    expect(Array.from(closed.unit)).toContain(t.numNodes + bundle);
    // every node is drawn by some box; hidden ones by the bundle's
    const slot = closed.unit.indexOf(t.numNodes + bundle);
    expect(closed.slotOfNode[5]).toBe(slot);
    open[bundle] = 1;
    const opened = compose(g, t, open);
    expect(opened.unit.length).toBe(closed.unit.length + t.unitPtr[bundle + 1] - t.unitPtr[bundle]); // 8 calls + the loose nodes between them
    expect(opened.open[opened.unit.indexOf(t.numNodes + bundle)]).toBe(1);
  });

  it("opens small graphs fully and big ones grouped", () => {
    const small = buildGroups(mlpInput(), { bySample: true });
    expect(Array.from(defaultExpanded(small)).every((x) => x === 1)).toBe(true);
    const big = buildGroups(synthetic(40, 8), { bySample: true });
    const open = defaultExpanded(big);
    expect(open[big.kind.indexOf(Kind.Bundle)]).toBe(0);
  });

  it("lays out a fully expanded 10,000-node graph", () => {
    // a random DAG without scopes: one level of 10k nodes, the slowest case for one layout
    const n = 10_000;
    let seed = 1;
    const rand = () => {
      seed = (seed * 48271) % 2147483647;
      return seed / 2147483647;
    };
    const ptr = [0];
    const child: number[] = [];
    for (let i = 0; i < n; i++) {
      if (i > 10 && rand() < 0.8) child.push(Math.floor(rand() * i), Math.floor(i - 1 - rand() * Math.min(i - 1, 30)));
      ptr.push(child.length);
    }
    const g: GraphInput = {
      nCreated: n,
      scope: new Uint32Array(n),
      label: new Uint32Array(n),
      childPtr: Int32Array.from(ptr),
      child: Int32Array.from(child),
      scopes: [""],
      labels: [""],
    };
    const t = buildGroups(g, { bySample: true });
    const l = compose(g, t, new Uint8Array(t.numGroups).fill(1));
    expect(l.unit.length).toBe(n); // its speed: bench/viewer_bench.py, not a timed assertion
    expect(new Set(Array.from(l.unit)).size).toBe(n);
  });
});
