// The graph's hover readout: the full name of the box under the pointer (labels and group
// names are cut to fit their boxes), with a node's value and grad or a group's size,
// placed beside the box. Text only (textContent).

import { Kind } from "../layout/groupTree";
import type { State } from "../state";
import { toScreen } from "./camera";
import { createTip } from "./chartCanvas";
import { fmt4, fmtCount, fmtInt } from "./format";
import { nodeName } from "./names";

export function createHoverTip(graphRoot: HTMLElement): (s: State, changed: ReadonlySet<keyof State | "*">) => void {
  const tip = createTip(graphRoot);
  return (s, changed) => {
    if (!changed.has("hover") && !changed.has("camera") && !changed.has("cursor") && !changed.has("*")) return;
    const l = s.layout;
    const t = s.tree;
    const v = s.view;
    if (s.hover < 0 || !l || !t || !v || s.hover >= l.unit.length) return tip.hide();
    const i = s.hover;
    const u = l.unit[i];
    const lines: string[] = [];
    if (u < t.numNodes) {
      const label = s.meta!.strings.labels[v.g.label[u]];
      lines.push(label ? `${label}  (${s.meta!.strings.ops[v.g.op[u]] || "leaf"} #${u})` : nodeName(s, u));
      lines.push(`value ${fmt4(v.g.data[u])}   grad ${v.exists(u) ? fmt4(v.grad[u]) : "–"}`);
      if (t.owned[u]) lines.push(`a parameter of ${t.path[t.nodeGroup[u]]}`);
      if (t.aux[u]) lines.push("read by many: a tag beside each far reader");
    } else {
      const g = u - t.numNodes;
      lines.push(t.name[g]);
      if (t.path[g] && t.path[g] !== t.name[g]) lines.push(t.path[g]);
      const repeat = t.pages[g] ? `, ${fmtInt(t.pages[g])} ${t.kind[g] === Kind.Bundle ? "instances" : "calls"}` : "";
      lines.push(`${fmtCount(t.nodeCount[g])} nodes${repeat}`);
      lines.push(l.open[i] ? "double-click to close" : "double-click to open");
    }
    const at = toScreen(s.camera, l.x[i] + l.w[i], l.y[i]);
    tip.show(lines.join("\n"), at.x, at.y + 4);
  };
}
