// The backward replay of one step, exactly as mgdebug/_replay.py: per-edge running grads
// (`after`, `before`), and a cursor that steps through events forward and back.
//
// Backward visits nodes in topological order, so a node's grad is final when its chain
// rule runs. Replaying `grad[child] += local * g` once, in the engine's order and in
// float64 (JS numbers never fuse the multiply-add, same as CPython), gives every child's
// running grad after each applied edge. The grad of a node at any moment is then the
// `after` of the last edge into it applied so far, or its starting grad. Two rules as in
// the engine: a masking edge passes back +0.0 for a grad that is not finite (torch's
// relu and x ** 0), and a closure's edge leaves its child at the grad the closure left.

import { RULE_MASKED, RULE_SET, type StepColumns } from "./decode";

export class Replay {
  readonly nCreated: number;
  readonly start: Float64Array; // grads when backward begins
  readonly final: Float64Array; // grads when backward ends
  readonly edgeChild: Int32Array; // replay edge k -> the child it adds to
  readonly after: Float64Array; // the child's grad right after edge k
  readonly before: Float64Array; // ...and right before it
  readonly edgesDone: Int32Array; // replay edges applied after j visits (length V + 1)
  readonly visitOf: Int32Array; // node -> its visit index, -1 if never visited
  readonly visitGrad: Float64Array; // g of visit j (the node's final grad)

  constructor(g: StepColumns, nCreated: number) {
    const n = g.op.length;
    const ptr = g.child_ptr;
    const visits = g.visits;
    this.nCreated = nCreated;
    const grad = new Float64Array(n);
    for (let i = 0; i < g.start_id.length; i++) grad[g.start_id[i]] = g.start_grad[i];
    this.start = grad.slice();
    let numEdges = 0;
    for (let j = 0; j < visits.length; j++) numEdges += ptr[visits[j] + 1] - ptr[visits[j]];
    this.edgeChild = new Int32Array(numEdges);
    this.after = new Float64Array(numEdges);
    this.before = new Float64Array(numEdges);
    this.edgesDone = new Int32Array(visits.length + 1);
    this.visitOf = new Int32Array(n).fill(-1);
    this.visitGrad = new Float64Array(visits.length);
    let k = 0;
    for (let j = 0; j < visits.length; j++) {
      const p = visits[j];
      const gp = grad[p];
      if (this.visitOf[p] < 0) this.visitOf[p] = j;
      this.visitGrad[j] = gp;
      for (let e = ptr[p]; e < ptr[p + 1]; e++) {
        const c = g.child[e];
        this.before[k] = grad[c];
        const rule = g.rule[e];
        if (rule === RULE_SET) grad[c] = g.set_grad[e];
        else if (rule === RULE_MASKED && !Number.isFinite(gp)) grad[c] += 0;
        else grad[c] += g.local[e] * gp; // exactly the engine's _backward
        this.after[k] = grad[c];
        this.edgeChild[k] = c;
        k++;
      }
      this.edgesDone[j + 1] = k;
    }
    this.final = grad;
  }

  get numVisits(): number {
    return this.visitGrad.length;
  }
}

/** Every node's grad at one event of the step, moved incrementally (the scrub hot path). */
export class GradCursor {
  readonly grad: Float64Array;
  private visitsDone = 0;
  private inBackward = false;

  constructor(
    private readonly replay: Replay | null,
    numNodes: number,
  ) {
    this.grad = new Float64Array(numNodes);
  }

  /** Chain rules applied at `event` (within the step); 0 before and at backward begin. */
  static visitsAt(event: number, nCreated: number): number {
    return Math.max(0, event - nCreated);
  }

  /** Move to `event` (within the step). Returns how many per-edge writes it took. */
  seek(event: number): number {
    const r = this.replay;
    if (!r) return 0;
    const backward = event >= r.nCreated;
    if (!backward) {
      if (this.inBackward) this.grad.fill(0); // before backward begins every grad reads 0
      this.inBackward = false;
      this.visitsDone = 0;
      return 0;
    }
    const done = Math.min(GradCursor.visitsAt(event, r.nCreated), r.numVisits);
    if (!this.inBackward) {
      this.grad.set(r.start);
      this.inBackward = true;
      this.visitsDone = 0;
    }
    const oldK = r.edgesDone[this.visitsDone];
    const newK = r.edgesDone[done];
    const grad = this.grad;
    const child = r.edgeChild;
    if (newK >= oldK) {
      const after = r.after;
      for (let e = oldK; e < newK; e++) grad[child[e]] = after[e];
    } else {
      const before = r.before; // back in time: undo the latest edges first
      for (let e = oldK - 1; e >= newK; e--) grad[child[e]] = before[e];
    }
    this.visitsDone = done;
    return Math.abs(newK - oldK);
  }
}
