// The parameter table (data/params.ts) as the training views read it: every parameter's
// value, grad and update (the change the step applied) over all steps, the modules they
// belong to by their dotted names, and per module the norm of each over its parameters.
// Pure.

import { labelTokens } from "../layout/owners";
import type { ParamTable } from "./params";

export type Quantity = "value" | "grad" | "update";

/** One module (`layers.0.neurons.3`) or the parameters of no module (its name ""). */
export interface Module {
  name: string; // the dotted path: "layers.0.neurons.3"
  short: string; // its last part: "neurons.3"
  depth: number;
  parent: number; // -1 for a top module
  modules: number[]; // sub-modules, in order of first appearance
  params: number[]; // its own parameters (indices into names), in table order
  all: number[]; // every parameter inside it, at any depth
}

export interface ParamSeries {
  names: string[];
  steps: number;
  value: Float64Array; // [param * steps + step]; NaN where the step holds no such parameter
  grad: Float64Array;
  update: Float64Array; // value at the next step minus value now; NaN for the last step
  modules: Module[];
  top: number[]; // top modules, and top-level parameters under the module ""
}

export function paramSeries(t: ParamTable, steps: number): ParamSeries {
  const P = t.names.length;
  const value = new Float64Array(P * steps).fill(Number.NaN);
  const grad = new Float64Array(P * steps).fill(Number.NaN);
  for (let k = 0; k < t.step.length; k++) {
    const at = t.param[k] * steps + t.step[k];
    if (t.step[k] < steps && t.param[k] < P) {
      value[at] = t.value[k];
      grad[at] = t.grad[k];
    }
  }
  const update = new Float64Array(P * steps).fill(Number.NaN);
  for (let p = 0; p < P; p++) {
    for (let s = 0; s + 1 < steps; s++) update[p * steps + s] = value[p * steps + s + 1] - value[p * steps + s];
  }
  const modules: Module[] = [];
  const index = new Map<string, number>();
  const top: number[] = [];
  const moduleOf = (parts: string[]): number => {
    let parent = -1;
    for (let d = 0; d < parts.length; d++) {
      const name = parts.slice(0, d + 1).join(".");
      let m = index.get(name);
      if (m === undefined) {
        m = modules.length;
        modules.push({ name, short: parts[d], depth: d, parent, modules: [], params: [], all: [] });
        index.set(name, m);
        if (parent < 0) top.push(m);
        else modules[parent].modules.push(m);
      }
      parent = m;
    }
    return parent;
  };
  t.names.forEach((name, p) => {
    const parts = labelTokens(name);
    const m = moduleOf(parts.length > 1 ? parts.slice(0, -1) : [""]);
    modules[m].params.push(p);
    for (let a = m; a >= 0; a = modules[a].parent) modules[a].all.push(p);
  });
  // in reading order whatever order the table came in: layers.2 after layers.1, w.10 after w.9
  const byName = (a: string, b: string) => a.localeCompare(b, "en", { numeric: true });
  const mod = (a: number, b: number) => byName(modules[a].name, modules[b].name);
  top.sort(mod);
  for (const m of modules) {
    m.modules.sort(mod);
    m.params.sort((a, b) => byName(t.names[a], t.names[b]));
    m.all.sort((a, b) => byName(t.names[a], t.names[b]));
  }
  if (top.length > 1 && modules[top[0]].name === "") top.push(top.shift()!); // no module: last
  return { names: t.names, steps, value, grad, update, modules, top };
}

/** The column of `q` for one parameter over all steps. */
export function seriesOf(s: ParamSeries, q: Quantity, param: number): Float64Array {
  return s[q].subarray(param * s.steps, (param + 1) * s.steps);
}

/** The L2 norm of `q` over a module's parameters at each step (NaN where none is known). */
export function moduleNorm(s: ParamSeries, q: Quantity, module: number): Float64Array {
  const out = new Float64Array(s.steps);
  const known = new Uint8Array(s.steps);
  const col = s[q];
  for (const p of s.modules[module].all) {
    for (let k = 0; k < s.steps; k++) {
      const x = col[p * s.steps + k];
      if (Number.isNaN(x)) continue;
      out[k] += x * x;
      known[k] = 1;
    }
  }
  for (let k = 0; k < s.steps; k++) out[k] = known[k] ? Math.sqrt(out[k]) : Number.NaN;
  return out;
}
