// Two steps on one picture: the shown step and a reference step (another step of this
// trace, or a step of another run), node by node at the same moment within each step.
// Pure: the per-node differences the graph colours by and the inspector prints.

import type { StepView } from "./stepView";

export type CompareQuantity = "grad" | "value";

export interface Comparison {
  readonly label: string; // what the reference is, as the legend says it ("step 5", "other run, step 5")
  readonly shownStep: number; // the step of this trace it was aligned with
  readonly reference: StepView;
  /** For each node of the shown step, its node in the reference; -1: none. null: the same node. */
  readonly counterpart: Int32Array | null;
  readonly onlyInReference: number; // reference nodes no shown node corresponds to
  // at the cursor, refreshed each frame (`refresh`): shown - reference per node, NaN where
  // a node has no counterpart, and the largest finite |delta|
  delta: Float64Array;
  deltaMax: number;
}

/** Bring the reference to the shown step's moment and recompute the deltas. */
export function refresh(c: Comparison, shown: StepView, quantity: CompareQuantity): void {
  if (shown.step !== c.shownStep || shown.numNodes !== (c.counterpart?.length ?? shown.numNodes)) {
    c.delta = new Float64Array(shown.numNodes).fill(Number.NaN); // until it is aligned again
    c.deltaMax = 0;
    return;
  }
  alignCursor(c, shown);
  c.delta = deltas(c, shown, quantity);
  c.deltaMax = largestDelta(c.delta);
}

/** The reference node of `node` of the shown step, -1 if it has none. */
export function counterpartOf(c: Comparison, node: number): number {
  if (c.counterpart === null) return node < c.reference.numNodes ? node : -1;
  return node < c.counterpart.length ? c.counterpart[node] : -1;
}

/** Move the reference to the same event within its step as the shown step (clamped). */
export function alignCursor(c: Comparison, shown: StepView): void {
  c.reference.seek(Math.min(shown.event, c.reference.numEvents - 1));
}

/** shown - reference for every node of the shown step; NaN where a node has no counterpart. */
export function deltas(c: Comparison, shown: StepView, quantity: CompareQuantity): Float64Array {
  const here = quantity === "grad" ? shown.grad : shown.g.data;
  const there = quantity === "grad" ? c.reference.grad : c.reference.g.data;
  const out = new Float64Array(shown.numNodes);
  for (let i = 0; i < out.length; i++) {
    const j = counterpartOf(c, i);
    out[i] = j >= 0 ? here[i] - there[j] : Number.NaN;
  }
  return out;
}

/** The largest finite |delta|: the colour scale's end (0 when nothing differs). */
export function largestDelta(d: Float64Array): number {
  let m = 0;
  for (let i = 0; i < d.length; i++) {
    const a = Math.abs(d[i]);
    if (a > m && a !== Number.POSITIVE_INFINITY) m = a;
  }
  return m;
}

/** Nodes of the shown step with no counterpart in the reference. */
export function onlyHere(c: Comparison, shown: StepView): number {
  if (c.counterpart === null) return Math.max(0, shown.numNodes - c.reference.numNodes);
  let n = 0;
  for (let i = 0; i < c.counterpart.length; i++) if (c.counterpart[i] < 0) n++;
  return n;
}
