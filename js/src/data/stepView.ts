// One loaded step as the viewer reads it: the graph columns, the backward replay, the
// grads at the cursor, and the lookups built on demand (consumers, path to loss).

import type { GraphInput } from "../layout/groups";
import type { StepColumns } from "./decode";
import type { StepSummary, TraceMeta } from "./protocol";
import { type Ranges, rangeOf } from "./ranges";
import { GradCursor, Replay } from "./replay";

export class StepView {
  readonly numNodes: number;
  readonly numEvents: number;
  readonly replay: Replay | null;
  readonly cursor: GradCursor;
  readonly root: number; // the backward root (first visit), -1 if none
  readonly ranges: Ranges; // |grad| and |value| over the step: the colour scales' spans
  event = -1; // within the step, -1 until the first seek
  private parentPtr: Int32Array | null = null;
  private parentIdx: Int32Array | null = null;
  private parentEdge: Int32Array | null = null;

  readonly g: StepColumns; // `visits` cut to the chain rules that ran
  readonly order: Int32Array; // the whole visit order backward had (paused or stopped: more than ran)

  constructor(
    columns: StepColumns,
    readonly step: number,
    readonly nCreated: number,
    readonly eventOffset: number,
    readonly summary: StepSummary,
    readonly structureKey: string | null = null, // the kernel's digest of the structure columns
  ) {
    this.order = columns.visits;
    const ran = summary.has_backward ? Math.min(summary.num_visits, columns.visits.length) : 0;
    this.g = ran === columns.visits.length ? columns : { ...columns, visits: columns.visits.subarray(0, ran) };
    const g = this.g;
    this.numNodes = g.op.length;
    this.numEvents = summary.num_events;
    this.replay = summary.has_backward ? new Replay(g, nCreated) : null;
    this.cursor = new GradCursor(this.replay, this.numNodes);
    this.root = g.visits.length ? g.visits[0] : -1;
    this.ranges = {
      grad: this.replay ? rangeOf(this.replay.final, this.replay.start) : { lo: 0, hi: 0 },
      value: rangeOf(g.data),
    };
  }

  get phase(): "forward" | "backward" {
    return this.event < this.nCreated ? "forward" : "backward";
  }

  /** Chain rules applied at the cursor. */
  get visitsDone(): number {
    return Math.max(0, this.event - this.nCreated);
  }

  seek(event: number): void {
    const e = Math.max(0, Math.min(this.numEvents - 1, event));
    if (e === this.event) return;
    this.event = e;
    this.cursor.seek(e);
  }

  get grad(): Float64Array {
    return this.cursor.grad;
  }

  /** The node built (forward) or visited (backward) at the cursor; -1 at backward begin. */
  get currentNode(): number {
    if (this.event < this.nCreated) return this.event;
    const v = this.visitsDone;
    return v > 0 ? this.g.visits[v - 1] : -1;
  }

  exists(node: number): boolean {
    return node >= this.nCreated || node <= this.event;
  }

  /** Consumers of each node, CSR (built once, on first use). */
  parents(): { ptr: Int32Array; idx: Int32Array; edge: Int32Array } {
    if (!this.parentPtr || !this.parentIdx || !this.parentEdge) {
      const { child_ptr, child } = this.g;
      const ptr = new Int32Array(this.numNodes + 1);
      for (let e = 0; e < child.length; e++) ptr[child[e] + 1]++;
      for (let i = 0; i < this.numNodes; i++) ptr[i + 1] += ptr[i];
      const fill = ptr.slice(0, this.numNodes);
      const idx = new Int32Array(child.length);
      const edge = new Int32Array(child.length);
      for (let p = 0; p < this.numNodes; p++) {
        for (let e = child_ptr[p]; e < child_ptr[p + 1]; e++) {
          const at = fill[child[e]]++;
          idx[at] = p;
          edge[at] = e;
        }
      }
      this.parentPtr = ptr;
      this.parentIdx = idx;
      this.parentEdge = edge;
    }
    return { ptr: this.parentPtr, idx: this.parentIdx, edge: this.parentEdge };
  }

  /** Every node on a route from `node` up to the backward root (1 = on a path). */
  pathToLoss(node: number): Uint8Array {
    const mark = new Uint8Array(this.numNodes);
    const r = this.replay;
    if (!r || node < 0 || r.visitOf[node] < 0) return mark;
    const { ptr, idx } = this.parents();
    const queue = new Int32Array(this.numNodes);
    let head = 0;
    let tail = 0;
    mark[node] = 1;
    queue[tail++] = node;
    while (head < tail) {
      const u = queue[head++];
      for (let k = ptr[u]; k < ptr[u + 1]; k++) {
        const p = idx[k];
        if (!mark[p] && r.visitOf[p] >= 0) {
          // the root depends on p
          mark[p] = 1;
          queue[tail++] = p;
        }
      }
    }
    return mark;
  }

  /** Events (within the step) that change `node`: built, each contribution, its own visit. */
  eventsOf(node: number): number[] {
    const out: number[] = [];
    if (node < this.nCreated) out.push(node);
    const r = this.replay;
    if (r) {
      const { ptr, idx } = this.parents();
      for (let k = ptr[node]; k < ptr[node + 1]; k++) {
        const v = r.visitOf[idx[k]];
        if (v >= 0) out.push(this.nCreated + 1 + v);
      }
      if (r.visitOf[node] >= 0) out.push(this.nCreated + 1 + r.visitOf[node]);
    }
    return Array.from(new Set(out)).sort((a, b) => a - b);
  }

  /** The columns the layout needs, copied so they can travel to the worker. */
  graphInput(meta: TraceMeta): GraphInput {
    return {
      nCreated: this.nCreated,
      op: this.g.op.slice(),
      scope: this.g.scope.slice(),
      label: this.g.label.slice(),
      childPtr: this.g.child_ptr.slice(),
      child: this.g.child.slice(),
      ops: meta.strings.ops,
      scopes: meta.strings.scopes,
      labels: meta.strings.labels,
    };
  }
}
