// Boxes with no edges between them (the modules of a layer, say) on a grid. Pure.

import { SIZE } from "./boxSizes";

/** Boxes in reading order on a grid about as wide as it is tall; columns as wide as their widest box. */
export function layoutGrid(
  w: Float64Array,
  h: Float64Array,
): { x: Float64Array; y: Float64Array; width: number; height: number } {
  const m = w.length;
  let sw = 0;
  let sh = 0;
  for (let i = 0; i < m; i++) {
    sw += w[i];
    sh += h[i];
  }
  const cols = Math.max(1, Math.min(m, Math.round(Math.sqrt((m * sh) / Math.max(1, sw)))));
  const colW = new Float64Array(cols);
  for (let i = 0; i < m; i++) colW[i % cols] = Math.max(colW[i % cols], w[i]);
  const x = new Float64Array(m);
  const y = new Float64Array(m);
  let top = 0;
  for (let r = 0; r * cols < m; r++) {
    let rowH = 0;
    let left = 0;
    for (let c = 0; c < cols && r * cols + c < m; c++) {
      const i = r * cols + c;
      x[i] = left;
      y[i] = top;
      left += colW[c] + SIZE.rowGapPx * 2;
      rowH = Math.max(rowH, h[i]);
    }
    top += rowH + SIZE.rowGapPx * 2;
  }
  let width = -SIZE.rowGapPx * 2;
  for (const cw of colW) width += cw + SIZE.rowGapPx * 2;
  return { x, y, width: Math.max(0, width), height: Math.max(0, top - SIZE.rowGapPx * 2) };
}
