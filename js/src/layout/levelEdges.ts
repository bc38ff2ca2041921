// The graph's edges sorted into the group tree: each edge belongs to the lowest group
// holding both its ends, where it links two sibling units. Computed once per step.

import type { GraphInput } from "./groups";
import type { GroupTree } from "./groupTree";
import { PairMap } from "./pairMap";

/** Edges between sibling units, for every group: (src -> dst) = data flows child -> consumer. */
export interface LevelEdges {
  ptr: Int32Array; // group g's edges are ptr[g] .. ptr[g+1]
  src: Int32Array; // units
  dst: Int32Array;
  count: Int32Array; // how many graph edges each stands for
}

/** Each graph edge belongs to the lowest group holding both ends; aggregate it there. */
export function levelEdges(tree: GroupTree, g: GraphInput): LevelEdges {
  const n = tree.numNodes;
  const { parent, depth, nodeGroup } = tree;
  const pairs = new PairMap(Math.min(g.child.length, 1 << 20)); // sized once: no rehashing on the way
  const E = g.child.length;
  const lv = new Int32Array(E);
  const src = new Int32Array(E);
  const dst = new Int32Array(E);
  const cnt = new Int32Array(E);
  for (let p = 0; p < n; p++) {
    for (let e = g.childPtr[p]; e < g.childPtr[p + 1]; e++) {
      const c = g.child[e];
      let a = nodeGroup[c];
      let b = nodeGroup[p];
      let ua = c;
      let ub = p;
      // climb to the lowest common group; ua, ub: the units just below it holding each end
      while (depth[a] > depth[b]) {
        ua = n + a;
        a = parent[a];
      }
      while (depth[b] > depth[a]) {
        ub = n + b;
        b = parent[b];
      }
      while (a !== b) {
        ua = n + a;
        a = parent[a];
        ub = n + b;
        b = parent[b];
      }
      const at = pairs.index(ua, ub);
      if (at === pairs.size - 1 && cnt[at] === 0) {
        lv[at] = a;
        src[at] = ua;
        dst[at] = ub;
      }
      cnt[at]++;
    }
  }
  const numPairs = pairs.size;
  const ptr = new Int32Array(tree.numGroups + 1);
  for (let i = 0; i < numPairs; i++) ptr[lv[i] + 1]++;
  for (let i = 0; i < tree.numGroups; i++) ptr[i + 1] += ptr[i];
  const fill = ptr.slice(0, tree.numGroups);
  const out = { ptr, src: new Int32Array(numPairs), dst: new Int32Array(numPairs), count: new Int32Array(numPairs) };
  for (let i = 0; i < numPairs; i++) {
    const at = fill[lv[i]]++;
    out.src[at] = src[i];
    out.dst[at] = dst[i];
    out.count[at] = cnt[i];
  }
  return out;
}
