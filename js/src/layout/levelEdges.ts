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

/** Pairs counted, then sorted into CSR by group, numbered in the order first seen.
 * Pairs that can repeat go through a PairMap; `addNew` takes a pair the caller knows is
 * new without hashing it. The columns are typed arrays grown by doubling: a demo step
 * adds ~130k pairs, and plain arrays grown by push cost a cold worker's first layout
 * tens of ms in copies and collection. */
class Tally {
  size = 0;
  private pairs: PairMap;
  private group: Int32Array;
  private a: Int32Array;
  private b: Int32Array;
  private cnt: Int32Array;

  /** Room for `expected` pairs, `hashed` of them through the PairMap (both grow). */
  constructor(expected: number, hashed = expected) {
    this.pairs = new PairMap(hashed);
    this.group = new Int32Array(expected);
    this.a = new Int32Array(expected);
    this.b = new Int32Array(expected);
    this.cnt = new Int32Array(expected);
  }

  add(group: number, a: number, b: number): void {
    const at = this.pairs.index(a, b, this.size);
    if (at === this.size) this.addNew(group, a, b);
    else this.cnt[at]++;
  }

  /** Count a pair seen for the first time; its index. */
  addNew(group: number, a: number, b: number): number {
    const at = this.size++;
    if (at === this.group.length) this.grow();
    this.group[at] = group;
    this.a[at] = a;
    this.b[at] = b;
    this.cnt[at] = 1;
    return at;
  }

  /** One more of the pair numbered `at`. */
  again(at: number): void {
    this.cnt[at]++;
  }

  private grow(): void {
    const cap = Math.max(16, this.group.length * 2);
    const more = (old: Int32Array) => {
      const out = new Int32Array(cap);
      out.set(old);
      return out;
    };
    this.group = more(this.group);
    this.a = more(this.a);
    this.b = more(this.b);
    this.cnt = more(this.cnt);
  }

  csr(numGroups: number): { ptr: Int32Array; a: Int32Array; b: Int32Array; count: Int32Array } {
    const m = this.size;
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
  // sized up front, since growing costs a cold worker more than the room: every edge may
  // be a sibling pair, but only those to and from groups are hashed; a demo step (65,818
  // nodes, ~130k edges) has ~95k sibling pairs, 7k exits and 37k entries
  const room = Math.max(1024, n >> 1);
  const siblings = new Tally(g.child.length, room);
  const exits = new Tally(room >> 2);
  const entries = new Tally(room);
  const stubNode: number[] = [];
  const stubConsumer: number[] = [];
  // most edges join two nodes of one group: such a pair repeats only within its consumer's
  // own children (x * x), so it is counted without hashing; `pairOfEdge` remembers its index
  const pairOfEdge = new Int32Array(g.child.length);
  for (let p = 0; p < n; p++) {
    const first = g.childPtr[p];
    for (let e = first; e < g.childPtr[p + 1]; e++) {
      const c = g.child[e];
      let a = nodeGroup[c];
      let b = nodeGroup[p];
      if (a === b && !aux[c]) {
        let twin = first;
        while (twin < e && g.child[twin] !== c) twin++;
        if (twin < e) siblings.again(pairOfEdge[twin]);
        else pairOfEdge[e] = siblings.addNew(a, c, p);
        continue;
      }
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
