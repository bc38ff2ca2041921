// The view's own actions: open and close groups, search and reveal a node, fit, view
// toggles, layout requests; and where the camera goes when a new layout arrives (kept
// still, fitted, or centred on a node that was asked for).

import type { LayoutAnswer, LayoutClient } from "../layout/client";
import type { ViewLayout } from "../layout/compose";
import { type GroupTree, pagesShowing } from "../layout/groupTree";
import type { Actions, Store } from "../state";
import {
  type Box,
  type Camera,
  fitBox,
  fitCamera,
  type Picture,
  pinAt,
  showBox,
  toScreen,
  type ViewSize,
  zoomAt,
} from "../view/camera";

type ViewActionNames =
  | "toggleGroup"
  | "setExpanded"
  | "expandAll"
  | "search"
  | "fit"
  | "setOptions"
  | "reveal"
  | "revealGroup"
  | "zoomBy"
  | "turnPage";

const pictureOf = (l: ViewLayout): Picture => ({ width: l.width, height: l.height, numNodes: l.slotOfNode.length });
const boxAt = (l: ViewLayout, i: number): Box => ({ x: l.x[i], y: l.y[i], w: l.w[i], h: l.h[i] });

export class ViewActions implements Pick<Actions, ViewActionNames> {
  // a group box being opened or closed, and where it was on screen: the next layout keeps it there
  private anchor: { unit: number; sx: number; sy: number } | null = null;
  private focusGroup = -1; // centre this group's box once a layout shows it
  private fitted: Camera | null = null; // the camera of the last fit: a resize fits again
  private size: ViewSize | null = null; // the graph's size when last drawn

  constructor(
    private readonly store: Store,
    private readonly layout: LayoutClient,
    private readonly viewSize: () => ViewSize,
    private readonly select: (node: number) => void,
    private readonly selectGroup: (group: number) => void,
  ) {}

  requestLayout(): void {
    const s = this.store.state;
    if (!s.view) return;
    // a node to reveal (a pause) is opened in this same layout: no second round to the worker
    this.layout.request({ bySample: s.bySample }, { showOps: s.showOps }, s.expanded, s.pages, s.revealNode);
  }

  toggleGroup(group: number): void {
    const s = this.store.state;
    const t = s.tree;
    const l = s.layout;
    if (!t || !l || group <= 0) return;
    const key = t.key[group];
    const keys = new Set(s.expanded ?? []);
    if (keys.has(key)) keys.delete(key);
    else keys.add(key);
    const i = l.unit.indexOf(t.numNodes + group);
    if (i >= 0) {
      const at = toScreen(s.camera, l.x[i], l.y[i]);
      this.anchor = { unit: t.numNodes + group, sx: at.x, sy: at.y };
    }
    this.store.update({ expanded: [...keys], loading: "laying out…" });
    this.requestLayout();
  }

  /** Show call / instance `page` of a repeated group, keeping its frame where it is on screen. */
  turnPage(group: number, page: number): void {
    const s = this.store.state;
    const t = s.tree;
    const l = s.layout;
    if (!t || !l || !t.pages[group]) return;
    const p = Math.max(0, Math.min(t.pages[group] - 1, page));
    const i = l.unit.indexOf(t.numNodes + group);
    if (i >= 0) {
      const at = toScreen(s.camera, l.x[i], l.y[i]);
      this.anchor = { unit: t.numNodes + group, sx: at.x, sy: at.y };
    }
    this.store.update({ pages: { ...s.pages, [t.key[group]]: p }, loading: "laying out…" });
    this.requestLayout();
  }

  setExpanded(keys: string[] | null): void {
    this.store.update({ expanded: keys });
    this.requestLayout();
  }

  expandAll(open: boolean): void {
    const t = this.store.state.tree;
    if (!t) return;
    this.store.update({ expanded: open ? [...t.key] : null, fitPending: true, loading: "laying out…" });
    this.requestLayout();
  }

  search(query: string, dir: 1 | -1): void {
    const s = this.store.state;
    const v = s.view;
    if (!v || !s.meta) return;
    let { matches, matchIndex } = s;
    if (query !== s.search) {
      const q = query.trim().toLowerCase();
      const ids = new Set<number>();
      if (q) {
        s.meta.strings.labels.forEach((l, i) => {
          if (i && l.toLowerCase().includes(q)) ids.add(i);
        });
      }
      matches = [];
      if (ids.size) for (let i = 0; i < v.numNodes; i++) if (ids.has(v.g.label[i])) matches.push(i);
      matchIndex = -1;
    }
    if (matches.length) matchIndex = (matchIndex + dir + matches.length) % matches.length;
    this.store.update({ search: query, matches, matchIndex });
    if (matches.length) this.reveal(matches[matchIndex]);
  }

  fit(): void {
    const l = this.store.state.layout;
    if (l) this.setCamera(fitCamera(pictureOf(l), this.viewSize()), true);
  }

  private setCamera(camera: Camera, fitted = false): void {
    this.fitted = fitted ? camera : null;
    this.store.update({ camera });
  }

  zoomBy(factor: number): void {
    const { widthPx, heightPx } = this.viewSize();
    this.store.update({ camera: zoomAt(this.store.state.camera, widthPx / 2, heightPx / 2, factor) });
  }

  /** The graph's box changed size: a fitted picture is fitted again, any other view keeps
   * the world point at its centre where it was (a revealed node stays centred). */
  resized(): void {
    const size = this.viewSize();
    const before = this.size;
    this.size = size;
    const s = this.store.state;
    const l = s.layout;
    if (!before || !l || size.widthPx <= 0 || size.heightPx <= 0) return;
    if (before.widthPx === size.widthPx && before.heightPx === size.heightPx) return;
    if (this.fitted && this.fitted === s.camera) return this.setCamera(fitCamera(pictureOf(l), size), true);
    const c = s.camera;
    const mid = { x: c.x + before.widthPx / 2 / c.scale, y: c.y + before.heightPx / 2 / c.scale };
    this.store.update({ camera: pinAt(c, mid.x, mid.y, size.widthPx / 2, size.heightPx / 2) });
  }

  setOptions(patch: Parameters<Actions["setOptions"]>[0]): void {
    const s = this.store.state;
    const regroup = patch.bySample !== undefined && patch.bySample !== s.bySample;
    const relayout = (patch.showOps !== undefined && patch.showOps !== s.showOps) || regroup;
    if (regroup) Object.assign(patch, { expanded: null, fitPending: true });
    if (relayout) Object.assign(patch, { loading: "laying out…" });
    this.store.update(patch);
    if (relayout) this.requestLayout();
  }

  /** Select `node` and make it visible: open the groups around it, then centre it. */
  reveal(node: number): void {
    this.select(node);
    const s = this.store.state;
    const t = s.tree;
    const l = s.layout;
    if (!t || !l || node < 0 || node >= t.numNodes) return;
    if (l.unit[l.slotOfNode[node]] === node) {
      // on screen, perhaps on a page the layout turned to for it: keep that page
      const pages = pageKeys(t, node);
      if (Object.entries(pages).some(([key, p]) => s.pages[key] !== p))
        this.store.update({ pages: { ...s.pages, ...pages } });
      const camera = showBox(pictureOf(l), boxAt(l, l.slotOfNode[node]), s.camera, this.viewSize());
      return this.setCamera(camera);
    }
    // the worker opens its groups and turns their pages (the request's `reveal`); once
    // laid out, revealPending comes back here with the node on screen
    this.store.update({ revealNode: node, focusNode: node, loading: "laying out…" });
    this.requestLayout();
  }

  /** Where the camera goes to show group box i: an open frame whole (zoomed out if need
   * be), a closed card as a node is shown. */
  private groupCamera(l: ViewLayout, i: number): Camera {
    const s = this.store.state;
    const size = this.viewSize();
    const box = boxAt(l, i);
    const big = box.w * s.camera.scale > size.widthPx || box.h * s.camera.scale > size.heightPx;
    return l.open[i] || big ? fitBox(box, size) : showBox(pictureOf(l), box, s.camera, size);
  }

  /** The node a pause (or a hit in another step) asked to reveal, once its step is laid out. */
  revealPending(): void {
    const s = this.store.state;
    const node = s.revealNode;
    if (node < 0 || !s.view || !s.layout || !s.tree || s.tree.numNodes !== s.view.numNodes) return;
    this.store.update({ revealNode: -1 });
    if (node < s.view.numNodes) this.reveal(node);
  }

  /** Select `group` and show its box: open the groups around it, then centre it. */
  revealGroup(group: number): void {
    const s = this.store.state;
    const t = s.tree;
    const l = s.layout;
    if (!t || !l || group <= 0 || group >= t.numGroups) return;
    this.selectGroup(group);
    const i = l.unit.indexOf(t.numNodes + group);
    if (i >= 0) return this.setCamera(this.groupCamera(l, i));
    const keys = new Set(s.expanded ?? []);
    for (let g = t.parent[group]; g > 0; g = t.parent[g]) keys.add(t.key[g]);
    this.focusGroup = group;
    this.store.update({ expanded: [...keys], loading: "laying out…" });
    this.requestLayout();
  }

  onLayout(ans: LayoutAnswer): void {
    const s = this.store.state;
    const l = ans.result.layout;
    const size = this.viewSize();
    let camera = s.camera;
    const focus =
      s.focusNode >= 0 && l.unit[l.slotOfNode[s.focusNode]] === s.focusNode ? l.slotOfNode[s.focusNode] : -1;
    const group = this.focusGroup >= 0 ? l.unit.indexOf(ans.tree.numNodes + this.focusGroup) : -1;
    let fitted = false;
    if (focus >= 0) camera = showBox(pictureOf(l), boxAt(l, focus), camera, size);
    else if (group >= 0) camera = this.groupCamera(l, group);
    else if (s.fitPending) {
      camera = fitCamera(pictureOf(l), size);
      fitted = true;
    } else if (this.anchor) {
      const i = l.unit.indexOf(this.anchor.unit);
      if (i >= 0) camera = pinAt(camera, l.x[i], l.y[i], this.anchor.sx, this.anchor.sy);
    }
    this.anchor = null;
    this.focusGroup = -1;
    this.fitted = fitted ? camera : null;
    this.store.update({
      tree: ans.tree,
      layout: l,
      expanded: ans.result.expanded,
      camera,
      fitPending: false,
      focusNode: focus >= 0 ? -1 : s.focusNode,
      loading: "",
      hover: -1,
    });
    this.revealPending();
  }
}

/** The pages showing `node`, in the form of State.pages (group key -> page). */
function pageKeys(t: GroupTree, node: number): Record<string, number> {
  return Object.fromEntries([...pagesShowing(t, node)].map(([g, p]) => [t.key[g], p]));
}
