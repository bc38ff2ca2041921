// The breakpoint list: every spec with its hit count, a box to switch it off and on, ✕ to
// remove it, a click on it to jump to its next hit; and a field to add specs, checked as
// they are typed (data/specs.ts) with the error shown right under it. Specs in force are
// the `breakpoints` trait: a running cell checks them live, a finished trace replays them.

import { specError, splitSpecs } from "../data/specs";
import type { Actions, State } from "../state";
import { button, el, setText } from "../view/dom";
import { fmtInt } from "../view/format";

export function createBreakpointList(a: Actions, signal: AbortSignal): { root: HTMLElement; draw: (s: State) => void } {
  const root = el("div", "mgd-bplist");
  const rows = el("div", "mgd-bprows");
  const form = el("div", "mgd-bpadd");
  const field = el("input", "mgd-search mgd-bp");
  field.type = "text";
  field.placeholder = "add: op:tanh, abs(grad)>1, layers.1.*";
  field.title =
    "breakpoint specs (docs/breakpoints.md), comma separated; Enter adds them. " +
    "nonfinite · op:NAME · scope:PATH · step:N · a label or glob · grad>10, abs(grad)>=1e3, value<0 · join with &";
  field.setAttribute("aria-label", "add breakpoints");
  field.spellcheck = false;
  const add = button("mgd-btn mgd-mini", "add", "add the specs typed (Enter)", () => onAdd(), signal);
  const error = el("div", "mgd-error");
  error.setAttribute("role", "alert");
  form.append(field, add);
  const note = el("div", "mgd-muted");
  root.append(form, error, rows, note); // the field on top: it and its error stay in sight

  const check = (): string[] | null => {
    const specs = splitSpecs(field.value);
    const bad = specs.map(specError).find((e) => e !== null);
    setText(error, bad ?? "");
    field.classList.toggle("mgd-invalid", !!bad);
    field.setAttribute("aria-invalid", String(!!bad));
    return bad ? null : specs;
  };
  const onAdd = () => {
    const specs = check();
    if (!specs?.length) return;
    a.addBreakpoints(specs);
    field.value = "";
  };
  field.addEventListener("input", () => check(), { signal });
  field.addEventListener(
    "keydown",
    (e) => {
      if (e.key !== "Enter") return;
      e.preventDefault();
      onAdd();
    },
    { signal },
  );
  rows.addEventListener(
    "click",
    (e) => {
      const t = e.target as HTMLElement;
      const row = t.closest?.("[data-spec]");
      const spec = row?.getAttribute("data-spec");
      if (!row || spec == null) return;
      if (t.closest(".mgd-remove")) a.removeBreakpoint(spec);
      else if (t.closest(".mgd-jump")) a.jumpToHit(spec);
    },
    { signal },
  );
  rows.addEventListener(
    "change",
    (e) => {
      const box = e.target as HTMLInputElement;
      const spec = box.closest?.("[data-spec]")?.getAttribute("data-spec");
      if (spec != null) a.enableBreakpoint(spec, box.checked);
    },
    { signal },
  );

  let lastKey = "";
  const draw = (s: State) => {
    const running = !!s.status.recording && !Object.keys(s.paused).length;
    const key = `${s.bpList.join("\n")}|${s.breakpoints.join("\n")}|${s.hits.length}|${s.paused.spec}|${running}|${s.host}|${JSON.stringify(s.bpProblems)}`;
    if (key === lastKey) return;
    lastKey = key;
    const counts = new Map<string, number>();
    for (const h of s.hits) counts.set(h.spec, (counts.get(h.spec) ?? 0) + 1);
    rows.replaceChildren(
      ...s.bpList.map((spec) => {
        const on = s.breakpoints.includes(spec);
        const row = el("div", `mgd-bprow${spec === s.paused.spec ? " mgd-here" : ""}${on ? "" : " mgd-off"}`);
        row.dataset.spec = spec;
        const box = el("input");
        box.type = "checkbox";
        box.checked = on;
        box.title = on ? "in force: uncheck to switch it off (it stays in the list)" : "switched off: check to use it";
        const n = counts.get(spec) ?? 0;
        const jump = el("button", "mgd-node mgd-jump mgd-spec", spec);
        jump.type = "button";
        jump.title = `${spec}: ${n ? "click to go to its next hit" : "no hits in the steps kept in full"}`;
        const problem = on ? s.bpProblems[spec] : undefined; // (an op the trace never built)
        const count = !on
          ? "off"
          : problem
            ? "no such op"
            : running
              ? "…"
              : `${fmtInt(n)} hit${n === 1 ? "" : "s"}${s.status.recording ? " so far" : ""}`;
        const remove = el("button", "mgd-btn mgd-mini mgd-remove", "✕"); // (one listener on `rows`)
        remove.type = "button";
        remove.title = `remove ${spec}`;
        const counted = el("span", problem ? "mgd-count mgd-danger" : "mgd-count", count);
        if (problem) counted.title = jump.title = problem;
        row.append(box, jump, counted, remove);
        return row;
      }),
    );
    if (!s.bpList.length)
      rows.append(el("div", "mgd-muted", "No breakpoints: add one below, or “break here” on a node."));
    setText(
      note,
      s.host === "saved"
        ? "A saved page holds the hits it was saved with: new specs find none here; add them in the notebook."
        : running
          ? "The cell is running: changes apply by its next backward() at the latest."
          : s.status.recording
            ? "Paused: changes apply from the next chain rule."
            : "",
    );
  };
  return { root, draw };
}
