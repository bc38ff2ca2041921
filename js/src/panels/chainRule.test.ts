import { describe, expect, it } from "vitest";
import { decode, stepColumns } from "../data/decode";
import { StepView } from "../data/stepView";
import { readBundle, readFixture } from "../testing/fixtures";
import { byMagnitude, consumerTerms, inputTerms, sumApplied } from "./chainRule";

function mlpStep(k: number, name = "mlp"): StepView {
  const fx = readFixture(name);
  const st = fx.steps[k];
  const g = stepColumns(decode(readBundle(st.bundle)), st.n_created);
  const summary = {
    index: k,
    loss: 0,
    has_backward: true,
    backward_completed: true,
    num_created: st.n_created,
    num_visits: g.visits.length,
    num_events: st.num_events,
    kept: true,
  };
  return new StepView(g, k, st.n_created, st.event_offset, summary);
}

describe("chain rule terms", () => {
  it("add up to the replayed grad at every event, summed in the engine's order", () => {
    const v = mlpStep(1); // step 1: the parameters start backward with step 0's grads
    for (let t = 0; t < v.numEvents; t += 3) {
      v.seek(t);
      for (let node = 0; node < v.numNodes; node++) {
        const terms = consumerTerms(v, node);
        const { sum } = sumApplied(v, node, terms);
        expect(sum).toBe(v.grad[node]);
      }
    }
  });

  it("add up to the replayed grad with closures that set grads and edges that mask", () => {
    for (const k of [0, 1]) {
      const v = mlpStep(k, "closures"); // the lecture's `=` bug, relu off and x ** 0 under inf
      let sets = 0;
      let masked = 0;
      for (let t = 0; t < v.numEvents; t++) {
        v.seek(t);
        for (let node = 0; node < v.numNodes; node++) {
          const terms = consumerTerms(v, node);
          sets += terms.filter((x) => x.sets !== null).length;
          masked += terms.filter((x) => x.masks && x.upstream !== null && !Number.isFinite(x.upstream)).length;
          const { sum } = sumApplied(v, node, terms);
          expect(Object.is(sum, v.grad[node]) || sum === v.grad[node]).toBe(true);
        }
      }
      expect(sets).toBeGreaterThan(0); // the fixture exercises both rules
      expect(masked).toBeGreaterThan(0);
    }
  });

  it("sorts by |contribution|, the terms not applied yet last, and never drops one", () => {
    const v = mlpStep(0);
    const param = v.numNodes - 1; // an imported parameter: one consumer per sample
    v.seek(v.numEvents - 1);
    const terms = byMagnitude(consumerTerms(v, param));
    expect(terms.length).toBe(v.parents().ptr[param + 1] - v.parents().ptr[param]);
    const mags = terms.map((t) => Math.abs(t.value!));
    expect(mags).toEqual([...mags].sort((a, b) => b - a));
    v.seek(v.nCreated + 1); // only the root's chain rule has run
    const early = byMagnitude(consumerTerms(v, param));
    expect(early.every((t) => t.value === null)).toBe(true);
  });

  it("gives each input of a node its local derivative times the node's grad once its rule ran", () => {
    const v = mlpStep(0);
    v.seek(v.numEvents - 1);
    const root = v.root;
    const terms = inputTerms(v, root);
    expect(terms.length).toBeGreaterThan(0);
    for (const t of terms) expect(t.value).toBe(t.local * v.grad[root]);
  });
});
