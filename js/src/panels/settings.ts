// The ⚙ menu: how the graph is drawn (colour mode, op nodes, one group per sample, the
// path to the loss) and opening or closing every group. It opens over the viewer, inside
// its box (view/popover.ts).

import type { Actions, ColorMode, State } from "../state";
import { button, el, option } from "../view/dom";
import { type Popover, popover } from "../view/popover";

export function createSettings(
  a: Actions,
  box: HTMLElement,
  signal: AbortSignal,
): { button: HTMLElement; panel: HTMLElement; menu: Popover; draw: (s: State) => void } {
  const gear = button("mgd-btn mgd-gear", "⚙", "view settings: colours, op nodes, groups", () => {}, signal);
  gear.setAttribute("aria-label", "view settings");
  const panel = el("div", "mgd-panel");
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", "view settings");
  const on = <K extends keyof HTMLElementEventMap>(n: HTMLElement, ev: K, f: (e: HTMLElementEventMap[K]) => void) =>
    n.addEventListener(ev, f, { signal });

  const color = el("select", "mgd-select");
  color.title = "what the node colours show";
  for (const [v, t] of [
    ["grad", "colour by |grad|"],
    ["value", "colour by value"],
    ["sign", "colour by sign of grad"],
    ["delta", "colour by the difference (comparing)"],
  ])
    color.append(option(t, v));
  const byDelta = color.lastElementChild as HTMLOptionElement;
  on(color, "change", () => a.setOptions({ colorMode: color.value as ColorMode }));
  const check = (label: string, key: "showOps" | "bySample" | "showPath", title: string) => {
    const row = el("label", "mgd-check");
    row.title = title;
    const box = el("input");
    box.type = "checkbox";
    on(box, "change", () => a.setOptions({ [key]: box.checked }));
    row.append(box, document.createTextNode(` ${label}`));
    return { row, box };
  };
  const ops = check("show op nodes", "showOps", "draw each op as a circle on its value's card, as micrograd does");
  const bySample = check(
    "one group per sample (call)",
    "bySample",
    "a box for every call of a module, not one per module",
  );
  const path = check("highlight path to loss", "showPath", "draw the routes from the selected node to the loss");
  const expand = el("div", "mgd-row-buttons");
  expand.append(
    button("mgd-btn", "expand all", "open every group (slow for huge steps)", () => a.expandAll(true), signal),
    button("mgd-btn", "collapse all", "back to the grouped view", () => a.expandAll(false), signal),
  );
  panel.append(color, ops.row, bySample.row, path.row, expand);
  const menu = popover(gear, panel, box, signal);

  const draw = (s: State) => {
    byDelta.disabled = !s.compareTarget; // only while a comparison is on (the step strip)
    if (color.value !== s.colorMode) color.value = s.colorMode;
    ops.box.checked = s.showOps;
    bySample.box.checked = s.bySample;
    path.box.checked = s.showPath;
  };
  return { button: gear, panel, menu, draw };
}
