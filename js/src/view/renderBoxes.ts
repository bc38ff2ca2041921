// Drawing one box: a node as micrograd's record (label | data | grad) with its op circle,
// a closed group as a card with its summary, an open group's frame with its header (and
// the pager of a repeated group). Called by render.ts for visible boxes only. Text is
// kept whole where it fits, else cut in the middle (text.ts); zoomed out, a card keeps
// its title at a readable size on screen for as long as there is room.

import { SIZE } from "../layout/boxSizes";
import { Kind } from "../layout/groupTree";
import type { State } from "../state";
import { fmt4, fmtCount } from "./format";
import { cardTitle, pageLabel } from "./names";
import { pagerButtons } from "./pager";
import { colourOf, fillFor, fmtShort, rangesOf } from "./scales";
import type { Summary } from "./summary";
import { firstFitting, fitText } from "./text";
import type { Theme } from "./theme";

const LINE_PX = 14; // label, data, grad: one line each
const FULL_CARD_SCALE = 0.62; // from here on a node shows data and grad as well as its title

/** What one frame's drawing shares. */
export interface Paint {
  ctx: CanvasRenderingContext2D;
  s: State;
  th: Theme;
  k: number; // camera scale: screen px per world px
}

export function drawNode(p: Paint, node: number, x: number, y: number, w: number, h: number, bad: boolean): void {
  const { ctx, s, th, k } = p;
  const v = s.view!;
  const built = v.exists(node);
  const isOp = v.g.child_ptr[node + 1] > v.g.child_ptr[node];
  const rx = x + w - SIZE.recordWPx;
  ctx.globalAlpha = built ? 1 : 0.3;
  const fill = !built ? "" : bad ? th.error : fillFor(s.colorMode, colourOf(s, node), v.g.data[node], rangesOf(s), th);
  ctx.fillStyle = th.panel;
  roundRect(ctx, rx, y, SIZE.recordWPx, h, 4);
  ctx.fill();
  if (fill) {
    // the colour at half strength under the text, at full strength in a bar along the bottom:
    // a deep red card with black digits on it was unreadable
    ctx.fillStyle = fill;
    ctx.globalAlpha = built ? 0.45 : 0.15;
    ctx.fill();
    ctx.globalAlpha = built ? 1 : 0.3;
    ctx.fillRect(rx + 1, y + h - 5, SIZE.recordWPx - 2, 4);
  }
  ctx.strokeStyle = th.border;
  ctx.lineWidth = 1 / Math.max(k, 0.5);
  roundRect(ctx, rx, y, SIZE.recordWPx, h, 4);
  ctx.stroke();
  const full = k >= FULL_CARD_SCALE;
  if (s.showOps && isOp) {
    const r = SIZE.opPx / 2;
    ctx.beginPath();
    ctx.arc(rx, y + h / 2, r, 0, 2 * Math.PI);
    ctx.fillStyle = th.panel2;
    ctx.fill();
    ctx.strokeStyle = th.text3;
    ctx.stroke();
    if (full) {
      ctx.fillStyle = th.text;
      ctx.textAlign = "center";
      const op = s.meta!.strings.ops[v.g.op[node]] ?? "?";
      ctx.font = `${op.length > 3 ? 7.5 : op.length > 1 ? 9 : 11}px ${th.mono}`; // "tanh", "ReLU" still fit the circle
      ctx.fillText(op.length > 5 ? `${op.slice(0, 4)}…` : op, rx, y + h / 2 + (op.length > 3 ? 2.5 : 3.5));
      ctx.textAlign = "left";
    }
  }
  const tx = rx + (s.showOps && isOp ? SIZE.opPx / 2 + 3 : 6);
  const tw = rx + SIZE.recordWPx - 4 - tx;
  const title = cardTitle(s, node);
  if (full) {
    const top = y + (h - 4 - 3 * LINE_PX) / 2 + 11;
    titleLine(p, title, tx, top, tw, 11);
    ctx.font = `10.5px ${th.mono}`;
    ctx.fillStyle = th.text;
    ctx.fillText(fitText(ctx, `data ${fmt4(v.g.data[node])}`, tw), tx, top + LINE_PX);
    ctx.fillText(fitText(ctx, `grad ${built ? fmt4(v.grad[node]) : "–"}`, tw), tx, top + 2 * LINE_PX);
  } else {
    // zoomed out: the title alone, at least 9 px on screen while the card is tall enough
    const font = Math.max(11, 9 / k);
    if (font < h - 6) titleLine(p, title, tx, y + (h + font * 0.7) / 2, tw, font);
  }
  ctx.globalAlpha = 1;
}

function titleLine(p: Paint, t: { main: string; id: string }, x: number, y: number, maxW: number, font: number): void {
  const { ctx, th } = p;
  ctx.font = `600 ${font}px ${th.font}`;
  ctx.fillStyle = th.text;
  const main = fitText(ctx, t.main, maxW);
  ctx.fillText(main, x, y);
  if (!t.id || main !== t.main) return;
  const used = ctx.measureText(`${main} `).width;
  ctx.font = `${font * 0.9}px ${th.mono}`;
  ctx.fillStyle = th.text2;
  ctx.fillText(fitText(ctx, t.id, maxW - used), x + used, y);
}

/** A group's name without the count of its repeats ("neurons.3 ×100" -> "neurons.3", 100). */
function splitName(name: string): { base: string; repeats: number } {
  const m = / ×(\d+)$/.exec(name);
  return m ? { base: name.slice(0, m.index), repeats: Number(m[1]) } : { base: name, repeats: 0 };
}

export function drawGroup(
  p: Paint,
  gid: number,
  slot: number,
  sum: Summary,
  x: number,
  y: number,
  w: number,
  h: number,
): void {
  const { ctx, s, th, k } = p;
  const v = s.view!;
  const tree = s.tree!;
  const count = tree.nodeCount[gid];
  const built = sum.built[slot];
  ctx.globalAlpha = built ? 1 : 0.35;
  ctx.lineWidth = 1 / Math.max(k, 0.5);
  if (tree.pages[gid] > 0) {
    for (const d of [6, 3]) {
      ctx.fillStyle = th.panel2;
      ctx.strokeStyle = th.border;
      roundRect(ctx, x + d, y - d, w, h, 5);
      ctx.fill();
      ctx.stroke();
    }
  }
  const fill = sum.bad[slot]
    ? th.error
    : s.colorMode === "value"
      ? ""
      : s.colorMode === "delta"
        ? fillFor("delta", sum.maxDelta?.[slot] ?? Number.NaN, 0, rangesOf(s), th)
        : fillFor("grad", sum.maxGrad[slot], 0, v.ranges, th);
  ctx.fillStyle = th.panel;
  roundRect(ctx, x, y, w, h, 5);
  ctx.fill();
  if (fill) {
    ctx.fillStyle = fill;
    ctx.fill();
  }
  ctx.strokeStyle = th.text3;
  ctx.stroke();
  // zoomed out, a card's text keeps a readable size on screen (9 px) for as long as a name fits:
  // the demo's first view is three layers of 16 neuron cards, too wide for 11 px at fit
  if (w * k >= 30) {
    const nameFont = Math.max(11, 9 / k);
    const subFont = Math.max(10, 8.5 / k);
    const two = h >= nameFont + subFont + 4 / k;
    const top = y + (h - (two ? nameFont + subFont + 3 / k : nameFont)) / 2 + nameFont * 0.85;
    const pad = Math.min(7, 4 / k + 2);
    const { base, repeats } = splitName(tree.name[gid]);
    ctx.fillStyle = th.text;
    ctx.font = `600 ${nameFont}px ${th.font}`;
    const title = two || !repeats ? [base] : [`${base} ×${repeats}`, base]; // one line: the count too
    ctx.fillText(firstFitting(ctx, title, w - 2 * pad), x + pad, top);
    if (two) {
      ctx.font = `${subFont}px ${th.font}`;
      ctx.fillStyle = th.text2;
      const size = built < count ? `built ${fmtCount(built)}/${fmtCount(count)}` : `${fmtCount(count)} nodes`;
      const g = `max|g| ${fmtShort(sum.maxGrad[slot])}`;
      const what = tree.kind[gid] === Kind.Bundle ? "instances" : "calls";
      const rep = repeats ? [`×${repeats} ${what} · ${size} · ${g}`, `×${repeats} · ${g}`, `×${repeats}`] : [];
      const chain = tree.kind[gid] === Kind.Chain ? [`chain · ${size} · ${g}`, `chain · ${g}`] : [];
      const choices = rep.length ? rep : [...chain, `${size} · ${g}`, g];
      ctx.fillText(firstFitting(ctx, choices, w - 2 * pad), x + pad, top + subFont + 3 / k);
    }
  }
  ctx.globalAlpha = 1;
}

/** An open group's frame: a tinted box under its contents, its name, and either its size
 * or, for a repeated group, the pager (◂ call 4 · 100 ▸). */
export function drawFrame(p: Paint, gid: number, slot: number, x: number, y: number, w: number, h: number): void {
  const { ctx, s, th, k } = p;
  const tree = s.tree!;
  const l = s.layout!;
  ctx.fillStyle = th.dark ? "rgba(255,255,255,0.035)" : "rgba(0,0,0,0.028)";
  ctx.strokeStyle = th.border;
  ctx.lineWidth = 1 / k;
  roundRect(ctx, x, y, w, h, 6);
  ctx.fill();
  ctx.stroke();
  if (w * k < 60) return;
  const font = Math.max(11, 9 / k); // at least 9 px on screen, like the cards
  const base = y + Math.max(14, font);
  let right = x + w - 8;
  const pager = pagerButtons(l, slot, k);
  ctx.font = `${font * 0.9}px ${th.font}`;
  ctx.fillStyle = th.text2;
  ctx.textAlign = "right";
  if (pager) {
    right = pager.prev.x - 4;
    const p = l.page[slot];
    const label = firstFitting(ctx, [pageLabel(tree.kind[gid], p, tree.pages[gid]), `${p}`], w / 2);
    ctx.fillText(label, right, base);
    right -= ctx.measureText(label).width + 8;
  } else if (w * k >= 200) {
    const label = `${fmtCount(tree.nodeCount[gid])} nodes`;
    ctx.fillText(label, right, base);
    right -= ctx.measureText(label).width + 8;
  }
  ctx.textAlign = "left";
  ctx.fillStyle = th.text2;
  ctx.font = `600 ${font}px ${th.font}`;
  ctx.fillText(fitText(ctx, `▾ ${tree.name[gid]}`, right - x - 8), x + 8, base);
}

/** The ◂ ▸ buttons of a repeated group's frame, drawn over its contents (they may be
 * taller than the header when zoomed out). */
export function drawPager(p: Paint, slot: number): void {
  const { ctx, th, k } = p;
  const pager = pagerButtons(p.s.layout!, slot, k);
  if (!pager) return;
  ctx.lineWidth = 1 / k;
  for (const [r, glyph] of [
    [pager.prev, "◂"],
    [pager.next, "▸"],
  ] as const) {
    ctx.fillStyle = th.panel2;
    roundRect(ctx, r.x, r.y, r.w, r.h, 3);
    ctx.fill();
    ctx.strokeStyle = th.text3;
    ctx.stroke();
    ctx.fillStyle = th.text;
    ctx.textAlign = "center";
    ctx.font = `${r.h * 0.7}px ${th.font}`;
    ctx.fillText(glyph, r.x + r.w / 2, r.y + r.h * 0.74);
  }
  ctx.textAlign = "left";
}

export function roundRect(ctx: CanvasRenderingContext2D, x: number, y: number, w: number, h: number, r: number): void {
  ctx.beginPath();
  ctx.moveTo(x + r, y);
  ctx.arcTo(x + w, y, x + w, y + h, r);
  ctx.arcTo(x + w, y + h, x, y + h, r);
  ctx.arcTo(x, y + h, x, y, r);
  ctx.arcTo(x, y, x + w, y, r);
  ctx.closePath();
}
