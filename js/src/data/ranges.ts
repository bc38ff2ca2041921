// The span of a step's grads and values: what the colour scales run over (view/scales.ts). Pure.

const DECADES = 6; // a scale spans at most this many powers of ten below its top

/** The smallest and largest non-zero finite |x| a scale spans; hi = 0 when there is none. */
export interface Range {
  lo: number;
  hi: number;
}

export interface Ranges {
  grad: Range;
  value: Range;
  delta?: Range; // |shown - compared step| while a comparison is shown
}

/** The range of |x| over the arrays: the smallest non-zero and the largest finite value. */
export function rangeOf(...arrays: Float64Array[]): Range {
  let lo = Infinity;
  let hi = 0;
  for (const a of arrays) {
    for (let i = 0; i < a.length; i++) {
      const v = Math.abs(a[i]);
      if (v > 0 && v !== Infinity) {
        if (v > hi) hi = v;
        if (v < lo) lo = v;
      }
    }
  }
  if (!(hi > 0)) return { lo: 0, hi: 0 };
  return { lo: Math.max(lo, hi / 10 ** DECADES), hi };
}
