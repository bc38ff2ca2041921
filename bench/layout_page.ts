// The page side of bench/layout_bench.py: reads a step bundle as the viewer does, starts
// the layout worker (the bundle the widget inlines) from a Blob URL, and times one step's
// first layout in it. Cold: a fresh worker, as at a viewer's first paint or first pause.
// Warm: the same worker given the graph again with one node's label changed (another
// structure, so the group tree and edges are built again), by compiled code.

import { decode, stepColumns } from "../js/src/data/decode";
import type { LayoutFailure, LayoutRequest, LayoutResult } from "../js/src/layout/engine";
import type { GraphInput } from "../js/src/layout/groups";

interface Strings {
  ops: string[];
  scopes: string[];
  labels: string[];
}

interface Round {
  coldMs: number; // the worker's own time (LayoutResult.ms), first layout of a fresh worker
  coldTripMs: number; // ...and from posting the graph to the answer on this thread
  warmMs: number;
  units: number;
  revealed: boolean; // the revealed node is a box of its own in the picture
}

function graphOf(bundleBase64: string, nCreated: number, strings: Strings): GraphInput {
  const bytes = Uint8Array.from(atob(bundleBase64), (ch) => ch.charCodeAt(0));
  const g = stepColumns(decode(new DataView(bytes.buffer)), nCreated);
  return {
    nCreated,
    op: g.op,
    scope: g.scope,
    label: g.label,
    childPtr: g.child_ptr,
    child: g.child,
    ...strings,
  };
}

function ask(
  worker: Worker,
  key: string,
  graph: GraphInput,
  reveal: number,
  version: number,
  relabel = false,
): Promise<LayoutResult> {
  return new Promise((resolve, reject) => {
    worker.onmessage = (ev: MessageEvent<LayoutResult | LayoutFailure>) =>
      ev.data.type === "layout" ? resolve(ev.data) : reject(new Error(ev.data.message));
    // copies, as the viewer's StepView.graphInput sends
    const copy = { ...graph, op: graph.op.slice(), scope: graph.scope.slice(), label: graph.label.slice() };
    if (relabel) copy.label[0] = (copy.label[0] + 1) % graph.labels.length;
    worker.postMessage({ type: "graph", version, key, graph: copy });
    const req: LayoutRequest = {
      type: "layout",
      id: version,
      version,
      groups: { bySample: false },
      view: { showOps: true },
      expanded: null,
      reveal,
    };
    worker.postMessage(req);
  });
}

async function layoutBench(
  bundleBase64: string,
  nCreated: number,
  strings: Strings,
  workerSource: string,
  reveal: number,
  rounds: number,
): Promise<Round[]> {
  const graph = graphOf(bundleBase64, nCreated, strings);
  const url = URL.createObjectURL(new Blob([workerSource], { type: "text/javascript" }));
  const out: Round[] = [];
  for (let r = 0; r < rounds; r++) {
    const worker = new Worker(url);
    const t0 = performance.now();
    const cold = await ask(worker, "first", graph, reveal, 1);
    const coldTripMs = performance.now() - t0;
    const warm = await ask(worker, "again", graph, reveal, 2, true);
    worker.terminate();
        const l = cold.layout;
    const revealed = l.unit[l.slotOfNode[reveal]] === reveal;
    out.push({ coldMs: cold.ms, coldTripMs, warmMs: warm.ms, units: l.unit.length, revealed });
  }
  return out;
}

(globalThis as unknown as { layoutBench: typeof layoutBench }).layoutBench = layoutBench;
