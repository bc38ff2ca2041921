// The parameter explorer: one row per module (opened by clicking its name) or parameter,
// with its value and grad over all steps as sparklines, then a heatmap cell per step for
// the quantity chosen (value, grad, update, or grad norm per module). Hover for the
// numbers; a click on a cell shows that parameter in that step; the wheel scrolls the rows
// (over the cells, zooms the steps; with Shift, scrolls), a double-click shows every step.

import { type ParamSeries, paramSeries, seriesOf } from "../data/paramSeries";
import type { Mark } from "../perf";
import type { Actions, State } from "../state";
import { createTip, fitCanvas } from "../view/chartCanvas";
import { el, option } from "../view/dom";
import { fmtInt } from "../view/format";
import { fmtShort } from "../view/scales";
import { fitText } from "../view/text";
import { cachedTheme } from "../view/theme";
import { ROW_PX, readout, SPARK_PX, spark } from "./paramDraw";
import { cellColor, cellRanges, type HeatMode, quantityOf, type Row, rowSeries, rowsOf } from "./paramRows";

const HEAD_PX = 13; // the column titles

/** Where things are in the explorer's canvas (CSS pixels). */
export interface Geometry {
  nameW: number;
  heatX: number; // left of the first cell
  heatW: number;
  rows: number; // rows that fit
}

export function geometryOf(w: number, h: number): Geometry {
  const nameW = Math.max(70, Math.min(150, Math.round(w * 0.22)));
  const heatX = nameW + 2 * SPARK_PX + 8;
  return { nameW, heatX, heatW: Math.max(1, w - heatX - 4), rows: Math.max(1, Math.floor((h - HEAD_PX) / ROW_PX)) };
}

export function createParamExplorer(a: Actions, signal: AbortSignal, mark: Mark) {
  const root = el("div", "mgd-params");
  const head = el("div", "mgd-params-head");
  const mode = el("select", "mgd-select mgd-mini-select");
  mode.title = "what the cells show";
  for (const [v, t] of [
    ["grad", "grad"],
    ["value", "value"],
    ["update", "update (Δ per step)"],
    ["norm", "grad norm per module"],
  ])
    mode.append(option(t, v));
  mode.addEventListener("change", () => a.setOptions({ heatmapMode: mode.value as HeatMode }), { signal });
  const legend = el("span", "mgd-params-legend");
  head.append(mode, legend);
  const body = el("div", "mgd-params-body");
  const canvas = el("canvas");
  const overlay = el("canvas", "mgd-overlay");
  body.append(canvas, overlay);
  root.append(head, body);
  const tip = createTip(body);

  const opened = new Set<string>();
  let series: ParamSeries | null = null;
  let seriesOfTable: unknown = null;
  let rows: Row[] = [];
  let scroll = 0;
  let zoom: [number, number] | null = null;
  let last: State | null = null;
  let geo: Geometry = geometryOf(1, 1);
  const heatImage = { key: "", image: null as HTMLCanvasElement | null };

  const steps = () => series?.steps ?? 0;
  const cols = (): [number, number] => zoom ?? [0, Math.max(1, steps())];
  const at = (e: MouseEvent) => {
    const r = body.getBoundingClientRect();
    const x = e.clientX - r.left;
    const y = e.clientY - r.top;
    const i = y < HEAD_PX ? -1 : scroll + Math.floor((y - HEAD_PX) / ROW_PX);
    const [c0, c1] = cols();
    const col = x >= geo.heatX ? Math.floor(c0 + ((x - geo.heatX) / geo.heatW) * (c1 - c0)) : -1;
    return { x, y, row: i >= 0 && i < rows.length ? rows[i] : null, col: col >= c0 && col < c1 ? col : -1 };
  };
  const on = <K extends keyof HTMLElementEventMap>(ev: K, f: (e: HTMLElementEventMap[K]) => void, o = {}) =>
    overlay.addEventListener(ev, f, { ...o, signal });

  on("pointermove", (e) => {
    const t0 = performance.now();
    const p = at(e);
    drawOverlay(p.row ? rows.indexOf(p.row) : -1, p.col);
    if (!p.row || !series) tip.hide();
    else tip.show(readout(series, p.row, p.col, (last?.heatmapMode as HeatMode) ?? "grad"), p.x, p.y);
    mark("heat-hover", { ms: performance.now() - t0 });
  });
  on("pointerleave", () => {
    tip.hide();
    drawOverlay(-1, -1);
  });
  on("click", (e) => {
    const p = at(e);
    if (!p.row || !last) return;
    if (p.col < 0 && p.row.module >= 0) {
      if (opened.has(p.row.full)) opened.delete(p.row.full);
      else opened.add(p.row.full);
      return paint(last, true);
    }
    const step = p.col >= 0 ? p.col : last.stepIndex;
    if (p.row.param >= 0) a.loadStep(step, p.row.full);
    else if (p.col >= 0) a.loadStep(step);
  });
  on("dblclick", () => {
    zoom = null;
    if (last) paint(last, false);
  });
  on(
    "wheel",
    (e) => {
      if (!last || (!last.focused && !e.ctrlKey)) return;
      e.preventDefault();
      const p = at(e);
      if (p.col >= 0 && !e.shiftKey) {
        const [c0, c1] = cols();
        const f = Math.exp(e.deltaY * (e.deltaMode ? 0.05 : 0.0015));
        const span = Math.max(4, Math.min(steps(), (c1 - c0) * f));
        const start = Math.max(0, Math.min(steps() - span, p.col - ((p.col - c0) / (c1 - c0)) * span));
        zoom = span >= steps() ? null : [Math.round(start), Math.round(start + span)];
      } else {
        const by = Math.sign(e.deltaY) * Math.max(1, Math.round(Math.abs(e.deltaY) / 40));
        scroll = Math.max(0, Math.min(Math.max(0, rows.length - geo.rows), scroll + by));
      }
      paint(last, false);
    },
    { passive: false },
  );

  function drawOverlay(row: number, col: number): void {
    const fit = fitCanvas(overlay);
    if (!fit) return;
    const { c, w, h } = fit;
    c.clearRect(0, 0, w, h);
    if (row < 0) return;
    const th = cachedTheme(root);
    const y = HEAD_PX + (row - scroll) * ROW_PX;
    c.strokeStyle = th.text3;
    c.strokeRect(0.5, y + 0.5, w - 1, ROW_PX - 1);
    if (col < 0) return;
    const [c0, c1] = cols();
    const cw = geo.heatW / (c1 - c0);
    c.strokeStyle = th.text;
    c.lineWidth = 1.5;
    c.strokeRect(geo.heatX + (col - c0) * cw, y, Math.max(2, cw), ROW_PX);
  }

  function paint(s: State, rowsChanged: boolean): void {
    const fit = fitCanvas(canvas);
    if (!fit || !series) return;
    const { c, w, h } = fit;
    geo = geometryOf(w, h);
    fitCanvas(overlay)?.c.clearRect(0, 0, w, h); // the overlay takes the pointer: it covers the whole body
    const m = (s.heatmapMode as HeatMode) ?? "grad";
    if (rowsChanged) rows = rowsOf(series, opened, m);
    scroll = Math.max(0, Math.min(scroll, Math.max(0, rows.length - geo.rows)));
    const th = cachedTheme(root);
    const q = quantityOf(m);
    const ranges = cellRanges(series, rows, q);
    c.fillStyle = th.panel;
    c.fillRect(0, 0, w, h);
    // column titles
    c.font = `9.5px ${th.font}`;
    c.fillStyle = th.text2;
    c.fillText(`${fmtInt(series.names.length)} parameters`, 4, 10);
    c.fillText("value", geo.nameW + 4, 10);
    c.fillText("grad", geo.nameW + SPARK_PX + 6, 10);
    const [c0, c1] = cols();
    c.textAlign = "right";
    c.fillText(`steps ${c0}–${c1 - 1}`, w - 4, 10);
    c.textAlign = "left";
    // the cells: one pixel per (row, step), scaled up without smoothing
    const key = `${m}|${rows.map((r) => r.full).join(",")}|${series.steps}`;
    if (key !== heatImage.key || !heatImage.image) {
      heatImage.key = key;
      const img = document.createElement("canvas");
      img.width = series.steps;
      img.height = Math.max(1, rows.length);
      const ctx = img.getContext("2d");
      if (ctx && rows.length) {
        const data = ctx.createImageData(series.steps, rows.length);
        rows.forEach((r, i) => {
          const xs = rowSeries(series!, r, q);
          for (let k = 0; k < xs.length; k++)
            data.data.set(cellColor(xs[k], r.module >= 0, ranges), (i * series!.steps + k) * 4);
        });
        ctx.putImageData(data, 0, 0);
      }
      heatImage.image = img;
    }
    const shown = Math.min(geo.rows, rows.length - scroll);
    if (shown > 0) {
      c.imageSmoothingEnabled = false;
      c.drawImage(heatImage.image!, c0, scroll, c1 - c0, shown, geo.heatX, HEAD_PX, geo.heatW, shown * ROW_PX);
    }
    // names and sparklines
    const selected = selectedLabel(s);
    for (let i = 0; i < shown; i++) {
      const r = rows[scroll + i];
      const y = HEAD_PX + i * ROW_PX;
      if (r.full === selected) {
        c.fillStyle = th.dark ? "rgba(100,150,255,0.18)" : "rgba(25,118,210,0.12)";
        c.fillRect(0, y, w, ROW_PX);
      }
      c.fillStyle = r.param >= 0 ? th.text : th.text;
      c.font = `${r.module >= 0 ? "600 " : ""}10px ${th.font}`;
      const indent = 4 + r.depth * 9;
      const mark = r.module >= 0 ? (r.open ? "▾ " : "▸ ") : "";
      c.fillText(fitText(c, `${mark}${r.name}`, geo.nameW - indent - 2), indent, y + 11);
      spark(
        c,
        r.param >= 0 ? seriesOf(series, "value", r.param) : rowSeries(series, r, "value"),
        geo.nameW + 2,
        y,
        th.text2,
      );
      spark(
        c,
        r.param >= 0 ? seriesOf(series, "grad", r.param) : rowSeries(series, r, "grad"),
        geo.nameW + SPARK_PX + 4,
        y,
        th.accent,
      );
    }
    // the step shown
    const k = s.stepIndex;
    if (k >= c0 && k < c1) {
      const cw = geo.heatW / (c1 - c0);
      c.strokeStyle = th.accent;
      c.lineWidth = 1.5;
      c.strokeRect(geo.heatX + (k - c0) * cw, HEAD_PX, Math.max(1.5, cw), shown * ROW_PX);
    }
    if (rows.length > geo.rows) {
      const barH = (geo.rows / rows.length) * (h - HEAD_PX);
      c.fillStyle = th.text3;
      c.fillRect(w - 3, HEAD_PX + (scroll / rows.length) * (h - HEAD_PX), 2, Math.max(6, barH));
    }
    const what = m === "norm" ? "‖grad‖ per module" : `${m}: red +, blue −, log |x| up to ${fmtShort(ranges.param.hi)}`;
    legend.textContent = `${what}; module rows: norm up to ${fmtShort(ranges.module.hi)}`;
    body.dataset.rows = String(rows.length);
    body.dataset.first = String(scroll);
  }

  const RELEVANT: (keyof State | "*")[] = ["*", "params", "meta", "heatmapMode", "stepIndex", "selected", "view"];
  const draw = (s: State, changed: ReadonlySet<keyof State | "*">) => {
    last = s;
    if (!RELEVANT.some((k) => changed.has(k))) return;
    if (mode.value !== s.heatmapMode) mode.value = s.heatmapMode;
    const n = s.meta?.steps.length ?? 0;
    let fresh = changed.has("heatmapMode") || changed.has("*");
    if (s.params && (s.params !== seriesOfTable || series?.steps !== n)) {
      series = paramSeries(s.params, n);
      seriesOfTable = s.params;
      heatImage.key = "";
      fresh = true;
    }
    paint(s, fresh || !rows.length);
  };
  // for tests and benchmarks: where the rows and cells are (CSS px of the body)
  const geometry = () => ({ heatX: geo.heatX, heatW: geo.heatW, fit: geo.rows, scroll, rows, cols: cols() });
  return { root, draw, geometry };
}

function selectedLabel(s: State): string {
  const v = s.view;
  if (!v || !s.meta || s.selected < 0 || s.selected >= v.numNodes) return "";
  return s.meta.strings.labels[v.g.label[s.selected]] ?? "";
}
