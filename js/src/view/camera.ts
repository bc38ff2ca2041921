// The camera over the graph picture, and the pure math that moves it: fit the picture
// into the canvas, zoom about a screen point, centre a box, pan, screen <-> world.
// World units are the layout's pixels; screen = (world - camera.x|y) * camera.scale.

import { SMALL_GRAPH_NODES } from "../data/structures";

export interface Camera {
  x: number; // world coordinate at the canvas's left edge
  y: number;
  scale: number; // screen px per world px
}

export interface ViewSize {
  widthPx: number;
  heightPx: number;
}

/** What a fit needs to know of the picture: its size and how many nodes it holds. */
export interface Picture {
  width: number;
  height: number;
  numNodes: number;
}

/** A box in world coordinates (top-left corner and size). */
export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export const MIN_SCALE = 0.0005;
export const MAX_SCALE = 3;
const MAX_FIT_SCALE = 1.25; // a tiny graph is not blown up past this
const READABLE_SCALE = 0.66; // node text (10.5-11 px in world units) stays >= 7 px on screen
const CENTRE_SCALE = 0.8; // centring a box zooms in to at least this
const MARGIN_PX = 16;
const LEGEND_PX = 40; // the colour legend's strip at the bottom: keep the picture above it

export function toWorld(cam: Camera, sx: number, sy: number): { x: number; y: number } {
  return { x: cam.x + sx / cam.scale, y: cam.y + sy / cam.scale };
}

export function toScreen(cam: Camera, wx: number, wy: number): { x: number; y: number } {
  return { x: (wx - cam.x) * cam.scale, y: (wy - cam.y) * cam.scale };
}

/** The camera after dragging the picture by (dx, dy) screen pixels. */
export function panBy(cam: Camera, dxPx: number, dyPx: number): Camera {
  return { scale: cam.scale, x: cam.x - dxPx / cam.scale, y: cam.y - dyPx / cam.scale };
}

/** Zoom by `factor` keeping the world point under screen point (sx, sy) where it is. */
export function zoomAt(cam: Camera, sx: number, sy: number, factor: number): Camera {
  const scale = Math.max(MIN_SCALE, Math.min(MAX_SCALE, cam.scale * factor));
  return { scale, x: cam.x + sx / cam.scale - sx / scale, y: cam.y + sy / cam.scale - sy / scale };
}

/** The camera at `cam`'s scale that shows world point (wx, wy) at screen point (sx, sy). */
export function pinAt(cam: Camera, wx: number, wy: number, sx: number, sy: number): Camera {
  return { scale: cam.scale, x: wx - sx / cam.scale, y: wy - sy / cam.scale };
}

function fitScale(p: Picture, size: ViewSize): number {
  return Math.min(
    MAX_FIT_SCALE,
    (size.widthPx - 2 * MARGIN_PX) / Math.max(1, p.width),
    (size.heightPx - 2 * MARGIN_PX - LEGEND_PX) / Math.max(1, p.height),
  );
}

/** A small graph whose whole picture fits the view with every number readable. */
export function fitsReadably(p: Picture, size: ViewSize): boolean {
  return p.numNodes < SMALL_GRAPH_NODES && fitScale(p, size) >= READABLE_SCALE;
}

/**
 * The camera that shows the whole picture in the view, within margins and above the legend.
 * A small graph is never shrunk past reading size: if it does not fit, the loss end (right)
 * stays in view.
 */
export function fitCamera(p: Picture, size: ViewSize): Camera {
  const { widthPx, heightPx } = size;
  const fit = fitScale(p, size);
  const small = p.numNodes < SMALL_GRAPH_NODES;
  const scale = Math.max(MIN_SCALE, small ? Math.max(READABLE_SCALE, fit) : fit);
  const x =
    scale > fit && p.width * scale > widthPx
      ? p.width + MARGIN_PX / scale - widthPx / scale
      : p.width / 2 - widthPx / 2 / scale;
  return { scale, x, y: p.height / 2 - (heightPx - LEGEND_PX) / 2 / scale };
}

/** Centre `box`, zooming in to a readable scale if needed. */
export function centreOn(box: Box, cam: Camera, size: ViewSize): Camera {
  const scale = Math.max(cam.scale, CENTRE_SCALE);
  return {
    scale,
    x: box.x + box.w / 2 - size.widthPx / 2 / scale,
    y: box.y + box.h / 2 - size.heightPx / 2 / scale,
  };
}

/** The camera that shows all of `box` (a group's frame), centred, zoomed to fit but no closer than a fit of a tiny graph. */
export function fitBox(box: Box, size: ViewSize): Camera {
  const scale = Math.max(
    MIN_SCALE,
    Math.min(
      MAX_FIT_SCALE,
      (size.widthPx - 2 * MARGIN_PX) / Math.max(1, box.w),
      (size.heightPx - 2 * MARGIN_PX - LEGEND_PX) / Math.max(1, box.h),
    ),
  );
  return {
    scale,
    x: box.x + box.w / 2 - size.widthPx / 2 / scale,
    y: box.y + box.h / 2 - (size.heightPx - LEGEND_PX) / 2 / scale,
  };
}

/** Show `box`: the whole small graph when it fits readably (the box stays in context), else centre it. */
export function showBox(p: Picture, box: Box, cam: Camera, size: ViewSize): Camera {
  return fitsReadably(p, size) ? fitCamera(p, size) : centreOn(box, cam, size);
}
