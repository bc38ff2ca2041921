// The layout worker's entry (bundled to a string by build.mjs and started from a Blob
// URL): graphs are applied in order, and of the layout requests waiting only the newest
// runs, so a burst of expand clicks costs one layout. Errors go back as messages.

import { type GraphMessage, LayoutEngine, type LayoutRequest, transferables } from "./engine";

interface WorkerScope {
  onmessage: ((ev: MessageEvent<GraphMessage | LayoutRequest>) => void) | null;
  postMessage(msg: unknown, transfer?: Transferable[]): void;
}

const scope = self as unknown as WorkerScope;
const engine = new LayoutEngine();
let pending: LayoutRequest | null = null;
let scheduled = false;

scope.onmessage = (ev) => {
  const msg = ev.data;
  if (msg.type === "graph") engine.setGraph(msg);
  else pending = msg; // a newer request replaces one that has not started
  if (!scheduled) {
    scheduled = true;
    setTimeout(onRun, 0); // after the messages already queued, so stale ones are skipped
  }
};

function onRun(): void {
  scheduled = false;
  const req = pending;
  pending = null;
  if (!req) return;
  try {
    const out = engine.layout(req);
    scope.postMessage(out, out.type === "layout" ? transferables(out) : []);
  } catch (e) {
    scope.postMessage({ type: "error", id: req.id, message: `layout failed: ${(e as Error).message}` });
  }
}
