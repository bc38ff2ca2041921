import { describe, expect, it } from "vitest";
import { decode, stepColumns } from "../data/decode";
import { readBundle, readFixture } from "../testing/fixtures";
import { type LayoutAnswer, LayoutClient } from "./client";
import { Composer, defaultExpanded, type ViewLayout } from "./compose";
import { LayoutEngine } from "./engine";
import { buildGroups, type GraphInput } from "./groups";
import { type GroupTree, Kind } from "./groupTree";
import { levelEdges } from "./levelEdges";
import { layoutLevel } from "./levelLayout";

function mlpInput(): GraphInput {
  const fx = readFixture("mlp");
  const step = fx.steps[0];
  const g = stepColumns(decode(readBundle(step.bundle)), step.n_created);
  return {
    nCreated: step.n_created,
    scope: g.scope,
    label: g.label,
    childPtr: g.child_ptr,
    child: g.child,
    scopes: fx.strings.scopes,
    labels: fx.strings.labels,
  };
}

/** A graph of `calls` consecutive calls of a 2-layer model, each layer a chain of `width` ops. */
function synthetic(calls: number, width: number): GraphInput {
  const scopes = ["", "M/l0", "M/l1"];
  const scope: number[] = [];
  const ptr = [0];
  const child: number[] = [];
  const add = (s: number, kids: number[]) => {
    scope.push(s);
    child.push(...kids);
    ptr.push(child.length);
    return scope.length - 1;
  };
  for (let c = 0; c < calls; c++) {
    let x = add(0, []);
    for (const s of [1, 2]) for (let k = 0; k < width; k++) x = add(s, [x, add(s, [])]);
  }
  return {
    nCreated: scope.length,
    scope: Uint32Array.from(scope),
    label: new Uint32Array(scope.length),
    childPtr: Int32Array.from(ptr),
    child: Int32Array.from(child),
    scopes,
    labels: [""],
  };
}

function compose(g: GraphInput, tree: GroupTree, open: Uint8Array, showOps = true): ViewLayout {
  const c = new Composer(tree, levelEdges(tree, g), { showOps });
  c.setView(open, { showOps });
  return c.compose(g.childPtr, g.child);
}

function overlaps(l: ViewLayout): [number, number][] {
  const boxes = Array.from(l.unit.keys()).filter((i) => !l.open[i]);
  const out: [number, number][] = [];
  for (const i of boxes)
    for (const j of boxes) {
      if (j <= i) continue;
      if (l.x[i] < l.x[j] + l.w[j] && l.x[j] < l.x[i] + l.w[i] && l.y[i] < l.y[j] + l.h[j] && l.y[j] < l.y[i] + l.h[i])
        out.push([i, j]);
    }
  return out;
}

describe("groups", () => {
  it("cuts scopes into one group per call instance, with parameters grouped by label", () => {
    const g = mlpInput();
    const t = buildGroups(g, { bySample: true });
    const mlps = Array.from({ length: t.numGroups }, (_, i) => i).filter(
      (i) => t.kind[i] === Kind.Scope && t.path[i] === "MLP",
    );
    expect(mlps.length).toBe(2); // two samples, two calls of the model
    expect(new Set(mlps.map((i) => t.key[i])).size).toBe(2);
    expect(t.kind[1]).toBe(Kind.Imported);
    expect(t.name.filter((_, i) => t.kind[i] === Kind.Prefix)).toContain("layers.0");
    for (let i = 0; i < t.numNodes; i++) expect(t.nodeGroup[i]).toBeGreaterThanOrEqual(0);
    expect(t.nodeCount[0]).toBe(t.numNodes);
  });

  it("merges the calls into one group per scope path when not by sample", () => {
    const t = buildGroups(mlpInput(), { bySample: false });
    expect(t.path.filter((p, i) => p === "MLP" && t.kind[i] === Kind.Scope).length).toBe(1);
  });

  it("merged by scope path, keeps each call as an openable box inside the leaf scope", () => {
    const g = synthetic(8, 3);
    const t = buildGroups(g, { bySample: false });
    const l0 = t.path.indexOf("M/l0");
    const kids = Array.from(t.units.slice(t.unitPtr[l0], t.unitPtr[l0 + 1]));
    expect(kids.map((u) => t.name[u - t.numNodes])).toEqual(Array.from({ length: 8 }, (_, k) => `call ${k}`));
    expect(kids.every((u) => t.nodeCount[u - t.numNodes] === 6)).toBe(true);
    const open = new Uint8Array(t.numGroups).fill(1);
    expect(overlaps(compose(g, t, open))).toEqual([]);
  });

  it("names top-level runs by the group beside them", () => {
    const t = buildGroups(synthetic(8, 3), { bySample: true });
    expect(t.name.filter((_, i) => t.kind[i] === Kind.Run).every((nm) => /^(before|after) |^top level$/.test(nm))).toBe(
      true,
    );
  });

  it("bundles many consecutive calls of one scope into one box", () => {
    const g = synthetic(8, 3);
    const t = buildGroups(g, { bySample: true });
    const bundles = t.name.filter((_, i) => t.kind[i] === Kind.Bundle);
    expect(bundles).toEqual(["M ×8"]);
    expect(t.name).toContain("M #7");
  });
});

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

  it("the engine keeps the group tree when the next step has the same structure", () => {
    const g = mlpInput();
    const e = new LayoutEngine();
    e.setGraph({ type: "graph", version: 1, key: null, graph: g });
    const a = e.layout({
      type: "layout",
      id: 1,
      version: 1,
      groups: { bySample: true },
      view: { showOps: true },
      expanded: null,
    });
    e.setGraph({ type: "graph", version: 2, key: null, graph: { ...g, scope: g.scope.slice() } });
    const b = e.layout({
      type: "layout",
      id: 2,
      version: 2,
      groups: { bySample: true },
      view: { showOps: true },
      expanded: null,
    });
    if (a.type !== "layout" || b.type !== "layout") throw new Error("layout failed");
    expect(a.tree).not.toBeNull();
    expect(b.tree).toBeNull(); // not resent: same tree id
    expect(b.treeId).toBe(a.treeId);
  });

  it("the engine keeps the last few structures: back to one seen before costs no layout", () => {
    const g = mlpInput();
    const other = synthetic(6, 3);
    const e = new LayoutEngine();
    const req = (id: number) => ({
      type: "layout" as const,
      id,
      version: id,
      groups: { bySample: true },
      view: { showOps: true },
      expanded: null,
    });
    e.setGraph({ type: "graph", version: 1, key: null, graph: g });
    const a = e.layout(req(1));
    e.setGraph({ type: "graph", version: 2, key: null, graph: other });
    const b = e.layout(req(2));
    e.setGraph({ type: "graph", version: 3, key: null, graph: { ...g, scope: g.scope.slice() } });
    const c = e.layout(req(3));
    if (a.type !== "layout" || b.type !== "layout" || c.type !== "layout") throw new Error("layout failed");
    expect(b.treeId).not.toBe(a.treeId);
    expect(c.treeId).toBe(a.treeId);
    expect(c.tree).not.toBeNull(); // sent again: the client kept only the other one
    expect(Array.from(c.layout.x)).toEqual(Array.from(a.layout.x));
    expect(Array.from(c.layout.unit)).toEqual(Array.from(a.layout.unit));
  });

  it("the engine finds a kept structure by its key alone, and refuses a key it lost", () => {
    const g = mlpInput();
    const e = new LayoutEngine();
    const req = (id: number) => ({
      type: "layout" as const,
      id,
      version: id,
      groups: { bySample: true },
      view: { showOps: true },
      expanded: null,
    });
    e.setGraph({ type: "graph", version: 1, key: "A", graph: g });
    const a = e.layout(req(1));
    e.setGraph({ type: "graph", version: 2, key: "A", graph: null });
    const b = e.layout(req(2));
    if (a.type !== "layout" || b.type !== "layout") throw new Error("layout failed");
    expect(b.treeId).toBe(a.treeId);
    expect(Array.from(b.layout.x)).toEqual(Array.from(a.layout.x));
    e.setGraph({ type: "graph", version: 3, key: "B", graph: null }); // never sent
    expect(e.layout(req(3)).type).toBe("error");
  });

  it("the client sends a structure's arrays only when the engine may not keep them", async () => {
    const g = mlpInput();
    const made: string[] = [];
    const client = new LayoutClient(
      () => {},
      () => {},
    );
    const set = (key: string) =>
      client.setGraph(key, () => {
        made.push(key);
        return { ...g, scope: g.scope.slice() };
      });
    set("A");
    set("A"); // the same structure again: by key
    set("B");
    set("C");
    set("A"); // A, B, C kept (three): still by key
    expect(made).toEqual(["A", "B", "C"]);
    set("D"); // evicts B, the least recent
    set("B");
    expect(made).toEqual(["A", "B", "C", "D", "B"]);
    const answer = new Promise<LayoutAnswer>((resolve) => {
      const c2 = new LayoutClient(resolve, (m) => {
        throw new Error(m);
      });
      c2.setGraph("A", () => g);
      c2.setGraph("A", () => {
        throw new Error("not asked again");
      });
      c2.request({ bySample: true }, { showOps: true }, null);
    });
    expect((await answer).result.layout.unit.length).toBeGreaterThan(0);
    client.dispose();
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
