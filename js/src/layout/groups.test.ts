import { describe, expect, it } from "vitest";
import { compose, mlpInput, overlaps, synthetic } from "../testing/graphs";
import { buildGroups } from "./groups";
import { Kind } from "./groupTree";

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
