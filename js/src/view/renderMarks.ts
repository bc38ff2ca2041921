// What render.ts draws over the boxes: the count on each edge bundle, the stubs of
// auxiliary leaves (a parameter read far from its module), the NaN / inf marks (at every
// zoom, a fixed size on screen), and the legend of what is on screen.

import { SIZE } from "../layout/boxSizes";
import { localName } from "../layout/owners";
import type { ViewLayout } from "../layout/picture";
import type { State } from "../state";
import { fmtCount } from "./format";
import { nodeName } from "./names";
import { type Paint, roundRect } from "./renderBoxes";
import { legend, rangesOf } from "./scales";
import type { Summary } from "./summary";
import { firstFitting, fitText } from "./text";
import type { Theme } from "./theme";

const MAX_LABELS = 400;

/** A bundle's count ("×1,600") on its first step between two layers, where nothing else
 * is drawn, when it fits there at this zoom (fans in and out of a frame's side have no
 * such step: their counts are the bundles' outside it). */
export function drawCounts(p: Paint, l: ViewLayout, view: number[]): void {
  const { ctx, th, k } = p;
  const [vx0, vy0, vx1, vy1] = view;
  const font = 9 / k;
  ctx.font = `${font}px ${th.font}`;
  ctx.textAlign = "center";
  let drawn = 0;
  for (let e = 0; e < l.edgeSrc.length && drawn < MAX_LABELS; e++) {
    const c = l.edgeCount[e];
    const a = l.edgeSrc[e];
    const b = l.edgeDst[e];
    if (c < 2 || l.parentSlot[a] !== l.parentSlot[b]) continue; // siblings only
    // the first step that changes x by more than a few px: out of the source's column
    let q = l.edgePtr[e];
    while (q + 1 < l.edgePtr[e + 1] && l.edgeX[q + 1] - l.edgeX[q] < SIZE.layerGapPx - 1) q++;
    if (q + 1 >= l.edgePtr[e + 1]) continue;
    const gap = l.edgeX[q + 1] - l.edgeX[q];
    const cx = (l.edgeX[q] + l.edgeX[q + 1]) / 2;
    const cy = (l.edgeY[q] + l.edgeY[q + 1]) / 2;
    if (cx < vx0 || cx > vx1 || cy < vy0 || cy > vy1) continue;
    const text = firstFitting(ctx, [`×${fmtCount(c)}`, fmtCount(c)], gap - 4 / k);
    if (!text || text.includes("…")) continue;
    const tw = ctx.measureText(text).width;
    ctx.fillStyle = th.bg;
    ctx.globalAlpha = 0.85;
    ctx.fillRect(cx - tw / 2 - 1 / k, cy - font * 0.75, tw + 2 / k, font * 1.05);
    ctx.globalAlpha = 1;
    ctx.fillStyle = th.text2;
    ctx.fillText(text, cx, cy + font * 0.25);
    drawn++;
  }
  ctx.textAlign = "left";
}

/** Each box read by auxiliary leaves gets up to two small tags on its left side (below
 * where its edges come in), the leaf's short name or "+N"; a visible auxiliary leaf says
 * how many boxes read it that way. */
export function drawStubs(p: Paint, l: ViewLayout, seen: (i: number) => boolean): void {
  const { ctx, s, th, k } = p;
  if (!l.stubSlot.length || k < 0.2) return;
  const bySlot = new Map<number, number[]>();
  const readers = new Map<number, number>();
  for (let i = 0; i < l.stubSlot.length; i++) {
    const slot = l.stubSlot[i];
    readers.set(l.stubNode[i], (readers.get(l.stubNode[i]) ?? 0) + 1);
    if (!seen(slot)) continue;
    const list = bySlot.get(slot) ?? [];
    list.push(l.stubNode[i]);
    bySlot.set(slot, list);
  }
  const labels = s.meta!.strings.labels;
  const view = s.view!;
  const name = (node: number) => {
    const label = labels[view.g.label[node]] ?? "";
    return label ? localName(label) : nodeName(s, node);
  };
  const tagW = 26;
  const tagH = 9;
  ctx.lineWidth = 1 / k;
  for (const [slot, nodes] of bySlot) {
    const x = l.x[slot] - tagW - 3;
    const tags = nodes.length <= 2 ? nodes.map(name) : [name(nodes[0]), `+${nodes.length - 1}`];
    tags.forEach((t, r) => {
      const y = l.y[slot] + l.h[slot] / 2 + 3 + r * (tagH + 2);
      ctx.strokeStyle = th.text3;
      ctx.beginPath();
      ctx.moveTo(x + tagW, y + tagH / 2);
      ctx.lineTo(l.x[slot], y + tagH / 2);
      ctx.stroke();
      ctx.fillStyle = th.panel2;
      roundRect(ctx, x, y, tagW, tagH, 2);
      ctx.fill();
      ctx.stroke();
      ctx.fillStyle = th.text2;
      ctx.font = `7px ${th.font}`;
      ctx.fillText(fitText(ctx, t, tagW - 3), x + 1.5, y + 7);
    });
  }
  for (const [node, count] of readers) {
    const slot = l.slotOfNode[node];
    if (slot < 0 || l.unit[slot] !== node || !seen(slot)) continue;
    ctx.fillStyle = th.text2;
    ctx.font = `7px ${th.font}`;
    ctx.fillText(`↗ ×${count} elsewhere`, l.x[slot] + l.w[slot] + 3, l.y[slot] + l.h[slot] / 2 - 3);
  }
}

/** A red ring and "!" on every visible box holding a NaN or inf, a fixed size on screen. */
export function drawNonfinite(p: Paint, l: ViewLayout, sum: Summary, seen: (i: number) => boolean): number {
  const { ctx, th, k } = p;
  let marked = 0;
  const r = 7 / k;
  for (let i = 0; i < l.unit.length && marked < 5000; i++) {
    if (!sum.bad[i] || l.open[i] || !seen(i)) continue;
    const cx = l.x[i] + l.w[i];
    const cy = l.y[i];
    ctx.beginPath();
    ctx.arc(cx, cy, r, 0, 2 * Math.PI);
    ctx.fillStyle = th.error;
    ctx.fill();
    ctx.lineWidth = 1.5 / k;
    ctx.strokeStyle = th.bg;
    ctx.stroke();
    ctx.fillStyle = "#fff";
    ctx.font = `700 ${11 / k}px ${th.font}`;
    ctx.textAlign = "center";
    ctx.fillText("!", cx, cy + 4 / k);
    ctx.textAlign = "left";
    marked++;
  }
  return marked;
}

/** Bottom left: the colour scale in force with its span; the NaN / inf count; what the
 * edges' widths and the stubs mean. Screen coordinates. */
export function drawLegend(
  ctx: CanvasRenderingContext2D,
  s: State,
  th: Theme,
  heightPx: number,
  sum: Summary,
  hasEdges: boolean,
): void {
  const v = s.view!;
  const lg = legend(s.colorMode, rangesOf(s), !!v.replay, s.compare?.label ?? "");
  const x = 10;
  const row1 = heightPx - 24; // baselines
  const row2 = heightPx - 9;
  const notes: string[] = [];
  if (hasEdges) notes.push("line width: edges bundled");
  if (s.layout?.stubSlot.length) notes.push("tag: a parameter read here");
  ctx.font = `10px ${th.font}`;
  const nan = sum.nonfinite ? `nan/inf: ${fmtCount(sum.nonfinite)} nodes` : "";
  const row1W = ctx.measureText(`${lg.title} ${lg.left} ${lg.right}`).width + (lg.stops.length ? 78 : 0);
  const row2W = ctx.measureText(notes.join(" · ")).width + (nan ? ctx.measureText(nan).width + 24 : 0);
  ctx.fillStyle = th.dark ? "rgba(0,0,0,0.55)" : "rgba(255,255,255,0.85)";
  ctx.fillRect(x - 6, row1 - 13, Math.max(row1W, row2W) + 14, 34);
  ctx.fillStyle = th.text2;
  ctx.fillText(lg.title, x, row1);
  let at = x + ctx.measureText(lg.title).width + 8;
  if (lg.stops.length) {
    ctx.fillText(lg.left, at, row1);
    at += lg.left ? ctx.measureText(lg.left).width + 4 : 0;
    const fill = ctx.createLinearGradient(at, 0, at + 64, 0);
    lg.stops.forEach((c, i) => {
      fill.addColorStop(i / (lg.stops.length - 1), c);
    });
    ctx.fillStyle = fill;
    ctx.fillRect(at, row1 - 9, 64, 10);
    ctx.strokeStyle = th.border;
    ctx.lineWidth = 1;
    ctx.strokeRect(at, row1 - 9, 64, 10);
    ctx.fillStyle = th.text2;
    ctx.fillText(lg.right, at + 68, row1);
  }
  at = x;
  if (nan) {
    ctx.fillStyle = th.error;
    ctx.beginPath();
    ctx.arc(at + 5, row2 - 4, 5.5, 0, 2 * Math.PI);
    ctx.fill();
    ctx.fillStyle = "#fff";
    ctx.font = `700 9px ${th.font}`;
    ctx.textAlign = "center";
    ctx.fillText("!", at + 5, row2 - 0.5);
    ctx.textAlign = "left";
    ctx.font = `10px ${th.font}`;
    ctx.fillStyle = th.error;
    ctx.fillText(nan, at + 14, row2);
    at += 14 + ctx.measureText(nan).width + 10;
  }
  ctx.fillStyle = th.text2;
  ctx.fillText(notes.join(" · "), at, row2);
}
