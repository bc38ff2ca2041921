// What the renderer needs to know about each box at the cursor (its largest |grad|, how
// much of it is built, whether it holds a NaN or inf, whether it is on the path to the
// loss), and which edge bundles carry data between two boxes. Pure.

import type { ViewLayout } from "../layout/picture";
import type { State } from "../state";

/** Per-box summaries at the cursor: max |grad|, built count, non-finite, on the path to the loss. */
export interface Summary {
  maxGrad: Float64Array;
  maxDelta: Float64Array | null; // comparing: the largest |difference| in each box (signed)
  built: Int32Array;
  bad: Uint8Array; // holds a node whose value or grad is NaN or inf
  onPath: Uint8Array; // holds a node on the path (frames: anything inside them does)
  nonfinite: number; // nodes with a NaN or inf value or grad
}

export function summarize(s: State, l: ViewLayout): Summary {
  const view = s.view!;
  const S = l.unit.length;
  const c = s.colorMode === "delta" ? s.compare : null;
  const out = {
    maxGrad: new Float64Array(S),
    maxDelta: c ? new Float64Array(S).fill(Number.NaN) : null,
    built: new Int32Array(S),
    bad: new Uint8Array(S),
    onPath: new Uint8Array(S),
    nonfinite: 0,
  };
  const slot = l.slotOfNode;
  const grad = view.grad;
  const data = view.g.data;
  const lastBuilt = view.phase === "forward" ? view.event : view.nCreated;
  for (let i = 0; i < view.numNodes; i++) {
    const k = slot[i];
    if (k < 0) continue;
    const built = i <= lastBuilt || i >= view.nCreated;
    const a = Math.abs(grad[i]);
    if (a > out.maxGrad[k] && a !== Infinity) out.maxGrad[k] = a;
    if (out.maxDelta && c && i < c.delta.length) {
      const d = c.delta[i];
      const was = out.maxDelta[k];
      if (Number.isFinite(d) && !(Math.abs(was) >= Math.abs(d))) out.maxDelta[k] = d;
    }
    if (built) {
      out.built[k]++;
      if (!(a < Infinity) || !Number.isFinite(data[i])) {
        out.bad[k] = 1;
        out.nonfinite++;
      }
    }
  }
  if (s.showPath && s.path)
    for (let i = 0; i < view.numNodes; i++) if (s.path[i] && slot[i] >= 0) out.onPath[slot[i]] = 1;
  // a frame holds what its boxes hold (pre-order: children come after their frame)
  for (let i = S - 1; i >= 0; i--) {
    const f = l.parentSlot[i];
    if (f < 0) continue;
    if (out.onPath[i]) out.onPath[f] = 1;
    if (out.bad[i]) out.bad[f] = 1;
  }
  return out;
}

/** Route keys (src * S + dst) of the bundles carrying data from box `from` to box `to`:
 * out of each frame around `from`, across, into each frame around `to`. */
export function routeKeys(l: ViewLayout, from: number, to: number, out: Set<number>): void {
  const S = l.unit.length;
  const depth = (i: number) => {
    let d = 0;
    for (let f = l.parentSlot[i]; f >= 0; f = l.parentSlot[f]) d++;
    return d;
  };
  let a = from;
  let b = to;
  let da = depth(a);
  let db = depth(b);
  while (da > db) {
    out.add(a * S + l.parentSlot[a]);
    a = l.parentSlot[a];
    da--;
  }
  while (db > da) {
    out.add(l.parentSlot[b] * S + b);
    b = l.parentSlot[b];
    db--;
  }
  while (l.parentSlot[a] !== l.parentSlot[b]) {
    out.add(a * S + l.parentSlot[a]);
    out.add(l.parentSlot[b] * S + b);
    a = l.parentSlot[a];
    b = l.parentSlot[b];
  }
  out.add(a * S + b);
}
