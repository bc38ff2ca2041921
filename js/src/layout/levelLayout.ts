// The layout of one level: boxes of known sizes and the edges between them, placed in
// layers left to right (or on a grid, for the alike calls in a bundle). Pure.

import { SIZE } from "./boxSizes";

/**
 * Lay out `m` boxes (sizes w, h) in the given order, with edges a[k] -> b[k] (indices).
 * Edges pointing backwards in the order are drawn but do not shape the layers.
 *   1. layers: longest path from the sources, then every box with successors is pulled
 *      right next to its nearest successor (keeps leaves beside their consumers);
 *   2. order in a layer: barycenter sweeps, left-to-right then right-to-left, twice;
 *   3. y: each box wants the mean height of its neighbours; isotonic regression (pool
 *      adjacent violators) finds the closest placement that keeps order and spacing.
 * Linear in boxes + edges, apart from one sort per layer per sweep.
 */
export function layoutLevel(
  w: Float64Array,
  h: Float64Array,
  a: Int32Array,
  b: Int32Array,
): { x: Float64Array; y: Float64Array; width: number; height: number } {
  const m = w.length;
  const fwd: number[] = [];
  for (let k = 0; k < a.length; k++) if (a[k] < b[k]) fwd.push(k);
  const outPtr = new Int32Array(m + 1);
  const inPtr = new Int32Array(m + 1);
  for (const k of fwd) {
    outPtr[a[k] + 1]++;
    inPtr[b[k] + 1]++;
  }
  for (let i = 0; i < m; i++) {
    outPtr[i + 1] += outPtr[i];
    inPtr[i + 1] += inPtr[i];
  }
  const outAdj = new Int32Array(fwd.length);
  const inAdj = new Int32Array(fwd.length);
  const oFill = outPtr.slice(0, m);
  const iFill = inPtr.slice(0, m);
  for (const k of fwd) {
    outAdj[oFill[a[k]]++] = b[k];
    inAdj[iFill[b[k]]++] = a[k];
  }

  // 1. layers
  const layer = new Int32Array(m);
  for (let i = 0; i < m; i++) {
    for (let k = outPtr[i]; k < outPtr[i + 1]; k++) layer[outAdj[k]] = Math.max(layer[outAdj[k]], layer[i] + 1);
  }
  for (let i = m - 1; i >= 0; i--) {
    if (outPtr[i] === outPtr[i + 1]) continue;
    let lo = 2 ** 30;
    for (let k = outPtr[i]; k < outPtr[i + 1]; k++) lo = Math.min(lo, layer[outAdj[k]]);
    layer[i] = lo - 1;
  }
  let numLayers = 0;
  for (let i = 0; i < m; i++) numLayers = Math.max(numLayers, layer[i] + 1);
  const rows: number[][] = Array.from({ length: numLayers }, () => []);
  for (let i = 0; i < m; i++) rows[layer[i]].push(i);

  // 2. order within layers
  const pos = new Float64Array(m);
  const setPos = (row: number[]) => {
    for (let r = 0; r < row.length; r++) pos[row[r]] = (r + 0.5) / row.length;
  };
  rows.forEach(setPos);
  const bary = new Float64Array(m);
  const sweep = (row: number[], ptr: Int32Array, adj: Int32Array) => {
    for (const u of row) {
      let s = 0;
      const d = ptr[u + 1] - ptr[u];
      for (let k = ptr[u]; k < ptr[u + 1]; k++) s += pos[adj[k]];
      bary[u] = d ? s / d : pos[u];
    }
    row.sort((p, q) => bary[p] - bary[q] || p - q);
    setPos(row);
  };
  for (let round = 0; round < 2; round++) {
    for (let l = 1; l < numLayers; l++) sweep(rows[l], inPtr, inAdj);
    for (let l = numLayers - 2; l >= 0; l--) sweep(rows[l], outPtr, outAdj);
  }

  // 3. coordinates: columns left to right, boxes centred in their column
  const x = new Float64Array(m);
  const cy = new Float64Array(m); // centres
  let colX = 0;
  for (const row of rows) {
    let colW = 0;
    for (const u of row) colW = Math.max(colW, w[u]);
    for (const u of row) x[u] = colX + (colW - w[u]) / 2;
    colX += colW + SIZE.layerGapPx;
    let at = 0;
    for (const u of row) {
      cy[u] = at + h[u] / 2;
      at += h[u] + SIZE.rowGapPx;
    }
  }
  const align = (row: number[], ptr: Int32Array, adj: Int32Array) => {
    const want = row.map((u) => {
      const d = ptr[u + 1] - ptr[u];
      if (!d) return cy[u];
      let s = 0;
      for (let k = ptr[u]; k < ptr[u + 1]; k++) s += cy[adj[k]];
      return s / d;
    });
    placeInOrder(row, want, h, cy);
  };
  for (let l = 1; l < numLayers; l++) align(rows[l], inPtr, inAdj);
  for (let l = numLayers - 2; l >= 0; l--) align(rows[l], outPtr, outAdj);
  for (let l = 1; l < numLayers; l++) align(rows[l], inPtr, inAdj);

  let top = Infinity;
  let bottom = -Infinity;
  for (let i = 0; i < m; i++) {
    top = Math.min(top, cy[i] - h[i] / 2);
    bottom = Math.max(bottom, cy[i] + h[i] / 2);
  }
  const y = new Float64Array(m);
  for (let i = 0; i < m; i++) y[i] = cy[i] - h[i] / 2 - (m ? top : 0);
  return { x, y, width: Math.max(0, colX - SIZE.layerGapPx), height: m ? bottom - top : 0 };
}

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

// Centres as close as possible (least squares) to `want`, keeping the row's order and
// spacing: shift each wanted centre by the room the boxes above it need, fit a
// non-decreasing sequence by pooling adjacent violators, shift back.
function placeInOrder(row: number[], want: number[], h: Float64Array, cy: Float64Array): void {
  const k = row.length;
  const off = new Float64Array(k);
  for (let r = 1; r < k; r++) off[r] = off[r - 1] + (h[row[r - 1]] + h[row[r]]) / 2 + SIZE.rowGapPx;
  const mean: number[] = [];
  const size: number[] = [];
  for (let r = 0; r < k; r++) {
    mean.push(want[r] - off[r]);
    size.push(1);
    while (mean.length > 1 && mean[mean.length - 2] > mean[mean.length - 1]) {
      const m2 = mean.pop()!;
      const s2 = size.pop()!;
      const s1 = size[size.length - 1];
      mean[mean.length - 1] = (mean[mean.length - 1] * s1 + m2 * s2) / (s1 + s2);
      size[size.length - 1] = s1 + s2;
    }
  }
  let r = 0;
  for (let blk = 0; blk < mean.length; blk++) {
    for (let s = 0; s < size[blk]; s++, r++) cy[row[r]] = mean[blk] + off[r];
  }
}
