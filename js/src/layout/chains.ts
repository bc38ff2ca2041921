// Long chains of one op: `x = x * k` five thousand times, or `sum(terms)` (a `+` per term).
// Drawn one node per layer they make a picture thousands of layers wide that fits to a
// faint line; folded, they are one box (`×4,998 *`) that opens on demand. Pure.
//
// A link p -> c: c is a child of p with the same op, in the same group, and p is its only
// consumer. Links form paths (each node has at most one such parent and, by our choice,
// at most one such child). A chain also takes in the simple terms that feed only it: a
// leaf or an op on leaves (`k`, `w*x`, `p*p`) with that one consumer, in the same group.

export const CHAIN_MIN = 24; // shorter runs stay as they are: a neuron's 16-term sum reads fine
export const CHAIN_PAGE = 16; // an open chain shows this many links at a time

export interface ChainInput {
  nCreated: number;
  op: Uint32Array;
  childPtr: Int32Array;
  child: Int32Array;
}

export interface Chains {
  chainOf: Int32Array; // node -> chain index, -1 for none
  members: number[][]; // per chain: its nodes in creation order, links and terms together
  position: number[][]; // per chain, per member: the index of its link along the chain (a term: the link it feeds)
  links: number[]; // per chain: how many links (nodes of the chain's op on the path)
  op: number[]; // per chain: the op index
}

/** Count each node's consumers (edges into it). */
export function consumerCounts(childPtr: Int32Array, child: Int32Array, n: number): Int32Array {
  const uses = new Int32Array(n);
  for (let e = 0; e < childPtr[n]; e++) uses[child[e]]++;
  return uses;
}

/** Chains of at least `min` links among built nodes; `group[i]` must match along a chain. */
export function findChains(
  g: ChainInput,
  group: Int32Array,
  uses: Int32Array,
  skip: Uint8Array, // nodes that may not join (parameters placed by their owner, ...)
  min = CHAIN_MIN,
): Chains {
  const n = g.nCreated;
  const { op, childPtr, child } = g;
  const isOp = (i: number) => childPtr[i + 1] > childPtr[i];
  const next = new Int32Array(n).fill(-1); // c -> p when p continues c's chain
  const prev = new Int32Array(n).fill(-1);
  for (let p = 0; p < n; p++) {
    if (!isOp(p) || skip[p]) continue;
    for (let e = childPtr[p]; e < childPtr[p + 1]; e++) {
      const c = child[e];
      if (c < n && !skip[c] && isOp(c) && op[c] === op[p] && uses[c] === 1 && group[c] === group[p] && next[c] < 0) {
        next[c] = p;
        prev[p] = c;
        break;
      }
    }
  }
  const chainOf = new Int32Array(g.childPtr.length - 1).fill(-1);
  const members: number[][] = [];
  const position: number[][] = [];
  const at = new Int32Array(g.childPtr.length - 1);
  const links: number[] = [];
  const ops: number[] = [];
  for (let s = 0; s < n; s++) {
    if (prev[s] >= 0 || next[s] < 0) continue; // not the start of a path
    let len = 0;
    for (let u = s; u >= 0; u = next[u]) len++;
    if (len < min) continue;
    const k = members.length;
    const list: number[] = [];
    for (let u = s; u >= 0; u = next[u]) {
      chainOf[u] = k;
      at[u] = list.length;
      list.push(u);
    }
    // the simple terms feeding only this chain
    for (const p of list.slice()) {
      for (let e = childPtr[p]; e < childPtr[p + 1]; e++) {
        const c = child[e];
        if (c >= n || c === prev[p] || chainOf[c] >= 0 || skip[c] || uses[c] !== 1 || group[c] !== group[p]) continue;
        if (next[c] >= 0 || prev[c] >= 0) continue; // the end of another path
        let simple = true;
        for (let f = childPtr[c]; f < childPtr[c + 1] && simple; f++) simple = !isOp(child[f]);
        if (!simple) continue;
        chainOf[c] = k;
        at[c] = at[p];
        list.push(c);
      }
    }
    list.sort((a, b) => a - b);
    members.push(list);
    position.push(list.map((u) => at[u]));
    links.push(len);
    ops.push(op[s]);
  }
  return { chainOf, members, position, links, op: ops };
}
