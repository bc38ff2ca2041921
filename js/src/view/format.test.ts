import { describe, expect, it } from "vitest";
import { fmtCount, fmtInt } from "./format";

describe("number formats", () => {
  it("fmtInt groups thousands as en-US does", () => {
    for (const n of [0, 7, 999, 1000, 4998, 65818, 131636, 1234567, -1, -1000, -65818, 2.6]) {
      expect(fmtInt(n)).toBe(Math.round(n).toLocaleString("en-US"));
    }
    expect(fmtInt(-0.4)).toBe("0"); // not Intl's "-0"
  });

  it("fmtCount shortens large counts", () => {
    expect(fmtCount(4998)).toBe("4,998");
    expect(fmtCount(65818)).toBe("66k");
    expect(fmtCount(1_250_000)).toBe("1.3M");
  });
});
