// The breakpoint list's state: which specs it shows (in order), which are in force (the
// `breakpoints` trait, which the kernel replays and a running cell checks live), and the
// moves between them: add, remove, switch off and on, jump to a spec's next hit.

import type { ModelLink } from "../model";
import type { Actions, Store } from "../state";

type ListActionNames = "setBreakpoints" | "addBreakpoints" | "removeBreakpoint" | "enableBreakpoint";

/**
 * The list after the specs in force went from `before` to `after`: a spec that was in
 * force and no longer is was removed (the inspector's "remove breakpoint"); one that was
 * switched off stays, off; new ones join at the end.
 */
export function mergeList(list: readonly string[], before: readonly string[], after: readonly string[]): string[] {
  const now = new Set(after);
  const was = new Set(before);
  const out = list.filter((spec) => now.has(spec) || !was.has(spec));
  for (const spec of after) if (!out.includes(spec)) out.push(spec);
  return out;
}

export class BreakpointList implements Pick<Actions, ListActionNames> {
  constructor(
    private readonly store: Store,
    private readonly link: ModelLink,
  ) {}

  /** The trait changed on the kernel's side (or in another view). */
  onTrait(specs: string[]): void {
    const s = this.store.state;
    this.store.update({ bpList: mergeList(s.bpList, s.breakpoints, specs), breakpoints: specs });
  }

  setBreakpoints(specs: string[]): void {
    this.onTrait(specs);
    this.link.set("breakpoints", specs); // the kernel answers with `hits`; a running cell adopts them
  }

  addBreakpoints(specs: string[]): void {
    const s = this.store.state;
    const fresh = specs.filter((sp) => !s.breakpoints.includes(sp));
    if (!fresh.length) return;
    this.setBreakpoints([...s.breakpoints, ...fresh]);
  }

  removeBreakpoint(spec: string): void {
    const s = this.store.state;
    this.store.update({ bpList: s.bpList.filter((sp) => sp !== spec) });
    if (s.breakpoints.includes(spec)) this.setBreakpoints(s.breakpoints.filter((sp) => sp !== spec));
  }

  enableBreakpoint(spec: string, on: boolean): void {
    const s = this.store.state;
    const inForce = s.breakpoints.includes(spec);
    if (on === inForce) return;
    // keep the list's order: the spec stays in its row, on or off
    const order = s.bpList.includes(spec) ? s.bpList : [...s.bpList, spec];
    const specs = on
      ? order.filter((sp) => sp === spec || s.breakpoints.includes(sp))
      : s.breakpoints.filter((sp) => sp !== spec);
    this.store.update({ bpList: order, breakpoints: specs });
    this.link.set("breakpoints", specs);
  }
}

/** The event of `spec`'s next hit after `cursor`, else its first; null if it has none. */
export function nextHitOf(
  hits: readonly { event: number; spec: string }[],
  spec: string,
  cursor: number,
): number | null {
  let first: number | null = null;
  for (const h of hits) {
    if (h.spec !== spec) continue;
    if (h.event > cursor) return h.event;
    first ??= h.event;
  }
  return first;
}
