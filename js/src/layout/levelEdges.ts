// The graph's edges sorted into the group tree, computed once per tree. An edge belongs
// to the lowest group holding both its ends, where it links two sibling units; on its
// way there it leaves every group around its child end (an exit, through that group's
// right side) and enters every group around its consumer (an entry, through the left
// side). Drawn that way, an edge never runs across a box it has nothing to do with,
// and all the edges between two units are one bundle with a count.
//
// An auxiliary leaf (groupTree `aux`: a parameter read once per sample, a shared
// constant) keeps only the edges to consumers inside its own group; the others become
// stubs drawn beside the consumer (compose.ts).

import type { GraphInput } from "./groups";
import type { GroupTree } from "./groupTree";
import { PairMap } from "./pairMap";

/** Per group, CSR over groups: ptr[g] .. ptr[g+1]. Units are node ids or numNodes + group. */
export interface LevelEdges {
  ptr: Int32Array; // sibling edges src -> dst (data flows child -> consumer)
  src: Int32Array;
  dst: Int32Array;
  count: Int32Array; // how many graph edges each stands for
  exitPtr: Int32Array; // units with edges leaving the group
  exitUnit: Int32Array;
  exitCount: Int32Array;
  entryPtr: Int32Array; // units with edges coming into the group
  entryUnit: Int32Array;
  entryCount: Int32Array;
  stubNode: Int32Array; // auxiliary leaf -> consumer node, for edges drawn as stubs
  stubConsumer: Int32Array;
}

/** Pairs counted in a PairMap, then sorted into CSR by group. */
class Tally {
  private pairs: PairMap;
  private group: number[] = [];
  private a: number[] = [];
  private b: number[] = [];
  private cnt: number[] = [];

  constructor(expected: number) {
    this.pairs = new PairMap(expected);
  }

  add(group: number, a: number, b: number): void {
    const at = this.pairs.index(a, b);
    if (at === this.cnt.length) {
      this.group.push(group);
      this.a.push(a);
      this.b.push(b);
      this.cnt.push(0);
    }
    this.cnt[at]++;
  }

  csr(numGroups: number): { ptr: Int32Array; a: Int32Array; b: Int32Array; count: Int32Array } {
    const m = this.cnt.length;
    const ptr = new Int32Array(numGroups + 1);
    for (let i = 0; i < m; i++) ptr[this.group[i] + 1]++;
    for (let i = 0; i < numGroups; i++) ptr[i + 1] += ptr[i];
    const fill = ptr.slice(0, numGroups);
    const out = { ptr, a: new Int32Array(m), b: new Int32Array(m), count: new Int32Array(m) };
    for (let i = 0; i < m; i++) {
      const at = fill[this.group[i]]++;
      out.a[at] = this.a[i];
      out.b[at] = this.b[i];
      out.count[at] = this.cnt[i];
    }
    return out;
  }
}

export function levelEdges(tree: GroupTree, g: GraphInput): LevelEdges {
  const n = tree.numNodes;
  const { parent, depth, nodeGroup, aux } = tree;
  const siblings = new Tally(Math.min(g.child.length, 1 << 20)); // sized once: no rehashing on the way
  const exits = new Tally(1024); // (unit, group) pairs: far fewer
  const entries = new Tally(1024);
  const stubNode: number[] = [];
  const stubConsumer: number[] = [];
  for (let p = 0; p < n; p++) {
    for (let e = g.childPtr[p]; e < g.childPtr[p + 1]; e++) {
      const c = g.child[e];
      let a = nodeGroup[c];
      let b = nodeGroup[p];
      let ua = c;
      let ub = p;
      if (aux[c]) {
        // is the consumer inside the leaf's own group? else a stub
        let up = b;
        while (depth[up] > depth[a]) up = parent[up];
        if (up !== a) {
          stubNode.push(c);
          stubConsumer.push(p);
          continue;
        }
      }
      // climb to the lowest common group; ua, ub: the units just below it holding each end
      while (depth[a] > depth[b]) {
        exits.add(a, ua, a);
        ua = n + a;
        a = parent[a];
      }
      while (depth[b] > depth[a]) {
        entries.add(b, ub, b);
        ub = n + b;
        b = parent[b];
      }
      while (a !== b) {
        exits.add(a, ua, a);
        ua = n + a;
        a = parent[a];
        entries.add(b, ub, b);
        ub = n + b;
        b = parent[b];
      }
      siblings.add(a, ua, ub);
    }
  }
  const G = tree.numGroups;
  const s = siblings.csr(G);
  const x = exits.csr(G);
  const y = entries.csr(G);
  return {
    ptr: s.ptr,
    src: s.a,
    dst: s.b,
    count: s.count,
    exitPtr: x.ptr,
    exitUnit: x.a,
    exitCount: x.count,
    entryPtr: y.ptr,
    entryUnit: y.a,
    entryCount: y.count,
    stubNode: Int32Array.from(stubNode),
    stubConsumer: Int32Array.from(stubConsumer),
  };
}
