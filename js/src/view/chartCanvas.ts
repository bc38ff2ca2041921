// Shared by the training charts: a canvas sized to its box at the device's pixel ratio,
// and a small hover readout (text only, placed beside the pointer inside its box).

import { el } from "./dom";
import { sizeOf } from "./measure";

/** Size `canvas` to its parent's box (HiDPI) and give its 2D context in CSS pixels. */
export function fitCanvas(canvas: HTMLCanvasElement): { c: CanvasRenderingContext2D; w: number; h: number } | null {
  const { widthPx: w, heightPx: h } = sizeOf(canvas.parentElement!);
  const c = canvas.getContext("2d");
  if (!c || w <= 0 || h <= 0) return null;
  const dpr = window.devicePixelRatio || 1;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
    canvas.style.width = `${w}px`;
    canvas.style.height = `${h}px`;
  }
  c.setTransform(dpr, 0, 0, dpr, 0, 0);
  return { c, w, h };
}

/** A readout that follows the pointer inside `box`: show(text, x, y) in box pixels, hide(). */
export function createTip(box: HTMLElement): {
  root: HTMLElement;
  show(text: string, x: number, y: number): void;
  hide(): void;
} {
  const root = el("div", "mgd-tip");
  root.style.display = "none";
  box.append(root);
  return {
    root,
    show(text, x, y) {
      if (root.textContent !== text) root.textContent = text;
      root.style.display = "";
      const { widthPx, heightPx } = sizeOf(box);
      const w = root.offsetWidth;
      const h = root.offsetHeight;
      const left = x + 12 + w > widthPx ? Math.max(0, x - 12 - w) : x + 12;
      const top = Math.max(0, Math.min(heightPx - h, y - h - 6));
      root.style.left = `${left}px`;
      root.style.top = `${top}px`;
    },
    hide() {
      root.style.display = "none";
    },
  };
}
