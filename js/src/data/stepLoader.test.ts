import { describe, expect, it } from "vitest";
import { readBundle, readFixture } from "../testing/fixtures";
import { decode, stepColumns } from "./decode";
import type { TraceMeta } from "./protocol";
import { StepLoader } from "./stepLoader";
import { StepView } from "./stepView";

function meta(): TraceMeta {
  const fx = readFixture("mlp");
  const steps = fx.steps.map((s) => ({
    index: s.index,
    loss: 0.5,
    has_backward: true,
    backward_completed: true,
    num_created: s.n_created,
    num_visits: s.num_events - s.n_created - 1,
    num_events: s.num_events,
    kept: true,
  }));
  return {
    kind: "trace_meta",
    strings: fx.strings,
    steps,
    event_offsets: [0, steps[0].num_events, steps[0].num_events + steps[1].num_events],
    notices: [],
    error: null,
    recording: false,
  };
}

function answer(loader: StepLoader, req: Record<string, unknown>) {
  const step = readFixture("mlp").steps[req.step as number];
  return loader.onStepData(
    {
      kind: "step_data",
      id: req.id as number,
      step: step.index,
      n_created: step.n_created,
      event_offset: step.event_offset,
      has_backward: true,
    },
    [readBundle(step.bundle)],
  );
}

// as the kernel answers (mgdebug/protocol.py): the step's numbers, and its structure as a
// second bundle unless the request names it
function kernelAnswer(loader: StepLoader, req: Record<string, unknown>) {
  const step = readFixture("mlp").steps[req.step as number];
  const held = (req.structures as string[]).includes(step.structure);
  const msg = {
    kind: "step_data" as const,
    id: req.id as number,
    step: step.index,
    n_created: step.n_created,
    event_offset: step.event_offset,
    has_backward: true,
    structure: step.structure,
    structure_sent: !held,
  };
  const buffers = [readBundle(step.numbers)];
  if (!held) buffers.push(readBundle(step.structure_bundle));
  return loader.onStepData(msg, buffers);
}

describe("StepLoader", () => {
  it("shows the step asked for last, keeps it, and prefetches its neighbour", () => {
    const sent: Record<string, unknown>[] = [];
    const shown: StepView[] = [];
    const loader = new StepLoader(
      (c) => sent.push(c),
      (v) => shown.push(v),
      () => {},
    );
    loader.setMeta(meta());
    loader.want(0);
    loader.want(1); // the user moved on before step 0 arrived
    expect(sent.map((m) => m.step)).toEqual([0, 1]);
    answer(loader, sent[0]); // late: cached, not shown
    expect(shown).toEqual([]);
    answer(loader, sent[1]);
    expect(shown.map((v) => v.step)).toEqual([1]);
    loader.want(0); // cached: shown at once, no message
    expect(shown.map((v) => v.step)).toEqual([1, 0]);
    expect(sent.length).toBe(2);
  });

  it("asks for a neighbour ahead of time and adopts it when it is wanted", () => {
    const sent: Record<string, unknown>[] = [];
    const shown: StepView[] = [];
    const loader = new StepLoader(
      (c) => sent.push(c),
      (v) => shown.push(v),
      () => {},
    );
    loader.setMeta(meta());
    loader.want(0);
    answer(loader, sent[0]);
    expect(sent.map((m) => m.step)).toEqual([0]); // nothing competes with laying out step 0
    loader.settled(); // step 0 is laid out and drawn
    expect(sent.map((m) => m.step)).toEqual([0, 1]); // the prefetch of step 1
    loader.settled(); // a later layout (expand, collapse) asks for nothing more
    expect(sent.length).toBe(2);
    loader.want(1); // adopts the prefetch in flight: no second request
    expect(sent.length).toBe(2);
    answer(loader, sent[1]);
    expect(shown.map((v) => v.step)).toEqual([0, 1]);
  });
});

describe("StepLoader structures", () => {
  it("asks with the structures it keeps and rebuilds a numbers-only step exactly", () => {
    const sent: Record<string, unknown>[] = [];
    const shown: StepView[] = [];
    const loader = new StepLoader(
      (c) => sent.push(c),
      (v) => shown.push(v),
      () => {},
    );
    loader.setMeta(meta());
    loader.want(0);
    expect(sent[0].structures).toEqual([]);
    kernelAnswer(loader, sent[0]);
    loader.want(1);
    const key = readFixture("mlp").steps[1].structure;
    expect(sent[1].structures).toEqual([key]); // step 0's structure, which step 1 repeats
    kernelAnswer(loader, sent[1]);
    const full = new StepView(
      stepColumns(decode(readBundle(readFixture("mlp").steps[1].bundle)), shown[1].nCreated),
      1,
      shown[1].nCreated,
      shown[1].eventOffset,
      shown[1].summary,
    );
    for (const [name, column] of Object.entries(full.g)) {
      expect(Array.from(shown[1].g[name as keyof typeof full.g] as ArrayLike<unknown>), name).toEqual(
        Array.from(column as ArrayLike<unknown>),
      );
    }
    expect(Array.from(shown[1].replay!.after)).toEqual(Array.from(full.replay!.after));
    expect(shown[1].structureKey).toBe(key);
  });

  it("refuses numbers for a structure it does not keep", () => {
    const failures: string[] = [];
    const sent: Record<string, unknown>[] = [];
    const loader = new StepLoader(
      (c) => sent.push(c),
      () => {},
      (m) => failures.push(m),
    );
    loader.setMeta(meta());
    loader.want(1);
    kernelAnswer(loader, { ...sent[0], structures: [readFixture("mlp").steps[1].structure] });
    expect(failures.join()).toMatch(/does not keep/);
  });
});

describe("StepLoader requests", () => {
  it("asks once for a step already on its way (the same trace_meta twice)", () => {
    const sent: Record<string, unknown>[] = [];
    const shown: StepView[] = [];
    const loader = new StepLoader(
      (c) => sent.push(c),
      (v) => shown.push(v),
      () => {},
    );
    loader.setMeta(meta());
    loader.want(0);
    loader.setMeta(meta());
    loader.want(0);
    expect(sent.length).toBe(1);
    loader.want(1);
    loader.want(0); // back to a step still on its way: adopt that request
    expect(sent.map((m) => m.step)).toEqual([0, 1]);
    answer(loader, sent[0]);
    expect(shown.map((v) => v.step)).toEqual([0]);
  });

  it("ignores another view's answer that shares an id but not the step", () => {
    const sent: Record<string, unknown>[] = [];
    const shown: StepView[] = [];
    const loader = new StepLoader(
      (c) => sent.push(c),
      (v) => shown.push(v),
      () => {},
    );
    loader.setMeta(meta());
    loader.want(0);
    expect(answer(loader, { id: sent[0].id, step: 1 })).toBe(false);
    expect(shown).toEqual([]);
    answer(loader, sent[0]);
    expect(shown.map((v) => v.step)).toEqual([0]);
  });
});
