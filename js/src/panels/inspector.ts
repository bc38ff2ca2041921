// The inspector: everything about the selected node (or group) at the cursor: op, label,
// scope, value, and its grad as the sum it is (each consumer's local derivative × that
// consumer's grad, largest first, paged, never cut), what its own chain rule gives each
// input, the source line that built it; for a group its size and, when it repeats, a
// pager through its calls.

import { counterpartOf } from "../data/comparison";
import type { StepView } from "../data/stepView";
import { Kind } from "../layout/groupTree";
import type { Actions, State } from "../state";
import { el } from "../view/dom";
import { fmt4, fmtCount, fmtFull, fmtInt } from "../view/format";
import { nodeName, pageLabel } from "../view/names";
import { byMagnitude, consumerTerms, inputTerms, sumApplied, type Term } from "./chainRule";

const PAGE_ROWS = 10; // terms per page

export function createInspector(a: Actions, signal: AbortSignal): { root: HTMLElement; draw: (s: State) => void } {
  const root = el("div", "mgd-inspector");
  const pages = new Map<string, number>(); // "step|node|section" -> page shown
  let breakpoints: string[] = [];
  let last: State | null = null;
  // one listener for every link and button (rows are rebuilt as the cursor moves)
  root.addEventListener(
    "click",
    (e) => {
      const target = e.target as HTMLElement;
      const spec = target.closest?.("[data-spec]")?.getAttribute("data-spec");
      if (spec != null) {
        // a second click removes it; the kernel answers the trait change with `hits`
        return a.setBreakpoints(
          breakpoints.includes(spec) ? breakpoints.filter((b) => b !== spec) : [...breakpoints, spec],
        );
      }
      const page = target.closest?.("[data-page]")?.getAttribute("data-page");
      if (page != null) {
        const [key, to] = page.split("=");
        pages.set(key, Number(to));
        lastKey = "";
        if (last) draw(last);
        return;
      }
      const turn = target.closest?.("[data-turn]")?.getAttribute("data-turn");
      if (turn != null) {
        const [group, to] = turn.split("=").map(Number);
        return a.turnPage(group, to);
      }
      const node = target.closest?.("[data-node]")?.getAttribute("data-node");
      if (node != null) a.select(Number(node));
    },
    { signal },
  );
  let lastKey = "";
  const draw = (s: State) => {
    last = s;
    // rebuild only when what is shown changed: the node, the cursor, the step, the page
    const v = s.view;
    breakpoints = s.breakpoints;
    const page = s.tree && s.selectedGroup >= 0 ? (s.pages[s.tree.key[s.selectedGroup]] ?? 0) : 0;
    const key = `${s.stepIndex}|${v?.event}|${s.selected}|${s.selectedGroup}|${page}|${s.tree ? 1 : 0}|${v ? 1 : 0}|${s.loading}|${s.breakpoints.join(",")}|${s.hits.length}|${s.compare?.label ?? ""}|${s.compareQuantity}`;
    if (key === lastKey) return;
    lastKey = key;
    if (!v || !s.meta) return root.replaceChildren(el("div", "mgd-muted", s.loading || "no step loaded"));
    if (s.selected < 0 && s.selectedGroup >= 0 && s.tree) return root.replaceChildren(...groupRows(s, s.selectedGroup));
    const node = s.selected >= 0 ? s.selected : v.currentNode;
    if (node < 0 || node >= v.numNodes) {
      return root.replaceChildren(
        el("div", "mgd-muted", "backward begins: the root's grad is seeded with 1. Click a node to inspect it."),
      );
    }
    root.replaceChildren(...nodeRows(s, v, node, s.selected < 0, pages));
  };
  return { root, draw };
}

/** The node in the compared step: its value and grad at the same moment, and the differences. */
function compareRows(s: State, node: number): HTMLElement[] {
  const c = s.compare!;
  const j = counterpartOf(c, node);
  const head = el("div", "mgd-sub", `compared with ${c.label}`);
  if (j < 0) return [head, el("div", "mgd-muted", "no counterpart there: this node is only in this step")];
  const r = c.reference;
  const v = s.view!;
  const dv = v.g.data[node] - r.g.data[j];
  const dg = v.grad[node] - r.grad[j];
  return [
    head,
    row("value there", fmt4(r.g.data[j]), fmtFull(r.g.data[j])),
    row("grad there", fmt4(r.grad[j]), fmtFull(r.grad[j])),
    row("Δ value, Δ grad", `${fmt4(dv)}, ${fmt4(dg)}`, `this step − ${c.label}: ${fmtFull(dv)}, ${fmtFull(dg)}`),
  ];
}

function row(name: string, value: string, title = ""): HTMLElement {
  const r = el("div", "mgd-row");
  const v = el("span", "mgd-val", value);
  if (title) v.title = title;
  r.append(el("span", "mgd-key", name), v);
  return r;
}

function nodeRows(s: State, v: StepView, node: number, atCursor: boolean, pages: Map<string, number>): HTMLElement[] {
  const strings = s.meta!.strings;
  const g = v.g;
  const r = v.replay;
  const out: HTMLElement[] = [];
  const op = strings.ops[g.op[node]];
  const labelled = !!strings.labels[g.label[node]]; // "w.1 (leaf)"; unlabelled: "+ #65480"
  out.push(el("div", "mgd-title", `${nodeName(s, node)}${labelled ? ` (${op || "leaf"})` : ""}`));
  out.push(breakRow(s, v, node));
  if (atCursor) out.push(el("div", "mgd-muted", "the node at the cursor (click a node to pin one)"));
  const imported = node >= v.nCreated;
  out.push(row("node", imported ? `#${node}, from before this step` : `#${node}, built at t = ${fmtInt(node)}`));
  out.push(row("op", op || "leaf (no inputs)"));
  const owner = s.tree?.owned[node] ? s.tree.path[s.tree.nodeGroup[node]] : "";
  if (owner) out.push(row("module", owner, "the module that owns this parameter, read from its name"));
  else out.push(row("scope", strings.scopes[g.scope[node]] || "(top level)"));
  const built = v.exists(node);
  out.push(row("value", built ? fmt4(g.data[node]) : "not built yet", fmtFull(g.data[node])));
  const grad = v.grad[node];
  let gradNote = "";
  if (v.phase === "forward") gradNote = " (backward not started)";
  else if (r) {
    const visit = r.visitOf[node];
    const unreached = v.summary.backward_completed ? " (not reached by backward)" : " (so far)";
    gradNote = visit < 0 ? unreached : visit < v.visitsDone ? " (final)" : " (so far)";
  }
  out.push(row("grad", fmt4(grad) + gradNote, fmtFull(grad)));
  if (s.compare) out.push(...compareRows(s, node));
  if (g.src_line.length && !imported && g.src_line[node]) {
    out.push(row("source", `${strings.files[g.src_file[node]] || "?"}:${g.src_line[node]}`));
  }
  const key = `${v.step}|${node}`;

  // its grad as the sum it is
  const terms = consumerTerms(v, node);
  if (terms.length) {
    out.push(el("div", "mgd-sub", `grad = Σ local × upstream, over ${fmtInt(terms.length)} consumer edges`));
    const { start, sum, applied } = sumApplied(v, node, terms);
    if (start !== 0) {
      const why = node === v.root ? "the seed" : "left from before backward: grads accumulate";
      out.push(el("div", "mgd-muted", `starts at ${fmt4(start)} (${why})`));
    }
    out.push(...termRows(s, terms, pages, `${key}|in`, "consumer"));
    const same = sum === grad || (Number.isNaN(sum) && Number.isNaN(grad));
    const check = same ? "✓ = grad" : `≠ grad ${fmt4(grad)}`;
    const f = el("div", "mgd-sum", `Σ ${fmtInt(applied)} applied${start ? " + start" : ""} = ${fmt4(sum)}  ${check}`);
    f.title = `${fmtFull(sum)}: the terms added in the order backward applied them`;
    out.push(f);
  } else if (node === v.root) out.push(el("div", "mgd-sub", "the backward root (loss): its grad is seeded with 1"));

  // what its own chain rule gives its inputs
  const ins = inputTerms(v, node);
  if (ins.length) {
    out.push(el("div", "mgd-sub", `its chain rule: each input gets local × grad (${fmtInt(ins.length)} inputs)`));
    out.push(...termRows(s, ins, pages, `${key}|out`, "input"));
  }
  return out;
}

/** A term as [text, tooltip]. A closure's edge shows the grad it left its input (its local
 * derivative is derived from that, (after − before) / grad, for display only); a masking
 * edge (relu off, x ** 0) gives 0 for a grad that is not finite, as torch does. */
function termText(t: Term, role: string): [string, string] {
  if (t.upstream === null) {
    const local = Number.isNaN(t.local) ? "?" : fmt4(t.local);
    return [
      `${local} × (${role === "consumer" ? "its grad" : "this grad"}, not applied yet)`,
      `local derivative ${fmtFull(t.local)}; its chain rule has not run yet`,
    ];
  }
  if (t.sets !== null) {
    return [
      `a _backward closure: grad → ${fmt4(t.sets)}`,
      `a _backward closure left this grad: ${fmtFull(t.sets)}; its local derivative ${fmtFull(t.local)} is derived from what it did, (after − before) / grad (nan: the grad was 0 or not finite)`,
    ];
  }
  const mask = t.masks ? " (masks as torch: a grad that is not finite passes back 0)" : "";
  return [
    `${fmt4(t.local)} × ${fmt4(t.upstream)} = ${fmt4(t.value!)}`,
    `local ${fmtFull(t.local)} × upstream grad ${fmtFull(t.upstream)} = ${fmtFull(t.value!)}${mask}`,
  ];
}

/** One page of terms, largest |contribution| first, with the pager under them. */
function termRows(s: State, terms: Term[], pages: Map<string, number>, key: string, role: string): HTMLElement[] {
  const sorted = byMagnitude(terms);
  const count = Math.ceil(sorted.length / PAGE_ROWS);
  const page = Math.max(0, Math.min(count - 1, pages.get(key) ?? 0));
  const out: HTMLElement[] = [];
  for (const t of sorted.slice(page * PAGE_ROWS, (page + 1) * PAGE_ROWS)) {
    const r = el("div", "mgd-link");
    const b = el("button", "mgd-node", nodeName(s, t.other));
    b.type = "button";
    b.title = `select this ${role}`;
    b.dataset.node = String(t.other);
    const [num, title] = termText(t, role);
    const d = el("span", "mgd-val", num);
    d.title = title;
    r.append(b, d);
    out.push(r);
  }
  if (count > 1) {
    const nav = el("div", "mgd-pager");
    const lo = page * PAGE_ROWS + 1;
    const hi = Math.min(sorted.length, (page + 1) * PAGE_ROWS);
    const btn = (text: string, to: number, title: string) => {
      const b = el("button", "mgd-btn mgd-mini", text);
      b.type = "button";
      b.title = title;
      b.disabled = to < 0 || to >= count;
      b.dataset.page = `${key}=${to}`;
      return b;
    };
    nav.append(
      btn("‹", page - 1, "the previous rows"),
      el("span", "mgd-muted", `${fmtInt(lo)}–${fmtInt(hi)} of ${fmtInt(sorted.length)}`),
      btn("›", page + 1, "the next rows"),
    );
    out.push(nav);
  }
  return out;
}

function groupRows(s: State, gid: number): HTMLElement[] {
  const t = s.tree!;
  const out: HTMLElement[] = [el("div", "mgd-title", t.name[gid])];
  out.push(row("scope", t.path[gid] || "(top level)"));
  out.push(row("nodes", fmtCount(t.nodeCount[gid])));
  if (t.pages[gid] > 0) {
    const page = Math.max(0, Math.min(t.pages[gid] - 1, s.pages[t.key[gid]] ?? 0));
    const what = t.kind[gid] === Kind.Bundle ? "instance" : t.kind[gid] === Kind.Chain ? "stretch of links" : "call";
    const nav = el("div", "mgd-pager");
    const btn = (text: string, to: number) => {
      const b = el("button", "mgd-btn mgd-mini", text);
      b.type = "button";
      b.disabled = to < 0 || to >= t.pages[gid];
      b.dataset.turn = `${gid}=${to}`;
      b.title = `show ${what} ${to} when the box is open`;
      return b;
    };
    nav.append(
      btn("◂", page - 1),
      el("span", "mgd-val", pageLabel(t.kind[gid], page, t.pages[gid])),
      btn("▸", page + 1),
    );
    out.push(nav);
    out.push(el("div", "mgd-muted", `repeated: open, it shows one ${what} at a time; ◂ ▸ page through them`));
  }
  out.push(el("div", "mgd-muted", "double-click the box to open or close it"));
  return out;
}

/**
 * The breakpoint spec (docs/breakpoints.md) that names `node` most narrowly: its label;
 * else its scope as a dotted name plus its op (`layers.1.neurons.3.tanh`: that neuron's
 * tanh in every sample); else its whole scope (ops like `+` are not names in the grammar);
 * else `op:NAME`. Null for an unlabelled leaf at the top level: nothing names it alone.
 */
export function breakSpecOf(label: string, scope: string, op: string): string | null {
  const nameOk = (t: string) => /^[\w.-]+$/.test(t); // no glob characters: matches itself only
  if (label && nameOk(label)) return label;
  const dotted = scope.split("/").slice(1).join(".");
  if (dotted && /^\w+$/.test(op) && nameOk(dotted)) return `${dotted}.${op}`;
  if (scope) return `scope:${scope}`;
  return op ? `op:${op}` : null;
}

function breakRow(s: State, v: StepView, node: number): HTMLElement {
  const strings = s.meta!.strings;
  const spec = breakSpecOf(
    strings.labels[v.g.label[node]] ?? "",
    strings.scopes[v.g.scope[node]] ?? "",
    strings.ops[v.g.op[node]] ?? "",
  );
  const r = el("div", "mgd-break");
  if (!spec) {
    r.append(el("span", "mgd-muted", "no breakpoint spec names this node"));
    return r;
  }
  const on = s.breakpoints.includes(spec);
  const b = el("button", `mgd-btn mgd-mini${on ? " mgd-on" : ""}`, on ? "◆ remove breakpoint" : "◇ break here");
  b.type = "button";
  b.dataset.spec = spec;
  b.title = on
    ? `remove the breakpoint ${spec}`
    : `add the breakpoint ${spec}: the timeline marks every chain rule it stops at`;
  const n = on ? s.hits.filter((h) => h.spec === spec).length : 0;
  r.append(b, el("span", "mgd-spec", on ? `${spec} · ${fmtInt(n)} hit${n === 1 ? "" : "s"}` : spec));
  return r;
}
