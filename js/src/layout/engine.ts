// The layout service behind the worker (or the main thread when no worker can start):
// keeps the group tree and per-level layouts of the last few structures (data/structures.ts),
// answers layout requests.

import { StructureCache } from "../data/structures";
import { Composer, defaultExpanded, type ViewLayout, type ViewOptions } from "./compose";
import { buildGroups, type GraphInput, type GroupOptions } from "./groups";
import { type GroupTree, pagesShowing } from "./groupTree";
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
  pages?: Record<string, number>; // group key -> the page (call, instance) it shows; default 0
  reveal?: number; // a node to show as its own box: its groups opened, their pages turned to it
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
  graph: GraphInput;
  tree: GroupTree | null;
  treeId: number;
  composer: Composer | null;
  groupsKey: string;
  last: { treeId: number; open: Uint8Array; pages: Int32Array; showOps: boolean; layout: ViewLayout } | null;
}

export class LayoutEngine {
  private cur: Kept | null = null; // the graph layout requests are about
  private version = -1;
  private nextTreeId = 1;
  private sentTreeId = -1;
  private kept = new StructureCache<Kept>();

  setGraph(msg: GraphMessage): void {
    // training loops build the same graph every step: keep the tree and every cached
    // level layout when the structure did not change, so switching steps costs no layout
    // (LayoutClient mirrors this bookkeeping to know which keys need no graph arrays)
    const graph = msg.graph;
    let k = this.kept.use(msg.key, graph ? (v) => sameStructure(v.graph, graph) : undefined);
    if (!k) {
      if (!graph) {
        this.cur = null; // layout requests for this version fail and say so
        this.version = -1;
        return;
      }
      k = { graph, tree: null, treeId: 0, composer: null, groupsKey: "", last: null };
      this.kept.add(msg.key, k);
    }
    if (graph) k.graph = graph;
    this.cur = k;
    this.version = msg.version;
  }

  layout(req: LayoutRequest): LayoutResult | LayoutFailure {
    const t0 = performance.now();
    const k = this.cur;
    if (!k || req.version !== this.version) {
      return { type: "error", id: req.id, message: `layout asked for graph ${req.version}, have ${this.version}` };
    }
    const g = k.graph;
    const groupsKey = JSON.stringify(req.groups);
    if (!k.tree || !k.composer || groupsKey !== k.groupsKey) {
      k.tree = buildGroups(g, req.groups);
      k.composer = new Composer(k.tree, levelEdges(k.tree, g), req.view);
      k.last = null;
      k.groupsKey = groupsKey;
      k.treeId = this.nextTreeId++;
    }
    const { tree, composer, treeId } = k;
    let open: Uint8Array;
    if (req.expanded === null) open = defaultExpanded(tree);
    else {
      open = new Uint8Array(tree.numGroups);
      const want = new Set(req.expanded);
      for (let gid = 0; gid < tree.numGroups; gid++) open[gid] = want.has(tree.key[gid]) ? 1 : 0;
      open[0] = 1;
    }
    const pages = new Int32Array(tree.numGroups);
    for (let gid = 0; gid < tree.numGroups; gid++) if (tree.pages[gid]) pages[gid] = req.pages?.[tree.key[gid]] ?? 0;
    const reveal = req.reveal ?? -1;
    if (reveal >= 0 && reveal < tree.numNodes) {
      for (let gid = tree.nodeGroup[reveal]; gid > 0; gid = tree.parent[gid]) open[gid] = 1;
      for (const [gid, page] of pagesShowing(tree, reveal)) pages[gid] = page;
    }
    // the next training step, same structure, same view: the same picture (a copy: the last was sent away)
    const l = k.last;
    let layout: ViewLayout;
    const same = l && l.treeId === treeId && l.showOps === req.view.showOps && sameInts(l.open, open);
    if (l && same && sameInts(l.pages, pages)) {
      layout = copyLayout(l.layout);
    } else {
      composer.setView(open, req.view, pages);
      layout = composer.compose();
      k.last = { treeId, open, pages, showOps: req.view.showOps, layout: copyLayout(layout) };
    }
    const expanded: string[] = [];
    for (let gid = 0; gid < tree.numGroups; gid++) if (open[gid]) expanded.push(tree.key[gid]);
    const fresh = this.sentTreeId !== treeId;
    this.sentTreeId = treeId;
    return {
      type: "layout",
      id: req.id,
      version: req.version,
      treeId,
      tree: fresh ? tree : null,
      layout,
      expanded,
      ms: performance.now() - t0,
    };
  }
}

function sameStructure(a: GraphInput, b: GraphInput): boolean {
  return (
    a.nCreated === b.nCreated &&
    a.ops.length === b.ops.length &&
    sameInts(a.op, b.op) &&
    a.scopes.length === b.scopes.length &&
    a.labels.length === b.labels.length &&
    sameInts(a.scope, b.scope) &&
    sameInts(a.label, b.label) &&
    sameInts(a.childPtr, b.childPtr) &&
    sameInts(a.child, b.child)
  );
}

function copyLayout(l: ViewLayout): ViewLayout {
  const out = { ...l } as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(l)) if (ArrayBuffer.isView(v)) out[k] = (v as Int32Array).slice();
  return out as unknown as ViewLayout;
}

type Ints = Uint32Array | Int32Array | Uint16Array | Uint8Array;

function sameInts(a: Ints, b: Ints): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Buffers worth transferring rather than copying back to the main thread. */
export function transferables(r: LayoutResult): ArrayBuffer[] {
  return Object.values(r.layout)
    .filter((v) => ArrayBuffer.isView(v))
    .map((v) => (v as Int32Array).buffer as ArrayBuffer);
}
