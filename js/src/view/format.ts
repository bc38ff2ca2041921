// Numbers and names as the viewer prints them.

/** Like micrograd's draw_dot ("%.4f"), switching to exponent form when that would hide the value. */
export function fmt4(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return x.toExponential(3);
  return x.toFixed(4);
}

/** Full precision, the shortest text that reads back as the same double (Python's repr). */
export function fmtFull(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  return Number.isInteger(x) && Math.abs(x) < 1e16 ? x.toFixed(1) : String(x);
}

/** 131636 -> "131,636". Plain string work, not Intl: the layout worker names folded
 * chains with it, and Intl's first call costs a cold worker ~20 ms. */
export function fmtInt(n: number): string {
  const digits = String(Math.abs(Math.round(n)));
  const grouped = digits.replace(/\B(?=(\d{3})+$)/g, ",");
  return n < 0 && Math.round(n) !== 0 ? `-${grouped}` : grouped;
}

export function fmtCount(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(n >= 1e7 ? 0 : 1)}M` : n >= 1e4 ? `${Math.round(n / 1e3)}k` : fmtInt(n);
}
