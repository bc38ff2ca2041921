// The step strip: the loss curve over every step (click to load a step; steps kept only
// as summaries are hollow and say so) and the parameter heatmap (parameters x steps,
// value or grad; click a cell to select that parameter in that step).

import type { Actions, State } from "../state";
import { button, el, setText } from "../view/dom";
import { sizeOf } from "../view/measure";
import { cachedTheme, fmtShort, logLevel } from "../view/theme";

// what the strip shows; a cursor move is not among them
const RELEVANT: (keyof State | "*")[] = ["*", "meta", "stepIndex", "params", "heatmapMode", "liveLosses", "status"];

export function createSteps(
  a: Actions,
  signal: AbortSignal,
): { root: HTMLElement; boxes: HTMLElement[]; draw: (s: State, changed: ReadonlySet<keyof State | "*">) => void } {
  const root = el("div", "mgd-steps");
  const lossBox = el("div", "mgd-loss");
  const loss = el("canvas");
  loss.title = "loss per step: click a step to load it";
  const lossNote = el("div", "mgd-note");
  lossBox.append(loss, lossNote);
  const heatBox = el("div", "mgd-heat");
  const heat = el("canvas");
  heat.title = "parameters × steps: click a cell to select that parameter in that step";
  const heatMode = button(
    "mgd-btn mgd-mini",
    "grad",
    "show the parameters' grads or values",
    () => {
      if (last) a.setOptions({ heatmapMode: last.heatmapMode === "grad" ? "value" : "grad" });
    },
    signal,
  );
  heatBox.append(heat, heatMode);
  root.append(lossBox, heatBox);
  let last: State | null = null;
  const heatCache: HeatCache = { key: "", params: null, image: null };

  const losses = (s: State): (number | null)[] =>
    s.status.recording && s.liveLosses.length > (s.meta?.steps.length ?? 0)
      ? s.liveLosses
      : (s.meta?.steps ?? []).map((st) => st.loss);

  loss.addEventListener(
    "click",
    (e) => {
      if (!last?.meta) return;
      const n = last.meta.steps.length;
      const r = loss.getBoundingClientRect();
      const k = Math.round(((e.clientX - r.left - 6) / Math.max(1, r.width - 12)) * Math.max(1, n - 1));
      if (n) a.loadStep(Math.max(0, Math.min(n - 1, k)));
    },
    { signal },
  );
  heat.addEventListener(
    "click",
    (e) => {
      const p = last?.params;
      if (!p || !last?.meta) return;
      const r = heat.getBoundingClientRect();
      const steps = last.meta.steps.length;
      const col = Math.floor(((e.clientX - r.left) / r.width) * steps);
      const rowI = Math.floor(((e.clientY - r.top) / r.height) * p.names.length);
      if (col >= 0 && col < steps && rowI >= 0 && rowI < p.names.length) a.loadStep(col, p.names[rowI]);
    },
    { signal },
  );

  const draw = (s: State, changed: ReadonlySet<keyof State | "*">) => {
    last = s;
    if (!RELEVANT.some((k) => changed.has(k))) return;
    setText(heatMode, s.heatmapMode);
    const th = cachedTheme(root);
    const ys = losses(s);
    const ctx = fitCanvas(loss);
    if (ctx) {
      const { w, h } = ctx;
      ctx.c.fillStyle = th.panel;
      ctx.c.fillRect(0, 0, w, h);
      const finite = ys.filter((y): y is number => y !== null && Number.isFinite(y));
      if (finite.length) {
        const lo = Math.min(...finite);
        const hi = Math.max(...finite);
        const X = (k: number) => 6 + (k / Math.max(1, ys.length - 1)) * (w - 12);
        const Y = (y: number) => h - 12 - ((y - lo) / (hi - lo || 1)) * (h - 24);
        ctx.c.strokeStyle = th.select;
        ctx.c.lineWidth = 1.5;
        ctx.c.beginPath();
        ys.forEach((y, k) => {
          if (y === null) return;
          if (k) ctx.c.lineTo(X(k), Y(y));
          else ctx.c.moveTo(X(k), Y(y));
        });
        ctx.c.stroke();
        const steps = s.meta?.steps ?? [];
        if (ys.length <= 400) {
          ys.forEach((y, k) => {
            if (y === null) return;
            ctx.c.beginPath();
            ctx.c.arc(X(k), Y(y), 2.5, 0, 2 * Math.PI);
            if (steps[k]?.kept) {
              ctx.c.fillStyle = th.select;
              ctx.c.fill();
            } else {
              ctx.c.strokeStyle = th.text3;
              ctx.c.stroke();
            }
          });
        }
        const cur = ys[s.stepIndex];
        if (!s.status.recording && cur != null) {
          ctx.c.strokeStyle = th.accent;
          ctx.c.beginPath();
          ctx.c.moveTo(X(s.stepIndex), 2);
          ctx.c.lineTo(X(s.stepIndex), h - 2);
          ctx.c.stroke();
          ctx.c.fillStyle = th.accent;
          ctx.c.beginPath();
          ctx.c.arc(X(s.stepIndex), Y(cur), 4, 0, 2 * Math.PI);
          ctx.c.fill();
        }
        ctx.c.fillStyle = th.text2;
        ctx.c.font = `10px ${th.font}`;
        ctx.c.fillText(`loss ${fmtShort(hi)}`, 8, 11);
        ctx.c.fillText(fmtShort(lo), 8, h - 2);
      }
    }
    const st = s.meta?.steps[s.stepIndex];
    setText(
      lossNote,
      s.status.recording
        ? `recording… ${ys.length} steps`
        : st && !st.kept
          ? `step ${st.index}: summary only (loss ${st.loss ?? "n/a"})`
          : "",
    );
    drawHeat(heat, s, th.panel, heatCache);
  };
  return { root, boxes: [lossBox, heatBox], draw };
}

function fitCanvas(canvas: HTMLCanvasElement): { c: CanvasRenderingContext2D; w: number; h: number } | null {
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

// one pixel per (parameter, step), scaled up without smoothing; rebuilt when the data changes
interface HeatCache {
  key: string;
  params: unknown; // the table it was drawn from: a new params message redraws it
  image: HTMLCanvasElement | null;
}

function drawHeat(canvas: HTMLCanvasElement, s: State, bg: string, cache: HeatCache): void {
  const ctx = fitCanvas(canvas);
  if (!ctx) return;
  ctx.c.fillStyle = bg;
  ctx.c.fillRect(0, 0, ctx.w, ctx.h);
  const p = s.params;
  const steps = s.meta?.steps.length ?? 0;
  if (!p || !steps || !p.names.length) return;
  const key = `${p.step.length}|${steps}|${s.heatmapMode}`;
  if (key !== cache.key || cache.params !== p || !cache.image) {
    cache.key = key;
    cache.params = p;
    const heatImage = document.createElement("canvas");
    cache.image = heatImage;
    heatImage.width = steps;
    heatImage.height = p.names.length;
    const img = heatImage.getContext("2d")!.createImageData(steps, p.names.length);
    const vals = s.heatmapMode === "grad" ? p.grad : p.value;
    let max = 0;
    for (const v of vals) if (Number.isFinite(v)) max = Math.max(max, Math.abs(v));
    for (let k = 0; k < vals.length; k++) {
      const at = (p.param[k] * steps + p.step[k]) * 4;
      const t = logLevel(vals[k], max);
      const pos = vals[k] >= 0;
      img.data[at] = pos ? 214 : 55;
      img.data[at + 1] = pos ? 69 : 126;
      img.data[at + 2] = pos ? 65 : 184;
      img.data[at + 3] = Number.isFinite(vals[k]) ? Math.round(30 + 225 * t) : 255;
    }
    heatImage.getContext("2d")!.putImageData(img, 0, 0);
  }
  ctx.c.imageSmoothingEnabled = false;
  ctx.c.drawImage(cache.image, 0, 0, ctx.w, ctx.h);
  const x = ((s.stepIndex + 0.5) / steps) * ctx.w;
  ctx.c.strokeStyle = "rgba(128,128,128,0.8)";
  ctx.c.strokeRect(x - ctx.w / steps / 2, 0, Math.max(1, ctx.w / steps), ctx.h);
}
