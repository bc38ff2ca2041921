// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from "vitest";
import type { SavedTrace } from "./savedModel";
import { boot, DATA_ID, ROOT_ID } from "./standalone";
import { readBundle, readFixture } from "./testing/fixtures";

const tick = (ms = 60) => new Promise((r) => setTimeout(r, ms));

function b64(view: DataView): string {
  let raw = "";
  for (let i = 0; i < view.byteLength; i++) raw += String.fromCharCode(view.getUint8(i));
  return btoa(raw);
}

/** A page as mgdebug/export_html.py writes it, for the mlp fixture with only step 0 kept. */
function page(): SavedTrace {
  const fx = readFixture("mlp");
  const steps = fx.steps.map((s) => ({
    index: s.index,
    loss: 0.5,
    has_backward: true,
    backward_completed: true,
    num_created: s.n_created,
    num_visits: s.num_events - s.n_created - 1,
    num_events: s.num_events,
    kept: s.index === 0,
  }));
  const offsets = [0];
  for (const s of steps) offsets.push(offsets[offsets.length - 1] + s.num_events);
  const step = fx.steps[0];
  const none = { content: {}, buffers: [] };
  return {
    traits: { cursor: -1, step: 0, selected: -1, status: {}, paused: {}, breakpoints: [], height_px: 420 },
    replies: {
      hello: {
        content: {
          kind: "trace_meta",
          strings: fx.strings,
          steps,
          event_offsets: offsets,
          notices: [],
          error: null,
          recording: false,
        },
        buffers: [],
      },
      get_hits: { ...none, content: { kind: "hits", id: 0, hits: [], live: [] } },
      get_anomaly: { ...none, content: { kind: "anomaly", id: 0, anomaly: null } },
      "get_step:0": {
        content: { kind: "step_data", id: 0, step: 0, n_created: step.n_created, event_offset: 0, has_backward: true },
        buffers: [b64(readBundle(step.bundle))],
      },
    },
  };
}

afterEach(() => document.body.replaceChildren());

describe("standalone page", () => {
  it("renders the viewer from the page's embedded data, step and errors answered as a kernel would", async () => {
    const host = document.createElement("div");
    host.id = ROOT_ID;
    const data = document.createElement("script");
    data.type = "application/json";
    data.id = DATA_ID;
    data.textContent = JSON.stringify(page());
    document.body.append(host, data);
    const cleanup = boot(document);
    expect(cleanup).not.toBeNull();
    await tick(120);
    const root = host.querySelector<HTMLElement>(".mgdebug-root")!;
    expect(root.style.height).toBe("100%"); // the page's window, not the notebook's height_px
    expect(host.querySelector(".mgd-readout")!.textContent).toMatch(/step 0\/2/);
    // step 1 kept only its summary: the viewer says so, as it would for a kernel's error
    host.querySelector<HTMLSelectElement>("select.mgd-step")!.value = "1";
    host.querySelector("select.mgd-step")!.dispatchEvent(new Event("change"));
    await tick();
    expect(host.querySelector(".mgd-notice")!.textContent).toBe("step 1 kept only its summary in this trace");
    cleanup!();
  });

  it("does nothing on a page without the viewer's elements", () => {
    expect(boot(document)).toBeNull();
  });
});
