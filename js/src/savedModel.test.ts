import { describe, expect, it } from "vitest";
import { decode } from "./data/decode";
import type { Traits } from "./model";
import { base64Bytes, NOTHING_RUNS, parseSavedTrace, replyKey, SavedModel, type SavedTrace } from "./savedModel";
import { readBundle } from "./testing/fixtures";

const traits: Traits = { cursor: -1, step: 0, selected: -1, status: {}, paused: {}, breakpoints: [], height_px: 400 };
function b64(bytes: Uint8Array): string {
  let raw = "";
  for (const b of bytes) raw += String.fromCharCode(b);
  return btoa(raw);
}

function saved(): SavedTrace {
  const bundle = readBundle("mlp_step0.bin");
  const bytes = new Uint8Array(bundle.buffer, bundle.byteOffset, bundle.byteLength);
  return {
    traits,
    replies: {
      hello: { content: { kind: "trace_meta", steps: [] }, buffers: [] },
      get_params: { content: { kind: "params", id: 0, names: ["w"] }, buffers: [b64(new Uint8Array([1, 2, 255]))] },
      "get_step:0": { content: { kind: "step_data", id: 0, step: 0 }, buffers: [b64(bytes)] },
    },
  };
}

/** A SavedModel whose "later tick" runs when the test says, and the messages it emitted. */
function harness(data = saved()) {
  const queue: (() => void)[] = [];
  const model = new SavedModel(data, (run) => queue.push(run));
  const got: { content: Record<string, unknown>; buffers: DataView[] }[] = [];
  model.on("msg:custom", ((content: Record<string, unknown>, buffers: DataView[]) =>
    got.push({ content, buffers })) as never);
  const tick = () => {
    for (const run of queue.splice(0)) run();
  };
  return { model, got, tick };
}

describe("SavedModel", () => {
  it("answers by key on a later tick, with the request's id", () => {
    const { model, got, tick } = harness();
    model.send({ kind: "hello" });
    model.send({ kind: "get_params", id: 41 });
    expect(got).toEqual([]); // as a kernel: never within send
    tick();
    expect(got.map((m) => m.content)).toEqual([
      { kind: "trace_meta", steps: [] },
      { kind: "params", id: 41, names: ["w"] },
    ]);
    expect(replyKey({ kind: "get_step", step: 3, id: 1 })).toBe("get_step:3");
  });

  it("hands buffers as DataViews holding exactly the saved bytes", () => {
    const { model, got, tick } = harness();
    model.send({ kind: "get_params", id: 1 });
    model.send({ kind: "get_step", id: 2, step: 0 });
    tick();
    const params = got[0].buffers[0];
    expect(Array.from(new Uint8Array(params.buffer, params.byteOffset, params.byteLength))).toEqual([1, 2, 255]);
    const step = got[1];
    expect(step.content).toEqual({ kind: "step_data", id: 2, step: 0 });
    expect(decode(step.buffers[0]).meta).toEqual(decode(readBundle("mlp_step0.bin")).meta);
    expect(Array.from(base64Bytes(b64(new Uint8Array([0, 128, 7]))))).toEqual([0, 128, 7]);
  });

  it("sends a step's structure along unless the viewer keeps it, as the kernel does", () => {
    const bytes = (name: string) => {
      const v = readBundle(name);
      return b64(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
    };
    const data: SavedTrace = {
      traits,
      replies: {
        "get_step:1": {
          content: { kind: "step_data", id: 0, step: 1, structure: "k1", structure_sent: false },
          buffers: [bytes("mlp_step1_numbers.bin")],
        },
      },
      structures: { k1: bytes("mlp_step1_structure.bin") },
    };
    const { model, got, tick } = harness(data);
    model.send({ kind: "get_step", id: 3, step: 1, structures: [] });
    model.send({ kind: "get_step", id: 4, step: 1, structures: ["k1"] });
    tick();
    expect(got[0].content).toMatchObject({ id: 3, structure: "k1", structure_sent: true });
    expect(got[0].buffers.map((b) => Object.keys(decode(b).columns).includes("child"))).toEqual([false, true]);
    expect(got[1].content).toMatchObject({ id: 4, structure_sent: false });
    expect(got[1].buffers).toHaveLength(1);
    expect(data.replies["get_step:1"].content.structure_sent).toBe(false); // the saved reply is untouched
  });

  it("answers what it cannot serve with an error naming why", () => {
    const { model, got, tick } = harness();
    model.send({ kind: "get_step", id: 5, step: 7 });
    model.send({ kind: "command", action: "continue" });
    model.send({ kind: "get_hits", id: 6 });
    model.send({ kind: "frobnicate", id: 8 });
    tick();
    expect(got.map((m) => m.content)).toEqual([
      { kind: "error", id: 5, message: "step 7 kept only its summary in this trace" },
      { kind: "error", id: null, message: NOTHING_RUNS },
      { kind: "error", id: 6, message: "this saved trace holds no answer to 'get_hits'" },
      { kind: "error", id: 8, message: "unknown message kind 'frobnicate'" },
    ]);
    expect(got.every((m) => m.buffers.length === 0)).toBe(true);
  });

  it("gets and sets traits, with a change event only when a value changed, until a listener is off", () => {
    const { model } = harness();
    const seen: string[] = [];
    const onCursor = () => seen.push(`cursor=${model.get("cursor")}`);
    model.on("change:cursor", onCursor);
    model.on("change:breakpoints", () => seen.push("breakpoints"));
    expect(model.get("height_px")).toBe(400);
    model.set("cursor", 12);
    model.set("cursor", 12);
    model.set("breakpoints", ["op:tanh"]);
    model.set("breakpoints", ["op:tanh"]); // an equal list is no change
    model.off("change:cursor", onCursor);
    model.set("cursor", 13);
    expect(seen).toEqual(["cursor=12", "breakpoints"]);
    expect(model.get("cursor")).toBe(13);
  });

  it("refuses page data that is not a saved trace", () => {
    expect(parseSavedTrace(JSON.stringify(saved())).traits.height_px).toBe(400);
    expect(() => parseSavedTrace('{"esm": "..."}')).toThrow(/needs 'traits' and 'replies'/);
  });
});
