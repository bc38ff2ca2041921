import { describe, expect, it } from "vitest";
import { compose, crossings, mlpInput, mlpLike, overlaps, synthetic } from "../testing/graphs";
import { defaultExpanded } from "./compose";
import { buildGroups, type GraphInput } from "./groups";
import { Kind } from "./groupTree";
import { layoutLevel } from "./levelLayout";

const all = (n: number) => new Uint8Array(n).fill(1);

describe("layout", () => {
  it("is deterministic: the same graph and view give the same coordinates", () => {
    const g = mlpInput();
    const a = compose(g, buildGroups(g, { bySample: true }), all(64));
    const b = compose(g, buildGroups(g, { bySample: true }), all(64));
    expect(Array.from(a.x)).toEqual(Array.from(b.x));
    expect(Array.from(a.y)).toEqual(Array.from(b.y));
    expect(Array.from(a.edgeX)).toEqual(Array.from(b.edgeX));
  });

  it("never overlaps boxes and no edge runs across a closed box, grouped or expanded", () => {
    for (const g of [mlpInput(), mlpLike(12, 2, [6, 6, 1]), mlpLike(30, 3, [8, 1])]) {
      for (const bySample of [false, true]) {
        const t = buildGroups(g, { bySample });
        for (const open of [defaultExpanded(t, 0), all(t.numGroups)]) {
          const l = compose(g, t, open);
          expect(overlaps(l)).toEqual([]);
          expect(crossings(l)).toEqual([]);
        }
      }
    }
  });

  it("bundles the edges between two boxes into one, counting every graph edge but the stubs", () => {
    const g = mlpLike(10, 2, [3, 1]);
    const t = buildGroups(g, { bySample: false });
    const open = new Uint8Array(t.numGroups);
    open[0] = 1; // the top level only
    const l = compose(g, t, open);
    // brute force: each graph edge between two different top-level boxes, by box pair
    const top = (node: number) => l.slotOfNode[node];
    const want = new Map<string, number>();
    for (let p = 0; p < t.numNodes; p++) {
      for (let e = g.childPtr[p]; e < g.childPtr[p + 1]; e++) {
        const c = g.child[e];
        const ownGroup = t.nodeGroup[c];
        let up = t.nodeGroup[p];
        while (t.depth[up] > t.depth[ownGroup]) up = t.parent[up];
        if (t.aux[c] && up !== ownGroup) continue; // a stub
        if (top(c) === top(p)) continue;
        const key = `${top(c)}>${top(p)}`;
        want.set(key, (want.get(key) ?? 0) + 1);
      }
    }
    const got = new Map<string, number>();
    for (let e = 0; e < l.edgeSrc.length; e++) got.set(`${l.edgeSrc[e]}>${l.edgeDst[e]}`, l.edgeCount[e]);
    expect(got).toEqual(want);
    expect(Math.max(...l.edgeCount)).toBeGreaterThan(1);
  });

  it("draws a parameter's reads outside its module as stubs beside the reader's box", () => {
    const g = mlpLike(10, 2, [3, 1]);
    const t = buildGroups(g, { bySample: false });
    const l = compose(g, t, defaultExpanded(t, 0));
    const params = Array.from(t.aux.keys()).filter((i) => t.aux[i]);
    expect(params.length).toBe(13);
    // each parameter is read twice by the L2 term (p * p), which sits outside the model
    const l2 = new Set(Array.from(l.stubSlot));
    expect(l2.size).toBe(1);
    expect([...l.stubNode].sort((a, b) => a - b)).toEqual(params);
    expect(Array.from(l.stubCount).every((c) => c === 2)).toBe(true);
    const box = l.unit[[...l2][0]] - t.numNodes;
    expect(t.kind[box] === Kind.Run || t.kind[box] === Kind.Chain).toBe(true);
  });

  it("shows one call of a repeated module at a time, its other calls hidden behind its frame", () => {
    const g = mlpLike(6, 2, [3, 1]);
    const t = buildGroups(g, { bySample: false });
    const neuron = t.path.indexOf("MLP/layers.0/neurons.1");
    const open = all(t.numGroups);
    const pages = new Int32Array(t.numGroups);
    pages[neuron] = 4;
    const l = compose(g, t, open, true, pages);
    const frame = l.unit.indexOf(t.numNodes + neuron);
    expect(l.page[frame]).toBe(4);
    const calls = Array.from(l.unit).filter((u) => u >= t.numNodes && t.parent[u - t.numNodes] === neuron);
    expect(calls.map((u) => t.name[u - t.numNodes])).toEqual(["call 4"]);
    const shown = calls[0] - t.numNodes;
    for (let i = 0; i < t.numNodes; i++) {
      const call = t.nodeGroup[i];
      if (t.parent[call] !== neuron || t.kind[call] !== Kind.Call) continue;
      expect(l.hiddenNode[i]).toBe(call === shown ? 0 : 1);
      if (call !== shown) expect(l.slotOfNode[i]).toBe(frame);
    }
    expect(overlaps(l)).toEqual([]);
    expect(crossings(l)).toEqual([]);
  });

  it("keeps boxes of one layer apart and in order", () => {
    const w = new Float64Array([100, 100, 100, 100, 100]);
    const h = new Float64Array([20, 40, 20, 20, 30]);
    const none = new Int32Array(0);
    const out = layoutLevel({
      w,
      h,
      a: Int32Array.from([0, 1, 2, 3]),
      b: Int32Array.from([4, 4, 4, 4]),
      entry: none,
      exit: none,
    });
    const col = [0, 1, 2, 3].sort((p, q) => out.y[p] - out.y[q]);
    for (let k = 1; k < col.length; k++)
      expect(out.y[col[k]]).toBeGreaterThanOrEqual(out.y[col[k - 1]] + h[col[k - 1]]);
    expect(out.x[4]).toBeGreaterThan(out.x[0]);
    expect(out.routePtr.length).toBe(5);
  });

  it("shows a closed group as one box, and one page of it once opened", () => {
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
    const firstPage = Array.from(t.unitPage.slice(t.unitPtr[bundle], t.unitPtr[bundle + 1])).filter((p) => p <= 0);
    expect(opened.unit.length).toBe(closed.unit.length + firstPage.length);
    expect(opened.open[opened.unit.indexOf(t.numNodes + bundle)]).toBe(1);
  });

  it("opens small graphs fully and big ones grouped, repeated and folded groups shut", () => {
    const small = buildGroups(mlpInput(), { bySample: true });
    expect(Array.from(defaultExpanded(small)).every((x) => x === 1)).toBe(true);
    const big = buildGroups(synthetic(40, 8), { bySample: true });
    const open = defaultExpanded(big);
    expect(open[big.kind.indexOf(Kind.Bundle)]).toBe(0);
    const demo = buildGroups(mlpLike(40, 2, [4, 4, 1]), { bySample: false });
    const d = defaultExpanded(demo);
    for (let gid = 0; gid < demo.numGroups; gid++)
      if (demo.pages[gid] || demo.kind[gid] === Kind.Chain) expect(d[gid]).toBe(0);
    expect(d[demo.path.indexOf("MLP")]).toBe(1);
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
      op: Uint32Array.from({ length: n }, (_, i) => (ptr[i + 1] > ptr[i] ? 1 : 0)),
      scope: new Uint32Array(n),
      label: new Uint32Array(n),
      childPtr: Int32Array.from(ptr),
      child: Int32Array.from(child),
      ops: ["", "+"],
      scopes: [""],
      labels: [""],
    };
    const t = buildGroups(g, { bySample: true });
    const l = compose(g, t, all(t.numGroups));
    expect(l.unit.length).toBeGreaterThan(n / 2); // its speed: bench/viewer_bench.py, not a timed assertion
    expect(l.edgePtr.length).toBe(l.edgeSrc.length + 1);
  });
});
