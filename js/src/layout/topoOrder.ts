// The order a level's boxes are laid out in: topological under the edges between them,
// and otherwise creation order. Pure.

/**
 * A topological order of boxes 0..m-1 under the edges a[k] -> b[k], as close to their
 * given order as it can be (Kahn's algorithm taking the lowest index ready). Creation
 * order is nearly topological already, but a group merged over many calls is ready only
 * once the inputs of its last call are, and a cycle through a merged group (an RNN's
 * `h = model(h)`) is broken at the lowest index waiting.
 */
export function topoOrder(m: number, a: Int32Array, b: Int32Array): Int32Array {
  const indeg = new Int32Array(m);
  const outs: number[][] = Array.from({ length: m }, () => []);
  for (let k = 0; k < a.length; k++) {
    if (a[k] === b[k]) continue;
    outs[a[k]].push(b[k]);
    indeg[b[k]]++;
  }
  const heap: number[] = [];
  const push = (v: number) => {
    heap.push(v);
    for (let i = heap.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (heap[p] <= heap[i]) break;
      [heap[p], heap[i]] = [heap[i], heap[p]];
      i = p;
    }
  };
  const pop = () => {
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length) {
      heap[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let s = i;
        if (l < heap.length && heap[l] < heap[s]) s = l;
        if (r < heap.length && heap[r] < heap[s]) s = r;
        if (s === i) break;
        [heap[s], heap[i]] = [heap[i], heap[s]];
        i = s;
      }
    }
    return top;
  };
  for (let v = 0; v < m; v++) if (!indeg[v]) push(v);
  const out = new Int32Array(m);
  const done = new Uint8Array(m);
  let next = 0; // the lowest index not placed yet: where a cycle is broken
  for (let k = 0; k < m; k++) {
    if (!heap.length) {
      while (done[next]) next++;
      indeg[next] = 0;
      push(next);
    }
    const v = pop();
    done[v] = 1;
    out[k] = v;
    for (const u of outs[v]) if (--indeg[u] === 0 && !done[u]) push(u);
  }
  return out;
}
