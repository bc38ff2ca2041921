// The layout of one level: boxes of known sizes, the edges between them, and the edges
// that come in through the level's left side or leave through its right (ports), placed
// in layers left to right (or on a grid, for boxes with no edges at all). Pure.
//
// Every edge gets a route that never crosses a box: an edge spanning several layers
// passes each layer in between through a slot of its own (a dummy node, as in Sugiyama's
// method), and it changes height only in the gaps between layers.

import { SIZE } from "./boxSizes";

export interface LevelInput {
  w: Float64Array; // box sizes
  h: Float64Array;
  a: Int32Array; // sibling edges a[k] -> b[k] (box indices, data flows a -> b)
  b: Int32Array;
  entry: Int32Array; // boxes fed through the left side
  exit: Int32Array; // boxes feeding through the right side
  inAt?: Float64Array; // where an edge meets each box's left side, from its top (default: middle)
  outAt?: Float64Array; // ... and its right side
}

export interface LevelOutput {
  x: Float64Array; // top-left
  y: Float64Array;
  width: number;
  height: number;
  inY: number; // the ports' heights (NaN when no edge uses them)
  outY: number;
  // routes, in order: the sibling edges, then the entries, then the exits; route r's points
  // are routeX/Y[routePtr[r] .. routePtr[r+1]], from the data's source to its consumer
  routePtr: Int32Array;
  routeX: Float64Array;
  routeY: Float64Array;
}

const DUMMY_PX = 2; // the height of an edge's slot in a layer it passes

/**
 * Lay out boxes in the given order (a topological one: edges pointing backwards are
 * drawn but do not shape the layers).
 *   1. layers: longest path from the sources, then every box with successors is pulled
 *      right next to its nearest successor (keeps leaves beside their consumers);
 *   2. a dummy per layer an edge passes (entries start left of layer 0, exits end right
 *      of the last), up to a budget: the shortest edges first;
 *   3. order in a layer: barycenter sweeps, left-to-right then right-to-left, twice;
 *   4. y: each box wants the mean height of its neighbours; isotonic regression (pool
 *      adjacent violators) finds the closest placement that keeps order and spacing.
 * Linear in boxes + dummies, apart from one sort per layer per sweep.
 */
export function layoutLevel(inp: LevelInput): LevelOutput {
  const { w, h, a, b, entry, exit } = inp;
  const m = w.length;
  const fwd: number[] = [];
  for (let k = 0; k < a.length; k++) if (a[k] < b[k]) fwd.push(k);
  const outs: number[][] = Array.from({ length: m }, () => []);
  for (const k of fwd) outs[a[k]].push(b[k]);

  // 1. layers
  const layer = new Int32Array(m + 2);
  for (let i = 0; i < m; i++) for (const j of outs[i]) layer[j] = Math.max(layer[j], layer[i] + 1);
  for (let i = m - 1; i >= 0; i--) {
    if (!outs[i].length) continue;
    let lo = 2 ** 30;
    for (const j of outs[i]) lo = Math.min(lo, layer[j]);
    layer[i] = lo - 1;
  }
  let L = 1;
  for (let i = 0; i < m; i++) L = Math.max(L, layer[i] + 1);
  const IN = m; // the ports, one layer outside each end
  const OUT = m + 1;
  layer[IN] = -1;
  layer[OUT] = L;

  // 2. edges as chains of nodes: [from, dummies..., to]
  const edges: [number, number][] = [];
  for (let k = 0; k < a.length; k++) edges.push([a[k], b[k]]);
  for (const u of entry) edges.push([IN, u]);
  for (const u of exit) edges.push([u, OUT]);
  const chain: number[][] = edges.map(([s, t]) => [s, t]);
  const byLength = edges.map((_, r) => r).sort((p, q) => span(edges[p]) - span(edges[q]));
  function span([s, t]: [number, number]): number {
    return layer[t] - layer[s];
  }
  const backward = (s: number, t: number) => s < m && t < m && s >= t;
  // The edges leaving one source share their slots (a bus: one track per layer with
  // branches off it), and so do the exits: a sum of a hundred terms fed from outside is
  // one track along it, not a hundred parallel lines.
  let budget = 4 * (m + edges.length) + 2000;
  const nodeLayer: number[] = Array.from(layer);
  const bus = new Map<number, Map<number, number>>(); // owner -> layer -> dummy
  for (const r of byLength) {
    const [s, t] = edges[r];
    if (span(edges[r]) <= 1 || backward(s, t)) continue;
    const owner = t === OUT ? OUT : s;
    const track = bus.get(owner) ?? new Map<number, number>();
    bus.set(owner, track);
    let fresh = 0;
    for (let l = layer[s] + 1; l < layer[t]; l++) if (!track.has(l)) fresh++;
    if (fresh > budget) continue;
    budget -= fresh;
    const path = [s];
    for (let l = layer[s] + 1; l < layer[t]; l++) {
      let d = track.get(l);
      if (d === undefined) {
        d = nodeLayer.length;
        nodeLayer.push(l);
        track.set(l, d);
      }
      path.push(d);
    }
    path.push(t);
    chain[r] = path;
  }
  const N = nodeLayer.length;
  const inAdj: number[][] = Array.from({ length: N }, () => []);
  const outAdj: number[][] = Array.from({ length: N }, () => []);
  const linked = new Set<number>(); // shared track steps count once
  chain.forEach((path, r) => {
    // an edge given no slots (backward, or past the budget) is drawn straight and shapes nothing
    if (path.length === 2 && (span(edges[r]) !== 1 || backward(path[0], path[1]))) return;
    for (let i = 0; i + 1 < path.length; i++) {
      const key = path[i] * N + path[i + 1];
      if (path[i] >= m + 2 && linked.has(key)) continue;
      linked.add(key);
      outAdj[path[i]].push(path[i + 1]);
      inAdj[path[i + 1]].push(path[i]);
    }
  });
  const rows: number[][] = Array.from({ length: L }, () => []);
  for (let v = 0; v < N; v++) if (v !== IN && v !== OUT) rows[nodeLayer[v]].push(v);
  const isBox = (v: number) => v < m;
  const height = (v: number) => (isBox(v) ? h[v] : v === IN || v === OUT ? 0 : DUMMY_PX);

  // 3. order within layers
  const pos = new Float64Array(N);
  pos[IN] = pos[OUT] = 0.5;
  const setPos = (row: number[]) => {
    for (let r = 0; r < row.length; r++) pos[row[r]] = (r + 0.5) / row.length;
  };
  rows.forEach(setPos);
  const bary = new Float64Array(N);
  const sweep = (row: number[], adj: number[][]) => {
    for (const u of row) {
      const nb = adj[u];
      let s = 0;
      for (const v of nb) s += pos[v];
      bary[u] = nb.length ? s / nb.length : pos[u];
    }
    row.sort((p, q) => bary[p] - bary[q] || p - q);
    setPos(row);
  };
  for (let round = 0; round < 2; round++) {
    for (let l = 0; l < L; l++) sweep(rows[l], inAdj);
    for (let l = L - 1; l >= 0; l--) sweep(rows[l], outAdj);
  }

  // 4. coordinates: columns left to right, boxes centred in their column
  const colX = new Float64Array(L + 1);
  const colW = new Float64Array(L);
  for (let l = 0; l < L; l++) {
    for (const v of rows[l]) if (isBox(v)) colW[l] = Math.max(colW[l], w[v]);
    colX[l + 1] = colX[l] + colW[l] + SIZE.layerGapPx;
  }
  const cy = new Float64Array(N);
  for (const row of rows) {
    let at = 0;
    for (const v of row) {
      cy[v] = at + height(v) / 2;
      at += height(v) + SIZE.rowGapPx;
    }
  }
  const mean = (v: number, adj: number[][]) => {
    const nb = adj[v];
    if (!nb.length) return cy[v];
    let s = 0;
    for (const u of nb) s += cy[u];
    return s / nb.length;
  };
  const align = (row: number[], adj: number[][]) =>
    placeInOrder(
      row,
      row.map((v) => mean(v, adj)),
      height,
      cy,
    );
  for (let l = 0; l < L; l++) align(rows[l], inAdj);
  cy[OUT] = mean(OUT, inAdj);
  for (let l = L - 1; l >= 0; l--) align(rows[l], outAdj);
  cy[IN] = mean(IN, outAdj);
  for (let l = 0; l < L; l++) align(rows[l], inAdj);
  cy[OUT] = mean(OUT, inAdj);

  let top = Infinity;
  let bottom = -Infinity;
  for (const row of rows) {
    for (const v of row) {
      top = Math.min(top, cy[v] - height(v) / 2);
      bottom = Math.max(bottom, cy[v] + height(v) / 2);
    }
  }
  if (!(top < bottom)) top = bottom = 0;
  for (let v = 0; v < N; v++) cy[v] -= top;
  const x = new Float64Array(m);
  const y = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    x[i] = colX[layer[i]] + (colW[layer[i]] - w[i]) / 2;
    y[i] = cy[i] - h[i] / 2;
  }
  const width = Math.max(0, colX[L] - SIZE.layerGapPx);
  const hasIn = entry.length > 0;
  const hasOut = exit.length > 0;

  // 5. routes: out of a box's right side, through the gaps and the dummies' slots, into
  // the next box's left side; a port is the frame's side, padPx outside the content
  const routePtr = new Int32Array(chain.length + 1);
  const rx: number[] = [];
  const ry: number[] = [];
  const outY = (v: number) => (v === IN ? cy[IN] : y[v] + (inp.outAt ? inp.outAt[v] : h[v] / 2));
  const inY = (v: number) => (v === OUT ? cy[OUT] : y[v] + (inp.inAt ? inp.inAt[v] : h[v] / 2));
  chain.forEach((path, r) => {
    const s = path[0];
    const t = path[path.length - 1];
    const sy = outY(s);
    if (s === IN) rx.push(-SIZE.padPx);
    else rx.push(x[s] + w[s]);
    ry.push(sy);
    if (s !== IN) {
      rx.push(colX[layer[s]] + colW[layer[s]]); // along the box's own height to its column's edge
      ry.push(sy);
    }
    for (let i = 1; i + 1 < path.length; i++) {
      const l = nodeLayer[path[i]];
      rx.push(colX[l], colX[l] + colW[l]);
      ry.push(cy[path[i]], cy[path[i]]);
    }
    const ty = inY(t);
    if (t === OUT) rx.push(width + SIZE.padPx);
    else {
      rx.push(colX[layer[t]], x[t]);
      ry.push(ty);
    }
    ry.push(ty);
    routePtr[r + 1] = rx.length;
  });
  return {
    x,
    y,
    width,
    height: m ? bottom - top : 0,
    inY: hasIn ? cy[IN] : NaN,
    outY: hasOut ? cy[OUT] : NaN,
    routePtr,
    routeX: Float64Array.from(rx),
    routeY: Float64Array.from(ry),
  };
}

// Centres as close as possible (least squares) to `want`, keeping the row's order and
// spacing: shift each wanted centre by the room the boxes above it need, fit a
// non-decreasing sequence by pooling adjacent violators, shift back.
function placeInOrder(row: number[], want: number[], height: (v: number) => number, cy: Float64Array): void {
  const k = row.length;
  const off = new Float64Array(k);
  for (let r = 1; r < k; r++) off[r] = off[r - 1] + (height(row[r - 1]) + height(row[r])) / 2 + SIZE.rowGapPx;
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
