import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { pyRepr, specError, splitSpecs } from "./specs";

// written by fixtures/make_fixtures.py from mgdebug's own parser (tests/test_breakpoints.py
// checks the file is what the parser says today)
const cases: { spec: string; error: string | null }[] = JSON.parse(
  readFileSync(new URL("../../fixtures/specs.json", import.meta.url), "utf8"),
);

describe("specError", () => {
  it("says of every fixture spec what mgdebug's parser says", () => {
    expect(cases.length).toBeGreaterThan(40);
    for (const c of cases) expect([c.spec, specError(c.spec)]).toEqual([c.spec, c.error]);
  });
});

describe("pyRepr and splitSpecs", () => {
  it("quote as Python's repr does and split a typed list on commas", () => {
    expect(pyRepr("a'b")).toBe(`"a'b"`);
    expect(pyRepr(`a'"b`)).toBe(`'a\\'"b'`);
    expect(splitSpecs(" op:tanh, ,grad>10 ,")).toEqual(["op:tanh", "grad>10"]);
  });
});
