import { describe, expect, it } from "vitest";
import { pyFloat, readBundle, readFixture } from "../testing/fixtures";
import { decode, stepColumns } from "./decode";
import { GradCursor, Replay } from "./replay";

// Object.is tells -0.0 from 0.0 and NaN from NaN-free mismatches: bit for bit, as the doc promises.
function sameBits(js: Float64Array, py: string[]): boolean {
  return js.length === py.length && py.every((s, i) => Object.is(js[i], pyFloat(s)));
}

// closures: ops written as _backward closures (their edges set the grad they left) and
// torch's masks under a non-finite grad
describe.each(["expr", "mlp", "closures"])("replay of the %s fixture", (name) => {
  const fx = readFixture(name);

  it.each(fx.steps.map((s) => [s.index, s] as const))(
    "step %i: grads equal Python's at every event, walking forward",
    (_i, step) => {
      const g = stepColumns(decode(readBundle(step.bundle)), step.n_created);
      const cursor = new GradCursor(new Replay(g, step.n_created), g.op.length);
      for (let t = 0; t < step.num_events; t++) {
        cursor.seek(t);
        expect(sameBits(cursor.grad, step.grads[t]), `event ${t}`).toBe(true);
      }
    },
  );

  it.each(fx.steps.map((s) => [s.index, s] as const))(
    "step %i: grads equal Python's after jumps back and forth",
    (_i, step) => {
      const g = stepColumns(decode(readBundle(step.bundle)), step.n_created);
      const cursor = new GradCursor(new Replay(g, step.n_created), g.op.length);
      let seed = 7;
      for (let k = 0; k < 200; k++) {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        const t = seed % step.num_events;
        cursor.seek(t);
        expect(sameBits(cursor.grad, step.grads[t]), `jump to ${t}`).toBe(true);
      }
      for (let t = step.num_events - 1; t >= 0; t--) {
        cursor.seek(t);
        expect(sameBits(cursor.grad, step.grads[t]), `back to ${t}`).toBe(true);
      }
    },
  );

  it("finds the node each event builds or visits, as State.current_node does", () => {
    for (const step of fx.steps) {
      const g = stepColumns(decode(readBundle(step.bundle)), step.n_created);
      for (let t = 0; t < step.num_events; t++) {
        const v = t - step.n_created;
        const js = t < step.n_created ? t : v > 0 ? g.visits[v - 1] : null;
        expect(js).toBe(step.current_node[t]);
      }
    }
  });
});
