// The pager in the header of an open repeated group (a module called once per sample,
// a bundle of instances): ◂ and ▸ buttons at its right end, drawn by renderBoxes.ts and
// hit by graphView.ts, both from this one geometry. World coordinates; the buttons keep
// a usable size on screen at any zoom.

import type { ViewLayout } from "../layout/picture";

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** The ◂ / ▸ buttons of the open paged group in box `i`, at camera scale `scale`; null when none. */
export function pagerButtons(l: ViewLayout, i: number, scale: number): { prev: Rect; next: Rect } | null {
  if (!l.open[i] || l.page[i] < 0) return null;
  const size = Math.max(16, 15 / scale); // at least 15 px on screen
  if (size * 3 > l.w[i] || l.w[i] * scale < 120) return null; // too small to hold them: zoom in first
  const y = l.y[i] + 2;
  const next = { x: l.x[i] + l.w[i] - 4 - size, y, w: size, h: size };
  return { prev: { ...next, x: next.x - 3 - size }, next };
}

/** The page turn under world point (wx, wy): the box and the direction, or null. */
export function pagerAt(l: ViewLayout, wx: number, wy: number, scale: number): { slot: number; dir: 1 | -1 } | null {
  const inside = (r: Rect) => wx >= r.x && wx <= r.x + r.w && wy >= r.y && wy <= r.y + r.h;
  for (let i = l.unit.length - 1; i >= 0; i--) {
    if (!l.open[i] || l.page[i] < 0) continue;
    const b = pagerButtons(l, i, scale);
    if (!b) continue;
    if (inside(b.prev)) return { slot: i, dir: -1 };
    if (inside(b.next)) return { slot: i, dir: 1 };
  }
  return null;
}
