// Coordinates for the graph view: a layered (Sugiyama-lite) layout of each open group's
// units, composed into one picture, boxes inside boxes. Pure and deterministic; the
// result depends on structure and view toggles only, never on values or grads.

import { SMALL_GRAPH_NODES } from "../data/structures";
import { nodeWidth, SIZE, type ViewOptions } from "./boxSizes";
import { type GroupTree, Kind, nodeOrder } from "./groupTree";
import type { LevelEdges } from "./levelEdges";
import { layoutGrid, layoutLevel } from "./levelLayout";

export type { ViewOptions };

import { PairMap } from "./pairMap";

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
    const w = new Float64Array(order.length);
    const h = new Float64Array(order.length);
    order.forEach((u, i) => {
      index.set(u, i);
      [w[i], h[i]] = this.sizeOf(u);
    });
    const e = this.edges;
    const a = new Int32Array(e.ptr[gid + 1] - e.ptr[gid]);
    const b = new Int32Array(a.length);
    for (let k = e.ptr[gid]; k < e.ptr[gid + 1]; k++) {
      a[k - e.ptr[gid]] = index.get(e.src[k])!;
      b[k - e.ptr[gid]] = index.get(e.dst[k])!;
    }
    // the calls in a bundle are alike and side by side: a grid reads better than one tall column
    // so are the calls inside a merged scope: boxes with no edges between them
    const alike =
      t.kind[gid] === Kind.Bundle || (a.length === 0 && order.length >= 4 && order.every((u) => u >= t.numNodes));
    const out = alike ? layoutGrid(w, h) : layoutLevel(w, h, a, b);
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
        unit.push(u);
        open.push(isOpen ? 1 : 0);
        xs.push(ox + lv.x[i]);
        ys.push(oy + lv.y[i]);
        ws.push(lv.w[i]);
        hs.push(lv.h[i]);
        if (isOpen) visit(this.level(u - n), ox + lv.x[i] + SIZE.padPx, oy + lv.y[i] + SIZE.headerPx + SIZE.padPx);
      }
    };
    visit(root, 0, 0);
    const slotOfNode = new Int32Array(n).fill(-1);
    for (let i = 0; i < unit.length; i++) if (unit[i] < n) slotOfNode[unit[i]] = i;
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
        if (cnt[at]++ === 0) {
          src[at] = sc;
          dst[at] = sp;
        }
      }
    }
    const numEdges = pairs.size;
    return {
      unit: Int32Array.from(unit),
      open: Uint8Array.from(open),
      x: Float32Array.from(xs),
      y: Float32Array.from(ys),
      w: Float32Array.from(ws),
      h: Float32Array.from(hs),
      slotOfNode,
      edgeSrc: src.slice(0, numEdges),
      edgeDst: dst.slice(0, numEdges),
      edgeCount: cnt.slice(0, numEdges),
      width: root.width,
      height: root.height,
    };
  }
}

function grow(a: Int32Array): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

/** Which groups start open: all of them for a small graph, else the top levels within a budget. */
export function defaultExpanded(t: GroupTree, smallNodes = SMALL_GRAPH_NODES, budgetUnits = 40): Uint8Array {
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
      // so do the calls of a merged scope: its summary is the point of the first view
      const calls =
        t.unitPtr[c + 1] > t.unitPtr[c] &&
        t.units[t.unitPtr[c]] >= t.numNodes &&
        t.kind[t.units[t.unitPtr[c]] - t.numNodes] === Kind.Call;
      if (t.kind[c] === Kind.Bundle || t.kind[c] === Kind.Imported || calls || visible + grow > budgetUnits) continue;
      expanded[c] = 1;
      visible += grow;
      queue.push(c);
    }
  }
  return expanded;
}
