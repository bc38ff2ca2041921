// "Compare with…": a line above the step strip that picks a step to compare the shown one
// with (the previous, the first, any step, or a step of the other run given to
// `mgdebug.show(a, compare=b)`), what the colours then show (the difference of grads or of
// values), and how well the two steps line up. Shift+click on the loss curve does the same.

import type { Actions, CompareTarget, State } from "../state";
import { el, option, setText, setTitle, show } from "../view/dom";

const OFF = "off";

export function createCompareBar(a: Actions, signal: AbortSignal): { root: HTMLElement; draw: (s: State) => void } {
  const root = el("div", "mgd-comparebar");
  const label = el("span", "mgd-muted", "compare with");
  const pick = el("select", "mgd-select mgd-compare-pick");
  pick.title = "colour the graph by how this step differs from another, node by node, at the same moment";
  pick.setAttribute("aria-label", "compare with");
  const quantity = el("select", "mgd-select");
  quantity.append(option("Δ grad", "grad"), option("Δ value", "value"));
  quantity.title = "what the colours compare";
  const status = el("span", "mgd-muted mgd-compare-status");
  root.append(label, pick, quantity, status);
  const on = <K extends keyof HTMLElementEventMap>(n: HTMLElement, ev: K, f: (e: HTMLElementEventMap[K]) => void) =>
    n.addEventListener(ev, f, { signal });
  let shownStep = 0;
  on(pick, "change", () => a.compareWith(targetOf(pick.value, shownStep)));
  on(quantity, "change", () => a.setCompareQuantity(quantity.value as "grad" | "value"));

  let optionsKey = "";
  const draw = (s: State) => {
    const steps = s.meta?.steps.length ?? 0;
    const other = s.otherSteps ?? 0;
    show(root, steps >= 2 || other > 0);
    shownStep = s.stepIndex;
    const key = `${steps}|${other}`;
    if (key !== optionsKey) {
      optionsKey = key;
      pick.replaceChildren(
        option("nothing", OFF),
        option("the previous step", "prev"),
        option("the first step", "first"),
      );
      for (let k = 0; k < steps; k++) pick.append(option(`step ${k}`, `this:${k}`));
      for (let k = 0; k < other; k++) pick.append(option(`the other run, step ${k}`, `other:${k}`));
    }
    const t = s.compareTarget;
    const value = t ? `${t.trace}:${t.step}` : OFF;
    if (pick.value !== value && [...pick.options].some((o) => o.value === value)) pick.value = value;
    if (quantity.value !== s.compareQuantity) quantity.value = s.compareQuantity;
    show(quantity, !!t);
    const c = s.compare;
    const text = !t
      ? ""
      : !c
        ? "loading it…"
        : c.counterpart === null
          ? "the same graph: node by node"
          : "aligned by scope, op and label";
    setText(status, text);
    setTitle(status, c ? `largest |Δ ${s.compareQuantity}| at the cursor: ${c.deltaMax.toPrecision(4)}` : "");
  };
  return { root, draw };
}

/** What a choice of the picker means, for the step shown now. */
export function targetOf(value: string, shownStep: number): CompareTarget | null {
  if (value === OFF) return null;
  if (value === "prev") return { trace: "this", step: Math.max(0, shownStep - 1) };
  if (value === "first") return { trace: "this", step: 0 };
  const [trace, step] = value.split(":");
  return { trace: trace === "other" ? "other" : "this", step: Number(step) };
}
