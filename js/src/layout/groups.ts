// Grouping a step's graph: scopes cut into call instances, long runs of loose nodes,
// bundles of repeated instances, and the imported nodes (parameters). Pure. The tree it
// builds, and what a unit is, are groupTree.ts's.
//
// With `bySample`, a group is one *call instance*: a maximal run of consecutive nodes
// under the same scope prefix (trace-format.md), so every group holds an interval of
// creation ids and edges between sibling groups always point forward in creation order:
// the layout needs no cycle breaking.

import { type GroupTree, Kind, treeOf } from "./groupTree";

export interface GraphInput {
  nCreated: number;
  scope: Uint32Array; // per node, index into `scopes`
  label: Uint32Array; // per node, index into `labels`
  childPtr: Int32Array;
  child: Int32Array;
  scopes: string[];
  labels: string[];
}

export interface GroupOptions {
  bySample: boolean; // one group per call instance (else one per scope path)
}

const RUN_MIN = 16; // loose nodes beside groups are boxed when at least this many in a row
const BUNDLE_MIN = 4; // this many consecutive instances of one scope share a box

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

  // 1. imported nodes under one box, nested by their dotted labels (layers.0 / neurons.3)
  if (n > g.nCreated) {
    const imp = newGroup(0, Kind.Imported, "imported", "values from before this step (parameters)");
    kids[0].push(n + imp);
    const prefixes = new Map<string, number>();
    for (let i = g.nCreated; i < n; i++) {
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
  const stack = [0];
  const stackPrefix: number[] = [];
  const stackSeen: Set<number>[] = [new Set()]; // child scopes each open group has had
  // merged: how often the walk entered each group, and in which entry each node came
  const entries: number[] = [];
  const nodeEntry = new Int32Array(n);
  const noPrefix = new Int32Array(0);
  for (let i = 0; i < g.nCreated; i++) {
    // the same scope as the node before (most nodes): the stack already ends at its group
    if (i > 0 && g.scope[i] === g.scope[i - 1]) {
      const top = stack[stack.length - 1];
      nodeGroup[i] = top;
      nodeEntry[i] = (entries[top] ?? 1) - 1;
      kids[top].push(i);
      continue;
    }
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
  // box per call inside it, so the samples stay a dimension one can open (laid out as a grid)
  if (!opts.bySample) {
    const numMerged = parent.length;
    for (let gid = 1; gid < numMerged; gid++) {
      const list = kids[gid];
      if (kind[gid] !== Kind.Scope || (entries[gid] ?? 0) < BUNDLE_MIN || list.some((u) => u >= n)) continue;
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
    }
  }

  // 3. box long runs of loose nodes that sit beside groups, then bundle repeated instances
  const numScopeGroups = parent.length;
  for (let gid = 0; gid < numScopeGroups; gid++) {
    const list = kids[gid];
    const mixed = gid === 0 || list.some((u) => u >= n);
    if (!mixed || list.length < RUN_MIN) continue;
    const out: number[] = [];
    for (let a = 0; a < list.length; ) {
      let b = a;
      while (b < list.length && list[b] < n) b++;
      if (b - a >= RUN_MIN && b - a < list.length) {
        // name a top-level run by where it sits: "before MLP" (inputs), "after MLP" (the loss)
        const next = b < list.length && list[b] >= n ? name[list[b] - n] : "";
        const prev = a > 0 && list[a - 1] >= n ? name[list[a - 1] - n] : "";
        const where = next ? `before ${next}` : prev ? `after ${prev}` : "top level";
        const run = newGroup(gid, Kind.Run, gid === 0 ? where : "ops", path[gid] || "(top level)");
        for (let k = a; k < b; k++) nodeGroup[list[k]] = run;
        kids[run] = list.slice(a, b);
        out.push(n + run);
      } else for (let k = a; k < b; k++) out.push(list[k]);
      if (b < list.length) out.push(list[b]);
      a = b + 1;
    }
    kids[gid] = out;
  }
  if (opts.bySample) {
    for (let gid = 0; gid < numScopeGroups; gid++) {
      const list = kids[gid];
      const out: number[] = [];
      for (let a = 0; a < list.length; ) {
        // a bundle runs over consecutive instances of one scope, taking in the few loose
        // nodes between them (a sample's inputs or loss terms built between model calls)
        const same = (u: number) => u >= n && kind[u - n] === Kind.Scope && path[u - n] === path[list[a] - n];
        let b = a + 1;
        let count = 1;
        if (same(list[a])) {
          for (;;) {
            let c = b;
            while (c < list.length && list[c] < n && c - b < RUN_MIN) c++;
            if (c >= list.length || !same(list[c])) break;
            b = c + 1;
            count++;
          }
        }
        if (count >= BUNDLE_MIN) {
          const first = list[a] - n;
          const bundle = newGroup(gid, Kind.Bundle, `${name[first]} ×${count}`, path[first]);
          let k = 0;
          for (let i = a; i < b; i++) {
            const u = list[i];
            if (u < n) nodeGroup[u] = bundle;
            else {
              parent[u - n] = bundle;
              name[u - n] += ` #${k++}`;
            }
          }
          kids[bundle] = list.slice(a, b);
          out.push(n + bundle);
        } else for (let i = a; i < b; i++) out.push(list[i]);
        a = b;
      }
      kids[gid] = out;
    }
  }
  return treeOf(n, g.nCreated, parent, kind, name, path, kids, nodeGroup);
}

// Merge numeric tokens into the one before: "layers.0.neurons.3.w.1" -> layers.0 / neurons.3 / w.1
function labelTokens(label: string): string[] {
  const out: string[] = [];
  for (const t of label.split(".")) {
    if (out.length && /^\d+$/.test(t)) out[out.length - 1] += `.${t}`;
    else out.push(t);
  }
  return label ? out : [];
}
