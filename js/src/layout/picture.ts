// The picture the renderer draws: every visible box with absolute coordinates (frames
// before their contents), the routes of the edge bundles inside each open frame, which
// box shows each node, and the stubs of auxiliary leaves beside their far consumers.
// Pure: flattens a Composer's level layouts.

import { SIZE } from "./boxSizes";
import type { LevelLayout } from "./compose";
import type { GroupTree } from "./groupTree";
import type { LevelEdges } from "./levelEdges";
import { PairMap } from "./pairMap";

export interface ViewLayout {
  unit: Int32Array; // node id, or numNodes + group id
  open: Uint8Array; // 1 for an open group's frame (drawn under its contents)
  x: Float32Array;
  y: Float32Array;
  w: Float32Array;
  h: Float32Array;
  parentSlot: Int32Array; // the open frame a box sits in, -1 at the top
  page: Int32Array; // per box: the page a paged group shows, -1 when not paged
  slotOfNode: Int32Array; // node -> the box that shows it (for a hidden node: its paged frame)
  hiddenNode: Uint8Array; // node -> 1 when on a page not shown
  // edge bundles: box -> box, data flowing child -> consumer; a frame's own box at one end
  // means the bundle comes in through its left side (src) or leaves through its right (dst)
  edgeSrc: Int32Array;
  edgeDst: Int32Array;
  edgeCount: Int32Array; // graph edges in the bundle
  edgePtr: Int32Array; // bundle e's route: edgeX/Y[edgePtr[e] .. edgePtr[e+1]]
  edgeX: Float32Array;
  edgeY: Float32Array;
  stubNode: Int32Array; // auxiliary leaf drawn as a stub ...
  stubSlot: Int32Array; // ... beside this box ...
  stubCount: Int32Array; // ... for this many of its edges
  width: number;
  height: number;
}

/** What flattening needs of a Composer. */
export interface Levels {
  tree: GroupTree;
  edges: LevelEdges;
  open: Uint8Array;
  level(gid: number): LevelLayout;
  pageOf(gid: number): number;
}

export function flatten(c: Levels): ViewLayout {
  const t = c.tree;
  const n = t.numNodes;
  const unit: number[] = [];
  const open: number[] = [];
  const parentSlot: number[] = [];
  const page: number[] = [];
  const xs: number[] = [];
  const ys: number[] = [];
  const ws: number[] = [];
  const hs: number[] = [];
  const src: number[] = [];
  const dst: number[] = [];
  const cnt: number[] = [];
  const ptr: number[] = [0];
  const ex: number[] = [];
  const ey: number[] = [];
  const slotOfGroup = new Int32Array(t.numGroups).fill(-1);
  const root = c.level(0);
  const visit = (lv: LevelLayout, ox: number, oy: number, frame: number) => {
    const slots: number[] = [];
    for (let i = 0; i < lv.units.length; i++) {
      const u = lv.units[i];
      const gid = u - n;
      const isOpen = u >= n && c.open[gid] === 1;
      const slot = unit.length;
      slots.push(slot);
      if (u >= n) slotOfGroup[gid] = slot;
      unit.push(u);
      open.push(isOpen ? 1 : 0);
      parentSlot.push(frame);
      page.push(u >= n && t.pages[gid] ? c.pageOf(gid) : -1);
      xs.push(ox + lv.x[i]);
      ys.push(oy + lv.y[i]);
      ws.push(lv.w[i]);
      hs.push(lv.h[i]);
      if (isOpen) visit(c.level(gid), ox + lv.x[i] + SIZE.padPx, oy + lv.y[i] + SIZE.headerPx + SIZE.padPx, slot);
    }
    for (let r = 0; r < lv.from.length; r++) {
      src.push(lv.from[r] >= 0 ? slots[lv.from[r]] : frame);
      dst.push(lv.to[r] >= 0 ? slots[lv.to[r]] : frame);
      cnt.push(lv.count[r]);
      for (let k = lv.routePtr[r]; k < lv.routePtr[r + 1]; k++) {
        ex.push(ox + lv.routeX[k]);
        ey.push(oy + lv.routeY[k]);
      }
      ptr.push(ex.length);
    }
  };
  visit(root, 0, 0, -1);

  // which box shows each node: its own, else the first visible group around it; a node
  // whose first visible group is open sits on a page that group does not show
  const slotOfNode = new Int32Array(n).fill(-1);
  const hiddenNode = new Uint8Array(n);
  for (let i = 0; i < unit.length; i++) if (unit[i] < n) slotOfNode[unit[i]] = i;
  const showSlot = new Int32Array(t.numGroups).fill(-2); // per group, memo; -2 = not known yet
  const showHidden = new Uint8Array(t.numGroups);
  const resolve = (gid: number): void => {
    if (showSlot[gid] !== -2) return;
    const s = slotOfGroup[gid];
    if (s >= 0) {
      showSlot[gid] = s;
      showHidden[gid] = c.open[gid];
    } else if (gid > 0) {
      resolve(t.parent[gid]);
      showSlot[gid] = showSlot[t.parent[gid]];
      showHidden[gid] = showHidden[t.parent[gid]];
    } else showSlot[gid] = -1;
  };
  for (let i = 0; i < n; i++) {
    if (slotOfNode[i] >= 0) continue;
    const gid = t.nodeGroup[i];
    resolve(gid);
    slotOfNode[i] = showSlot[gid];
    hiddenNode[i] = showHidden[gid] || showSlot[gid] < 0 ? 1 : 0;
  }

  // stubs: one per (auxiliary leaf, consumer box), counting its edges there
  const e = c.edges;
  const pairs = new PairMap(256);
  const stubNode: number[] = [];
  const stubSlot: number[] = [];
  const stubCount: number[] = [];
  for (let k = 0; k < e.stubNode.length; k++) {
    const a = e.stubNode[k];
    const p = e.stubConsumer[k];
    const sp = slotOfNode[p];
    if (hiddenNode[p] || sp < 0 || sp === slotOfNode[a]) continue;
    const at = pairs.index(a, sp);
    if (at === stubNode.length) {
      stubNode.push(a);
      stubSlot.push(sp);
      stubCount.push(0);
    }
    stubCount[at]++;
  }
  return {
    unit: Int32Array.from(unit),
    open: Uint8Array.from(open),
    x: Float32Array.from(xs),
    y: Float32Array.from(ys),
    w: Float32Array.from(ws),
    h: Float32Array.from(hs),
    parentSlot: Int32Array.from(parentSlot),
    page: Int32Array.from(page),
    slotOfNode,
    hiddenNode,
    edgeSrc: Int32Array.from(src),
    edgeDst: Int32Array.from(dst),
    edgeCount: Int32Array.from(cnt),
    edgePtr: Int32Array.from(ptr),
    edgeX: Float32Array.from(ex),
    edgeY: Float32Array.from(ey),
    stubNode: Int32Array.from(stubNode),
    stubSlot: Int32Array.from(stubSlot),
    stubCount: Int32Array.from(stubCount),
    width: root.width,
    height: root.height,
  };
}
