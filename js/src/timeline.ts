// The event timeline of the shown step: the forward part (nodes built) and the backward
// part (chain rules) shaded apart, the cursor, the selected node's events as diamonds.
// Drag anywhere on it to scrub.

import { el } from "./dom";
import { sizeOf } from "./measure";
import { fmtInt } from "./format";
import type { Actions, State } from "./state";
import { cachedTheme } from "./theme";

const PAD_PX = 8;

export function createTimeline(a: Actions, signal: AbortSignal): { root: HTMLElement; draw: (s: State) => void } {
  const root = el("div", "mgd-timeline");
  const canvas = el("canvas");
  canvas.title = "drag to move through the step's events";
  root.append(canvas);
  let last: State | null = null;

  const eventAt = (clientX: number): number | null => {
    const v = last?.view;
    if (!v) return null;
    const r = canvas.getBoundingClientRect();
    const f = (clientX - r.left - PAD_PX) / Math.max(1, r.width - 2 * PAD_PX);
    return v.eventOffset + Math.round(Math.max(0, Math.min(1, f)) * (v.numEvents - 1));
  };
  let dragging = false;
  canvas.addEventListener("pointerdown", (e) => {
    const t = eventAt(e.clientX);
    if (t === null) return;
    dragging = true;
    try {
      canvas.setPointerCapture?.(e.pointerId);
    } catch {
      // a synthetic or already released pointer
    }
    a.seek(t);
  }, { signal });
  canvas.addEventListener("pointermove", (e) => {
    const t = dragging ? eventAt(e.clientX) : null;
    if (t !== null) a.seek(t);
  }, { signal });
  const stop = () => (dragging = false);
  canvas.addEventListener("pointerup", stop, { signal });
  canvas.addEventListener("pointercancel", stop, { signal });

  const draw = (s: State) => {
    last = s;
    const { widthPx, heightPx } = sizeOf(root);
    const ctx = canvas.getContext("2d");
    if (!ctx || widthPx <= 0 || heightPx <= 0) return;
    const dpr = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(widthPx * dpr) || canvas.height !== Math.round(heightPx * dpr)) {
      canvas.width = Math.round(widthPx * dpr);
      canvas.height = Math.round(heightPx * dpr);
      canvas.style.width = `${widthPx}px`;
      canvas.style.height = `${heightPx}px`;
    }
    const th = cachedTheme(root);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = th.panel;
    ctx.fillRect(0, 0, widthPx, heightPx);
    const v = s.view;
    if (!v) return;
    const laneW = widthPx - 2 * PAD_PX;
    const xOf = (event: number) => PAD_PX + (event / Math.max(1, v.numEvents - 1)) * laneW;
    const top = 14;
    const laneH = heightPx - top - 6;
    const split = xOf(v.nCreated);
    ctx.fillStyle = th.dark ? "rgba(100,160,255,0.22)" : "rgba(25,118,210,0.16)";
    ctx.fillRect(PAD_PX, top, split - PAD_PX, laneH);
    ctx.fillStyle = th.dark ? "rgba(255,160,60,0.25)" : "rgba(245,124,0,0.18)";
    ctx.fillRect(split, top, PAD_PX + laneW - split, laneH);
    // the part already played, darker
    const cx = xOf(v.event);
    ctx.fillStyle = th.dark ? "rgba(255,255,255,0.10)" : "rgba(0,0,0,0.08)";
    ctx.fillRect(PAD_PX, top, cx - PAD_PX, laneH);
    ctx.font = `10px ${th.font}`;
    ctx.fillStyle = th.text2;
    ctx.fillText(`forward · ${fmtInt(v.nCreated)} built`, PAD_PX + 4, top - 3);
    if (v.replay) {
      ctx.fillText(`backward · ${fmtInt(v.replay.numVisits)} chain rules`, split + 4, top - 3);
    } else ctx.fillText("no backward in this step", split + 4, top - 3);
    // the selected node's events as ticks, breakpoint hits as diamonds, the first NaN/inf in red
    if (s.selected >= 0 && s.selected < v.numNodes) {
      ctx.fillStyle = th.select;
      for (const t of v.eventsOf(s.selected)) ctx.fillRect(xOf(t) - 1, top + laneH - 6, 2, 6);
    }
    ctx.fillStyle = th.text;
    let lastX = -1;
    for (const hit of s.hits) {
      if (hit.step !== v.step) continue;
      const hx = Math.round(xOf(hit.event - v.eventOffset));
      if (hx !== lastX) diamond(ctx, hx, top + laneH / 2 - 1, 4);
      lastX = hx;
    }
    const bad = s.anomaly;
    if (bad && bad.step === v.step) {
      ctx.fillStyle = th.error;
      ctx.fillRect(xOf(bad.event - v.eventOffset) - 1.5, top - 3, 3, laneH + 3);
    }
    ctx.strokeStyle = th.accent;
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(cx, top - 2);
    ctx.lineTo(cx, top + laneH + 2);
    ctx.stroke();
    ctx.fillStyle = th.accent;
    ctx.beginPath();
    ctx.moveTo(cx - 5, top - 6);
    ctx.lineTo(cx + 5, top - 6);
    ctx.lineTo(cx, top);
    ctx.fill();
  };
  return { root, draw };
}

function diamond(ctx: CanvasRenderingContext2D, x: number, y: number, r: number): void {
  ctx.beginPath();
  ctx.moveTo(x, y - r);
  ctx.lineTo(x + r, y);
  ctx.lineTo(x, y + r);
  ctx.lineTo(x - r, y);
  ctx.closePath();
  ctx.fill();
}
