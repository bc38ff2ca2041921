// Canvas drawing of the graph: the layout's frames, edge bundles along their routes, boxes,
// stubs and marks, coloured by the grads at the cursor. It computes no layout and sends
// no messages; only what is on screen is drawn. Returns what it drew, for tests that look
// at a real browser without reading pixels.

import type { State } from "../state";
import { drawFrame, drawGroup, drawNode, drawPager, type Paint, roundRect } from "./renderBoxes";
import { drawCounts, drawLegend, drawNonfinite, drawStubs } from "./renderMarks";
import { bucketFill, bucketOf, colourOf, rangesOf } from "./scales";
import { routeKeys, summarize } from "./summary";
import type { Theme } from "./theme";

const MAX_FAR_EDGES = 20000; // zoomed far out, more plain edges than this are only a grey haze

/** What a frame drew: boxes marked non-finite, bundles drawn. */
export interface Drawn {
  marked: number;
  bundles: number;
}

export function drawGraph(
  ctx: CanvasRenderingContext2D,
  widthPx: number,
  heightPx: number,
  dpr: number,
  s: State,
  th: Theme,
): Drawn {
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.fillStyle = th.bg;
  ctx.fillRect(0, 0, widthPx, heightPx);
  const { layout: l, tree, view, meta, camera: cam } = s;
  if (!l || !tree || !view || !meta) {
    ctx.fillStyle = th.text2;
    ctx.font = `13px ${th.font}`;
    ctx.textAlign = "center";
    ctx.fillText(s.loading || s.notice || "no graph to show", widthPx / 2, heightPx / 2);
    ctx.textAlign = "left";
    return { marked: 0, bundles: 0 };
  }
  const sum = summarize(s, l);
  const k = cam.scale;
  ctx.setTransform(dpr * k, 0, 0, dpr * k, -cam.x * dpr * k, -cam.y * dpr * k);
  const x0 = cam.x;
  const y0 = cam.y;
  const x1 = x0 + widthPx / k;
  const y1 = y0 + heightPx / k;
  const { x, y, w, h, unit, open } = l;
  const S = unit.length;
  const n = view.numNodes;
  const seen = (i: number) => x[i] < x1 && x[i] + w[i] > x0 && y[i] < y1 && y[i] + h[i] > y0;
  const tiny = k * 46 < 4; // a node is a few pixels: a coloured dot says it all
  const px = 1 / k; // one screen pixel in world units
  const p: Paint = { ctx, s, th, k };
  const ranges = rangesOf(s);

  // 1. open groups' frames, outermost first (layout order is pre-order)
  for (let i = 0; i < S; i++) {
    // frames smaller than a thumbnail would only grid the picture with borders
    if (!open[i] || !seen(i) || w[i] * k < 48 || h[i] * k < 24) continue;
    drawFrame(p, unit[i] - n, i, x[i], y[i], w[i], h[i]);
  }

  // 2. edge bundles along their routes: width grows with the count; the path to the loss
  // and the edges feeding the chain rule at the cursor on top
  const cur = view.currentNode;
  const curSlot = cur >= 0 && !l.hiddenNode[cur] ? l.slotOfNode[cur] : -1;
  const feeds = new Set<number>();
  if (curSlot >= 0) {
    const { child_ptr, child } = view.g;
    for (let e = child_ptr[cur]; e < child_ptr[cur + 1]; e++) {
      const c = child[e];
      const sc = l.slotOfNode[c];
      if (sc >= 0 && sc !== curSlot && !l.hiddenNode[c] && !(tree.aux[c] && l.unit[sc] !== c))
        routeKeys(l, sc, curSlot, feeds);
    }
  }
  const byWidth = new Map<number, Path2D>();
  const onPath = new Path2D();
  const accent = new Path2D();
  let drawn = 0;
  const E = l.edgeSrc.length;
  for (let e = 0; e < E; e++) {
    const lo = l.edgePtr[e];
    const hi = l.edgePtr[e + 1];
    let bx0 = Infinity;
    let bx1 = -Infinity;
    let by0 = Infinity;
    let by1 = -Infinity;
    for (let q = lo; q < hi; q++) {
      bx0 = Math.min(bx0, l.edgeX[q]);
      bx1 = Math.max(bx1, l.edgeX[q]);
      by0 = Math.min(by0, l.edgeY[q]);
      by1 = Math.max(by1, l.edgeY[q]);
    }
    if (bx1 < x0 || bx0 > x1 || by1 < y0 || by0 > y1) continue;
    const a = l.edgeSrc[e];
    const b = l.edgeDst[e];
    const key = a * S + b;
    const width = Math.min(7, 1 + 1.3 * Math.log10(l.edgeCount[e]));
    let path: Path2D;
    if (feeds.has(key)) path = accent;
    else if (sum.onPath[a] && sum.onPath[b]) path = onPath;
    else {
      if (tiny && drawn > MAX_FAR_EDGES) continue;
      const bucket = Math.round(width * 2) / 2;
      path = byWidth.get(bucket) ?? new Path2D();
      byWidth.set(bucket, path);
    }
    drawn++;
    path.moveTo(l.edgeX[lo], l.edgeY[lo]);
    for (let q = lo + 1; q < hi; q++) {
      const ax = l.edgeX[q - 1];
      const ay = l.edgeY[q - 1];
      const qx = l.edgeX[q];
      const qy = l.edgeY[q];
      if (ay === qy || tiny) path.lineTo(qx, qy);
      else {
        const mx = (ax + qx) / 2; // horizontal at both ends: steps between layers, not across boxes
        path.bezierCurveTo(mx, ay, mx, qy, qx, qy);
      }
    }
  }
  ctx.strokeStyle = th.text3;
  ctx.globalAlpha = Math.max(0.15, Math.min(0.9, 3000 / Math.max(1, drawn))); // thousands of edges: a haze, not a wall
  for (const [width, path] of byWidth) {
    ctx.lineWidth = width * px;
    ctx.stroke(path);
  }
  ctx.globalAlpha = 1;
  ctx.strokeStyle = th.select;
  ctx.lineWidth = 2 * px;
  ctx.stroke(onPath);
  ctx.strokeStyle = th.accent;
  ctx.lineWidth = 3 * px;
  ctx.stroke(accent);

  // 3. boxes: closed groups and nodes; far away, nodes are dots filled a few colours at a time
  const dots = new Map<number, Path2D>();
  for (let i = 0; i < S; i++) {
    if (open[i] || !seen(i)) continue;
    const u = unit[i];
    if (tiny && u < n) {
      const b = view.exists(u) ? bucketOf(s.colorMode, colourOf(s, u), view.g.data[u], ranges) : 0;
      const path = dots.get(b) ?? new Path2D();
      dots.set(b, path);
      path.rect(x[i] + w[i] - 108, y[i], 108, h[i]);
    } else if (u < n) drawNode(p, u, x[i], y[i], w[i], h[i], sum.bad[i] === 1);
    else drawGroup(p, u - n, i, sum, x[i], y[i], w[i], h[i]);
  }
  for (const [b, path] of dots) {
    ctx.fillStyle = bucketFill(s.colorMode, b, th) || th.panel2;
    ctx.fill(path);
  }

  // 4. over the boxes: bundle counts, stubs, pagers, non-finite marks
  if (!tiny) drawCounts(p, l, [x0, y0, x1, y1]);
  if (!tiny) drawStubs(p, l, seen);
  for (let i = 0; i < S; i++) if (open[i] && l.page[i] >= 0 && seen(i)) drawPager(p, i);
  const marked = drawNonfinite(p, l, sum, seen);

  // 5. outlines: path, search hits, selection, the node at the cursor
  const outline = (i: number, color: string, widthPx: number) => {
    if (i < 0) return;
    ctx.strokeStyle = color;
    ctx.lineWidth = widthPx * px;
    const g = 2 * px + (widthPx * px) / 2;
    roundRect(ctx, x[i] - g, y[i] - g, w[i] + 2 * g, h[i] + 2 * g, 5);
    ctx.stroke();
  };
  for (const m of s.matches) outline(l.slotOfNode[m], th.select, 1);
  if (s.hover >= 0 && s.hover < S) outline(s.hover, th.text3, 1);
  const sel = s.selected >= 0 && s.selected < n ? l.slotOfNode[s.selected] : groupSlot(s);
  outline(sel, th.select, 2.5);
  outline(curSlot, th.accent, 2.5);
  // a live pause: the node whose chain rule runs next, with a halo (the pause bar names it)
  const at = s.paused;
  if (at.node !== undefined && at.node >= 0 && at.node < n && at.step === view.step) {
    const slot = l.hiddenNode[at.node] ? -1 : l.slotOfNode[at.node];
    ctx.globalAlpha = 0.3;
    outline(slot, th.accent, 10);
    ctx.globalAlpha = 1;
    outline(slot, th.accent, 3.5);
  }

  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  drawLegend(ctx, s, th, heightPx, sum, l.edgeCount.length > 0);
  return { marked, bundles: drawn };
}

function groupSlot(s: State): number {
  const { layout, tree } = s;
  if (!layout || !tree || s.selectedGroup < 0) return -1;
  return layout.unit.indexOf(tree.numNodes + s.selectedGroup);
}
