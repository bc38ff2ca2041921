// The graph canvas as a page part: sizing (HiDPI), pan, zoom, click to select,
// double-click to open or close a group, hover. The camera math is camera.ts's.

import type { ViewLayout } from "../layout/compose";
import type { Actions, State } from "../state";
import { type Camera, panBy, toWorld, type ViewSize, zoomAt } from "./camera";
import { el } from "./dom";
import { sizeOf } from "./measure";
import { pagerAt } from "./pager";
import { drawGraph } from "./render";
import { cachedTheme } from "./theme";

export interface GraphPart {
  root: HTMLElement;
  draw: (s: State) => void;
  size: () => ViewSize;
}

/** The box under a point (world coordinates): nodes and closed groups first, then frame headers. */
function hitTest(l: ViewLayout, wx: number, wy: number): number {
  let frame = -1;
  for (let i = l.unit.length - 1; i >= 0; i--) {
    if (wx < l.x[i] || wx > l.x[i] + l.w[i] || wy < l.y[i] || wy > l.y[i] + l.h[i]) continue;
    if (!l.open[i]) return i;
    if (frame < 0 && wy < l.y[i] + 20) frame = i;
  }
  return frame;
}

export function createGraphView(
  a: Actions,
  getState: () => State,
  update: (p: Partial<State>) => void,
  signal: AbortSignal,
): GraphPart {
  const root = el("div", "mgd-graph");
  const canvas = el("canvas");
  root.append(canvas);
  const size = () => sizeOf(root);
  const worldAt = (e: MouseEvent) => {
    const r = canvas.getBoundingClientRect();
    return toWorld(getState().camera, e.clientX - r.left, e.clientY - r.top);
  };
  const slotAt = (e: MouseEvent) => {
    const l = getState().layout;
    if (!l) return -1;
    const p = worldAt(e);
    return hitTest(l, p.x, p.y);
  };
  const on = <K extends keyof HTMLElementEventMap>(
    ev: K,
    f: (e: HTMLElementEventMap[K]) => void,
    opts: AddEventListenerOptions = {},
  ) => canvas.addEventListener(ev, f, { ...opts, signal });

  // drag pans; a press that did not move is a click
  let drag: { x: number; y: number; cam: Camera; moved: boolean } | null = null;
  on("pointerdown", (e) => {
    if (e.button !== 0) return;
    drag = { x: e.clientX, y: e.clientY, cam: { ...getState().camera }, moved: false };
    try {
      canvas.setPointerCapture?.(e.pointerId);
    } catch {
      // a synthetic or already released pointer: dragging still works inside the canvas
    }
  });
  on("pointermove", (e) => {
    if (!drag) {
      const hover = slotAt(e);
      if (hover !== getState().hover) update({ hover });
      return;
    }
    const dx = e.clientX - drag.x;
    const dy = e.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
    if (drag.moved) {
      update({ camera: panBy(drag.cam, dx, dy) });
    }
  });
  on("pointerup", (e) => {
    const wasClick = drag && !drag.moved;
    drag = null;
    if (!wasClick) return;
    const s = getState();
    const i = slotAt(e);
    if (s.layout && s.tree) {
      const p = worldAt(e);
      const turn = pagerAt(s.layout, p.x, p.y, s.camera.scale); // ◂ ▸ of a repeated group
      if (turn) return a.turnPage(s.layout.unit[turn.slot] - s.tree.numNodes, s.layout.page[turn.slot] + turn.dir);
    }
    if (i < 0 || !s.layout || !s.tree) return a.select(-1);
    const u = s.layout.unit[i];
    if (u < s.tree.numNodes) a.select(u);
    else a.selectGroup(u - s.tree.numNodes);
  });
  on("pointercancel", () => (drag = null));
  on("pointerleave", () => getState().hover >= 0 && update({ hover: -1 }));
  on("dblclick", (e) => {
    const s = getState();
    const i = slotAt(e);
    if (i < 0 || !s.layout || !s.tree) return;
    const p = worldAt(e);
    if (pagerAt(s.layout, p.x, p.y, s.camera.scale)) return; // two quick page turns, not a collapse
    const u = s.layout.unit[i];
    if (u >= s.tree.numNodes) a.toggleGroup(u - s.tree.numNodes);
  });
  // the wheel zooms only while the widget has focus, so scrolling the notebook past it still scrolls
  on(
    "wheel",
    (e) => {
      const s = getState();
      if (!s.focused && !e.ctrlKey) return;
      e.preventDefault();
      const r = canvas.getBoundingClientRect();
      const factor = Math.exp(-e.deltaY * (e.deltaMode ? 0.05 : 0.0015)); // lines scroll more than pixels
      update({ camera: zoomAt(s.camera, e.clientX - r.left, e.clientY - r.top, factor) });
    },
    { passive: false },
  );

  const draw = (s: State) => {
    const { widthPx, heightPx } = size();
    if (widthPx <= 0 || heightPx <= 0) return;
    const dpr = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(widthPx * dpr) || canvas.height !== Math.round(heightPx * dpr)) {
      canvas.width = Math.round(widthPx * dpr);
      canvas.height = Math.round(heightPx * dpr);
      canvas.style.width = `${widthPx}px`;
      canvas.style.height = `${heightPx}px`;
    }
    const ctx = canvas.getContext("2d");
    if (ctx) {
      const drawn = drawGraph(ctx, widthPx, heightPx, dpr, s, cachedTheme(root));
      root.dataset.nonfinite = String(drawn.marked); // boxes marked NaN / inf on screen (tests)
    }
    canvas.style.cursor = s.hover >= 0 ? "pointer" : "grab";
  };
  return { root, draw, size };
}
