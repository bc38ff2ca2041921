import { describe, expect, it } from "vitest";
import { pyFloat, readBundle, readFixture } from "../testing/fixtures";
import {
  asDataView,
  type BufferLike,
  BundleError,
  decode,
  RULE_MASKED,
  RULE_PLAIN,
  RULE_SET,
  stepColumns,
} from "./decode";

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

  it("reads every buffer form hosts hand over: DataView, Uint8Array, ArrayBuffer, views into junk", () => {
    const want = stepColumns(decode(readBundle(step.bundle)), step.n_created);
    const exact = readBundle(step.bundle);
    const bytes = new Uint8Array(exact.buffer, exact.byteOffset, exact.byteLength);
    // the bundle at byteOffset 8 of a bigger buffer, with junk before and after it
    const big = new Uint8Array(bytes.length + 24).fill(0xee);
    big.set(bytes, 8);
    const forms: [string, BufferLike][] = [
      ["ArrayBuffer", bytes.slice().buffer],
      ["Uint8Array", bytes.slice()],
      ["Uint8Array at offset 8", big.subarray(8, 8 + bytes.length)],
      ["DataView at offset 8", new DataView(big.buffer, 8, bytes.length)],
      ["Uint16Array at offset 8", new Uint16Array(big.buffer, 8, bytes.length / 2)],
    ];
    expect(bytes.length % 2).toBe(0); // bundles are padded to 8 bytes
    for (const [what, form] of forms) {
      const g = stepColumns(decode(form), step.n_created);
      expect(Array.from(g.data), what).toEqual(Array.from(want.data));
      expect(Array.from(g.child), what).toEqual(Array.from(want.child));
      expect(Array.from(g.local), what).toEqual(Array.from(want.local));
    }
  });

  it("views exactly the bytes it was given, not the buffer around them", () => {
    const big = new Uint8Array(64).fill(0xee);
    big.set([1, 2, 3], 8);
    for (const form of [big.subarray(8, 11), new DataView(big.buffer, 8, 3), big.slice(8, 11).buffer]) {
      const v = asDataView(form);
      expect([v.byteLength, v.getUint8(0), v.getUint8(2)]).toEqual([3, 1, 3]);
    }
    expect(() => decode(big.subarray(8, 11))).toThrow(/too short \(3 bytes\)/);
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

  it("unpacks local derivatives from their kinds, and refuses kinds that do not fit", () => {
    const expr = readFixture("expr").steps[0]; // every kind: literal, 1.0, other operand
    const fresh = () => decode(readBundle(expr.bundle));
    const g = stepColumns(fresh(), expr.n_created);
    expect(g.local.length).toBe(g.child.length);
    const kind = fresh().columns.local_kind as Uint8Array;
    const withKind = (e: number, k: number) => {
      const b = fresh();
      const copy = (b.columns.local_kind as Uint8Array).slice();
      copy[e] = k;
      b.columns.local_kind = copy;
      return b;
    };
    const single = Array.from(g.child_ptr).findIndex((p, i) => g.child_ptr[i + 1] - p === 1);
    expect(() => stepColumns(withKind(g.child_ptr[single], 3), expr.n_created)).toThrow(/local_kind 3/);
    expect(() => stepColumns(withKind(0, 9), expr.n_created)).toThrow(/local_kind 9/);
    const literal = kind.indexOf(0);
    expect(() => stepColumns(withKind(literal, 1), expr.n_created)).toThrow(/left over/);
    const one = kind.indexOf(1);
    expect(() => stepColumns(withKind(one, 0), expr.n_created)).toThrow(/too few/);
    expect(() => stepColumns(withKind(literal, 5), expr.n_created)).toThrow(/too few/); // 5 takes two
  });

  it("reads masking and closure edges into rules: the grad a closure left, a mask's +0.0", () => {
    const step = readFixture("closures").steps[0];
    const b = decode(readBundle(step.bundle));
    const kind = b.columns.local_kind as Uint8Array;
    const g = stepColumns(b, step.n_created);
    expect(g.op).toBeInstanceOf(Uint32Array);
    for (let e = 0; e < kind.length; e++) {
      expect(g.rule[e], `edge ${e}`).toBe(kind[e] === 4 ? RULE_MASKED : kind[e] === 5 ? RULE_SET : RULE_PLAIN);
      if (kind[e] === 4) expect(Object.is(g.local[e], 0)).toBe(true);
    }
    expect(kind.includes(4) && kind.includes(5)).toBe(true);
    const set = Array.from(g.set_grad).filter((_, e) => kind[e] === 5);
    expect(set.length).toBeGreaterThan(4);
  });
});
