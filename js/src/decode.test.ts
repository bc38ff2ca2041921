import { describe, expect, it } from "vitest";
import { BundleError, decode, stepColumns } from "./decode";
import { pyFloat, readBundle, readFixture } from "./fixtures";

describe("decode", () => {
  const fx = readFixture("mlp");
  const step = fx.steps[0];

  it("reads a step bundle written by Python, meta and every column", () => {
    const b = decode(readBundle(step.bundle));
    expect(b.meta).toEqual({ step: 0, n_created: step.n_created });
    const g = stepColumns(b, step.n_created);
    expect(g.op.length).toBe(step.num_nodes);
    expect(Array.from(g.data)).toEqual(step.data.map(pyFloat));
    expect(g.child_ptr[g.op.length]).toBe(g.child.length);
    expect(g.imported.length).toBe(step.num_nodes - step.n_created);
    expect(g.imported[0]).toBeTypeOf("bigint");
  });

  it("gives the same arrays when the bytes sit at an odd offset in a larger buffer", () => {
    const aligned = stepColumns(decode(readBundle(step.bundle)), step.n_created);
    for (const offset of [3, 8, 13]) {
      const g = stepColumns(decode(readBundle(step.bundle, offset)), step.n_created);
      expect(Array.from(g.data)).toEqual(Array.from(aligned.data));
      expect(Array.from(g.child)).toEqual(Array.from(aligned.child));
      expect(Array.from(g.scope)).toEqual(Array.from(aligned.scope));
    }
  });

  it("throws a clear BundleError on bad input", () => {
    const good = readBundle(step.bundle);
    const bytes = new Uint8Array(good.buffer.slice(0));
    expect(() => decode(new DataView(bytes.buffer, 0, 4))).toThrow(/too short/);
    const wrongVersion = bytes.slice();
    wrongVersion[0] = 9;
    expect(() => decode(new DataView(wrongVersion.buffer))).toThrow(/version 9/);
    expect(() => decode(new DataView(bytes.buffer, 0, 200))).toThrow(/runs past the end/);
    const badJson = bytes.slice();
    badJson[8] = 0x5d; // ']'
    expect(() => decode(new DataView(badJson.buffer))).toThrow(BundleError);
    const b = decode(readBundle(step.bundle));
    expect(() => stepColumns(b, step.num_nodes + 1)).toThrow(/imported count/);
    delete b.columns.visits;
    expect(() => stepColumns(b, step.n_created)).toThrow(/lacks column 'visits'/);
  });
});
