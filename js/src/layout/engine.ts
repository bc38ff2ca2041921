// The layout service behind the worker (or the main thread when no worker can start):
// keeps the current step's group tree and per-level layouts, answers layout requests.

import { Composer, defaultExpanded, type ViewLayout, type ViewOptions } from "./compose";
import { buildGroups, type GraphInput, type GroupOptions, type GroupTree } from "./groups";
import { levelEdges } from "./levelEdges";

export interface GraphMessage {
  type: "graph";
  version: number; // the client's counter: a layout request names the graph it is about
  key: string | null; // the kernel's structure digest, null when unknown (offline pages)
  graph: GraphInput | null; // null: the structure `key` names, which this engine keeps
}

export interface LayoutRequest {
  type: "layout";
  id: number;
  version: number;
  groups: GroupOptions;
  view: ViewOptions;
  expanded: string[] | null; // keys of open groups; null = the default for this graph
}

export interface LayoutResult {
  type: "layout";
  id: number;
  version: number;
  treeId: number; // changes when the group tree was rebuilt
  tree: GroupTree | null; // sent only when treeId changed since the last result
  layout: ViewLayout;
  expanded: string[]; // the keys in force
  ms: number;
}

export interface LayoutFailure {
  type: "error";
  id: number;
  message: string;
}

// one graph structure seen lately, with its group tree, level layouts and last picture
interface Kept {
  key: string | null;
  graph: GraphInput;
  tree: GroupTree | null;
  treeId: number;
  composer: Composer | null;
  groupsKey: string;
  last: { treeId: number; open: Uint8Array; showOps: boolean; layout: ViewLayout } | null;
}

export const KEEP_STRUCTURES = 3; // a trace's first step often differs from the rest: keep both

export class LayoutEngine {
  private graph: GraphInput | null = null;
  private version = -1;
  private tree: GroupTree | null = null;
  private treeId = 0;
  private nextTreeId = 1;
  private sentTreeId = -1;
  private composer: Composer | null = null;
  private groupsKey = "";
  private last: { treeId: number; open: Uint8Array; showOps: boolean; layout: ViewLayout } | null = null;
  private kept: Kept[] = []; // most recent first; kept[0] mirrors the fields above

  setGraph(msg: GraphMessage): void {
    // training loops build the same graph every step: keep the tree and every cached
    // level layout when the structure did not change, so switching steps costs no layout
    // (LayoutClient mirrors this bookkeeping to know which keys need no graph arrays)
    this.save();
    const graph = msg.graph;
    let at = msg.key === null ? -1 : this.kept.findIndex((k) => k.key === msg.key);
    if (at < 0 && graph) at = this.kept.findIndex((k) => sameStructure(k.graph, graph));
    if (at < 0) {
      if (!graph) {
        this.graph = null; // layout requests for this version fail and say so
        this.version = -1;
        return;
      }
      this.kept.unshift({ key: msg.key, graph, tree: null, treeId: 0, composer: null, groupsKey: "", last: null });
      this.kept.length = Math.min(this.kept.length, KEEP_STRUCTURES);
      at = 0;
    }
    const [k] = this.kept.splice(at, 1);
    this.kept.unshift(k);
    if (graph) k.graph = graph;
    if (msg.key !== null) k.key = msg.key;
    this.graph = k.graph;
    this.tree = k.tree;
    this.treeId = k.treeId;
    this.composer = k.composer;
    this.groupsKey = k.groupsKey;
    this.last = k.last;
    this.version = msg.version;
  }

  private save(): void {
    const k = this.kept[0];
    if (!k) return;
    k.tree = this.tree;
    k.treeId = this.treeId;
    k.composer = this.composer;
    k.groupsKey = this.groupsKey;
    k.last = this.last;
  }

  layout(req: LayoutRequest): LayoutResult | LayoutFailure {
    const t0 = performance.now();
    const g = this.graph;
    if (!g || req.version !== this.version) {
      return { type: "error", id: req.id, message: `layout asked for graph ${req.version}, have ${this.version}` };
    }
    const groupsKey = JSON.stringify(req.groups);
    if (!this.tree || !this.composer || groupsKey !== this.groupsKey) {
      this.tree = buildGroups(g, req.groups);
      this.composer = new Composer(this.tree, levelEdges(this.tree, g), req.view);
      this.groupsKey = groupsKey;
      this.treeId = this.nextTreeId++;
    }
    const tree = this.tree;
    let open: Uint8Array;
    if (req.expanded === null) open = defaultExpanded(tree);
    else {
      open = new Uint8Array(tree.numGroups);
      const want = new Set(req.expanded);
      for (let gid = 0; gid < tree.numGroups; gid++) open[gid] = want.has(tree.key[gid]) ? 1 : 0;
      open[0] = 1;
    }
    // the next training step, same structure, same view: the same picture (a copy: the last was sent away)
    const l = this.last;
    let layout: ViewLayout;
    if (l && l.treeId === this.treeId && l.showOps === req.view.showOps && sameInts(l.open, open))
      layout = copyLayout(l.layout);
    else {
      this.composer.setView(open, req.view);
      layout = this.composer.compose(g.childPtr, g.child);
      this.last = { treeId: this.treeId, open, showOps: req.view.showOps, layout: copyLayout(layout) };
    }
    const expanded: string[] = [];
    for (let gid = 0; gid < tree.numGroups; gid++) if (open[gid]) expanded.push(tree.key[gid]);
    const fresh = this.sentTreeId !== this.treeId;
    this.sentTreeId = this.treeId;
    return {
      type: "layout",
      id: req.id,
      version: req.version,
      treeId: this.treeId,
      tree: fresh ? tree : null,
      layout,
      expanded,
      ms: performance.now() - t0,
    };
  }

  /** The client lost track of what was sent (a restarted worker): send the tree again. */
  forgetSent(): void {
    this.sentTreeId = -1;
  }
}

function sameStructure(a: GraphInput, b: GraphInput): boolean {
  return (
    a.nCreated === b.nCreated &&
    a.scopes.length === b.scopes.length &&
    a.labels.length === b.labels.length &&
    sameInts(a.scope, b.scope) &&
    sameInts(a.label, b.label) &&
    sameInts(a.childPtr, b.childPtr) &&
    sameInts(a.child, b.child)
  );
}

function copyLayout(l: ViewLayout): ViewLayout {
  return {
    ...l,
    unit: l.unit.slice(),
    open: l.open.slice(),
    x: l.x.slice(),
    y: l.y.slice(),
    w: l.w.slice(),
    h: l.h.slice(),
    slotOfNode: l.slotOfNode.slice(),
    edgeSrc: l.edgeSrc.slice(),
    edgeDst: l.edgeDst.slice(),
    edgeCount: l.edgeCount.slice(),
  };
}

function sameInts(a: Uint32Array | Int32Array | Uint8Array, b: Uint32Array | Int32Array | Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Buffers worth transferring rather than copying back to the main thread. */
export function transferables(r: LayoutResult): ArrayBuffer[] {
  const l = r.layout;
  return [l.unit, l.open, l.x, l.y, l.w, l.h, l.slotOfNode, l.edgeSrc, l.edgeDst, l.edgeCount].map(
    (a) => a.buffer as ArrayBuffer,
  );
}
