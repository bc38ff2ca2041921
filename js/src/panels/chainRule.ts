// The chain rule around one node, as numbers the inspector can show: its grad is the sum
// of what each consumer's chain rule gave it (local derivative × that consumer's grad),
// plus the grad it started backward with; its own chain rule gives each input its local
// derivative × its grad. Pure: read from a step's view at the cursor.

import { RULE_MASKED, RULE_SET } from "../data/decode";
import type { StepView } from "../data/stepView";

export interface Term {
  other: number; // the consumer (or input) at the other end of the edge
  edge: number; // the edge's index in the step's child table
  local: number; // d consumer / d input on that edge
  upstream: number | null; // the consumer's grad that multiplies it; null: not applied yet
  value: number | null; // local × upstream once applied (a masking edge: 0 for a grad not finite)
  sets: number | null; // a closure's edge, once it ran: the grad it left the input (the replay sets it)
  masks: boolean; // relu off, x ** 0: a grad that is not finite passes back 0, as torch
  order: number; // when it was applied: the engine's order of additions
}

/** The term of edge `e` once its consumer's chain rule ran with grad `upstream` (or not yet). */
function term(v: StepView, other: number, e: number, upstream: number | null, order: number): Term {
  const local = v.g.local[e];
  const rule = v.g.rule[e];
  const masks = rule === RULE_MASKED;
  let value = upstream === null ? null : local * upstream;
  if (masks && upstream !== null && !Number.isFinite(upstream)) value = 0;
  const sets = rule === RULE_SET && upstream !== null ? v.g.set_grad[e] : null;
  return { other, edge: e, local, upstream, value, sets, masks, order };
}

/** grad(node) = start + Σ over consumers p (and each edge from p) of ∂p/∂node × grad(p). */
export function consumerTerms(v: StepView, node: number): Term[] {
  const r = v.replay;
  const { ptr, idx, edge } = v.parents();
  const out: Term[] = [];
  for (let k = ptr[node]; k < ptr[node + 1]; k++) {
    const p = idx[k];
    const e = edge[k];
    const visit = r ? r.visitOf[p] : -1;
    const applied = r !== null && visit >= 0 && visit < v.visitsDone;
    const upstream = applied ? r.visitGrad[visit] : null;
    // edges of one visit apply in edge order
    out.push(term(v, p, e, upstream, visit < 0 ? Infinity : visit * 1e6 + e));
  }
  return out;
}

/** What the node's own chain rule gives each input: ∂node/∂input × grad(node), once it ran. */
export function inputTerms(v: StepView, node: number): Term[] {
  const r = v.replay;
  const visit = r ? r.visitOf[node] : -1;
  const applied = r !== null && visit >= 0 && visit < v.visitsDone;
  const upstream = applied ? r.visitGrad[visit] : null;
  const out: Term[] = [];
  for (let e = v.g.child_ptr[node]; e < v.g.child_ptr[node + 1]; e++) {
    out.push(term(v, v.g.child[e], e, upstream, e));
  }
  return out;
}

/** Largest |contribution| first; terms not applied yet after them, by |local derivative|. */
export function byMagnitude(terms: Term[]): Term[] {
  const key = (t: Term) => (t.value === null ? -1 / (1 + Math.abs(t.local)) : Math.abs(t.value));
  return [...terms].sort((a, b) => {
    const d = key(b) - key(a);
    return Number.isNaN(d) ? (Number.isNaN(key(a)) ? -1 : 1) : d || a.order - b.order;
  });
}

/** The grad the applied terms add up to, summed as the engine did: the starting grad,
 * then each term in the order it was applied (so it equals the replayed grad exactly). */
export function sumApplied(v: StepView, node: number, terms: Term[]): { start: number; sum: number; applied: number } {
  const start = v.replay && v.phase === "backward" ? v.replay.start[node] : 0; // grads read 0 until backward
  let sum = start;
  let applied = 0;
  for (const t of [...terms].sort((a, b) => a.order - b.order)) {
    // a closure: its input's grad is what it left
    if (t.sets !== null) sum = t.sets;
    else if (t.value !== null) sum += t.value;
    else continue;
    applied++;
  }
  return { start, sum, applied };
}
