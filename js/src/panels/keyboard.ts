// The viewer's keys, and when it takes them: while it has focus, or while the pointer is
// over it and the page is not typing into something else (a cell editor keeps its keys
// even with the pointer resting on the viewer). Keys with Ctrl, Alt or Meta are never
// ours, so the notebook's and the browser's shortcuts keep working. One table, SHORTCUTS,
// drives both the keys and the `?` sheet (panels/shortcuts.ts).

import type { Actions, State } from "../state";

/** What the keys may do besides the Actions: parts of the page the viewer owns. */
export interface KeyUi {
  focusSearch(): void;
  toggleSide(): void;
  toggleHelp(): void;
  toggleBreakHere(): void;
  closeAll(): boolean; // close an open menu or sheet; false if none was open
}

export interface Shortcut {
  keys: string[]; // as keyName() spells them
  what: string;
  paused?: boolean; // only while a cell is paused at a breakpoint
  run: (a: Actions, ui: KeyUi, e: KeyboardEvent) => void;
}

export const SHORTCUTS: Shortcut[] = [
  { keys: ["c", "F8"], what: "Continue to the next breakpoint", paused: true, run: (a) => a.command("continue") },
  { keys: ["s", "F9"], what: "Step: run one chain rule", paused: true, run: (a) => a.command("step") },
  {
    keys: ["n", "F10"],
    what: "Step over: run the rest of this node's scope (this call of it: one neuron)",
    paused: true,
    run: (a) => a.command("over"),
  },
  {
    keys: ["r", "Shift+F11"],
    what: "Step out: run the rest of the enclosing scope (the layer)",
    paused: true,
    run: (a) => a.command("out"),
  },
  { keys: ["Shift+Q", "Shift+F8"], what: "Stop the running cell", paused: true, run: (a) => a.command("stop") },
  { keys: ["ArrowRight", "ArrowLeft"], what: "one event forward / back", run: (a, _, e) => a.stepBy(dir(e)) },
  {
    keys: ["Shift+ArrowRight", "Shift+ArrowLeft"],
    what: "next / previous breakpoint hit (without hits: the selected node's next / previous event)",
    run: (a, _, e) => a.jump(dir(e)),
  },
  {
    keys: ["Home", "End"],
    what: "the step's first / last event",
    run: (a, _, e) => a.stepBy(e.key === "End" ? Infinity : -Infinity),
  },
  { keys: ["Space"], what: "play / pause", run: (a) => a.togglePlay() },
  { keys: ["f"], what: "fit the graph to the view", run: (a) => a.fit() },
  { keys: ["+", "-"], what: "zoom the graph in / out", run: (a, _, e) => a.zoomBy(e.key === "-" ? 1 / 1.4 : 1.4) },
  {
    keys: ["]", "["],
    what: "zoom the timeline in / out around the cursor",
    run: (a, _, e) => a.zoomLane(e.key === "[" ? 2 : 0.5),
  },
  {
    keys: ["b"],
    what: "break here: add or remove a breakpoint at the selected node",
    run: (_, ui) => ui.toggleBreakHere(),
  },
  { keys: ["/"], what: "find nodes by label", run: (_, ui) => ui.focusSearch() },
  {
    keys: ["i"],
    what: "show / hide the side panel (call path, breakpoints, inspector)",
    run: (_, ui) => ui.toggleSide(),
  },
  { keys: ["?"], what: "this list of keys", run: (_, ui) => ui.toggleHelp() },
];

const dir = (e: KeyboardEvent): 1 | -1 => (e.key === "ArrowLeft" ? -1 : 1);

/** A key as the table spells it: `c`, `Shift+Q`, `F8`, `Shift+ArrowLeft`, `Space`, `?`; null with Ctrl/Alt/Meta. */
export function keyName(e: Pick<KeyboardEvent, "key" | "shiftKey" | "ctrlKey" | "altKey" | "metaKey">): string | null {
  if (e.ctrlKey || e.altKey || e.metaKey) return null;
  if (e.key === " ") return "Space";
  if (e.key.length === 1) {
    const lower = e.key.toLowerCase();
    // letters carry Shift in the name; symbols are what the key typed ("?" is Shift+/)
    return lower !== e.key.toUpperCase()
      ? e.shiftKey
        ? `Shift+${e.key.toUpperCase()}`
        : lower
      : e.key === "="
        ? "+"
        : e.key;
  }
  return e.shiftKey ? `Shift+${e.key}` : e.key;
}

/** The shortcut `name` runs, given whether a cell is paused; undefined if none. */
export function shortcutFor(name: string, paused: boolean): Shortcut | undefined {
  return SHORTCUTS.find((k) => k.keys.includes(name) && (!k.paused || paused));
}

const isTyping = (el: Element | null): boolean =>
  !!el && (el.matches("input,textarea,select") || (el as HTMLElement).isContentEditable);

/** Take the viewer's keys while it has focus or the pointer is over it (see the top). */
export function installKeys(
  root: HTMLElement,
  a: Actions,
  ui: KeyUi,
  getState: () => State,
  signal: AbortSignal,
): void {
  let pointerInside = false;
  root.addEventListener("pointerenter", () => (pointerInside = true), { signal });
  root.addEventListener("pointerleave", () => (pointerInside = false), { signal });
  // typing in the viewer's own fields must not reach the notebook's shortcuts either
  root.addEventListener(
    "keydown",
    (e) => {
      if (isTyping(e.target as Element)) e.stopPropagation();
    },
    { signal },
  );
  const onKey = (e: KeyboardEvent) => {
    const active = document.activeElement;
    const focusInside = !!active && root.contains(active);
    const otherViewer = !focusInside && !!active?.closest(".mgdebug-root"); // it takes them
    if (!focusInside && (otherViewer || !pointerInside || isTyping(active))) return;
    if (focusInside && isTyping(active)) {
      if (e.key === "Escape" && ui.closeAll()) e.preventDefault();
      return; // the search box, the breakpoint field: their keys are theirs
    }
    if (e.key === "Escape") {
      if (ui.closeAll()) e.preventDefault();
      return;
    }
    const name = keyName(e);
    if (name === null) return;
    if (name === "Space" && active && root.contains(active) && active.matches("button,summary")) return;
    const k = shortcutFor(name, Object.keys(getState().paused).length > 0);
    if (!k) return;
    e.preventDefault();
    e.stopPropagation(); // the notebook must not act on it too
    k.run(a, ui, e);
  };
  // the capture phase on the window runs before JupyterLab's own key handling
  window.addEventListener("keydown", onKey, { signal, capture: true });
}
