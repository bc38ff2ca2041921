// The saved-trace page's stand-in for anywidget's model: the traits and every answer the
// kernel gave, embedded in the page by mgdebug/export_html.py, behind the same `Model`
// interface. A request is answered by key on a later tick, as a kernel would, with the
// request's id in the answer (docs/widget-protocol.md).

import type { Model, TraitName, Traits } from "./model";

/** One embedded answer: the kernel's message content and its buffers in base64. */
export interface SavedReply {
  content: Record<string, unknown>;
  buffers: string[];
}

/** What the page embeds: `replies` by request key (`hello`, `get_params`, `get_step:3`, ...);
 * a step's reply holds its numbers, and `structures` each step structure once, by key. */
export interface SavedTrace {
  traits: Traits;
  replies: Record<string, SavedReply>;
  structures?: Record<string, string>; // structure key -> base64 bundle
}

export const NOTHING_RUNS = "this page is a saved trace: nothing is running";
const KINDS = ["hello", "get_step", "get_params", "get_hits", "get_anomaly", "command"];

/** The page's embedded JSON, checked for the two parts every page has. */
export function parseSavedTrace(text: string): SavedTrace {
  const data = JSON.parse(text) as Partial<SavedTrace> | null;
  const isObject = (x: unknown) => typeof x === "object" && x !== null && !Array.isArray(x);
  if (!isObject(data) || !isObject(data?.traits) || !isObject(data?.replies)) {
    throw new Error("the page's mgdebug-data is not a saved trace: it needs 'traits' and 'replies'");
  }
  return data as SavedTrace;
}

/** The key a request is answered under: its kind, and for a step the step's number. */
export function replyKey(request: Record<string, unknown>): string {
  return request.kind === "get_step" ? `get_step:${request.step}` : String(request.kind);
}

export function base64Bytes(text: string): Uint8Array {
  const raw = atob(text);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

type Listener = (...args: never[]) => void;

export class SavedModel implements Model {
  private readonly traits: Traits;
  private listeners = new Map<string, Listener[]>();

  constructor(
    private readonly data: SavedTrace,
    private readonly later: (run: () => void) => void = (run) => setTimeout(run, 0),
  ) {
    this.traits = { ...data.traits };
  }

  get<K extends TraitName>(key: K): Traits[K] {
    return this.traits[key];
  }

  /** As anywidget's model: a change event only when the value changed. */
  set<K extends TraitName>(key: K, value: Traits[K]): void {
    if (JSON.stringify(this.traits[key]) === JSON.stringify(value)) return;
    this.traits[key] = value;
    this.emit(`change:${key}`);
  }

  save_changes(): void {} // nobody to save to

  on(event: string, callback: Listener): void {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), callback]);
  }

  off(event?: string | null, callback?: Listener | null): void {
    if (!event) this.listeners.clear();
    else if (!callback) this.listeners.delete(event);
    else
      this.listeners.set(
        event,
        (this.listeners.get(event) ?? []).filter((f) => f !== callback),
      );
  }

  send(content: unknown): void {
    const request = typeof content === "object" && content !== null ? (content as Record<string, unknown>) : {};
    this.later(() => {
      const { content: answer, buffers } = this.answer(request);
      this.emit("msg:custom", answer, buffers);
    });
  }

  /** The kernel's answer to `request`, as it was saved; an `error` message when none was. */
  answer(request: Record<string, unknown>): { content: Record<string, unknown>; buffers: DataView[] } {
    const saved = this.data.replies[replyKey(request)];
    if (saved) {
      const content: Record<string, unknown> = { ...saved.content };
      if ("id" in request) content.id = request.id;
      const buffers = [...saved.buffers];
      // a step's structure goes along unless the viewer says it keeps it, as the kernel does
      const key = saved.content.structure;
      const structure = typeof key === "string" ? this.data.structures?.[key] : undefined;
      const held = Array.isArray(request.structures) && request.structures.includes(key);
      if (structure !== undefined && !held) {
        buffers.push(structure);
        content.structure_sent = true;
      }
      return { content, buffers: buffers.map((b) => new DataView(base64Bytes(b).buffer)) };
    }
    const id = request.id ?? null;
    const kind = String(request.kind);
    let message = `unknown message kind '${kind}'`;
    if (kind === "get_step") message = `step ${request.step} kept only its summary in this trace`;
    else if (kind === "command") message = NOTHING_RUNS;
    else if (KINDS.includes(kind)) message = `this saved trace holds no answer to '${kind}'`;
    return { content: { kind: "error", id, message }, buffers: [] };
  }

  private emit(event: string, ...args: unknown[]): void {
    for (const f of this.listeners.get(event) ?? []) (f as (...a: unknown[]) => void)(...args);
  }
}
