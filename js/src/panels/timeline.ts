// The event timeline of the shown step: the forward part (nodes built) and the backward
// part (chain rules) shaded apart, the cursor, the selected node's events as diamonds.
// Drag anywhere on it to scrub; the wheel (while the widget has focus) zooms the lane down
// to single events, a double-click shows the whole step again.

import type { Actions, State } from "../state";
import { el } from "../view/dom";
import { fmtInt } from "../view/format";
import { zoomLane } from "../view/lane";
import { sizeOf } from "../view/measure";
import { cachedTheme } from "../view/theme";

const PAD_PX = 8;

/** The window of events the lane shows: the zoom, or the whole step. */
function windowOf(s: State): [number, number] {
  const n = s.view ? s.view.numEvents - 1 : 0;
  const [lo, hi] = s.lane ?? [0, n];
  return [Math.max(0, Math.min(lo, n)), Math.max(1, Math.min(hi, n))];
}

export function createTimeline(
  a: Actions,
  update: (p: Partial<State>) => void,
  signal: AbortSignal,
): { root: HTMLElement; draw: (s: State) => void } {
  const root = el("div", "mgd-timeline");
  const canvas = el("canvas");
  canvas.title =
    "drag to move through the step's events; Ctrl + wheel (or [ and ]) zooms in on events, a double-click shows the whole step";
  root.append(canvas);
  let last: State | null = null;

  const eventAt = (clientX: number): number | null => {
    const v = last?.view;
    if (!v) return null;
    const r = canvas.getBoundingClientRect();
    const f = (clientX - r.left - PAD_PX) / Math.max(1, r.width - 2 * PAD_PX);
    const [lo, hi] = windowOf(last!);
    return v.eventOffset + Math.round(lo + Math.max(0, Math.min(1, f)) * (hi - lo));
  };
  let dragging = false;
  canvas.addEventListener(
    "pointerdown",
    (e) => {
      const t = eventAt(e.clientX);
      if (t === null) return;
      dragging = true;
      try {
        canvas.setPointerCapture?.(e.pointerId);
      } catch {
        // a synthetic or already released pointer
      }
      a.seek(t);
    },
    { signal },
  );
  canvas.addEventListener(
    "pointermove",
    (e) => {
      const t = dragging ? eventAt(e.clientX) : null;
      if (t !== null) a.seek(t);
    },
    { signal },
  );
  canvas.addEventListener(
    "wheel",
    (e) => {
      const st = last;
      if (!st?.view || (!st.focused && !e.ctrlKey)) return;
      e.preventDefault();
      const [lo, hi] = windowOf(st);
      const r = canvas.getBoundingClientRect();
      const f = Math.max(0, Math.min(1, (e.clientX - r.left - PAD_PX) / Math.max(1, r.width - 2 * PAD_PX)));
      update({ lane: zoomLane(st.view.numEvents, st.lane, lo + f * (hi - lo), Math.exp(e.deltaY * 0.002)) });
    },
    { signal, passive: false },
  );
  canvas.addEventListener("dblclick", () => update({ lane: null }), { signal });
  let hovering = false;
  const hover = (on: boolean) => () => {
    hovering = on;
    if (last) draw(last);
  };
  canvas.addEventListener("pointerenter", hover(true), { signal });
  canvas.addEventListener("pointerleave", hover(false), { signal });
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
    const [lo, hi] = windowOf(s);
    const xOf = (event: number) => PAD_PX + ((event - lo) / Math.max(1, hi - lo)) * laneW;
    ctx.save();
    ctx.beginPath();
    ctx.rect(PAD_PX - 6, 0, laneW + 12, heightPx);
    ctx.clip(); // a zoomed lane draws only its window
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
    if (lo < v.nCreated) ctx.fillText(`forward · ${fmtInt(v.nCreated)} built`, PAD_PX + 4, top - 3);
    const bx = Math.max(PAD_PX, split) + 4;
    let labelEnd = lo < v.nCreated ? PAD_PX + 160 : 0; // where the labels above the lane end
    if (hi >= v.nCreated && !s.lane) {
      const text = v.replay ? `backward · ${fmtInt(v.replay.numVisits)} chain rules` : "no backward in this step";
      ctx.fillText(text, bx, top - 3);
      labelEnd = bx + ctx.measureText(text).width;
    }
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
    // live pauses: where the recording really stopped, a hollow accent diamond above the lane
    ctx.strokeStyle = th.accent;
    ctx.lineWidth = 1.5;
    for (const hit of s.liveHits) {
      if (hit.step !== v.step) continue;
      diamond(ctx, xOf(hit.event - v.eventOffset), top + 3, 4);
      ctx.stroke();
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
    ctx.restore();
    ctx.fillStyle = th.text2;
    ctx.textAlign = "right";
    if (s.lane)
      ctx.fillText(`events ${fmtInt(lo)}–${fmtInt(hi)} (double-click: whole step)`, widthPx - PAD_PX, top - 3);
    else if (hovering) {
      // (while the pointer is here: the cursor's marker at the step's end must stay clear)
      const hint = "zoom: Ctrl+wheel or [ ]";
      const right = widthPx - PAD_PX - 10;
      if (right - ctx.measureText(hint).width > labelEnd + 16) ctx.fillText(hint, right, top - 3);
    }
    ctx.textAlign = "left";
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
