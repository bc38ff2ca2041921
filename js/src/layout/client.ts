// The main thread's side of layout: starts the worker from a Blob URL (anywidget loads
// our bundle from a blob, so no relative path can name a worker file), numbers the
// requests, drops stale answers, restarts a worker stuck on an outdated job, and lays
// out on the main thread instead when no worker can be started.

import workerSource from "inline-worker:layout";
import { StructureCache } from "../data/structures";
import type { ViewOptions } from "./compose";
import { type GraphMessage, LayoutEngine, type LayoutFailure, type LayoutRequest, type LayoutResult } from "./engine";
import type { GraphInput, GroupOptions } from "./groups";
import type { GroupTree } from "./groupTree";

export interface LayoutAnswer {
  id: number;
  tree: GroupTree;
  treeId: number;
  result: LayoutResult;
}

const STUCK_MS = 250; // an older job running longer than this is killed for a newer one

export class LayoutClient {
  private worker: Worker | null = null;
  private url: string | null = null;
  private fallback: LayoutEngine | null = null;
  private fallbackPending: LayoutRequest | null = null;
  private graphMsg: GraphMessage | null = null;
  private makeGraph: (() => GraphInput) | null = null;
  // the structure keys the engine keeps, most recent first, as its setGraph keeps them (or
  // fewer: dropping a key here too early only costs sending arrays the engine had)
  private held = new StructureCache<true>();
  private lastRequest: LayoutRequest | null = null;
  private version = 0;
  private nextId = 1;
  private latest = 0;
  private runningSince = 0; // when the worker began its current job (roughly)
  private trees = new Map<number, GroupTree>();

  constructor(
    private onAnswer: (a: LayoutAnswer) => void,
    private onError: (message: string) => void,
  ) {
    this.start();
  }

  private start(): void {
    if (!workerSource || typeof Worker === "undefined" || typeof Blob === "undefined") {
      this.fallback = new LayoutEngine();
      return;
    }
    try {
      this.url ??= URL.createObjectURL(new Blob([workerSource], { type: "text/javascript" }));
      const w = new Worker(this.url);
      w.onmessage = (ev: MessageEvent<LayoutResult | LayoutFailure>) => this.onMessage(ev.data);
      w.onerror = (ev) => {
        ev.preventDefault();
        this.toFallback(); // a page policy may refuse blob workers: lay out here instead
      };
      this.worker = w;
      this.held.clear();
      if (this.graphMsg) w.postMessage(this.fullGraphMsg());
      this.trees.clear();
    } catch {
      this.toFallback();
    }
  }

  private toFallback(): void {
    this.worker?.terminate();
    this.worker = null;
    this.fallback = new LayoutEngine();
    this.held.clear();
    if (this.graphMsg) this.fallback.setGraph(this.fullGraphMsg());
    this.trees.clear();
    // the request the worker never answered: run it here
    const req = this.lastRequest;
    if (req && this.latest === req.id) {
      if (!this.fallbackPending) setTimeout(() => this.runFallback(), 0);
      this.fallbackPending = req;
    }
  }

  /** A new step's graph; later requests refer to it. */
  setGraph(key: string | null, makeGraph: () => GraphInput): void {
    const known = this.held.has(key);
    // a structure the engine keeps goes by its key: no 1.3 MB copy, clone and compare
    this.graphMsg = { type: "graph", version: ++this.version, key, graph: known ? null : makeGraph() };
    this.makeGraph = makeGraph;
    this.held.add(key, true);
    if (this.worker) this.worker.postMessage(this.graphMsg);
    else this.fallback?.setGraph(this.graphMsg);
  }

  // the current graph with its arrays, for an engine that starts empty
  private fullGraphMsg(): GraphMessage {
    const msg = this.graphMsg!;
    if (msg.graph || !this.makeGraph) return msg;
    this.graphMsg = { ...msg, graph: this.makeGraph() };
    this.held.add(msg.key, true);
    return this.graphMsg;
  }

  /** Ask for a layout; only the answer to the newest request is delivered. */
  request(
    groups: GroupOptions,
    view: ViewOptions,
    expanded: string[] | null,
    pages: Record<string, number> = {},
    reveal = -1,
  ): number {
    const req: LayoutRequest = {
      type: "layout",
      id: this.nextId++,
      version: this.version,
      groups,
      view,
      expanded,
      pages,
      reveal,
    };
    const now = performance.now();
    const busy = this.latest !== 0;
    if (this.worker && busy && now - this.runningSince > STUCK_MS) {
      this.worker.terminate(); // its job is for an outdated view and still running
      this.worker = null;
      this.start();
    }
    if (!busy || !this.worker) this.runningSince = now;
    this.latest = req.id;
    this.lastRequest = req;
    if (this.worker) this.worker.postMessage(req);
    else {
      if (!this.fallbackPending) setTimeout(() => this.runFallback(), 0);
      this.fallbackPending = req;
    }
    return req.id;
  }

  private runFallback(): void {
    const req = this.fallbackPending;
    this.fallbackPending = null;
    if (!req || !this.fallback) return;
    try {
      this.onMessage(this.fallback.layout(req));
    } catch (e) {
      this.onMessage({ type: "error", id: req.id, message: `layout failed: ${(e as Error).message}` });
    }
  }

  private onMessage(msg: LayoutResult | LayoutFailure): void {
    if (msg.type === "layout" && msg.tree) this.trees.set(msg.treeId, msg.tree);
    if (msg.id !== this.latest) {
      this.runningSince = performance.now(); // it moves on to the newest request now
      return; // stale: a newer request is on its way
    }
    this.latest = 0;
    if (msg.type === "error") return this.onError(msg.message);
    const tree = this.trees.get(msg.treeId);
    if (!tree) return this.onError("layout answer refers to an unknown group tree");
    for (const id of this.trees.keys()) if (id !== msg.treeId) this.trees.delete(id);
    this.onAnswer({ id: msg.id, tree, treeId: msg.treeId, result: msg });
  }

  dispose(): void {
    this.worker?.terminate();
    this.worker = null;
    if (this.url) URL.revokeObjectURL(this.url);
    this.url = null;
    this.fallbackPending = null;
  }
}
