// Arrows on the graph's edges that say how many boxes lie beyond each one ("◀ 4"), each a
// button that pans that way: a picture the view clips says so, and the rest is one click
// away (a small graph opens at reading size, so its far end may be out of view).

import type { ViewLayout } from "../layout/compose";
import type { Camera, ViewSize } from "./camera";
import { el, setText, show } from "./dom";

export interface Beyond {
  left: number;
  right: number;
  up: number;
  down: number;
}

const SIDES = ["left", "right", "up", "down"] as const;
const ARROW = { left: "◀", right: "▶", up: "▲", down: "▼" };

/** How many boxes (nodes and closed groups) lie wholly beyond each edge of the view. */
export function countBeyond(l: ViewLayout, cam: Camera, size: ViewSize): Beyond {
  const out = { left: 0, right: 0, up: 0, down: 0 };
  const x0 = cam.x;
  const y0 = cam.y;
  const x1 = x0 + size.widthPx / cam.scale;
  const y1 = y0 + size.heightPx / cam.scale;
  for (let i = 0; i < l.unit.length; i++) {
    if (l.open[i]) continue; // a frame: what matters is what it holds
    if (l.x[i] + l.w[i] < x0) out.left++;
    else if (l.x[i] > x1) out.right++;
    if (l.y[i] + l.h[i] < y0) out.up++;
    else if (l.y[i] > y1) out.down++;
  }
  return out;
}

export function createOffscreen(
  onPan: (dxPx: number, dyPx: number) => void,
  size: () => ViewSize,
  signal: AbortSignal,
): { parts: HTMLElement[]; draw: (l: ViewLayout | null, cam: Camera) => void } {
  const buttons = SIDES.map((side) => {
    const b = el("button", `mgd-btn mgd-mini mgd-beyond mgd-beyond-${side}`);
    b.type = "button";
    b.addEventListener(
      "click",
      () => {
        const { widthPx, heightPx } = size();
        const dx = side === "left" ? 0.8 * widthPx : side === "right" ? -0.8 * widthPx : 0;
        const dy = side === "up" ? 0.8 * heightPx : side === "down" ? -0.8 * heightPx : 0;
        onPan(dx, dy); // the picture moves the other way, as a drag would move it
      },
      { signal },
    );
    return b;
  });
  let last = "";
  const draw = (l: ViewLayout | null, cam: Camera) => {
    const view = size();
    const key = `${l?.unit.length}|${cam.x}|${cam.y}|${cam.scale}|${view.widthPx}|${view.heightPx}`;
    if (key === last && l) return;
    last = key;
    const n = l ? countBeyond(l, cam, view) : { left: 0, right: 0, up: 0, down: 0 };
    SIDES.forEach((side, k) => {
      const b = buttons[k];
      show(b, n[side] > 0);
      setText(b, `${ARROW[side]} ${n[side]}`);
      b.title = `${n[side]} more ${n[side] === 1 ? "box" : "boxes"} this way: click to pan`;
    });
  };
  return { parts: buttons, draw };
}
