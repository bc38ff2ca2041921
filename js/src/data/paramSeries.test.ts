import { describe, expect, it } from "vitest";
import { moduleNorm, paramSeries, seriesOf } from "./paramSeries";

const table = {
  names: ["layers.0.neurons.0.w.0", "layers.0.neurons.0.b", "layers.1.neurons.0.w.0", "x"],
  step: Int32Array.from([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]),
  param: Int32Array.from([0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3]),
  value: Float64Array.from([1, 2, 3, 4, 1.5, 2, 2, 4, 1.25, 2, 1, 4]),
  grad: Float64Array.from([3, 0, 4, 0, 1, 0, 1, 0, 0, 0, 0, 0]),
};

describe("parameter series", () => {
  it("gives each parameter its value, grad and update over the steps", () => {
    const s = paramSeries(table, 3);
    expect(Array.from(seriesOf(s, "value", 0))).toEqual([1, 1.5, 1.25]);
    expect(Array.from(seriesOf(s, "update", 0))).toEqual([0.5, -0.25, Number.NaN]);
    expect(Array.from(seriesOf(s, "grad", 2))).toEqual([4, 1, 0]);
  });

  it("groups parameters into modules by their dotted names", () => {
    const s = paramSeries(table, 3);
    expect(s.top.map((m) => s.modules[m].name)).toEqual(["layers.0", "layers.1", ""]);
    const l0 = s.modules[s.top[0]];
    expect(l0.modules.map((m) => s.modules[m].short)).toEqual(["neurons.0"]);
    expect(s.modules[l0.modules[0]].params).toEqual([1, 0]); // b, w.0: in reading order
    expect(l0.all).toEqual([1, 0]);
    expect(s.modules[s.top[2]].params).toEqual([3]); // no module: under ""
  });

  it("orders modules as they read, whatever order the table came in", () => {
    const names = ["layers.10.w.0", "layers.2.w.0", "layers.1.w.10", "layers.1.w.9"];
    const s = paramSeries({ ...table, names, param: table.param.map((p) => p % 4) }, 3);
    expect(s.top.map((m) => s.modules[m].name)).toEqual(["layers.1", "layers.2", "layers.10"]);
    expect(s.modules[s.top[0]].params.map((p) => names[p])).toEqual(["layers.1.w.9", "layers.1.w.10"]);
  });

  it("takes the L2 norm of a module's parameters at each step", () => {
    const s = paramSeries(table, 3);
    expect(Array.from(moduleNorm(s, "grad", s.top[0]))).toEqual([3, 1, 0]);
    expect(Array.from(moduleNorm(s, "value", s.top[1]))).toEqual([3, 2, 1]);
  });
});
