import { describe, expect, it } from "vitest";
import { mlpInput, mlpLike, synthetic } from "../testing/graphs";
import { type LayoutAnswer, LayoutClient } from "./client";
import { LayoutEngine } from "./engine";
import { Kind } from "./groupTree";

describe("layout engine and client", () => {
  it("a request that reveals a node opens its groups and turns their pages to it", () => {
    const g = mlpLike(100, 2, [16, 16, 1]); // the demo's shape: neurons drawn a call at a time
    const e = new LayoutEngine();
    e.setGraph({ type: "graph", version: 1, key: "demo", graph: g });
    const ask = (id: number, reveal?: number) =>
      e.layout({
        type: "layout",
        id,
        version: 1,
        groups: { bySample: false },
        view: { showOps: false },
        expanded: null,
        reveal,
      });
    const first = ask(1);
    if (first.type !== "layout" || !first.tree) throw new Error("layout failed");
    const t = first.tree;
    // a ReLU of sample 57's second-layer neuron 3: inside a closed group at first
    const relus = Array.from(g.op).flatMap((o, node) =>
      g.ops[o] === "ReLU" && g.scopes[g.scope[node]] === "MLP/layers.1/neurons.3" ? [node] : [],
    );
    const node = relus[57];
    expect(first.layout.unit[first.layout.slotOfNode[node]]).not.toBe(node);
    const shown = ask(2, node);
    if (shown.type !== "layout") throw new Error("layout failed");
    const l = shown.layout;
    expect(l.unit[l.slotOfNode[node]]).toBe(node); // its own box, on the page of its call
    const neuron = t.path.findIndex((p, i) => p === "MLP/layers.1/neurons.3" && t.kind[i] === Kind.Scope);
    expect(l.page[l.unit.indexOf(t.numNodes + neuron)]).toBe(57);
    expect(shown.expanded).toContain(t.key[neuron]);
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
});
