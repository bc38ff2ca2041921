// The grouping passes over each group's list of units once scopes are cut (groups.ts):
// inputs hoisted before the group that reads them, long runs of loose nodes boxed,
// consecutive instances of one scope bundled, and the pages of repeated structure. Pure;
// they edit the builder's lists in place.

import type { GraphInput } from "./groups";
import { Kind, type Kind as KindT } from "./groupTree";

const RUN_MIN = 16; // loose nodes beside groups are boxed when at least this many in a row
const BUNDLE_MIN = 4; // this many consecutive instances of one scope share a box

/** The tree under construction, as lists (groupTree.treeOf turns them into columns). */
export interface Lists {
  n: number; // nodes; a unit u >= n is group u - n
  parent: number[];
  kind: KindT[];
  name: string[];
  path: string[];
  kids: number[][];
  nodeGroup: Int32Array;
  newGroup(parent: number, kind: KindT, name: string, path: string): number;
}

/** Box runs of at least RUN_MIN loose nodes sitting beside groups; name top-level ones by
 * where they sit: "before MLP" (the inputs), "after MLP" (the loss). */
export function boxRuns(b: Lists, skip: Set<number>): void {
  const { n, kind, name, path, kids, nodeGroup } = b;
  const numGroups = kids.length;
  for (let gid = 0; gid < numGroups; gid++) {
    const list = kids[gid];
    const mixed = gid === 0 || list.some((u) => u >= n);
    if (!mixed || skip.has(gid) || kind[gid] === Kind.Chain || list.length < RUN_MIN) continue;
    const out: number[] = [];
    for (let a = 0; a < list.length; ) {
      let z = a;
      while (z < list.length && list[z] < n) z++;
      if (z - a >= RUN_MIN && z - a < list.length) {
        const nextU = z < list.length && list[z] >= n ? list[z] - n : -1;
        const prevU = a > 0 && list[a - 1] >= n ? list[a - 1] - n : -1;
        const module = (g: number) => g >= 0 && (kind[g] === Kind.Scope || kind[g] === Kind.Bundle);
        const where =
          prevU >= 0 && (module(prevU) || nextU < 0)
            ? `after ${name[prevU]}`
            : nextU >= 0
              ? `before ${name[nextU]}`
              : "top level";
        const run = b.newGroup(gid, Kind.Run, gid === 0 ? where : "ops", path[gid] || "(top level)");
        for (let k = a; k < z; k++) nodeGroup[list[k]] = run;
        kids[run] = list.slice(a, z);
        out.push(n + run);
      } else for (let k = a; k < z; k++) out.push(list[k]);
      if (z < list.length) out.push(list[z]);
      a = z + 1;
    }
    kids[gid] = out;
  }
}

/** Bundle runs of at least BUNDLE_MIN consecutive instances of one scope (by sample),
 * taking in the few loose nodes between them (a sample's inputs or loss terms built
 * between model calls). Returns the bundles. */
export function bundleInstances(b: Lists): number[] {
  const { n, parent, kind, name, path, kids, nodeGroup } = b;
  const bundles: number[] = [];
  const numGroups = kids.length;
  for (let gid = 0; gid < numGroups; gid++) {
    const list = kids[gid];
    const out: number[] = [];
    for (let a = 0; a < list.length; ) {
      const same = (u: number) => u >= n && kind[u - n] === Kind.Scope && path[u - n] === path[list[a] - n];
      let z = a + 1;
      let count = 1;
      if (same(list[a])) {
        for (;;) {
          let c = z;
          while (c < list.length && list[c] < n && c - z < RUN_MIN) c++;
          if (c >= list.length || !same(list[c])) break;
          z = c + 1;
          count++;
        }
      }
      if (count >= BUNDLE_MIN) {
        const first = list[a] - n;
        const bundle = b.newGroup(gid, Kind.Bundle, `${name[first]} ×${count}`, path[first]);
        let k = 0;
        for (let i = a; i < z; i++) {
          const u = list[i];
          if (u < n) nodeGroup[u] = bundle;
          else {
            parent[u - n] = bundle;
            name[u - n] += ` #${k++}`;
          }
        }
        kids[bundle] = list.slice(a, z);
        out.push(n + bundle);
        bundles.push(bundle);
      } else for (let i = a; i < z; i++) out.push(list[i]);
      a = z;
    }
    kids[gid] = out;
  }
  return bundles;
}

/** The pages of each paged group: a merged scope's calls one at a time (its parameters on
 * every page, -1); a bundle's instances one at a time, each with the loose nodes built
 * just before it. */
export function pagesOf(b: Lists, calls: Set<number>, bundles: number[]): Map<number, number[]> {
  const { n, kind, kids } = b;
  const pages = new Map<number, number[]>();
  for (const gid of calls) {
    let k = 0;
    pages.set(
      gid,
      kids[gid].map((u) => (u >= n && kind[u - n] === Kind.Call ? k++ : -1)),
    );
  }
  for (const gid of bundles) {
    const list = kids[gid];
    const page = new Array<number>(list.length).fill(-1);
    let k = 0;
    for (let i = 0; i < list.length; i++) if (list[i] >= n) page[i] = k++;
    let at = k - 1;
    for (let i = list.length - 1; i >= 0; i--) {
      if (list[i] >= n) at = page[i];
      else page[i] = at;
    }
    pages.set(gid, page);
  }
  return pages;
}

/** Merged by scope path, a model called once per sample sits in one group, but the
 * samples' inputs were often built between its calls: move each loose leaf of a list to
 * just before the first sibling group reading it, so that loose nodes before a group
 * feed it and those after it read it (leaves depend on nothing: any earlier place is
 * still in order). */
export function hoistLeaves(g: GraphInput, b: Lists): void {
  const { n, parent, kids, nodeGroup } = b;
  // the candidates: loose leaves in lists that also hold groups
  const loose = new Uint8Array(n);
  for (const list of kids) {
    if (!list.some((u) => u >= n)) continue;
    for (const u of list) if (u < n && g.childPtr[u + 1] === g.childPtr[u]) loose[u] = 1;
  }
  const readers = new Map<number, number[]>(); // candidate leaf -> its consumers
  for (let p = 0; p < n; p++) {
    for (let e = g.childPtr[p]; e < g.childPtr[p + 1]; e++) {
      const c = g.child[e];
      if (!loose[c]) continue;
      const list = readers.get(c) ?? [];
      list.push(p);
      readers.set(c, list);
    }
  }
  for (let gid = 0; gid < kids.length; gid++) {
    const list = kids[gid];
    if (!list.some((u) => u >= n)) continue;
    const pos = new Map<number, number>();
    list.forEach((u, i) => {
      if (u >= n) pos.set(u - n, i);
    });
    const before = new Map<number, number[]>(); // position -> leaves to put before it
    const moved = new Set<number>();
    list.forEach((u, i) => {
      if (u >= n || nodeGroup[u] !== gid) return;
      let first = Infinity;
      for (const p of readers.get(u) ?? []) {
        let at = nodeGroup[p]; // climb to the unit of this list that holds the reader
        while (at >= 0 && parent[at] !== gid) at = parent[at];
        first = Math.min(first, at >= 0 ? (pos.get(at) ?? Infinity) : Infinity);
      }
      if (first >= i) return; // read later on anyway (or only by loose nodes)
      if (!before.has(first)) before.set(first, []);
      before.get(first)!.push(u);
      moved.add(u);
    });
    if (!moved.size) continue;
    const out: number[] = [];
    list.forEach((u, i) => {
      for (const leaf of before.get(i) ?? []) out.push(leaf);
      if (!moved.has(u)) out.push(u);
    });
    kids[gid] = out;
  }
}
