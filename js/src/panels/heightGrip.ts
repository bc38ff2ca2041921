// The grip on the viewer's bottom edge: drag it to make the viewer taller or shorter than
// `height_px` (a laptop's output area may want more room for the graph and the panels).

import { el } from "../view/dom";

const MIN_HEIGHT_PX = 360;

export function createHeightGrip(
  root: HTMLElement,
  onResize: (heightPx: number) => void,
  signal: AbortSignal,
): HTMLElement {
  const grip = el("div", "mgd-grip");
  grip.title = "drag to make the viewer taller or shorter";
  grip.setAttribute("role", "separator");
  grip.setAttribute("aria-orientation", "horizontal");
  grip.setAttribute("aria-label", "resize the viewer's height");
  let drag: { y: number; h: number } | null = null;
  grip.addEventListener(
    "pointerdown",
    (e) => {
      if (e.button !== 0) return;
      drag = { y: e.clientY, h: root.getBoundingClientRect().height };
      try {
        grip.setPointerCapture?.(e.pointerId);
      } catch {
        // a synthetic or already released pointer: the drag still follows inside the grip
      }
      e.preventDefault();
    },
    { signal },
  );
  grip.addEventListener(
    "pointermove",
    (e) => {
      if (drag) onResize(Math.max(MIN_HEIGHT_PX, Math.round(drag.h + e.clientY - drag.y)));
    },
    { signal },
  );
  const end = () => (drag = null);
  grip.addEventListener("pointerup", end, { signal });
  grip.addEventListener("pointercancel", end, { signal });
  return grip;
}
