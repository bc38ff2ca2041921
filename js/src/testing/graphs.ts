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
    scope: g.scope,
    label: g.label,
    childPtr: g.child_ptr,
    child: g.child,
    scopes: fx.strings.scopes,
    labels: fx.strings.labels,
  };
}

/** A graph of `calls` consecutive calls of a 2-layer model, each layer a chain of `width` ops. */
export function synthetic(calls: number, width: number): GraphInput {
  const scopes = ["", "M/l0", "M/l1"];
  const scope: number[] = [];
  const ptr = [0];
  const child: number[] = [];
  const add = (s: number, kids: number[]) => {
    scope.push(s);
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
    scope: Uint32Array.from(scope),
    label: new Uint32Array(scope.length),
    childPtr: Int32Array.from(ptr),
    child: Int32Array.from(child),
    scopes,
    labels: [""],
  };
}

/** The picture of `tree` with the groups in `open` open. */
export function compose(g: GraphInput, tree: GroupTree, open: Uint8Array, showOps = true): ViewLayout {
  const c = new Composer(tree, levelEdges(tree, g), { showOps });
  c.setView(open, { showOps });
  return c.compose(g.childPtr, g.child);
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
