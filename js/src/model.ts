// The one module that touches anywidget's model: the synced traits of `TraceViewer`
// (mgdebug/widget.py), custom messages both ways with their buffers in one form, and an
// end for every listener. Contract: docs/widget-protocol.md.

import { asDataView, type BufferLike } from "./data/decode";
import type { Paused, Status } from "./data/protocol";

/** The synced traits of `TraceViewer` in mgdebug/widget.py. */
export interface Traits {
  cursor: number; // event t over the whole trace, -1 = the last
  step: number;
  selected: number; // node id in `step`, -1 for none
  status: Status;
  paused: Paused;
  breakpoints: string[];
  height_px: number;
}

export type TraitName = keyof Traits;

/** The part of anywidget's model (AFM) that we use; the saved-trace page has its own (savedModel.ts). */
export interface Model {
  get<K extends TraitName>(key: K): Traits[K];
  set<K extends TraitName>(key: K, value: Traits[K]): void;
  save_changes(): void;
  on(event: string, callback: (...args: never[]) => void): void;
  off(event?: string | null, callback?: ((...args: never[]) => void) | null): void;
  send(content: unknown, callbacks?: unknown, buffers?: ArrayBuffer[]): void;
}

const CURSOR_SYNC_MS = 100; // the cursor trait follows a scrub at most 10 times a second

/** The viewer's side of the model: every read, write, message and listener goes through here. */
export class ModelLink {
  private handlers: [string, (...args: never[]) => void][] = [];
  private cursorTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly model: Model) {}

  get<K extends TraitName>(key: K): Traits[K] {
    return this.model.get(key);
  }

  /** Write a trait and save it; nothing when it holds that value already. */
  set<K extends TraitName>(key: K, value: Traits[K]): void {
    if (this.model.get(key) === value) return;
    this.model.set(key, value);
    this.model.save_changes();
  }

  /** Write the cursor trait once a burst of moves settles (`read` gives the cursor then). */
  syncCursor(read: () => number): void {
    if (this.cursorTimer) return;
    this.cursorTimer = setTimeout(() => {
      this.cursorTimer = null;
      this.set("cursor", read());
    }, CURSOR_SYNC_MS);
  }

  send(content: Record<string, unknown>): void {
    this.model.send(content);
  }

  /** Custom messages from the kernel, their buffers as DataViews whatever form the host used
   * (anywidget: DataView; Colab: Uint8Array; either may sit at an offset in a larger buffer). */
  onMessage(callback: (content: unknown, buffers: DataView[]) => void): void {
    this.listen("msg:custom", (content: unknown, buffers?: readonly BufferLike[] | null) =>
      callback(content, (buffers ?? []).map(asDataView)),
    );
  }

  onChange(key: TraitName, callback: () => void): void {
    this.listen(`change:${key}`, callback);
  }

  private listen(event: string, callback: (...args: never[]) => void): void {
    this.model.on(event, callback);
    this.handlers.push([event, callback]);
  }

  /** Remove every listener added here and drop a pending cursor write. */
  dispose(): void {
    for (const [event, callback] of this.handlers) this.model.off(event, callback);
    this.handlers = [];
    if (this.cursorTimer) clearTimeout(this.cursorTimer);
    this.cursorTimer = null;
  }
}
