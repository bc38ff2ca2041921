// The `?` sheet: every key the viewer answers to (panels/keyboard.ts SHORTCUTS), and the
// pointer gestures, over the viewer; closed by Escape, `?`, its ✕ or a click beside it.

import { button, el } from "../view/dom";
import { SHORTCUTS } from "./keyboard";

const GESTURES: [string, string][] = [
  ["click", "select a node or a group; on ▸ / ▾ open or close a group"],
  ["double-click", "open or close a group"],
  ["drag", "pan the graph; on the timeline, move through the step's events"],
  ["Ctrl + wheel", "zoom the graph or the timeline (the wheel alone, once the viewer has focus)"],
];

const KEY_LABEL: Record<string, string> = {
  ArrowRight: "→",
  ArrowLeft: "←",
  "Shift+ArrowRight": "⇧→",
  "Shift+ArrowLeft": "⇧←",
  Space: "Space",
};

export function createShortcuts(signal: AbortSignal): {
  root: HTMLElement;
  isOpen: () => boolean;
  toggle: (open?: boolean) => void;
} {
  const root = el("div", "mgd-overlay");
  root.hidden = true;
  const sheet = el("div", "mgd-sheet");
  sheet.setAttribute("role", "dialog");
  sheet.setAttribute("aria-label", "keyboard shortcuts");
  const close = button("mgd-btn mgd-close", "✕", "close (Escape)", () => toggle(false), signal);
  const head = el("div", "mgd-sheet-head");
  head.append(el("span", "mgd-sheet-title", "Keys and gestures"), close);
  const table = el("div", "mgd-keys");
  const row = (keys: string[], what: string, paused = false) => {
    const k = el("span", "mgd-key-cell");
    keys.forEach((name, i) => {
      if (i) k.append(" ");
      k.append(el("kbd", "", KEY_LABEL[name] ?? name));
    });
    const w = el("span", "mgd-what", what);
    if (paused) w.append(el("span", "mgd-tag", "paused"));
    table.append(k, w);
  };
  for (const s of SHORTCUTS) row(s.keys, s.what, s.paused);
  row(["Esc"], "close a menu or this sheet");
  for (const [g, what] of GESTURES) row([g], what);
  const note = el(
    "p",
    "mgd-muted",
    "Keys act while the pointer is over the viewer or it has focus, unless you are typing elsewhere; " +
      "with Ctrl, Alt or ⌘ they stay the notebook's.",
  );
  sheet.append(head, table, note);
  root.append(sheet);
  root.addEventListener("click", (e) => e.target === root && toggle(false), { signal });

  let open = false;
  function toggle(want = !open): void {
    open = want;
    root.hidden = !open;
    if (open) close.focus({ preventScroll: true });
  }
  return { root, isOpen: () => open, toggle };
}
