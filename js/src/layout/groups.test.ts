import { describe, expect, it } from "vitest";
import { compose, mlpInput, mlpLike, overlaps, synthetic } from "../testing/graphs";
import { CHAIN_MIN, CHAIN_PAGE } from "./chains";
import { buildGroups, type GraphInput } from "./groups";
import { Kind, pagesShowing } from "./groupTree";

const groupsOf = (t: ReturnType<typeof buildGroups>, kind: number) =>
  Array.from({ length: t.numGroups }, (_, i) => i).filter((i) => t.kind[i] === kind);

describe("groups", () => {
  it("cuts scopes into one group per call instance, parameters in their module's first instance", () => {
    const g = mlpInput();
    const t = buildGroups(g, { bySample: true });
    const mlps = groupsOf(t, Kind.Scope).filter((i) => t.path[i] === "MLP");
    expect(mlps.length).toBe(2); // two samples, two calls of the model
    expect(new Set(mlps.map((i) => t.key[i])).size).toBe(2);
    expect(groupsOf(t, Kind.Imported)).toEqual([]); // every imported value is a parameter
    const w = g.labels.indexOf("layers.0.neurons.1.w.0");
    const node = Array.from(g.label).indexOf(w);
    expect(t.owned[node]).toBe(1);
    const home = t.nodeGroup[node];
    expect(t.path[home]).toBe("MLP/layers.0/neurons.1");
    expect(home).toBe(groupsOf(t, Kind.Scope).find((i) => t.path[i] === "MLP/layers.0/neurons.1"));
    for (let i = 0; i < t.numNodes; i++) expect(t.nodeGroup[i]).toBeGreaterThanOrEqual(0);
    expect(t.nodeCount[0]).toBe(t.numNodes);
  });

  it("merged by scope path: parameters beside their module's calls, which are its pages", () => {
    const g = mlpLike(6, 2, [3, 1]);
    const t = buildGroups(g, { bySample: false });
    expect(t.path.filter((p, i) => p === "MLP" && t.kind[i] === Kind.Scope).length).toBe(1);
    const neuron = t.path.indexOf("MLP/layers.0/neurons.2");
    expect(t.name[neuron]).toBe("neurons.2 ×6");
    expect(t.pages[neuron]).toBe(6);
    const units = Array.from(t.units.slice(t.unitPtr[neuron], t.unitPtr[neuron + 1]));
    const pages = Array.from(t.unitPage.slice(t.unitPtr[neuron], t.unitPtr[neuron + 1]));
    const names = units.map((u) => (u < t.numNodes ? g.labels[g.label[u]] : t.name[u - t.numNodes]));
    expect(names).toEqual([
      "layers.0.neurons.2.w.0",
      "layers.0.neurons.2.w.1",
      "layers.0.neurons.2.b",
      ...Array.from({ length: 6 }, (_, k) => `call ${k}`),
    ]);
    expect(pages).toEqual([-1, -1, -1, 0, 1, 2, 3, 4, 5]);
    // a node inside call 4 (a pause, a search hit) turns the group to page 4; a parameter
    // beside the calls is on every page and turns nothing
    const call4 = t.numNodes + t.name.findIndex((nm, i) => nm === "call 4" && t.parent[i] === neuron);
    const within = (gid: number): boolean => gid >= 0 && (t.numNodes + gid === call4 || within(t.parent[gid]));
    const inside = Array.from(t.nodeGroup).findIndex(within);
    expect(inside).toBeGreaterThanOrEqual(0);
    expect(pagesShowing(t, inside).get(neuron)).toBe(4);
    expect(pagesShowing(t, units[0]).size).toBe(0);
  });

  it("keeps imported values with no module to own them in the imported box", () => {
    const g = mlpLike(2, 2, [2, 1]);
    const labels = [...g.labels];
    labels[g.label[g.nCreated]] = "some.other.value"; // no scope ends in "some/other"
    const t = buildGroups({ ...g, labels }, { bySample: false });
    const imp = groupsOf(t, Kind.Imported);
    expect(imp.length).toBe(1);
    expect(t.owned[g.nCreated]).toBe(0);
    let at = t.nodeGroup[g.nCreated];
    while (at > 0 && t.kind[at] !== Kind.Imported) at = t.parent[at];
    expect(at).toBe(imp[0]);
  });

  it("marks parameters read by many samples as auxiliary, and a leaf read a few times not", () => {
    const t = buildGroups(mlpLike(10, 2, [2, 1]), { bySample: false });
    const aux = Array.from(t.aux.keys()).filter((i) => t.aux[i]);
    expect(aux.length).toBe(9); // every parameter: 10 samples + the L2 term read each
    expect(aux.every((i) => t.owned[i])).toBe(true);
    const few = buildGroups(mlpLike(2, 2, [2, 1]), { bySample: false });
    expect(few.aux.every((x) => x === 0)).toBe(true);
  });

  it("folds a long chain of one op, with the constants that feed only it, into one box", () => {
    const t = buildGroups(chainOf(100), { bySample: false });
    const chains = groupsOf(t, Kind.Chain);
    expect(chains.map((c) => t.name[c])).toEqual(["×100 *"]);
    expect(t.nodeCount[chains[0]]).toBe(201); // the links, their constants and the first x
    expect(t.nodeGroup[t.numNodes - 1]).toBe(0); // the tanh reads the chain but is not part of it
    expect(t.pages[chains[0]]).toBe(Math.ceil(100 / CHAIN_PAGE)); // opened, a stretch at a time
    expect(groupsOf(buildGroups(chainOf(CHAIN_MIN), { bySample: false }), Kind.Chain).length).toBe(1);
    expect(groupsOf(buildGroups(chainOf(CHAIN_MIN - 1), { bySample: false }), Kind.Chain).length).toBe(0);
  });

  it("folds the demo's loss sums: the data term over samples, the L2 term over parameters", () => {
    const g = mlpLike(30, 2, [4, 1]);
    const t = buildGroups(g, { bySample: false });
    expect(groupsOf(t, Kind.Chain).map((c) => t.name[c])).toEqual(["×30 +"]); // 17 parameters: too short
    const big = buildGroups(mlpLike(30, 2, [8, 1]), { bySample: false });
    expect(groupsOf(big, Kind.Chain).map((c) => big.name[c])).toEqual(["×30 +", "×33 +"]);
  });

  it("names top-level runs by the group beside them", () => {
    const t = buildGroups(synthetic(8, 3), { bySample: true });
    expect(t.name.filter((_, i) => t.kind[i] === Kind.Run).every((nm) => /^(before|after) |^top level$/.test(nm))).toBe(
      true,
    );
  });

  it("bundles many consecutive calls of one scope into one box, paged one call at a time", () => {
    const g = synthetic(8, 3);
    const t = buildGroups(g, { bySample: true });
    const bundles = groupsOf(t, Kind.Bundle);
    expect(bundles.map((b) => t.name[b])).toEqual(["M ×8"]);
    expect(t.name).toContain("M #7");
    expect(t.pages[bundles[0]]).toBe(8);
    const open = new Uint8Array(t.numGroups).fill(1);
    expect(overlaps(compose(g, t, open))).toEqual([]);
  });
});

/** x = x * k `links` times, each k a fresh constant, then a tanh of the result. */
function chainOf(links: number): GraphInput {
  const kids: number[][] = [[]];
  let x = 0;
  for (let i = 0; i < links; i++) {
    kids.push([]);
    kids.push([x, kids.length - 1]);
    x = kids.length - 1;
  }
  kids.push([x]);
  const ptr = [0];
  const child: number[] = [];
  for (const k of kids) ptr.push(child.push(...k));
  const n = kids.length;
  return {
    nCreated: n,
    op: Uint32Array.from(kids, (k, i) => (i === n - 1 ? 2 : k.length ? 1 : 0)),
    scope: new Uint32Array(n),
    label: new Uint32Array(n),
    childPtr: Int32Array.from(ptr),
    child: Int32Array.from(child),
    ops: ["", "*", "tanh"],
    scopes: [""],
    labels: [""],
  };
}
