// The inspector: everything about the selected node (or group) at the cursor: op, label,
// scope, value, grad so far, each input with its local derivative and the contribution
// it received, each consumer, and the source line that built it.

import { RULE_MASKED, RULE_SET } from "../data/decode";
import type { StepView } from "../data/stepView";
import type { Actions, State } from "../state";
import { el } from "../view/dom";
import { fmt4, fmtCount, fmtFull, fmtInt } from "../view/format";

const MAX_ROWS = 40; // inputs or consumers listed before "… N more"

export function createInspector(a: Actions, signal: AbortSignal): { root: HTMLElement; draw: (s: State) => void } {
  const root = el("div", "mgd-inspector");
  // one listener for every node link (rows are rebuilt as the cursor moves)
  let breakpoints: string[] = [];
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
      const node = target.closest?.("[data-node]")?.getAttribute("data-node");
      if (node != null) a.select(Number(node));
    },
    { signal },
  );
  let lastKey = "";
  const draw = (s: State) => {
    // rebuild only when what is shown changed: the node, the cursor, the step
    const v = s.view;
    breakpoints = s.breakpoints;
    const key = `${s.stepIndex}|${v?.event}|${s.selected}|${s.selectedGroup}|${s.tree ? 1 : 0}|${v ? 1 : 0}|${s.loading}|${s.breakpoints.join(",")}|${s.hits.length}`;
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
    root.replaceChildren(...nodeRows(s, v, node, s.selected < 0));
  };
  return { root, draw };
}

function row(name: string, value: string, title = ""): HTMLElement {
  const r = el("div", "mgd-row");
  const v = el("span", "mgd-val", value);
  if (title) v.title = title;
  r.append(el("span", "mgd-key", name), v);
  return r;
}

function nodeName(s: State, v: StepView, node: number): string {
  const label = s.meta!.strings.labels[v.g.label[node]] ?? "";
  const op = s.meta!.strings.ops[v.g.op[node]] || "leaf";
  return `${label || `#${node}`} (${op})`;
}

function nodeRows(s: State, v: StepView, node: number, atCursor: boolean): HTMLElement[] {
  const strings = s.meta!.strings;
  const g = v.g;
  const r = v.replay;
  const out: HTMLElement[] = [];
  out.push(el("div", "mgd-title", nodeName(s, v, node)));
  out.push(breakRow(s, v, node));
  if (atCursor) out.push(el("div", "mgd-muted", "the node at the cursor (click a node to pin one)"));
  const imported = node >= v.nCreated;
  out.push(row("node", imported ? `#${node}, from before this step` : `#${node}, built at t = ${fmtInt(node)}`));
  out.push(row("scope", strings.scopes[g.scope[node]] || "(top level)"));
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
  if (g.src_line.length && !imported && g.src_line[node]) {
    out.push(row("source", `${strings.files[g.src_file[node]] || "?"}:${g.src_line[node]}`));
  }

  // inputs: d node / d input, and what the chain rule of this node added to each
  const lo = g.child_ptr[node];
  const hi = g.child_ptr[node + 1];
  if (hi > lo) {
    out.push(el("div", "mgd-sub", `inputs (${hi - lo})`));
    for (let e = lo; e < Math.min(hi, lo + MAX_ROWS); e++) {
      const [text, title] = edgeDetail(v, node, e, "+grad");
      out.push(link(s, v, g.child[e], text, title));
    }
    if (hi - lo > MAX_ROWS) out.push(el("div", "mgd-muted", `… ${fmtInt(hi - lo - MAX_ROWS)} more`));
  }

  // consumers: each adds local * its grad to this node when its chain rule runs
  const { ptr, idx, edge } = v.parents();
  const n = ptr[node + 1] - ptr[node];
  if (n) {
    out.push(el("div", "mgd-sub", `consumers (${fmtInt(n)})`));
    for (let k = ptr[node]; k < Math.min(ptr[node + 1], ptr[node] + MAX_ROWS); k++) {
      const [text, title] = edgeDetail(v, idx[k], edge[k], "gave");
      out.push(link(s, v, idx[k], text, `d ${nodeName(s, v, idx[k])} / d this: ${title}`));
    }
    if (n > MAX_ROWS) out.push(el("div", "mgd-muted", `… ${fmtInt(n - MAX_ROWS)} more`));
  } else if (node === v.root) out.push(el("div", "mgd-sub", "the backward root (loss)"));
  return out;
}

/**
 * Edge `e` of node `p` at the cursor, as [text, tooltip]: its local derivative and what
 * p's chain rule added through it. A closure's edge shows the grad it left its child;
 * its local derivative is derived from that change, ((after - before) / grad), for
 * display only. A masking edge (relu off, x ** 0) adds +0.0 for a grad that is not finite.
 */
function edgeDetail(v: StepView, p: number, e: number, verb: string): [string, string] {
  const r = v.replay;
  const d = v.g.local[e];
  const j = r ? r.visitOf[p] : -1;
  const applied = r !== null && j >= 0 && j < v.visitsDone;
  if (v.g.rule[e] === RULE_SET) {
    const left = v.g.set_grad[e];
    const shown = applied && !Number.isNaN(d) ? `≈${fmt4(d)}` : "=?";
    const derived = applied
      ? `the local derivative ${fmtFull(d)} is derived from what it did, (after − before) / grad (nan: its grad was 0 or not finite)`
      : "its local derivative is known once it ran";
    return [
      `d${shown}  grad → ${applied ? fmt4(left) : "–"}`,
      `a _backward closure: ${applied ? `its child's grad became ${fmtFull(left)}` : "it has not run yet"}; ${derived}`,
    ];
  }
  const g = applied && r ? r.visitGrad[j] : 0;
  const masked = v.g.rule[e] === RULE_MASKED && !Number.isFinite(g);
  const added = masked ? 0 : d * g;
  const mask = v.g.rule[e] === RULE_MASKED ? " (masks as torch: a grad that is not finite passes back 0)" : "";
  return [
    `d=${fmt4(d)}  ${verb} ${applied ? fmt4(added) : "–"}`,
    `local derivative ${fmtFull(d)}${mask}; ${applied ? `contribution ${fmtFull(added)}` : "not yet applied"}`,
  ];
}

function link(s: State, v: StepView, node: number, detail: string, title: string): HTMLElement {
  const r = el("div", "mgd-link");
  const b = el("button", "mgd-node", nodeName(s, v, node));
  b.type = "button";
  b.title = "select this node";
  b.dataset.node = String(node);
  const d = el("span", "mgd-val", detail);
  d.title = title;
  r.append(b, d);
  return r;
}

function groupRows(s: State, gid: number): HTMLElement[] {
  const t = s.tree!;
  const out: HTMLElement[] = [el("div", "mgd-title", t.name[gid])];
  out.push(row("scope", t.path[gid] || "(top level)"));
  out.push(row("nodes", fmtCount(t.nodeCount[gid])));
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
