// The graph canvas as a page part: sizing (HiDPI), pan, zoom (Ctrl + wheel, or the wheel
// once the viewer has focus; + and − buttons), click to select, click on a group's ▸ / ▾
// or double-click it to open or close it, hover. The camera math is camera.ts's.

import type { ViewLayout } from "../layout/compose";
import type { Actions, State } from "../state";
import { type Camera, panBy, toWorld, type ViewSize, zoomAt } from "./camera";
import { button, el } from "./dom";
import { sizeOf } from "./measure";
import { createOffscreen } from "./offscreen";
import { pagerAt } from "./pager";
import { drawGraph } from "./render";
import { cachedTheme } from "./theme";

export interface GraphPart {
  root: HTMLElement;
  draw: (s: State) => void;
  size: () => ViewSize;
}

const DOUBLE_CLICK_MS = 500;

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

/**
 * Whether world point (wx, wy) is on the ▸ of closed group box i, or the ▾ of open group
 * frame i: where view/renderBoxes.ts and view/render.ts draw them, at least a finger wide.
 */
export function onGroupGlyph(l: ViewLayout, i: number, wx: number, wy: number, scale: number): boolean {
  const dx = wx - l.x[i];
  const dy = wy - l.y[i];
  if (dx < 0 || dy < 0 || dx > l.w[i] || dy > l.h[i]) return false;
  if (!l.open[i]) {
    if (l.w[i] * scale < 40) return false; // drawn without text: no ▸ to click
    const font = Math.max(11, 9 / scale);
    return dx <= Math.max(Math.min(7, 4 / scale + 2) + 1.4 * font, 22 / scale);
  }
  if (l.w[i] * scale < 80 || l.h[i] * scale < 24) return false; // a frame without its title
  const font = Math.max(11, 9 / scale);
  return dx <= Math.max(8 + 1.4 * font, 22 / scale) && dy <= Math.max(20, font + 6);
}

export function createGraphView(
  a: Actions,
  getState: () => State,
  update: (p: Partial<State>) => void,
  signal: AbortSignal,
): GraphPart {
  const root = el("div", "mgd-graph");
  const canvas = el("canvas");
  const zoom = el("div", "mgd-zoom");
  zoom.append(
    button("mgd-btn mgd-mini", "+", "zoom in (+, or Ctrl + wheel)", () => a.zoomBy(1.4), signal),
    button("mgd-btn mgd-mini", "−", "zoom out (−, or Ctrl + wheel)", () => a.zoomBy(1 / 1.4), signal),
  );
  const hint = el("div", "mgd-hint");
  hint.hidden = true;
  const beyond = createOffscreen(
    (dx, dy) => update({ camera: panBy(getState().camera, dx, dy) }),
    () => sizeOf(root),
    signal,
  );
  root.append(canvas, zoom, hint, ...beyond.parts);
  let hintTimer: ReturnType<typeof setTimeout> | null = null;
  const flashHint = (text: string) => {
    hint.textContent = text;
    hint.hidden = false;
    if (hintTimer) clearTimeout(hintTimer);
    hintTimer = setTimeout(() => (hint.hidden = true), 1600);
  };
  signal.addEventListener("abort", () => hintTimer && clearTimeout(hintTimer));
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

  let lastToggleMs = -Infinity; // when a click on ▸ / ▾ last opened or closed a group
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
      const s = getState();
      const p = worldAt(e);
      const glyph = hover >= 0 && !!s.layout && onGroupGlyph(s.layout, hover, p.x, p.y, s.camera.scale);
      canvas.title = glyph ? "click to open or close this group" : "";
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
    if (u < s.tree.numNodes) return a.select(u);
    const p = worldAt(e);
    if (!onGroupGlyph(s.layout, i, p.x, p.y, s.camera.scale)) return a.selectGroup(u - s.tree.numNodes);
    // the second click of a double-click on ▸ must not close what the first opened
    if (e.timeStamp - lastToggleMs > DOUBLE_CLICK_MS) a.toggleGroup(u - s.tree.numNodes);
    lastToggleMs = e.timeStamp;
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
    // a double-click on ▸: its first click opened the group already
    if (u >= s.tree.numNodes && e.timeStamp - lastToggleMs > DOUBLE_CLICK_MS) a.toggleGroup(u - s.tree.numNodes);
  });
  // the wheel zooms only while the widget has focus, so scrolling the notebook past it still scrolls
  on(
    "wheel",
    (e) => {
      const s = getState();
      if (!s.focused && !e.ctrlKey) return flashHint("Ctrl + wheel zooms (or click the graph, then the wheel)");
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
    beyond.draw(s.layout, s.camera);
  };
  return { root, draw, size };
}
