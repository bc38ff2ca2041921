// The parameter explorer's small pieces: a row's sparkline, and the hover readout of a
// row or a cell (text only).

import type { ParamSeries } from "../data/paramSeries";
import { fmt4, fmtInt } from "../view/format";
import { type HeatMode, quantityOf, type Row, rowSeries } from "./paramRows";

export const ROW_PX = 15; // one row of the explorer
export const SPARK_PX = 44; // one sparkline's width

export function spark(c: CanvasRenderingContext2D, xs: Float64Array, x: number, y: number, color: string): void {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of xs) {
    if (!Number.isFinite(v)) continue;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  if (!(hi >= lo)) return;
  const span = hi - lo || 1;
  c.strokeStyle = color;
  c.lineWidth = 1;
  c.beginPath();
  let pen = false;
  for (let k = 0; k < xs.length; k++) {
    const v = xs[k];
    if (!Number.isFinite(v)) {
      pen = false;
      continue;
    }
    const px = x + (k / Math.max(1, xs.length - 1)) * (SPARK_PX - 4);
    const py = y + ROW_PX - 3 - ((v - lo) / span) * (ROW_PX - 6);
    if (pen) c.lineTo(px, py);
    else c.moveTo(px, py);
    pen = true;
  }
  c.stroke();
}

export function readout(s: ParamSeries, r: Row, col: number, m: HeatMode): string {
  const q = quantityOf(m);
  if (col < 0) {
    const v = rowSeries(s, r, "value");
    const g = rowSeries(s, r, "grad");
    const what = r.param >= 0 ? "" : ` (${fmtInt(r.count)} parameters; norms)`;
    const hint = r.module >= 0 ? "click to open or close" : "click to show it in this step";
    return `${r.full}${what}\nvalue ${fmt4(v[0])} → ${fmt4(v[v.length - 1])}  grad ${fmt4(g[0])} → ${fmt4(g[g.length - 1])}\n${hint}`;
  }
  if (r.param >= 0) {
    const at = r.param * s.steps + col;
    return `${r.full} · step ${col}\nvalue ${fmt4(s.value[at])}  grad ${fmt4(s.grad[at])}  update ${fmt4(s.update[at])}\nclick to show it in step ${col}`;
  }
  const x = rowSeries(s, r, q)[col];
  return `${r.full} · step ${col}\n‖${q}‖ over ${fmtInt(r.count)} parameters = ${fmt4(x)}\nclick to show step ${col}`;
}
