// Drawing one box: a node as micrograd's record (label | data | grad) with its op circle,
// a closed group as a card with its summary. Called by render.ts for visible boxes only.

import { SIZE } from "../layout/boxSizes";
import { Kind } from "../layout/groupTree";
import type { State } from "../state";
import { fmt4, fmtCount } from "./format";
import type { Summary } from "./render";
import { fillFor, fmtShort, type Theme } from "./theme";

const LINE_PX = 14; // label, data, grad: one line each

export function drawNode(
  ctx: CanvasRenderingContext2D,
  s: State,
  th: Theme,
  node: number,
  x: number,
  y: number,
  w: number,
  h: number,
  text: boolean,
): void {
  const v = s.view!;
  const meta = s.meta!;
  const built = v.exists(node);
  const isOp = v.g.child_ptr[node + 1] > v.g.child_ptr[node];
  const rx = x + w - SIZE.recordWPx;
  ctx.globalAlpha = built ? 1 : 0.3;
  const fill = built ? fillFor(s.colorMode, v.grad[node], v.g.data[node], v.gradMax, v.valueMax, th) : "";
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
  ctx.lineWidth = 1;
  roundRect(ctx, rx, y, SIZE.recordWPx, h, 4);
  ctx.stroke();
  if (s.showOps && isOp) {
    const r = SIZE.opPx / 2;
    ctx.beginPath();
    ctx.arc(rx, y + h / 2, r, 0, 2 * Math.PI);
    ctx.fillStyle = th.panel2;
    ctx.fill();
    ctx.strokeStyle = th.text3;
    ctx.stroke();
    if (text) {
      ctx.fillStyle = th.text;
      ctx.textAlign = "center";
      const op = meta.strings.ops[v.g.op[node]] ?? "?";
      ctx.font = `${op.length > 3 ? 7.5 : op.length > 1 ? 9 : 11}px ${th.mono}`; // "tanh", "ReLU" still fit the circle
      ctx.fillText(op.length > 5 ? `${op.slice(0, 4)}…` : op, rx, y + h / 2 + (op.length > 3 ? 2.5 : 3.5));
      ctx.textAlign = "left";
    }
  }
  if (text) {
    // text on a strong fill needs the contrast of the page's text colour on a light or dark card
    const tx = rx + (s.showOps && isOp ? SIZE.opPx / 2 + 3 : 6);
    const tw = rx + SIZE.recordWPx - 4 - tx;
    const top = y + (h - 4 - 3 * LINE_PX) / 2 + 11;
    const label = meta.strings.labels[v.g.label[node]] ?? "";
    ctx.font = `600 11px ${th.font}`;
    ctx.fillStyle = label ? th.text : th.text2;
    ctx.fillText(clipStart(label || `#${node}`, tw), tx, top);
    ctx.font = `10.5px ${th.mono}`;
    ctx.fillStyle = th.text;
    ctx.fillText(`data ${fmt4(v.g.data[node])}`, tx, top + LINE_PX, tw);
    ctx.fillText(`grad ${built ? fmt4(v.grad[node]) : "–"}`, tx, top + 2 * LINE_PX, tw);
  }
  ctx.globalAlpha = 1;
}

export function drawGroup(
  ctx: CanvasRenderingContext2D,
  s: State,
  th: Theme,
  gid: number,
  slot: number,
  sum: Summary,
  x: number,
  y: number,
  w: number,
  h: number,
  scale: number,
): void {
  const v = s.view!;
  const tree = s.tree!;
  const count = tree.nodeCount[gid];
  const built = sum.built[slot];
  ctx.globalAlpha = built ? 1 : 0.35;
  const stacked =
    tree.kind[gid] === Kind.Bundle ||
    (tree.unitPtr[gid + 1] > tree.unitPtr[gid] &&
      tree.kind[tree.units[tree.unitPtr[gid]] - tree.numNodes] === Kind.Call);
  if (stacked) {
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
      : fillFor("grad", sum.maxGrad[slot], 0, v.gradMax, 1, th);
  ctx.fillStyle = th.panel;
  roundRect(ctx, x, y, w, h, 5);
  ctx.fill();
  if (fill) {
    ctx.fillStyle = fill;
    ctx.fill();
  }
  ctx.strokeStyle = th.text3;
  ctx.lineWidth = 1;
  ctx.stroke();
  // zoomed out, a card's text keeps a readable size on screen (9 px) for as long as a name fits:
  // the demo's first view is three layers of 16 neuron cards, too wide for 11 px at fit
  if (w * scale >= 40) {
    const nameFont = Math.max(11, 9 / scale);
    const subFont = Math.max(10, 8.5 / scale);
    const two = h >= nameFont + subFont + 4 / scale;
    const top = y + (h - (two ? nameFont + subFont + 3 / scale : nameFont)) / 2 + nameFont * 0.85;
    const pad = Math.min(7, 4 / scale + 2);
    ctx.fillStyle = th.text;
    ctx.font = `600 ${nameFont}px ${th.font}`;
    ctx.fillText(clip(`▸ ${tree.name[gid]}`, ((w - 2 * pad) * 11) / nameFont), x + pad, top);
    if (two) {
      ctx.font = `${subFont}px ${th.font}`;
      ctx.fillStyle = th.text2;
      const what = built < count ? `built ${fmtCount(built)}/${fmtCount(count)}` : `${fmtCount(count)} nodes`;
      ctx.fillText(
        clip(`${what} · max|g| ${fmtShort(sum.maxGrad[slot])}`, ((w - 2 * pad) * 10) / subFont),
        x + pad,
        top + subFont + 3 / scale,
      );
    }
  }
  ctx.globalAlpha = 1;
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

/** Keep the end of a label (`…neurons.3.w.1`): its last parts say the most. */
function clipStart(t: string, widthPx: number): string {
  const max = Math.max(1, Math.floor(widthPx / 6.4));
  return t.length > max ? `…${t.slice(t.length - max + 1)}` : t;
}

/** Cut text to roughly `widthPx` (6 px a character at 10-11 px fonts), with an ellipsis. */
export function clip(t: string, widthPx: number): string {
  const max = Math.max(1, Math.floor(widthPx / 6));
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}
