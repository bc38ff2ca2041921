// Test helper: step graphs as the layout takes them, the mlp fixture's and made-up ones.
import { decode, stepColumns } from "../data/decode";
import { Composer, type ViewLayout } from "../layout/compose";
import type { GraphInput } from "../layout/groups";
import type { GroupTree } from "../layout/groupTree";
import { levelEdges } from "../layout/levelEdges";
import { readBundle, readFixture } from "./fixtures";

export function mlpInput(): GraphInput {
  const fx = readFixture("mlp");
  const step = fx.steps[0];
  const g = stepColumns(decode(readBundle(step.bundle)), step.n_created);
  return {
    nCreated: step.n_created,
    op: g.op,
    scope: g.scope,
    label: g.label,
    childPtr: g.child_ptr,
    child: g.child,
    ops: fx.strings.ops,
    scopes: fx.strings.scopes,
    labels: fx.strings.labels,
  };
}

/** A graph of `calls` consecutive calls of a 2-layer model, each layer a chain of `width` ops. */
export function synthetic(calls: number, width: number): GraphInput {
  const scopes = ["", "M/l0", "M/l1"];
  const scope: number[] = [];
  const op: number[] = [];
  const ptr = [0];
  const child: number[] = [];
  const add = (s: number, kids: number[]) => {
    scope.push(s);
    op.push(kids.length ? 1 : 0);
    child.push(...kids);
    ptr.push(child.length);
    return scope.length - 1;
  };
  for (let c = 0; c < calls; c++) {
    let x = add(0, []);
    for (const s of [1, 2]) for (let k = 0; k < width; k++) x = add(s, [x, add(s, [])]);
  }
  return {
    nCreated: scope.length,
    op: Uint32Array.from(op),
    scope: Uint32Array.from(scope),
    label: new Uint32Array(scope.length),
    childPtr: Int32Array.from(ptr),
    child: Int32Array.from(child),
    ops: ["", "*"],
    scopes,
    labels: [""],
  };
}

/** The picture of `tree` with the groups in `open` open (and the pages in `pages` shown). */
export function compose(
  g: GraphInput,
  tree: GroupTree,
  open: Uint8Array,
  showOps = true,
  pages?: Int32Array,
): ViewLayout {
  const c = new Composer(tree, levelEdges(tree, g), { showOps });
  c.setView(open, { showOps }, pages);
  return c.compose();
}

/** Edge bundles whose route runs across a closed box other than its own ends: [edge, box].
 * Conservative: a route's step between two points stays inside their bounding box. */
export function crossings(l: ViewLayout): [number, number][] {
  const closed = Array.from(l.unit.keys()).filter((i) => !l.open[i]);
  const out: [number, number][] = [];
  const inset = 0.5;
  for (let e = 0; e < l.edgeSrc.length; e++) {
    for (let k = l.edgePtr[e]; k + 1 < l.edgePtr[e + 1]; k++) {
      const x0 = Math.min(l.edgeX[k], l.edgeX[k + 1]);
      const x1 = Math.max(l.edgeX[k], l.edgeX[k + 1]);
      const y0 = Math.min(l.edgeY[k], l.edgeY[k + 1]);
      const y1 = Math.max(l.edgeY[k], l.edgeY[k + 1]);
      for (const i of closed) {
        if (i === l.edgeSrc[e] || i === l.edgeDst[e]) continue;
        if (x1 > l.x[i] + inset && x0 < l.x[i] + l.w[i] - inset && y1 > l.y[i] + inset && y0 < l.y[i] + l.h[i] - inset)
          out.push([e, i]);
      }
    }
  }
  return out;
}

/** Pairs of closed boxes that overlap (none should). */
export function overlaps(l: ViewLayout): [number, number][] {
  const boxes = Array.from(l.unit.keys()).filter((i) => !l.open[i]);
  const out: [number, number][] = [];
  for (const i of boxes)
    for (const j of boxes) {
      if (j <= i) continue;
      if (l.x[i] < l.x[j] + l.w[j] && l.x[j] < l.x[i] + l.w[i] && l.y[i] < l.y[j] + l.h[j] && l.y[j] < l.y[i] + l.h[i])
        out.push([i, j]);
    }
  return out;
}

/**
 * micrograd's demo in miniature, built the way its engine builds it: `MLP(nin, widths)`
 * whose parameters come from before the step (imported, labelled `layers.L.neurons.J.w.I`),
 * called on `samples` inputs, the SVM loss summed over the samples, plus an L2 term over
 * every parameter. Scopes, labels and op names as the recorder writes them.
 */
export function mlpLike(samples: number, nin: number, widths: number[]): GraphInput {
  const ops = ["", "*", "+", "ReLU"];
  const scopes = [""];
  const labels = [""];
  const scope: number[] = [];
  const op: number[] = [];
  const label: number[] = [];
  const kids: number[][] = [];
  const intern = (table: string[], s: string) => {
    const i = table.indexOf(s);
    return i >= 0 ? i : table.push(s) - 1;
  };
  let sc = 0;
  const add = (o: number, children: number[], lab = "") => {
    scope.push(sc);
    op.push(o);
    label.push(lab ? intern(labels, lab) : 0);
    kids.push(children);
    return kids.length - 1;
  };
  // parameters come after the built nodes (imported); until then parameter k is -k - 1
  const params: string[] = [];
  const param = (name: string) => -params.push(name);
  const W: number[][][] = []; // [layer][neuron] -> [w..., b]
  let fan = nin;
  widths.forEach((width, l) => {
    W.push(
      Array.from({ length: width }, (_, j) => [
        ...Array.from({ length: fan }, (_, i) => param(`layers.${l}.neurons.${j}.w.${i}`)),
        param(`layers.${l}.neurons.${j}.b`),
      ]),
    );
    fan = width;
  });
  const scores: number[] = [];
  for (let s = 0; s < samples; s++) {
    sc = 0;
    let x = Array.from({ length: nin }, () => add(0, []));
    widths.forEach((width, l) => {
      const out: number[] = [];
      for (let j = 0; j < width; j++) {
        sc = intern(scopes, `MLP/layers.${l}/neurons.${j}`);
        const w = W[l][j];
        let act = w[w.length - 1];
        x.forEach((xi, i) => {
          act = add(2, [act, add(1, [w[i], xi])]);
        });
        out.push(l < widths.length - 1 ? add(3, [act]) : act);
      }
      x = out;
    });
    sc = 0;
    scores.push(x[0]);
  }
  const terms = scores.map((s) => add(3, [add(2, [add(1, [s, add(0, [])]), add(0, [])])]));
  let data = add(2, [terms[0], add(0, [])]);
  for (const t of terms.slice(1)) data = add(2, [data, t]);
  data = add(1, [data, add(0, [])]);
  // sum(p * p for p in parameters): parameter k is written -k - 1 until the ids are known
  let reg = add(2, [add(1, [-1, -1]), add(0, [])]);
  for (let k = 1; k < params.length; k++) reg = add(2, [reg, add(1, [-k - 1, -k - 1])]);
  add(2, [data, add(1, [add(0, []), reg])]); // the loss: data + 1e-4 * reg
  const nCreated = kids.length;
  for (const name of params) {
    scope.push(0);
    op.push(0);
    label.push(intern(labels, name));
    kids.push([]);
  }
  const ptr = [0];
  const child: number[] = [];
  for (const list of kids) {
    for (const c of list) child.push(c < 0 ? nCreated + (-c - 1) : c);
    ptr.push(child.length);
  }
  return {
    nCreated,
    op: Uint32Array.from(op),
    scope: Uint32Array.from(scope),
    label: Uint32Array.from(label),
    childPtr: Int32Array.from(ptr),
    child: Int32Array.from(child),
    ops,
    scopes,
    labels,
  };
}
