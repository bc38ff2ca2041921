// Canvas drawing of the graph: the layout's boxes and edges, coloured by the grads at the
// cursor. It computes no layout and sends no messages; only what is on screen is drawn.

import { SIZE } from "../layout/boxSizes";
import type { State } from "../state";
import { fmtCount } from "./format";
import { clip, drawGroup, drawNode, roundRect } from "./renderBoxes";
import { bucketFill, bucketOf, legend, type Theme } from "./theme";

const MAX_FAR_EDGES = 20000; // zoomed far out, more plain edges than this are only a grey haze

/** Per-box summaries at the cursor: max |grad| and built count of what each box shows. */
export interface Summary {
  maxGrad: Float64Array;
  built: Int32Array;
  bad: Uint8Array; // holds a non-finite grad
  onPath: Uint8Array;
}

function summarize(s: State): Summary | null {
  const { layout, view } = s;
  if (!layout || !view) return null;
  const S = layout.unit.length;
  const out = {
    maxGrad: new Float64Array(S),
    built: new Int32Array(S),
    bad: new Uint8Array(S),
    onPath: new Uint8Array(S),
  };
  const slot = layout.slotOfNode;
  const grad = view.grad;
  const lastBuilt = view.phase === "forward" ? view.event : view.nCreated;
  for (let i = 0; i < view.numNodes; i++) {
    const k = slot[i];
    const a = Math.abs(grad[i]);
    if (a > out.maxGrad[k]) out.maxGrad[k] = a;
    else if (Number.isNaN(a)) out.bad[k] = 1;
    if (i <= lastBuilt || i >= view.nCreated) out.built[k]++;
  }
  if (s.showPath && s.path) for (let i = 0; i < view.numNodes; i++) if (s.path[i]) out.onPath[slot[i]] = 1;
  return out;
}

export function drawGraph(
  ctx: CanvasRenderingContext2D,
  widthPx: number,
  heightPx: number,
  dpr: number,
  s: State,
  th: Theme,
): void {
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.fillStyle = th.bg;
  ctx.fillRect(0, 0, widthPx, heightPx);
  const { layout, tree, view, meta, camera: cam } = s;
  if (!layout || !tree || !view || !meta) {
    ctx.fillStyle = th.text2;
    ctx.font = `13px ${th.font}`;
    ctx.textAlign = "center";
    ctx.fillText(s.loading || s.notice || "no graph to show", widthPx / 2, heightPx / 2);
    ctx.textAlign = "left";
    return;
  }
  const sum = summarize(s)!;
  const k = cam.scale;
  ctx.setTransform(dpr * k, 0, 0, dpr * k, -cam.x * dpr * k, -cam.y * dpr * k);
  const x0 = cam.x;
  const y0 = cam.y;
  const x1 = x0 + widthPx / k;
  const y1 = y0 + heightPx / k;
  const { x, y, w, h, unit, open } = layout;
  const S = unit.length;
  const n = view.numNodes;
  const seen = (i: number) => x[i] < x1 && x[i] + w[i] > x0 && y[i] < y1 && y[i] + h[i] > y0;
  const text = k > 0.45; // below this, 11 px text is a smudge
  const tiny = k * SIZE.nodeHPx < 4; // a node is a few pixels: a coloured dot says it all
  const px = 1 / k; // one screen pixel in world units

  // 1. open groups' frames, outermost first (layout order is pre-order)
  for (let i = 0; i < S; i++) {
    // frames smaller than a thumbnail would only grid the picture with borders
    if (!open[i] || !seen(i) || w[i] * k < 48 || h[i] * k < 24) continue;
    const gid = unit[i] - n;
    ctx.fillStyle = th.dark ? "rgba(255,255,255,0.035)" : "rgba(0,0,0,0.028)";
    ctx.strokeStyle = th.border;
    ctx.lineWidth = px;
    roundRect(ctx, x[i], y[i], w[i], h[i], 6);
    ctx.fill();
    ctx.stroke();
    if (w[i] * k >= 80) {
      const font = Math.max(11, 9 / k); // at least 9 px on screen, like the cards
      ctx.fillStyle = th.text2;
      ctx.font = `600 ${font}px ${th.font}`;
      const count = w[i] * k >= 200; // room for "N nodes" on the right
      ctx.fillText(
        clip(`▾ ${tree.name[gid]}`, ((w[i] - 16) * 11) / font - (count ? 90 : 0)),
        x[i] + 8,
        y[i] + Math.max(14, font),
      );
      ctx.font = `${font * 0.9}px ${th.font}`;
      ctx.textAlign = "right";
      if (count) ctx.fillText(`${fmtCount(tree.nodeCount[gid])} nodes`, x[i] + w[i] - 8, y[i] + Math.max(14, font));
      ctx.textAlign = "left";
    }
  }

  // 2. edges: plain ones in one path, the path to the loss and the current chain rule on top
  const cur = view.currentNode;
  const curSlot = cur >= 0 ? layout.slotOfNode[cur] : -1;
  const feeds = new Set<number>();
  if (cur >= 0) {
    const { child_ptr, child } = view.g;
    for (let e = child_ptr[cur]; e < child_ptr[cur + 1]; e++) feeds.add(layout.slotOfNode[child[e]]);
  }
  const plain = new Path2D();
  const onPath = new Path2D();
  const accent = new Path2D();
  const { edgeSrc, edgeDst } = layout;
  let drawn = 0;
  for (let e = 0; e < edgeSrc.length; e++) {
    const a = edgeSrc[e];
    const b = edgeDst[e];
    const ax = x[a] + w[a];
    const ay = y[a] + h[a] / 2;
    const bx = x[b];
    const by = y[b] + h[b] / 2;
    if (Math.max(ax, bx) < x0 || Math.min(ax, bx) > x1 || Math.max(ay, by) < y0 || Math.min(ay, by) > y1) continue;
    const path = b === curSlot && feeds.has(a) ? accent : sum.onPath[a] && sum.onPath[b] ? onPath : plain;
    if (path === plain && tiny && drawn > MAX_FAR_EDGES) continue;
    drawn++;
    path.moveTo(ax, ay);
    if (tiny) path.lineTo(bx, by);
    else {
      const dx = Math.max(24, Math.abs(bx - ax) / 2);
      path.bezierCurveTo(ax + dx, ay, bx - dx, by, bx, by);
    }
  }
  ctx.strokeStyle = th.text3;
  ctx.lineWidth = px;
  ctx.globalAlpha = Math.max(0.06, Math.min(1, 3000 / Math.max(1, drawn))); // thousands of edges: a haze, not a wall
  ctx.stroke(plain);
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
      const b = view.exists(u) ? bucketOf(s.colorMode, view.grad[u], view.g.data[u], view.gradMax, view.valueMax) : 0;
      let path = dots.get(b);
      if (!path) {
        path = new Path2D();
        dots.set(b, path);
      }
      path.rect(x[i] + w[i] - SIZE.recordWPx, y[i], SIZE.recordWPx, h[i]);
    } else if (u < n) drawNode(ctx, s, th, u, x[i], y[i], w[i], h[i], text);
    else drawGroup(ctx, s, th, u - n, i, sum, x[i], y[i], w[i], h[i], k);
  }

  for (const [b, path] of dots) {
    ctx.fillStyle = bucketFill(s.colorMode, b, th) || th.panel2;
    ctx.fill(path);
  }

  // 4. outlines: path, search hits, selection, the node at the cursor
  const outline = (i: number, color: string, widthPx: number) => {
    if (i < 0) return;
    ctx.strokeStyle = color;
    ctx.lineWidth = widthPx * px;
    const g = 2 * px + (widthPx * px) / 2;
    roundRect(ctx, x[i] - g, y[i] - g, w[i] + 2 * g, h[i] + 2 * g, 5);
    ctx.stroke();
  };
  for (const m of s.matches) outline(layout.slotOfNode[m], th.select, 1);
  if (s.hover >= 0 && s.hover < S) outline(s.hover, th.text3, 1);
  const sel = s.selected >= 0 && s.selected < n ? layout.slotOfNode[s.selected] : groupSlot(s);
  outline(sel, th.select, 2.5);
  outline(curSlot, th.accent, 2.5);
  // a live pause: the node whose chain rule runs next, with a halo (the pause bar names it)
  const p = s.paused;
  if (p.node !== undefined && p.node >= 0 && p.node < n && p.step === view.step) {
    const slot = layout.slotOfNode[p.node];
    ctx.globalAlpha = 0.3;
    outline(slot, th.accent, 10);
    ctx.globalAlpha = 1;
    outline(slot, th.accent, 3.5);
  }

  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  drawLegend(ctx, s, th, heightPx);
}

function groupSlot(s: State): number {
  const { layout, tree } = s;
  if (!layout || !tree || s.selectedGroup < 0) return -1;
  const u = tree.numNodes + s.selectedGroup;
  for (let i = 0; i < layout.unit.length; i++) if (layout.unit[i] === u) return i;
  return -1;
}

function drawLegend(ctx: CanvasRenderingContext2D, s: State, th: Theme, heightPx: number): void {
  const v = s.view!;
  const lg = legend(s.colorMode, v.gradMax, v.valueMax);
  const x = 10;
  const y = heightPx - 30;
  ctx.fillStyle = th.dark ? "rgba(0,0,0,0.45)" : "rgba(255,255,255,0.8)";
  ctx.fillRect(x - 6, y - 16, 188, 40);
  ctx.font = `10px ${th.font}`;
  ctx.fillStyle = th.text2;
  ctx.fillText(lg.title, x, y - 4);
  const grad = ctx.createLinearGradient(x, 0, x + 120, 0);
  lg.stops.forEach((c, i) => {
    grad.addColorStop(i / (lg.stops.length - 1), c);
  });
  ctx.fillStyle = grad;
  ctx.fillRect(x, y, 120, 8);
  ctx.strokeStyle = th.border;
  ctx.lineWidth = 1; // the graph left a width in world units, huge when zoomed out
  ctx.strokeRect(x, y, 120, 8);
  ctx.fillStyle = th.text2;
  ctx.fillText(lg.left, x, y + 20);
  ctx.textAlign = "right";
  ctx.fillText(lg.right, x + 120, y + 20);
  ctx.textAlign = "left";
}
