// The call path, as a debugger shows a call stack: from the loss through the module
// scopes that hold the node (`loss › MLP › layers.1 › neurons.0 › ReLU #36`), for the
// selected node, else the paused one, else the one at the cursor; then the next chain
// rules in backward's queue at the cursor. Every entry is a link that reveals it.

import type { StepView } from "../data/stepView";
import { Kind } from "../layout/groupTree";
import type { Actions, State } from "../state";
import { el } from "../view/dom";
import { fmt4, fmtInt } from "../view/format";

const QUEUE = 5; // chain rules listed from the cursor on

/** One entry of the path: a node or a group of the shown tree (-1 when not a link). */
export interface PathEntry {
  text: string;
  title: string;
  node: number;
  group: number;
}

/** The node the path is about: the selection, else the paused node, else the one at the cursor. */
export function pathNode(s: State): number {
  const v = s.view;
  if (!v) return -1;
  if (s.selected >= 0 && s.selected < v.numNodes) return s.selected;
  const p = s.paused;
  if (p.node !== undefined && p.node >= 0 && p.step === v.step && p.node < v.numNodes) return p.node;
  return v.currentNode;
}

function nameOf(s: State, v: StepView, node: number): string {
  const strings = s.meta!.strings;
  const label = strings.labels[v.g.label[node]] ?? "";
  const op = strings.ops[v.g.op[node]] || "leaf";
  return label ? `${label} (${op})` : `${op} #${node}`;
}

/** From the loss to `node`: the backward's root, the groups around the node, the node. */
export function pathEntries(s: State, v: StepView, node: number): PathEntry[] {
  const out: PathEntry[] = [];
  const strings = s.meta!.strings;
  if (v.root >= 0 && v.root !== node) {
    const label = strings.labels[v.g.label[v.root]] ?? "";
    out.push({ text: label || "loss", title: `the backward's root: ${nameOf(s, v, v.root)}`, node: v.root, group: -1 });
  }
  const t = s.tree;
  if (t && t.numNodes === v.numNodes) {
    const groups: number[] = [];
    for (let g = t.nodeGroup[node]; g > 0; g = t.parent[g]) groups.push(g);
    for (const g of groups.reverse()) {
      const kind = t.kind[g] === Kind.Bundle ? `${fmtInt(t.nodeCount[g])} nodes in repeated calls` : t.path[g];
      out.push({ text: t.name[g], title: `${kind || "(top level)"}: click to show this group`, node: -1, group: g });
    }
  } else if (node < v.nCreated) {
    // no tree yet: the scope's parts, as text
    for (const part of (strings.scopes[v.g.scope[node]] ?? "").split("/").filter(Boolean)) {
      out.push({ text: part, title: "a scope (the grouped view is still being laid out)", node: -1, group: -1 });
    }
  }
  out.push({ text: nameOf(s, v, node), title: "the node: click to centre it", node, group: -1 });
  return out;
}

export function createCallPath(a: Actions, signal: AbortSignal): { root: HTMLElement; draw: (s: State) => void } {
  const root = el("div", "mgd-callpath");
  root.addEventListener(
    "click",
    (e) => {
      const t = (e.target as HTMLElement).closest?.("[data-node],[data-group]");
      if (!t) return;
      const node = t.getAttribute("data-node");
      if (node !== null) return a.reveal(Number(node));
      a.revealGroup(Number(t.getAttribute("data-group")));
    },
    { signal },
  );
  const link = (e: PathEntry, cls: string): HTMLElement => {
    if (e.node < 0 && e.group < 0) return el("span", `${cls} mgd-crumb-text`, e.text);
    const b = el("button", `mgd-node ${cls}`, e.text);
    b.type = "button";
    b.title = e.title;
    if (e.node >= 0) b.dataset.node = String(e.node);
    else b.dataset.group = String(e.group);
    return b;
  };

  let lastKey = "";
  const draw = (s: State) => {
    const v = s.view;
    const node = pathNode(s);
    const key = `${v?.step}|${v?.event}|${node}|${s.tree?.numGroups}|${s.meta ? 1 : 0}|${s.paused.event}`;
    if (key === lastKey) return;
    lastKey = key;
    if (!v || !s.meta || node < 0) return root.replaceChildren(el("div", "mgd-muted", "no node at the cursor"));
    const crumbs = el("div", "mgd-crumbs");
    pathEntries(s, v, node).forEach((e, i, all) => {
      if (i) crumbs.append(el("span", "mgd-sep", "›"));
      crumbs.append(link(e, i === all.length - 1 ? "mgd-crumb mgd-here" : "mgd-crumb"));
    });
    const parts: HTMLElement[] = [crumbs];
    if (v.replay) {
      const from = v.phase === "forward" ? 0 : v.visitsDone;
      const order = v.order; // whole: at a pause it goes on past the chain rules that ran
      const left = order.length - from;
      parts.push(el("div", "mgd-sub", v.phase === "forward" ? "backward will begin with" : "next chain rules"));
      const list = el("ol", "mgd-queue");
      for (let j = from; j < Math.min(order.length, from + QUEUE); j++) {
        const n = order[j];
        const item = el("li", j === from ? "mgd-next" : "");
        item.append(link({ text: nameOf(s, v, n), title: "click to centre it", node: n, group: -1 }, ""));
        const scope = n < v.nCreated ? (s.meta.strings.scopes[v.g.scope[n]] ?? "") : "";
        const grad = j === from ? ` grad ${fmt4(v.grad[n])}` : "";
        item.append(el("span", "mgd-val", `${scope.slice(scope.lastIndexOf("/") + 1)}${grad}`));
        list.append(item);
      }
      if (left > QUEUE) list.append(el("li", "mgd-muted", `… ${fmtInt(left - QUEUE)} more`));
      if (left <= 0) list.append(el("li", "mgd-muted", "none: backward is done"));
      parts.push(list);
    }
    root.replaceChildren(...parts);
  };
  return { root, draw };
}
