// The view's own actions: open and close groups, search and reveal a node, fit, view
// toggles; and where the camera goes when a new layout arrives (kept still, fitted, or
// centred on a node that was asked for).

import type { LayoutAnswer } from "../layout/client";
import type { Actions, State } from "../state";
import { fitCamera, showCamera } from "../view/graphView";

export interface ViewContext {
  s: State;
  update: (p: Partial<State>) => void;
  requestLayout: () => void;
  viewSize: () => { widthPx: number; heightPx: number };
  select: (node: number) => void;
}

type ViewActionNames = "toggleGroup" | "setExpanded" | "expandAll" | "search" | "fit" | "setOptions";

export function createViewActions({ s, update, requestLayout, viewSize, select }: ViewContext): {
  actions: Pick<Actions, ViewActionNames>;
  reveal: (node: number) => void;
  onLayout: (ans: LayoutAnswer) => void;
} {
  let anchor: { unit: number; sx: number; sy: number } | null = null; // keep a toggled box still

  const actions: Pick<Actions, ViewActionNames> = {
    toggleGroup(group) {
      const t = s.tree;
      const l = s.layout;
      if (!t || !l || group <= 0) return;
      const key = t.key[group];
      const keys = new Set(s.expanded ?? []);
      if (keys.has(key)) keys.delete(key);
      else keys.add(key);
      const i = l.unit.indexOf(t.numNodes + group);
      if (i >= 0)
        anchor = {
          unit: t.numNodes + group,
          sx: (l.x[i] - s.camera.x) * s.camera.scale,
          sy: (l.y[i] - s.camera.y) * s.camera.scale,
        };
      update({ expanded: [...keys], loading: "laying out…" });
      requestLayout();
    },
    setExpanded(keys) {
      update({ expanded: keys });
      requestLayout();
    },
    expandAll(open) {
      const t = s.tree;
      if (!t) return;
      update({ expanded: open ? [...t.key] : null, fitPending: true, loading: "laying out…" });
      requestLayout();
    },
    search(query, dir) {
      const v = s.view;
      if (!v || !s.meta) return;
      let { matches, matchIndex } = s;
      if (query !== s.search) {
        const q = query.trim().toLowerCase();
        const ids = new Set<number>();
        if (q) s.meta.strings.labels.forEach((l, i) => i && l.toLowerCase().includes(q) && ids.add(i));
        matches = [];
        if (ids.size) for (let i = 0; i < v.numNodes; i++) if (ids.has(v.g.label[i])) matches.push(i);
        matchIndex = -1;
      }
      if (matches.length) matchIndex = (matchIndex + dir + matches.length) % matches.length;
      update({ search: query, matches, matchIndex });
      if (matches.length) reveal(matches[matchIndex]);
    },
    fit() {
      if (!s.layout) return;
      const { widthPx, heightPx } = viewSize();
      update({ camera: fitCamera(s.layout, widthPx, heightPx) });
    },
    setOptions(patch) {
      const relayout =
        (patch.showOps !== undefined && patch.showOps !== s.showOps) ||
        (patch.bySample !== undefined && patch.bySample !== s.bySample);
      if (patch.bySample !== undefined && patch.bySample !== s.bySample)
        Object.assign(patch, { expanded: null, fitPending: true });
      if (relayout) Object.assign(patch, { loading: "laying out…" });
      update(patch);
      if (relayout) requestLayout();
    },
  };

  /** Select `node` and make it visible: open the groups around it, then centre it. */
  function reveal(node: number) {
    select(node);
    const t = s.tree;
    const l = s.layout;
    if (!t || !l) return;
    if (l.unit[l.slotOfNode[node]] === node) {
      const { widthPx, heightPx } = viewSize();
      return update({ camera: showCamera(l, l.slotOfNode[node], s.camera, widthPx, heightPx) });
    }
    const keys = new Set(s.expanded ?? []);
    for (let g = t.nodeGroup[node]; g > 0; g = t.parent[g]) keys.add(t.key[g]);
    update({ expanded: [...keys], focusNode: node, loading: "laying out…" });
    requestLayout();
  }

  return {
    actions,
    reveal,
    onLayout(ans) {
      const l = ans.result.layout;
      const { widthPx, heightPx } = viewSize();
      let camera = s.camera;
      const focus =
        s.focusNode >= 0 && l.unit[l.slotOfNode[s.focusNode]] === s.focusNode ? l.slotOfNode[s.focusNode] : -1;
      if (focus >= 0) camera = showCamera(l, focus, camera, widthPx, heightPx);
      else if (s.fitPending) camera = fitCamera(l, widthPx, heightPx);
      else if (anchor) {
        const i = l.unit.indexOf(anchor.unit);
        if (i >= 0)
          camera = { scale: camera.scale, x: l.x[i] - anchor.sx / camera.scale, y: l.y[i] - anchor.sy / camera.scale };
      }
      anchor = null;
      update({
        tree: ans.tree,
        layout: l,
        expanded: ans.result.expanded,
        camera,
        fitPending: false,
        focusNode: focus >= 0 ? -1 : s.focusNode,
        loading: "",
        hover: -1,
      });
    },
  };
}
