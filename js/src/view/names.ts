// Names as the viewer prints them: a node by its label, else its op and id ("+ #65480");
// a parameter on its card by its own name within its module (`w.1`); a repeated
// group's pages.

import { CHAIN_PAGE } from "../layout/chains";
import { Kind } from "../layout/groupTree";
import { localName } from "../layout/owners";
import type { State } from "../state";

/** A node's name as the viewer shows it: its label, else its op and id ("+ #65480"). */
export function nodeName(s: State, node: number): string {
  const v = s.view!;
  const strings = s.meta!.strings;
  const label = strings.labels[v.g.label[node]] ?? "";
  if (label) return label;
  return `${strings.ops[v.g.op[node]] || "leaf"} #${node}`;
}

/** The title on a node's card: a parameter inside its module by its own name (`w.1`). */
export function cardTitle(s: State, node: number): { main: string; id: string } {
  const v = s.view!;
  const strings = s.meta!.strings;
  const label = strings.labels[v.g.label[node]] ?? "";
  if (label) return { main: s.tree?.owned[node] ? localName(label) : label, id: "" };
  return { main: strings.ops[v.g.op[node]] || "leaf", id: `#${node}` };
}

/** What page `p` of `pages` is: a call, an instance, or a stretch of a chain's links. */
export function pageLabel(kind: number, p: number, pages: number): string {
  if (kind === Kind.Chain) return `links ${p * CHAIN_PAGE}–${(p + 1) * CHAIN_PAGE - 1} (${p + 1} of ${pages})`;
  return `${kind === Kind.Bundle ? "#" : "call "}${p} of ${pages}`;
}
