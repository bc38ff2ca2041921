// The graph canvas as a page part: sizing (HiDPI), pan, zoom, click to select,
// double-click to open or close a group, hover; camera fitting and centring.

import type { ViewLayout } from "../layout/compose";
import type { Actions, Camera, State } from "../state";
import { el } from "./dom";
import { sizeOf } from "./measure";
import { drawGraph } from "./render";
import { cachedTheme } from "./theme";

const MIN_SCALE = 0.0005;
const MAX_SCALE = 3;

export interface GraphPart {
  root: HTMLElement;
  draw: (s: State) => void;
  size: () => { widthPx: number; heightPx: number };
}

const SMALL_NODES = 300; // "a small graph": opens fully expanded (layout.defaultExpanded)
const READABLE_SCALE = 0.66; // node text (10.5-11 px in world units) stays >= 7 px on screen
const MARGIN_PX = 16;
const LEGEND_PX = 40; // the colour legend's strip at the bottom: keep the picture above it

function fitScale(l: ViewLayout, widthPx: number, heightPx: number): number {
  return Math.min(
    1.25,
    (widthPx - 2 * MARGIN_PX) / Math.max(1, l.width),
    (heightPx - 2 * MARGIN_PX - LEGEND_PX) / Math.max(1, l.height),
  );
}

/** A small graph whose whole picture fits the view with every number readable. */
export function fitsReadably(l: ViewLayout, widthPx: number, heightPx: number): boolean {
  return l.slotOfNode.length < SMALL_NODES && fitScale(l, widthPx, heightPx) >= READABLE_SCALE;
}

/**
 * The camera that shows the whole layout in a `widthPx` x `heightPx` view. A small graph
 * is never shrunk past reading size: if it does not fit, the loss end (right) stays in view.
 */
export function fitCamera(l: ViewLayout, widthPx: number, heightPx: number): Camera {
  const fit = fitScale(l, widthPx, heightPx);
  const small = l.slotOfNode.length < SMALL_NODES;
  const scale = Math.max(MIN_SCALE, small ? Math.max(READABLE_SCALE, fit) : fit);
  const x =
    scale > fit && l.width * scale > widthPx
      ? l.width + MARGIN_PX / scale - widthPx / scale
      : l.width / 2 - widthPx / 2 / scale;
  return { scale, x, y: l.height / 2 - (heightPx - LEGEND_PX) / 2 / scale };
}

/** Centre box `i`, zooming in to a readable scale if needed. */
export function centerCamera(l: ViewLayout, i: number, cam: Camera, widthPx: number, heightPx: number): Camera {
  const scale = Math.max(cam.scale, 0.8);
  return { scale, x: l.x[i] + l.w[i] / 2 - widthPx / 2 / scale, y: l.y[i] + l.h[i] / 2 - heightPx / 2 / scale };
}

/** Show box `i`: the whole small graph when it fits readably (the node stays in context), else centre it. */
export function showCamera(l: ViewLayout, i: number, cam: Camera, widthPx: number, heightPx: number): Camera {
  return fitsReadably(l, widthPx, heightPx)
    ? fitCamera(l, widthPx, heightPx)
    : centerCamera(l, i, cam, widthPx, heightPx);
}

/** The box under a point (world coordinates): nodes and closed groups first, then frame headers. */
export function hitTest(l: ViewLayout, wx: number, wy: number): number {
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
  const toWorld = (e: MouseEvent) => {
    const r = canvas.getBoundingClientRect();
    const cam = getState().camera;
    return { x: cam.x + (e.clientX - r.left) / cam.scale, y: cam.y + (e.clientY - r.top) / cam.scale };
  };
  const slotAt = (e: MouseEvent) => {
    const l = getState().layout;
    if (!l) return -1;
    const p = toWorld(e);
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
      const c = drag.cam;
      update({ camera: { scale: c.scale, x: c.x - dx / c.scale, y: c.y - dy / c.scale } });
    }
  });
  on("pointerup", (e) => {
    const wasClick = drag && !drag.moved;
    drag = null;
    if (!wasClick) return;
    const s = getState();
    const i = slotAt(e);
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
      const c = s.camera;
      const scale = Math.max(
        MIN_SCALE,
        Math.min(MAX_SCALE, c.scale * Math.exp(-e.deltaY * (e.deltaMode ? 0.05 : 0.0015))),
      );
      const px = e.clientX - r.left;
      const py = e.clientY - r.top;
      update({ camera: { scale, x: c.x + px / c.scale - px / scale, y: c.y + py / c.scale - py / scale } });
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
    if (ctx) drawGraph(ctx, widthPx, heightPx, dpr, s, cachedTheme(root));
    canvas.style.cursor = s.hover >= 0 ? "pointer" : "grab";
  };
  return { root, draw, size };
}
