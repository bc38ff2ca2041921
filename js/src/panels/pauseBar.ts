// The debugger's row, shown while a cell is paused inside backward(): Continue, Step,
// Step over, Step out and Stop (with their keys), and what the pause is: which
// breakpoint (or which step led here), the node about to run its chain rule, its value
// and its grad. Its own row, so the toolbar keeps its controls on any width.

import type { StepView } from "../data/stepView";
import type { Actions, Command, State } from "../state";
import { button, el, setText, setTitle, show } from "../view/dom";
import { fmt4, fmtFull, fmtInt } from "../view/format";

const BUTTONS: [Command, string, string, string][] = [
  ["continue", "▶ Continue", "mgd-btn mgd-primary", "run to the next breakpoint (c or F8)"],
  ["step", "Step", "mgd-btn", "run one chain rule, then pause again (s or F9)"],
  [
    "over",
    "Step over",
    "mgd-btn",
    "run until backward has done this node's scope: this call of it, e.g. one neuron (n or F10)",
  ],
  ["out", "Step out", "mgd-btn", "run until backward has done the enclosing scope, e.g. the layer (r or Shift+F11)"],
  ["stop", "■ Stop", "mgd-btn mgd-danger", "stop the running cell; the trace keeps what ran (Shift+Q or Shift+F8)"],
];

/** How the pause came about, in words. */
export function pauseTitle(p: State["paused"]): string {
  switch (p.how) {
    case "step":
      return "Paused after Step";
    case "over":
      return `Paused after Step over ${p.scope ?? ""}`.trim();
    case "out":
      return `Paused after Step out of ${p.scope ?? ""}`.trim();
    case "forward":
      return `Paused: ${p.reason ?? "a non-finite value"}`;
    default:
      return p.spec ? `Paused on breakpoint ${p.spec}` : `Paused: ${p.reason ?? "breakpoint"}`;
  }
}

/** The paused node as the banner names it: label or op and id, with its scope's last part. */
export function nodeTitle(s: State, v: StepView, node: number): string {
  const strings = s.meta!.strings;
  const label = strings.labels[v.g.label[node]] ?? "";
  const op = strings.ops[v.g.op[node]] || "leaf";
  const scope = node < v.nCreated ? (strings.scopes[v.g.scope[node]] ?? "") : "";
  const name = label ? `${label} (${op})` : `${op} #${node}`;
  return scope && !label ? `${name} in ${scope}` : name;
}

export function createPauseBar(a: Actions, signal: AbortSignal): { root: HTMLElement; draw: (s: State) => void } {
  const root = el("div", "mgd-pausebar");
  root.setAttribute("role", "toolbar");
  root.setAttribute("aria-label", "debugger");
  const buttons = el("span", "mgd-group mgd-debug");
  for (const [action, text, cls, title] of BUTTONS) {
    buttons.append(button(cls, text, title, () => a.command(action), signal));
  }
  const what = el("span", "mgd-reason");
  const facts = el("span", "mgd-facts");
  const text = el("span", "mgd-pausetext");
  text.append(what, facts);
  root.append(buttons, text);
  show(root, false); // until the first draw says the kernel is paused

  const draw = (s: State) => {
    const p = s.paused;
    const paused = Object.keys(p).length > 0;
    show(root, paused);
    if (!paused) return;
    setText(what, pauseTitle(p));
    setTitle(what, p.reason ?? "");
    const v = s.view;
    const node = p.node ?? -1;
    if (!v || !s.meta || v.step !== p.step || node < 0 || node >= v.numNodes) return setText(facts, "");
    const grad = v.replay ? v.replay.final[node] : v.grad[node]; // at the pause: the step so far ends there
    const hits = p.spec ? s.hits.filter((h) => h.spec === p.spec && h.event <= (p.event ?? -1)).length : 0;
    setText(
      facts,
      `at ${nodeTitle(s, v, node)} · value ${fmt4(v.g.data[node])} · grad ${fmt4(grad)}` +
        (hits ? ` · hit ${fmtInt(hits)} so far` : ""),
    );
    setTitle(facts, `value ${fmtFull(v.g.data[node])}, grad ${fmtFull(grad)} (its chain rule runs next)`);
  };
  return { root, draw };
}
