// The group tree of a step's graph, as the layout and the renderer read it, and the step
// that turns the builder's lists (groups.ts) into its typed columns. Pure.
//
// Units: the layout places "units"; unit u < numNodes is node u, unit numNodes + g is
// group g. Group 0 is the root.

// group kinds: the root, a scope (instance), a bundle of instances, a run of loose
// nodes, the imported values, a dotted-label prefix among the imported values, one call
// of a scope inside its merged group (the samples dimension, when not by sample), a
// folded chain of one op (chains.ts)
export const Kind = { Root: 0, Scope: 1, Bundle: 2, Run: 3, Imported: 4, Prefix: 5, Call: 6, Chain: 7 } as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

export interface GroupTree {
  numNodes: number;
  nCreated: number;
  numGroups: number;
  parent: Int32Array; // -1 for the root
  depth: Int32Array;
  kind: Uint8Array;
  nodeCount: Int32Array; // nodes inside, at any depth
  orderKey: Int32Array; // smallest order key inside (imported nodes first)
  unitPtr: Int32Array; // group g's child units are units[unitPtr[g] .. unitPtr[g+1]]
  units: Int32Array; // in order of creation
  nodeGroup: Int32Array; // node -> the group directly holding it
  name: string[]; // what the box says: "neurons.3", "MLP ×100", "MLP #7"
  path: string[]; // scope path or a description, for the inspector
  key: string[]; // stable identity across steps, to keep expansion when the step changes
  // repeated structure shown one instance at a time: a bundle's instances, a merged
  // scope's calls. pages[g] = how many (0: not paged); unitPage[k] = the page of units[k]
  // (-1: on every page, like the parameters beside a neuron's calls)
  pages: Int32Array;
  unitPage: Int32Array;
  owned: Uint8Array; // per node: a parameter placed in the module that owns it (owners.ts)
  aux: Uint8Array; // per node: drawn as small stubs at consumers outside its own group
}

/** What the grouping passes add to the tree besides its shape. */
export interface TreeExtras {
  pages: Map<number, number[]>; // paged group -> the page of each of its units, in order
  owned: Uint8Array;
  aux: Uint8Array;
}

/** Order key of a node: creation order, with imported nodes (from before the step) first. */
export function nodeOrder(node: number, nCreated: number, numNodes: number): number {
  return node < nCreated ? node : node - numNodes;
}

/** The builder's lists as the tree's typed columns, with depths, node counts, order keys
 * and stable keys (each group's path of kinds and names from the root). */
export function treeOf(
  n: number,
  nCreated: number,
  parentList: number[],
  kindList: Kind[],
  name: string[],
  path: string[],
  kids: number[][],
  nodeGroup: Int32Array,
  extras: TreeExtras,
): GroupTree {
  const G = parentList.length;
  const parent = Int32Array.from(parentList);
  const depth = new Int32Array(G);
  const unitPtr = new Int32Array(G + 1);
  const preorder: number[] = [];
  const todo = [0];
  while (todo.length) {
    const gid = todo.pop()!;
    preorder.push(gid);
    const list = kids[gid];
    for (let k = list.length - 1; k >= 0; k--) {
      if (list[k] >= n) {
        depth[list[k] - n] = depth[gid] + 1;
        todo.push(list[k] - n);
      }
    }
  }
  for (let gid = 0; gid < G; gid++) unitPtr[gid + 1] = unitPtr[gid] + kids[gid].length;
  const units = new Int32Array(unitPtr[G]);
  for (let gid = 0; gid < G; gid++) units.set(kids[gid], unitPtr[gid]);
  const nodeCount = new Int32Array(G);
  const NONE = 2 ** 31 - 1;
  const orderKey = new Int32Array(G).fill(NONE);
  const ownedKey = new Int32Array(G).fill(NONE); // used only when a group holds nothing else
  for (let k = preorder.length - 1; k >= 0; k--) {
    const gid = preorder[k];
    for (const u of kids[gid]) {
      const isGroup = u >= n;
      nodeCount[gid] += isGroup ? nodeCount[u - n] : 1;
      // a parameter moved into its module says nothing about when the module ran
      if (!isGroup && extras.owned[u]) ownedKey[gid] = Math.min(ownedKey[gid], nodeOrder(u, nCreated, n));
      else orderKey[gid] = Math.min(orderKey[gid], isGroup ? orderKey[u - n] : nodeOrder(u, nCreated, n));
    }
    if (orderKey[gid] === NONE) orderKey[gid] = ownedKey[gid];
  }
  const pages = new Int32Array(G);
  const unitPage = new Int32Array(units.length).fill(-1);
  for (const [gid, list] of extras.pages) {
    for (const page of list) pages[gid] = Math.max(pages[gid], page + 1);
    unitPage.set(list, unitPtr[gid]);
  }
  const key = new Array<string>(G);
  key[0] = "";
  for (const gid of preorder) {
    const seen = new Map<string, number>();
    for (const u of kids[gid]) {
      if (u < n) continue;
      const nm = name[u - n];
      const occ = seen.get(nm) ?? 0;
      seen.set(nm, occ + 1);
      key[u - n] = `${key[gid]}/${kindList[u - n]}:${nm.replace(/ ×\d+$/, "")}${occ ? `@${occ}` : ""}`;
    }
  }
  return {
    numNodes: n,
    nCreated,
    numGroups: G,
    parent,
    depth,
    kind: Uint8Array.from(kindList),
    nodeCount,
    orderKey,
    unitPtr,
    units,
    nodeGroup,
    name,
    path,
    key,
    pages,
    unitPage,
    owned: extras.owned,
    aux: extras.aux,
  };
}

/** The page each repeated group around `node` must show for the node to be on it, by
 * group id: a pause or a search inside call 57 of `neurons.3 ×100` turns that group to
 * call 57. */
export function pagesShowing(t: GroupTree, node: number): Map<number, number> {
  const out = new Map<number, number>();
  let unit = node;
  for (let g = t.nodeGroup[node]; g >= 0; unit = t.numNodes + g, g = t.parent[g]) {
    if (!t.pages[g]) continue;
    for (let k = t.unitPtr[g]; k < t.unitPtr[g + 1]; k++) {
      if (t.units[k] !== unit) continue;
      if (t.unitPage[k] >= 0) out.set(g, t.unitPage[k]);
      break;
    }
  }
  return out;
}
