// Coordinates for the graph view: a layered (Sugiyama-lite) layout of each open group's
// units, composed into one picture, boxes inside boxes. Pure and deterministic; the
// result depends on structure and view toggles only, never on values or grads.

import type { GroupTree, LevelEdges } from "./groups";
import { Kind, nodeOrder } from "./groups";
import { PairMap } from "./pairmap";

export interface ViewOptions {
  showOps: boolean; // op nodes drawn as circles beside their value box (micrograd's picture)
}

export const SIZE = {
  opPx: 22, // op circle diameter
  recordWPx: 248, // label | data | grad
  nodeHPx: 24,
  groupWPx: 196,
  groupHPx: 42,
  headerPx: 20, // title bar of an open group
  padPx: 10,
  layerGapPx: 44,
  rowGapPx: 10,
};

export function nodeWidth(opts: ViewOptions): number {
  return SIZE.recordWPx + (opts.showOps ? SIZE.opPx + 10 : 0);
}

/** Positions of one group's child units, relative to its content's top-left corner. */
export interface LevelLayout {
  units: Int32Array;
  x: Float64Array; // top-left
  y: Float64Array;
  w: Float64Array;
  h: Float64Array;
  width: number;
  height: number;
}

// ---------------------------------------------------------------- one level

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
export function layoutLevel(w: Float64Array, h: Float64Array, a: Int32Array, b: Int32Array): { x: Float64Array; y: Float64Array; width: number; height: number } {
  const m = w.length;
  const fwd: number[] = [];
  for (let k = 0; k < a.length; k++) if (a[k] < b[k]) fwd.push(k);
  const outPtr = new Int32Array(m + 1);
  const inPtr = new Int32Array(m + 1);
  for (const k of fwd) outPtr[a[k] + 1]++, inPtr[b[k] + 1]++;
  for (let i = 0; i < m; i++) (outPtr[i + 1] += outPtr[i]), (inPtr[i + 1] += inPtr[i]);
  const outAdj = new Int32Array(fwd.length);
  const inAdj = new Int32Array(fwd.length);
  const oFill = outPtr.slice(0, m);
  const iFill = inPtr.slice(0, m);
  for (const k of fwd) (outAdj[oFill[a[k]]++] = b[k]), (inAdj[iFill[b[k]]++] = a[k]);

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
  const setPos = (row: number[]) => row.forEach((u, r) => (pos[u] = (r + 0.5) / row.length));
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
    for (const u of row) (cy[u] = at + h[u] / 2), (at += h[u] + SIZE.rowGapPx);
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
  for (let i = 0; i < m; i++) (top = Math.min(top, cy[i] - h[i] / 2)), (bottom = Math.max(bottom, cy[i] + h[i] / 2));
  const y = new Float64Array(m);
  for (let i = 0; i < m; i++) y[i] = cy[i] - h[i] / 2 - (m ? top : 0);
  return { x, y, width: Math.max(0, colX - SIZE.layerGapPx), height: m ? bottom - top : 0 };
}

/** Boxes in reading order on a grid about as wide as it is tall; columns as wide as their widest box. */
export function layoutGrid(w: Float64Array, h: Float64Array): { x: Float64Array; y: Float64Array; width: number; height: number } {
  const m = w.length;
  let sw = 0;
  let sh = 0;
  for (let i = 0; i < m; i++) (sw += w[i]), (sh += h[i]);
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

// ---------------------------------------------------------------- composition

/** The picture: every visible unit with absolute coordinates, in drawing order. */
export interface ViewLayout {
  unit: Int32Array; // node id, or numNodes + group id
  open: Uint8Array; // 1 for an open group's frame (drawn under its contents)
  x: Float32Array;
  y: Float32Array;
  w: Float32Array;
  h: Float32Array;
  slotOfNode: Int32Array; // node -> index of the innermost visible box holding it
  edgeSrc: Int32Array; // box index -> box index, data flowing child -> consumer
  edgeDst: Int32Array;
  edgeCount: Int32Array;
  width: number;
  height: number;
}

/** Caches each open group's level layout; an expand or collapse only redoes its ancestors. */
export class Composer {
  private cache = new Map<number, LevelLayout>();
  private expanded: Uint8Array;

  constructor(
    readonly tree: GroupTree,
    readonly edges: LevelEdges,
    private opts: ViewOptions,
  ) {
    this.expanded = new Uint8Array(tree.numGroups);
  }

  /** Forget what `expanded` or `opts` changed: the toggled groups and their ancestors. */
  setView(expanded: Uint8Array, opts: ViewOptions): void {
    if (opts.showOps !== this.opts.showOps) this.cache.clear();
    this.opts = opts;
    for (let gid = 0; gid < this.tree.numGroups; gid++) {
      if ((expanded[gid] ?? 0) !== this.expanded[gid]) {
        for (let a = gid; a >= 0; a = this.tree.parent[a]) this.cache.delete(a);
      }
    }
    this.expanded = Uint8Array.from({ length: this.tree.numGroups }, (_, gid) => expanded[gid] ?? 0);
    this.expanded[0] = 1;
  }

  sizeOf(unit: number): [number, number] {
    const n = this.tree.numNodes;
    if (unit < n) return [nodeWidth(this.opts), SIZE.nodeHPx];
    if (!this.expanded[unit - n]) return [SIZE.groupWPx, SIZE.groupHPx];
    const lv = this.level(unit - n);
    return [Math.max(lv.width + 2 * SIZE.padPx, SIZE.groupWPx), lv.height + SIZE.headerPx + 2 * SIZE.padPx];
  }

  level(gid: number): LevelLayout {
    const hit = this.cache.get(gid);
    if (hit) return hit;
    const t = this.tree;
    const units = t.units.slice(t.unitPtr[gid], t.unitPtr[gid + 1]);
    const key = (u: number) => (u < t.numNodes ? nodeOrder(u, t.nCreated, t.numNodes) : t.orderKey[u - t.numNodes]);
    const order = Array.from(units).sort((p, q) => key(p) - key(q) || p - q);
    const index = new Map<number, number>();
    order.forEach((u, i) => index.set(u, i));
    const w = new Float64Array(order.length);
    const h = new Float64Array(order.length);
    order.forEach((u, i) => ([w[i], h[i]] = this.sizeOf(u)));
    const e = this.edges;
    const a = new Int32Array(e.ptr[gid + 1] - e.ptr[gid]);
    const b = new Int32Array(a.length);
    for (let k = e.ptr[gid]; k < e.ptr[gid + 1]; k++) (a[k - e.ptr[gid]] = index.get(e.src[k])!), (b[k - e.ptr[gid]] = index.get(e.dst[k])!);
    // the calls in a bundle are alike and side by side: a grid reads better than one tall column
    const out = t.kind[gid] === Kind.Bundle ? layoutGrid(w, h) : layoutLevel(w, h, a, b);
    const lv = { units: Int32Array.from(order), x: out.x, y: out.y, w, h, width: out.width, height: out.height };
    this.cache.set(gid, lv);
    return lv;
  }

  /** Flatten the open groups into absolute boxes, then project the graph's edges onto them. */
  compose(childPtr: Int32Array, child: Int32Array): ViewLayout {
    const t = this.tree;
    const n = t.numNodes;
    const unit: number[] = [];
    const open: number[] = [];
    const xs: number[] = [];
    const ys: number[] = [];
    const ws: number[] = [];
    const hs: number[] = [];
    const slotOfGroup = new Int32Array(t.numGroups).fill(-1);
    const root = this.level(0);
    const visit = (lv: LevelLayout, ox: number, oy: number) => {
      for (let i = 0; i < lv.units.length; i++) {
        const u = lv.units[i];
        const isOpen = u >= n && this.expanded[u - n] === 1;
        if (u >= n) slotOfGroup[u - n] = unit.length;
        unit.push(u), open.push(isOpen ? 1 : 0);
        xs.push(ox + lv.x[i]), ys.push(oy + lv.y[i]), ws.push(lv.w[i]), hs.push(lv.h[i]);
        if (isOpen) visit(this.level(u - n), ox + lv.x[i] + SIZE.padPx, oy + lv.y[i] + SIZE.headerPx + SIZE.padPx);
      }
    };
    visit(root, 0, 0);
    const slotOfNode = new Int32Array(n).fill(-1);
    unit.forEach((u, i) => u < n && (slotOfNode[u] = i));
    for (let i = 0; i < n; i++) {
      if (slotOfNode[i] >= 0) continue;
      let gid = t.nodeGroup[i]; // climb to the outermost closed group: the box that shows it
      let slot = -1;
      for (; gid > 0; gid = t.parent[gid]) if (!this.expanded[gid]) slot = slotOfGroup[gid];
      slotOfNode[i] = slot;
    }
    const pairs = new PairMap(256);
    let src = new Int32Array(256);
    let dst = new Int32Array(256);
    let cnt = new Int32Array(256);
    for (let p = 0; p < n; p++) {
      const sp = slotOfNode[p];
      for (let e = childPtr[p]; e < childPtr[p + 1]; e++) {
        const sc = slotOfNode[child[e]];
        if (sc === sp) continue;
        const at = pairs.index(sc, sp);
        if (at === cnt.length) [src, dst, cnt] = [grow(src), grow(dst), grow(cnt)];
        if (cnt[at]++ === 0) (src[at] = sc), (dst[at] = sp);
      }
    }
    const numEdges = pairs.size;
    return {
      unit: Int32Array.from(unit), open: Uint8Array.from(open),
      x: Float32Array.from(xs), y: Float32Array.from(ys), w: Float32Array.from(ws), h: Float32Array.from(hs),
      slotOfNode, edgeSrc: src.slice(0, numEdges), edgeDst: dst.slice(0, numEdges), edgeCount: cnt.slice(0, numEdges),
      width: root.width, height: root.height,
    };
  }
}

function grow(a: Int32Array): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

/** Which groups start open: all of them for a small graph, else the top levels within a budget. */
export function defaultExpanded(t: GroupTree, smallNodes = 300, budgetUnits = 40): Uint8Array {
  const expanded = new Uint8Array(t.numGroups);
  expanded[0] = 1;
  if (t.numNodes < smallNodes) return expanded.fill(1);
  let visible = t.unitPtr[1] - t.unitPtr[0];
  const queue = [0];
  while (queue.length) {
    const gid = queue.shift()!;
    for (let k = t.unitPtr[gid]; k < t.unitPtr[gid + 1]; k++) {
      const u = t.units[k];
      if (u < t.numNodes) continue;
      const c = u - t.numNodes;
      const grow = t.unitPtr[c + 1] - t.unitPtr[c] - 1;
      // bundles and imported values stay shut: they repeat what is next to them
      if (t.kind[c] === Kind.Bundle || t.kind[c] === Kind.Imported || visible + grow > budgetUnits) continue;
      expanded[c] = 1;
      visible += grow;
      queue.push(c);
    }
  }
  return expanded;
}
