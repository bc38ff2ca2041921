// Text that has to fit a box: kept whole where it fits, else cut in the middle so that
// both ends stay (the end of `layers.0.neurons.3.w.1` says the most, its start where it
// lives). The full text is always one hover away (view/hoverTip.ts).

const ELLIPSIS = "…";

/** `text` cut to `chars` characters (ellipsis included) with a third kept from the start
 * and two thirds from the end; whole when it fits. */
export function cutMiddle(text: string, chars: number): string {
  if (text.length <= chars) return text;
  if (chars <= 1) return ELLIPSIS;
  const keep = chars - 1;
  const head = Math.floor(keep / 3);
  return text.slice(0, head) + ELLIPSIS + text.slice(text.length - (keep - head));
}

// measured widths by font and text: the same few hundred labels are drawn every frame
const widths = new Map<string, number>();

function widthOf(ctx: CanvasRenderingContext2D, text: string): number {
  const key = `${ctx.font}\u0000${text}`;
  let w = widths.get(key);
  if (w === undefined) {
    if (widths.size > 20000) widths.clear();
    w = ctx.measureText(text).width;
    widths.set(key, w);
  }
  return w;
}

/** `text` as it fits `maxPx` in the context's current font (cut in the middle if need be). */
export function fitText(ctx: CanvasRenderingContext2D, text: string, maxPx: number): string {
  if (maxPx <= 0) return "";
  if (widthOf(ctx, text) <= maxPx) return text;
  let lo = 0; // fits
  let hi = text.length; // does not
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (widthOf(ctx, cutMiddle(text, mid)) <= maxPx) lo = mid;
    else hi = mid;
  }
  return lo ? cutMiddle(text, lo) : "";
}

/** The first of `choices` (longest first) that fits `maxPx`, else the last one cut to fit. */
export function firstFitting(ctx: CanvasRenderingContext2D, choices: string[], maxPx: number): string {
  for (const c of choices) if (widthOf(ctx, c) <= maxPx) return c;
  return fitText(ctx, choices[choices.length - 1] ?? "", maxPx);
}
