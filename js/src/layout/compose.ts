// Coordinates for the graph view: a layered layout of each open group's units
// (levelLayout.ts), composed into one picture, boxes inside boxes, with the routes of the
// edges between them. Pure and deterministic; the result depends on structure and view
// toggles only, never on values or grads. The flattening into one picture is picture.ts's.

import { SMALL_GRAPH_NODES } from "../data/structures";
import { nodeWidth, SIZE, type ViewOptions } from "./boxSizes";
import { layoutGrid } from "./grid";
import { type GroupTree, Kind, nodeOrder } from "./groupTree";
import type { LevelEdges } from "./levelEdges";
import { layoutLevel } from "./levelLayout";
import { flatten, type ViewLayout } from "./picture";
import { topoOrder } from "./topoOrder";

export type { ViewLayout, ViewOptions };

/** Positions of one group's visible units, relative to its content's top-left corner. */
export interface LevelLayout {
  units: Int32Array;
  x: Float64Array; // top-left
  y: Float64Array;
  w: Float64Array;
  h: Float64Array;
  width: number;
  height: number;
  inY: number; // where edges come in through the left side (NaN: none do)
  outY: number;
  // routes: from / to are indices into `units`, -1 for the frame's own side (a port)
  from: Int32Array;
  to: Int32Array;
  count: Int32Array;
  routePtr: Int32Array;
  routeX: Float64Array;
  routeY: Float64Array;
}

/** Caches each open group's level layout; an expand, collapse or page turn only redoes its ancestors. */
export class Composer {
  private cache = new Map<number, LevelLayout>();
  private page: Int32Array; // per group: the page shown (paged groups only)
  open: Uint8Array; // expanded, or the call a merged scope shows (it opens with its page)

  constructor(
    readonly tree: GroupTree,
    readonly edges: LevelEdges,
    private opts: ViewOptions,
  ) {
    this.page = new Int32Array(tree.numGroups);
    this.open = new Uint8Array(tree.numGroups);
  }

  /** Forget what `expanded`, `pages` or `opts` changed: the groups touched and their ancestors. */
  setView(expanded: Uint8Array, opts: ViewOptions, pages: Int32Array = new Int32Array(0)): void {
    const t = this.tree;
    if (opts.showOps !== this.opts.showOps) this.cache.clear();
    this.opts = opts;
    const drop = (gid: number) => {
      for (let a = gid; a >= 0; a = t.parent[a]) this.cache.delete(a);
    };
    const page = new Int32Array(t.numGroups);
    for (let gid = 0; gid < t.numGroups; gid++) {
      page[gid] = t.pages[gid] ? Math.max(0, Math.min(t.pages[gid] - 1, pages[gid] ?? 0)) : 0;
      if (page[gid] !== this.page[gid]) drop(gid);
    }
    this.page = page;
    const open = Uint8Array.from({ length: t.numGroups }, (_, gid) => expanded[gid] ?? 0);
    open[0] = 1;
    for (let gid = 0; gid < t.numGroups; gid++) {
      if (!t.pages[gid]) continue;
      for (let k = t.unitPtr[gid]; k < t.unitPtr[gid + 1]; k++) {
        const u = t.units[k] - t.numNodes;
        if (u >= 0 && t.kind[u] === Kind.Call) open[u] = t.unitPage[k] === page[gid] ? 1 : 0;
      }
    }
    for (let gid = 0; gid < t.numGroups; gid++) if (open[gid] !== this.open[gid]) drop(gid);
    this.open = open;
  }

  pageOf(gid: number): number {
    return this.page[gid];
  }

  sizeOf(unit: number): [number, number] {
    const n = this.tree.numNodes;
    if (unit < n) return [nodeWidth(this.opts), SIZE.nodeHPx];
    if (!this.open[unit - n]) return [SIZE.groupWPx, SIZE.groupHPx];
    const lv = this.level(unit - n);
    return [Math.max(lv.width + 2 * SIZE.padPx, SIZE.groupWPx), lv.height + SIZE.headerPx + 2 * SIZE.padPx];
  }

  /** The units of `gid` on its shown page, in creation order. */
  visibleUnits(gid: number): number[] {
    const t = this.tree;
    const out: number[] = [];
    const paged = t.pages[gid] > 0;
    for (let k = t.unitPtr[gid]; k < t.unitPtr[gid + 1]; k++) {
      if (!paged || t.unitPage[k] < 0 || t.unitPage[k] === this.page[gid]) out.push(t.units[k]);
    }
    const n = t.numNodes;
    const key = (u: number) => (u < n ? nodeOrder(u, t.nCreated, n) : t.orderKey[u - n]);
    return out.sort((p, q) => key(p) - key(q) || p - q);
  }

  // the visible units in a topological order of the edges between them (creation order
  // where it is one)
  private ordered(gid: number): number[] {
    const units = this.visibleUnits(gid);
    const at = new Map<number, number>();
    for (let i = 0; i < units.length; i++) at.set(units[i], i);
    const e = this.edges;
    const a: number[] = [];
    const b: number[] = [];
    for (let k = e.ptr[gid]; k < e.ptr[gid + 1]; k++) {
      const i = at.get(e.src[k]);
      const j = at.get(e.dst[k]);
      if (i !== undefined && j !== undefined && i > j) {
        a.push(i);
        b.push(j);
      }
    }
    if (!a.length) return units; // already in order
    for (let k = e.ptr[gid]; k < e.ptr[gid + 1]; k++) {
      const i = at.get(e.src[k]);
      const j = at.get(e.dst[k]);
      if (i !== undefined && j !== undefined && i < j) {
        a.push(i);
        b.push(j);
      }
    }
    return Array.from(topoOrder(units.length, Int32Array.from(a), Int32Array.from(b)), (i) => units[i]);
  }

  level(gid: number): LevelLayout {
    const hit = this.cache.get(gid);
    if (hit) return hit;
    const t = this.tree;
    const n = t.numNodes;
    const order = this.ordered(gid);
    const index = new Map<number, number>();
    const m = order.length;
    const w = new Float64Array(m);
    const h = new Float64Array(m);
    const inAt = new Float64Array(m);
    const outAt = new Float64Array(m);
    order.forEach((u, i) => {
      index.set(u, i);
      [w[i], h[i]] = this.sizeOf(u);
      inAt[i] = outAt[i] = h[i] / 2;
      if (u >= n && this.open[u - n]) {
        // an open group's edges meet it where its own ports are
        const inner = this.level(u - n);
        const top = SIZE.headerPx + SIZE.padPx;
        if (!Number.isNaN(inner.inY)) inAt[i] = top + inner.inY;
        if (!Number.isNaN(inner.outY)) outAt[i] = top + inner.outY;
      }
    });
    const e = this.edges;
    const from: number[] = [];
    const to: number[] = [];
    const count: number[] = [];
    for (let k = e.ptr[gid]; k < e.ptr[gid + 1]; k++) {
      const i = index.get(e.src[k]);
      const j = index.get(e.dst[k]);
      if (i === undefined || j === undefined) continue; // on a page not shown
      from.push(i);
      to.push(j);
      count.push(e.count[k]);
    }
    const numSiblings = from.length;
    const entry: number[] = [];
    for (let k = e.entryPtr[gid]; k < e.entryPtr[gid + 1]; k++) {
      const j = index.get(e.entryUnit[k]);
      if (j === undefined) continue;
      entry.push(j);
      from.push(-1);
      to.push(j);
      count.push(e.entryCount[k]);
    }
    const exit: number[] = [];
    for (let k = e.exitPtr[gid]; k < e.exitPtr[gid + 1]; k++) {
      const i = index.get(e.exitUnit[k]);
      if (i === undefined) continue;
      exit.push(i);
      from.push(i);
      to.push(-1);
      count.push(e.exitCount[k]);
    }
    // boxes with no edges at all (the modules of a layer, say) read better on a grid
    const grid = !from.length && m >= 4 && order.every((u) => u >= n);
    const lv: LevelLayout = {
      units: Int32Array.from(order),
      w,
      h,
      from: Int32Array.from(from),
      to: Int32Array.from(to),
      count: Int32Array.from(count),
      ...(grid ? gridLevel(w, h) : {}),
    } as LevelLayout;
    if (!grid) {
      const out = layoutLevel({
        w,
        h,
        a: Int32Array.from(from.slice(0, numSiblings)),
        b: Int32Array.from(to.slice(0, numSiblings)),
        entry: Int32Array.from(entry),
        exit: Int32Array.from(exit),
        inAt,
        outAt,
      });
      Object.assign(lv, out);
    }
    this.cache.set(gid, lv);
    return lv;
  }

  /** The picture: the open groups flattened into absolute boxes and routes. */
  compose(): ViewLayout {
    return flatten(this);
  }
}

function gridLevel(w: Float64Array, h: Float64Array) {
  const out = layoutGrid(w, h);
  return {
    ...out,
    inY: NaN,
    outY: NaN,
    routePtr: new Int32Array(1),
    routeX: new Float64Array(0),
    routeY: new Float64Array(0),
  };
}

/** Which groups start open: all of them for a small graph, else the top levels within a budget. */
export function defaultExpanded(t: GroupTree, smallNodes = SMALL_GRAPH_NODES, budgetUnits = 60): Uint8Array {
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
      // repeated structure, folded chains, runs of loose nodes and imported values stay
      // shut: the first view is the model's structure, and theirs is their summary
      const shut = t.pages[c] > 0 || t.kind[c] === Kind.Chain || t.kind[c] === Kind.Imported || t.kind[c] === Kind.Run;
      if (shut || visible + grow > budgetUnits) continue;
      expanded[c] = 1;
      visible += grow;
      queue.push(c);
    }
  }
  return expanded;
}
