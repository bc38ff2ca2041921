// The loss curve over the training steps: axes with round ticks (step across, loss up),
// a point per step (filled: kept in full; hollow: summary only), the step shown, a hover
// readout, click to load a step, the wheel to zoom the steps (while the widget has focus,
// so the notebook still scrolls past it) and a double-click to see them all again.

import type { Mark } from "../perf";
import type { Actions, State } from "../state";
import { createTip, fitCanvas } from "../view/chartCanvas";
import { el } from "../view/dom";
import { fmtFull } from "../view/format";
import { cachedTheme } from "../view/theme";
import { niceTicks, tickLabel } from "../view/ticks";

const PAD = { left: 46, right: 10, top: 8, bottom: 18 };

export interface LossChart {
  root: HTMLElement;
  draw(s: State): void;
}

/** The loss of each step: live ones while recording, else the trace's. */
export function lossesOf(s: State): (number | null)[] {
  return s.status.recording && s.liveLosses.length > (s.meta?.steps.length ?? 0)
    ? s.liveLosses
    : (s.meta?.steps ?? []).map((st) => st.loss);
}

export function createLossChart(a: Actions, signal: AbortSignal, mark: Mark): LossChart {
  const root = el("div", "mgd-loss");
  const canvas = el("canvas");
  root.append(canvas);
  const tip = createTip(root);
  let last: State | null = null;
  let zoom: [number, number] | null = null; // steps shown, null = all
  let hover = -1;

  const windowOf = (n: number): [number, number] => {
    const [lo, hi] = zoom ?? [0, Math.max(0, n - 1)];
    return [Math.max(0, lo), Math.min(Math.max(0, n - 1), hi)];
  };
  const plotW = () => Math.max(1, root.clientWidth - PAD.left - PAD.right);
  const stepAt = (clientX: number): number => {
    const n = last ? lossesOf(last).length : 0;
    if (!n) return -1;
    const [lo, hi] = windowOf(n);
    const f = (clientX - root.getBoundingClientRect().left - PAD.left) / plotW();
    return Math.max(lo, Math.min(hi, Math.round(lo + f * Math.max(1, hi - lo))));
  };
  const on = <K extends keyof HTMLElementEventMap>(ev: K, f: (e: HTMLElementEventMap[K]) => void, o = {}) =>
    canvas.addEventListener(ev, f, { ...o, signal });

  on("pointermove", (e) => {
    const t0 = performance.now();
    const k = stepAt(e.clientX);
    if (k < 0 || !last) return;
    hover = k;
    const y = lossesOf(last)[k];
    const st = last.meta?.steps[k];
    const kept = st ? (st.kept ? "kept in full" : "summary only") : "recording";
    const r = root.getBoundingClientRect();
    tip.show(
      `step ${k}  loss ${y == null ? "n/a" : fmtFull(y)}\n${kept} · click to show it, Shift+click to compare with it`,
      e.clientX - r.left,
      e.clientY - r.top,
    );
    paint(last);
    mark("loss-hover", { ms: performance.now() - t0 });
  });
  on("pointerleave", () => {
    hover = -1;
    tip.hide();
    if (last) paint(last);
  });
  on("click", (e) => {
    const k = stepAt(e.clientX);
    if (k < 0 || !last?.meta || k >= last.meta.steps.length) return;
    if (e.shiftKey) a.compareWith({ trace: "this", step: k });
    else a.loadStep(k);
  });
  on("dblclick", () => {
    zoom = null;
    if (last) paint(last);
  });
  on(
    "wheel",
    (e) => {
      if (!last || (!last.focused && !e.ctrlKey)) return;
      e.preventDefault();
      const n = lossesOf(last).length;
      const [lo, hi] = windowOf(n);
      const at = stepAt(e.clientX);
      const f = Math.exp(e.deltaY * (e.deltaMode ? 0.05 : 0.0015)); // > 1 zooms out
      const span = Math.max(4, Math.min(n - 1, (hi - lo) * f));
      const left = Math.round(at - ((at - lo) / Math.max(1, hi - lo)) * span);
      const start = Math.max(0, Math.min(n - 1 - span, left));
      zoom = span >= n - 1 ? null : [start, Math.round(start + span)];
      paint(last);
    },
    { passive: false },
  );

  const paint = (s: State) => {
    const fit = fitCanvas(canvas);
    if (!fit) return;
    const { c, w, h } = fit;
    const th = cachedTheme(root);
    c.fillStyle = th.panel;
    c.fillRect(0, 0, w, h);
    const ys = lossesOf(s);
    const [lo, hi] = windowOf(ys.length);
    const shown = ys.slice(lo, hi + 1).filter((y): y is number => y !== null && Number.isFinite(y));
    c.font = `10px ${th.font}`;
    if (!shown.length) {
      c.fillStyle = th.text2;
      c.fillText(s.status.recording ? "recording… no loss yet" : "no finite loss to plot", PAD.left, h / 2);
      return;
    }
    let y0 = Math.min(...shown);
    let y1 = Math.max(...shown);
    if (y0 === y1) [y0, y1] = [y0 - (Math.abs(y0) || 1) * 0.1, y1 + (Math.abs(y1) || 1) * 0.1];
    const X = (k: number) => PAD.left + ((k - lo) / Math.max(1, hi - lo)) * (w - PAD.left - PAD.right);
    const Y = (y: number) => PAD.top + (1 - (y - y0) / (y1 - y0)) * (h - PAD.top - PAD.bottom);
    // axes and ticks
    c.strokeStyle = th.border;
    c.lineWidth = 1;
    c.beginPath();
    c.moveTo(PAD.left, PAD.top);
    c.lineTo(PAD.left, h - PAD.bottom);
    c.lineTo(w - PAD.right, h - PAD.bottom);
    c.stroke();
    c.fillStyle = th.text2;
    c.textAlign = "right";
    const yt = niceTicks(y0, y1, Math.max(2, Math.floor((h - PAD.top - PAD.bottom) / 22)));
    for (const v of yt) {
      c.fillText(tickLabel(v, yt.length > 1 ? yt[1] - yt[0] : v), PAD.left - 4, Y(v) + 3);
      c.strokeStyle = th.dark ? "rgba(255,255,255,0.06)" : "rgba(0,0,0,0.06)";
      c.beginPath();
      c.moveTo(PAD.left, Y(v));
      c.lineTo(w - PAD.right, Y(v));
      c.stroke();
    }
    c.textAlign = "center";
    const xt = niceTicks(lo, hi, Math.max(2, Math.floor((w - PAD.left - PAD.right) / 60)), true);
    for (const k of xt) c.fillText(String(k), X(k), h - 5);
    c.textAlign = "left";
    c.fillText("loss", 4, PAD.top + 6);
    c.textAlign = "right";
    c.fillText("step", w - PAD.right, h - PAD.bottom - 3);
    c.textAlign = "left";
    // the curve, its points, the step shown, the hovered step
    c.save();
    c.beginPath();
    c.rect(PAD.left, 0, w - PAD.left - PAD.right + 1, h);
    c.clip();
    c.strokeStyle = th.select;
    c.lineWidth = 1.5;
    c.beginPath();
    let pen = false;
    for (let k = lo; k <= hi; k++) {
      const y = ys[k];
      if (y === null || !Number.isFinite(y)) {
        pen = false;
        continue;
      }
      if (pen) c.lineTo(X(k), Y(y));
      else c.moveTo(X(k), Y(y));
      pen = true;
    }
    c.stroke();
    const steps = s.meta?.steps ?? [];
    if (hi - lo <= 200) {
      for (let k = lo; k <= hi; k++) {
        const y = ys[k];
        if (y === null || !Number.isFinite(y)) continue;
        c.beginPath();
        c.arc(X(k), Y(y), 2.5, 0, 2 * Math.PI);
        if (steps[k]?.kept ?? true) {
          c.fillStyle = th.select;
          c.fill();
        } else {
          c.strokeStyle = th.text3;
          c.stroke();
        }
      }
    }
    const marker = (k: number, color: string, r: number) => {
      const y = ys[k];
      if (k < lo || k > hi) return;
      c.strokeStyle = color;
      c.beginPath();
      c.moveTo(X(k), PAD.top);
      c.lineTo(X(k), h - PAD.bottom);
      c.stroke();
      if (y == null || !Number.isFinite(y)) return;
      c.fillStyle = color;
      c.beginPath();
      c.arc(X(k), Y(y), r, 0, 2 * Math.PI);
      c.fill();
    };
    if (!s.status.recording) marker(s.stepIndex, th.accent, 4);
    if (hover >= 0) marker(hover, th.text3, 3);
    c.restore();
  };

  const draw = (s: State) => {
    last = s;
    paint(s);
  };
  return { root, draw };
}
