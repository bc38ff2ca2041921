// Reusing a step's structure. A training loop builds the same graph every step and only
// the numbers change, so the kernel names each step's structure by a digest
// (docs/widget-protocol.md, "Structure sharing") and whatever was built for a structure is
// kept under that key: the step loader its columns (so later bundles can leave them out),
// the layout engine its group tree and level layouts (so the next step needs no layout),
// the layout client which keys the engine holds (so it sends no arrays the engine has).
// All three keep the same few structures, in one kind of cache, with the constants below.

/** Structures kept: a trace's first step often differs from the rest, so keep both and a spare. */
export const KEEP_STRUCTURES = 3;

/** A graph with fewer nodes opens fully expanded and is never shrunk past reading size. */
export const SMALL_GRAPH_NODES = 300;

/** Values by structure key, most recently used first. A null key (a structure the kernel did
 * not name) is never found by key, only by `match`, and never replaces another entry. */
export class StructureCache<T> {
  private entries: { key: string | null; value: T }[] = [];

  constructor(readonly keep = KEEP_STRUCTURES) {}

  get size(): number {
    return this.entries.length;
  }

  /** Keys held, most recent first (null keys left out). */
  keys(): string[] {
    const out: string[] = [];
    for (const e of this.entries) if (e.key !== null) out.push(e.key);
    return out;
  }

  has(key: string | null): boolean {
    return key !== null && this.entries.some((e) => e.key === key);
  }

  /** The value kept under `key`, else the first one `match` accepts (then filed under `key`
   * too), made the most recent; undefined when there is none. */
  use(key: string | null, match?: (value: T) => boolean): T | undefined {
    let at = key === null ? -1 : this.entries.findIndex((e) => e.key === key);
    if (at < 0 && match) at = this.entries.findIndex((e) => match(e.value));
    if (at < 0) return undefined;
    const [e] = this.entries.splice(at, 1);
    if (key !== null) e.key = key;
    this.entries.unshift(e);
    return e.value;
  }

  /** Keep `value` under `key` as the most recent, then drop the oldest past `limit`. */
  add(key: string | null, value: T, limit = this.keep): void {
    if (key !== null) this.entries = this.entries.filter((e) => e.key !== key);
    this.entries.unshift({ key, value });
    if (this.entries.length > limit) this.entries.length = Math.max(limit, 0);
  }

  clear(): void {
    this.entries = [];
  }
}
