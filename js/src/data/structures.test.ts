import { describe, expect, it } from "vitest";
import { KEEP_STRUCTURES, StructureCache } from "./structures";

describe("StructureCache", () => {
  it("keeps the most recently used structures, KEEP_STRUCTURES of them", () => {
    const c = new StructureCache<number>();
    for (let k = 0; k < KEEP_STRUCTURES + 2; k++) c.add(`s${k}`, k);
    expect(c.size).toBe(KEEP_STRUCTURES);
    expect(c.keys()[0]).toBe(`s${KEEP_STRUCTURES + 1}`);
    expect(c.has("s0")).toBe(false);
    expect(c.use("s2")).toBe(2); // now the most recent: the next add drops another
    c.add("new", 9);
    expect(c.has("s2")).toBe(true);
  });

  it("replaces a key's value, may hold more while told to, and trims on the next add", () => {
    const c = new StructureCache<string>();
    c.add("a", "old");
    c.add("a", "new");
    expect([c.size, c.use("a")]).toEqual([1, "new"]);
    for (const k of ["b", "c", "d", "e"]) c.add(k, k, 2 * KEEP_STRUCTURES);
    expect(c.size).toBe(5);
    c.add("f", "f");
    expect(c.keys()).toEqual(["f", "e", "d"]);
  });

  it("finds an unnamed structure only by matching, and files it under the key it is used with", () => {
    const c = new StructureCache<number[]>();
    c.add(null, [1, 2]);
    expect(c.has(null)).toBe(false);
    expect(c.use(null)).toBeUndefined();
    expect(c.use("k", (v) => v[1] === 2)).toEqual([1, 2]);
    expect(c.keys()).toEqual(["k"]);
    c.add(null, [3]);
    c.add(null, [4]);
    expect(c.size).toBe(3); // null keys never replace each other
  });
});
