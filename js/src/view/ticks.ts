// Axis ticks at round numbers (1, 2, 5 × 10^k), for the training charts. Pure.

/** About `count` round values covering [lo, hi]; `integer` keeps steps whole. */
export function niceTicks(lo: number, hi: number, count: number, integer = false): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi === lo) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  let step = mag;
  for (const m of [2, 5, 10]) if (Math.abs(Math.log((m * mag) / raw)) < Math.abs(Math.log(step / raw))) step = m * mag;
  if (integer) step = Math.max(1, Math.round(step));
  const out: number[] = [];
  const first = Math.ceil(lo / step - 1e-9) * step;
  for (let v = first; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** A tick's text: as short as the tick spacing allows. */
export function tickLabel(v: number, spacing: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(1);
  const digits = Math.max(0, Math.min(6, -Math.floor(Math.log10(spacing || 1))));
  return v.toFixed(digits);
}
