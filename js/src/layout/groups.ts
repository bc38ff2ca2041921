// Grouping a step's graph: scopes cut into call instances, parameters placed in the module
// that owns them, folded chains, long runs of loose nodes, bundles of repeated instances,
// and the imported values no module owns. Pure. The tree it builds, and what a unit is,
// are groupTree.ts's; ownership is owners.ts's, chains chains.ts's.
//
// With `bySample`, a group is one *call instance*: a maximal run of consecutive nodes
// under the same scope prefix (trace-format.md), so every group holds an interval of
// creation ids and edges between sibling groups always point forward in creation order:
// the layout needs no cycle breaking.

import { fmtInt } from "../view/format";
import { CHAIN_PAGE, consumerCounts, findChains } from "./chains";
import { boxRuns, bundleInstances, hoistLeaves, type Lists, pagesOf } from "./groupRuns";
import { type GroupTree, Kind, treeOf } from "./groupTree";
import { labelTokens, ownerScopes } from "./owners";

export interface GraphInput {
  nCreated: number;
  op: Uint32Array; // per node, index into `ops`
  scope: Uint32Array; // per node, index into `scopes`
  label: Uint32Array; // per node, index into `labels`
  childPtr: Int32Array;
  child: Int32Array;
  ops: string[];
  scopes: string[];
  labels: string[];
}

export interface GroupOptions {
  bySample: boolean; // one group per call instance (else one per scope path)
}

const CALLS_MIN = 4; // a merged scope entered this many times shows its calls as pages
// a leaf read by this many ops is drawn as stubs beside its far consumers: a parameter
// (read once per sample) from AUX_PARAM on, any other leaf (a shared constant) from AUX_ANY
const AUX_PARAM = 8;
const AUX_ANY = 32;

export function buildGroups(g: GraphInput, opts: GroupOptions): GroupTree {
  const n = g.scope.length;
  const parent: number[] = [-1];
  const kind: Kind[] = [Kind.Root];
  const name: string[] = [""];
  const path: string[] = [""];
  const kids: number[][] = [[]];
  const nodeGroup = new Int32Array(n);
  const newGroup = (p: number, k: Kind, nm: string, pth: string): number => {
    parent.push(p);
    kind.push(k);
    name.push(nm);
    path.push(pth);
    kids.push([]);
    return parent.length - 1;
  };
  const isLeaf = (i: number) => g.childPtr[i + 1] === g.childPtr[i];
  const uses = consumerCounts(g.childPtr, g.child, n);

  // 0. parameters: leaves whose label names a module that ran in this step (owners.ts)
  const labelOwner = ownerScopes(g.labels, g.scopes);
  const scopeRan = new Uint8Array(g.scopes.length);
  for (let i = 0; i < g.nCreated; i++) scopeRan[g.scope[i]] = 1;
  const ownerOf = new Int32Array(n).fill(-1); // node -> owner scope
  const owned = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const s = labelOwner[g.label[i]] ?? -1;
    if (s >= 0 && scopeRan[s] && isLeaf(i)) {
      ownerOf[i] = s;
      owned[i] = 1;
    }
  }

  // 1. imported nodes no module owns under one box, nested by their dotted labels
  let imp = -1;
  const prefixes = new Map<string, number>();
  for (let i = g.nCreated; i < n; i++) {
    if (owned[i]) continue;
    if (imp < 0) {
      imp = newGroup(0, Kind.Imported, "imported", "values from before this step");
      kids[0].push(n + imp);
    }
    const tokens = labelTokens(g.labels[g.label[i]] ?? "");
    let at = imp;
    let sofar = "";
    for (let d = 0; d < tokens.length - 1; d++) {
      sofar = sofar ? `${sofar}.${tokens[d]}` : tokens[d];
      let gid = prefixes.get(sofar);
      if (gid === undefined) {
        gid = newGroup(at, Kind.Prefix, tokens[d], sofar);
        prefixes.set(sofar, gid);
        kids[at].push(n + gid);
      }
      at = gid;
    }
    nodeGroup[i] = at;
    kids[at].push(i);
  }

  // 2. built nodes: walk in creation order with a stack of open scope groups
  const prefixId = new Map<string, number>();
  const scopePrefixes: Int32Array[] = g.scopes.map((s) => {
    if (!s) return new Int32Array(0);
    const parts = s.split("/");
    return Int32Array.from(parts, (_, d) => {
      const p = parts.slice(0, d + 1).join("/");
      let id = prefixId.get(p);
      if (id === undefined) {
        id = prefixId.size;
        prefixId.set(p, id);
      }
      return id;
    });
  });
  const prefixNames = Array.from(prefixId.keys());
  const merged = new Map<number, number>(); // prefix id -> group, when not by sample
  const firstInstance = new Map<number, number>(); // prefix id -> its first group
  const stack = [0];
  const stackPrefix: number[] = [];
  const stackSeen: Set<number>[] = [new Set()]; // child scopes each open group has had
  // merged: how often the walk entered each group, and in which entry each node came
  const entries: number[] = [];
  const nodeEntry = new Int32Array(n);
  const noPrefix = new Int32Array(0);
  let lastScope = -1;
  for (let i = 0; i < g.nCreated; i++) {
    if (owned[i]) continue; // placed in its module below
    // the same scope as the node before (most nodes): the stack already ends at its group
    if (g.scope[i] === lastScope) {
      const top = stack[stack.length - 1];
      nodeGroup[i] = top;
      nodeEntry[i] = (entries[top] ?? 1) - 1;
      kids[top].push(i);
      continue;
    }
    lastScope = g.scope[i];
    const pre = scopePrefixes[g.scope[i]] ?? noPrefix;
    let d = 0;
    while (d < stackPrefix.length && d < pre.length && stackPrefix[d] === pre[d]) d++;
    // A scope calling the same child twice has started over: a new call of the model
    // (the next sample), so a new instance of it; `MLP` after layers.0,1,2 meets layers.0.
    if (opts.bySample && d > 0 && d < pre.length && stackSeen[d].has(pre[d])) d--;
    if (stack.length > d + 1) stack.length = d + 1;
    if (stackPrefix.length > d) stackPrefix.length = d;
    if (stackSeen.length > d + 1) stackSeen.length = d + 1;
    for (; d < pre.length; d++) {
      const full = prefixNames[pre[d]];
      const top = stack[stack.length - 1];
      let gid = opts.bySample ? undefined : merged.get(pre[d]);
      if (gid === undefined) {
        gid = newGroup(top, Kind.Scope, full.slice(full.lastIndexOf("/") + 1), full);
        kids[top].push(n + gid);
        if (!opts.bySample) merged.set(pre[d], gid);
        if (!firstInstance.has(pre[d])) firstInstance.set(pre[d], gid);
      }
      stackSeen[d].add(pre[d]);
      entries[gid] = (entries[gid] ?? 0) + 1;
      stack.push(gid);
      stackPrefix.push(pre[d]);
      stackSeen.push(new Set());
    }
    const top = stack[stack.length - 1];
    nodeGroup[i] = top;
    nodeEntry[i] = (entries[top] ?? 1) - 1;
    kids[top].push(i);
  }

  // 2b. merged: a scope entered many times (once per sample) holding only nodes gets one
  // box per call inside it: the samples stay a dimension one can page through
  const pagedCalls = new Set<number>();
  if (!opts.bySample) {
    const numMerged = parent.length;
    for (let gid = 1; gid < numMerged; gid++) {
      const list = kids[gid];
      if (kind[gid] !== Kind.Scope || (entries[gid] ?? 0) < CALLS_MIN || list.some((u) => u >= n)) continue;
      const out: number[] = [];
      let call = -1;
      let last = -1;
      for (const u of list) {
        if (nodeEntry[u] !== last) {
          last = nodeEntry[u];
          call = newGroup(gid, Kind.Call, `call ${out.length}`, `${path[gid]} · call ${out.length}`);
          out.push(n + call);
        }
        nodeGroup[u] = call;
        kids[call].push(u);
      }
      kids[gid] = out;
      name[gid] += ` ×${out.length}`;
      pagedCalls.add(gid);
    }
  }

  // 2c. parameters into their module: the merged group, or by sample the first instance,
  // ahead of the module's calls and ops
  const params = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    if (!owned[i]) continue;
    const pre = scopePrefixes[ownerOf[i]];
    const gid = (opts.bySample ? firstInstance : merged).get(pre[pre.length - 1])!;
    nodeGroup[i] = gid;
    if (!params.has(gid)) params.set(gid, []);
    params.get(gid)!.push(i);
  }
  for (const [gid, list] of params) kids[gid] = [...list, ...kids[gid]];

  // 2d. auxiliary leaves: drawn as stubs where they are read far from their group
  const aux = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (isLeaf(i) && (uses[i] >= AUX_ANY || (uses[i] >= AUX_PARAM && (owned[i] || i >= g.nCreated)))) aux[i] = 1;
  }

  // 2e. long chains of one op folded into one box each
  const skip = new Uint8Array(n);
  for (let i = 0; i < n; i++) skip[i] = owned[i] | aux[i];
  const chains = findChains(g, nodeGroup, uses, skip);
  let chainGroups: number[] = [];
  if (chains.members.length) {
    chainGroups = chains.members.map((list, k) => {
      const opName = g.ops[chains.op[k]] || "?";
      const p = nodeGroup[list[0]];
      return newGroup(p, Kind.Chain, `×${fmtInt(chains.links[k])} ${opName}`, path[p] || "(top level)");
    });
    const touched = new Set<number>();
    chains.members.forEach((list, k) => {
      touched.add(nodeGroup[list[0]]);
      kids[chainGroups[k]] = list;
    });
    for (const gid of touched) {
      const out: number[] = [];
      for (const u of kids[gid]) {
        const k = u < n ? chains.chainOf[u] : -1;
        if (k < 0) out.push(u);
        else if (u === chains.members[k][0]) out.push(n + chainGroups[k]);
      }
      kids[gid] = out;
    }
    chains.members.forEach((list, k) => {
      for (const u of list) nodeGroup[u] = chainGroups[k];
    });
  }

  // 2f. merged: a model called once per sample sits in one group, but the samples' inputs
  // were often built between its calls; a leaf (an input) moves to just before the first
  // group that reads it, so that the loose nodes before a group feed it and those after
  // it read it, as by sample
  const b: Lists = { n, parent, kind, name, path, kids, nodeGroup, newGroup };
  if (!opts.bySample) hoistLeaves(g, b);

  // 3. box long runs of loose nodes beside groups, bundle repeated instances, pages
  boxRuns(b, pagedCalls);
  const bundles = opts.bySample ? bundleInstances(b) : [];
  const pages = pagesOf(b, pagedCalls, bundles);
  // an open chain: CHAIN_PAGE links at a time, each with the terms that feed it
  chains.members.forEach((_, k) => {
    const gid = chainGroups[k];
    const pos = new Map(chains.members[k].map((u, i) => [u, chains.position[k][i]]));
    pages.set(
      gid,
      kids[gid].map((u) => Math.floor((pos.get(u) ?? 0) / CHAIN_PAGE)),
    );
  });
  return treeOf(n, g.nCreated, parent, kind, name, path, kids, nodeGroup, { pages, owned, aux });
}
