// The rows of the parameter explorer: the module tree (data/paramSeries.ts) with the
// modules a user opened showing their sub-modules and parameters, each row's numbers over
// the steps for the quantity chosen, and the colour of a cell. Pure.

import { moduleNorm, type ParamSeries, type Quantity, seriesOf } from "../data/paramSeries";
import type { Range } from "../data/ranges";
import { rangeOf } from "../data/ranges";
import { localName } from "../layout/owners";
import { heat, logLevel, NEG, POS } from "../view/scales";

/** What the heatmap shows: a quantity per parameter, or the grad norm per module. */
export type HeatMode = "value" | "grad" | "update" | "norm";

export interface Row {
  module: number; // -1 for a parameter row
  param: number; // -1 for a module row
  depth: number;
  name: string; // what the row says: "neurons.3", "w.1"
  full: string; // the dotted name: "layers.0.neurons.3", "layers.0.neurons.3.w.1"
  open: boolean; // a module row whose children are shown
  count: number; // parameters inside (module rows)
}

/** Rows in tree order: every top module, and inside each module opened (by name) its
 * sub-modules then its parameters. In "norm" mode a row per module only. Parameters of no
 * module are top rows of their own. */
export function rowsOf(s: ParamSeries, opened: ReadonlySet<string>, mode: HeatMode): Row[] {
  const out: Row[] = [];
  const param = (p: number, depth: number) => {
    const full = s.names[p];
    out.push({ module: -1, param: p, depth, name: depth ? localName(full) : full, full, open: false, count: 1 });
  };
  const visit = (m: number) => {
    const mod = s.modules[m];
    if (mod.name === "") {
      if (mode !== "norm") for (const p of mod.params) param(p, 0);
      return;
    }
    const open = opened.has(mod.name) && (mode !== "norm" || mod.modules.length > 0);
    out.push({ module: m, param: -1, depth: mod.depth, name: mod.short, full: mod.name, open, count: mod.all.length });
    if (!open) return;
    for (const c of mod.modules) visit(c);
    if (mode !== "norm") for (const p of mod.params) param(p, mod.depth + 1);
  };
  for (const m of s.top) visit(m);
  return out;
}

/** The quantity a mode colours parameter rows by; "norm" colours modules by their grad norm. */
export function quantityOf(mode: HeatMode): Quantity {
  return mode === "norm" ? "grad" : mode;
}

/** A row's numbers over all steps: a parameter's own, a module's norm over its parameters. */
export function rowSeries(s: ParamSeries, row: Row, q: Quantity): Float64Array {
  return row.param >= 0 ? seriesOf(s, q, row.param) : moduleNorm(s, q, row.module);
}

/** The ranges the colours span: signed parameter cells over every parameter's numbers,
 * module norms over the norms of the rows shown. */
export function cellRanges(s: ParamSeries, rows: Row[], q: Quantity): { param: Range; module: Range } {
  const norms = rows.filter((r) => r.module >= 0).map((r) => rowSeries(s, r, q));
  return { param: rangeOf(s[q]), module: rangeOf(...norms) };
}

/** RGBA of one cell: parameters red (+) / blue (−) by log |x|, module norms on the heat
 * scale; NaN (no number that step) leaves the background, inf is full strength. */
export function cellColor(
  x: number,
  isModule: boolean,
  r: { param: Range; module: Range },
): [number, number, number, number] {
  if (Number.isNaN(x)) return [0, 0, 0, 0];
  if (isModule) {
    const t = logLevel(x, r.module);
    const c = heat(t);
    return [c[0], c[1], c[2], t > 0 ? Math.round(255 * (0.3 + 0.7 * t)) : 20];
  }
  const t = logLevel(x, r.param);
  const c = x >= 0 ? POS : NEG;
  return [c[0], c[1], c[2], x === 0 ? 10 : Math.round(255 * (0.15 + 0.85 * t))];
}
