// The colour scales: |grad| on a log scale, value and sign diverging, NaN and inf as
// errors; the range each scale spans (from the data of the step shown), and the legend
// that says so.

import type { Range, Ranges } from "../data/ranges";
import type { ColorMode, State } from "../state";
import type { Theme } from "./theme";

/** 0 for zero (or no scale), else 0.08..1 for |x| on a log scale from r.lo to r.hi; 1 past the top. */
export function logLevel(x: number, r: Range): number {
  const a = Math.abs(x);
  if (!(a > 0) || !(r.hi > 0)) return 0;
  if (!Number.isFinite(a) || a >= r.hi || r.hi <= r.lo) return 1;
  if (a <= r.lo) return 0.08;
  return 0.08 + (0.92 * Math.log(a / r.lo)) / Math.log(r.hi / r.lo);
}

const HEAT: [number, number, number][] = [
  [255, 237, 160],
  [254, 178, 76],
  [240, 59, 32],
  [189, 0, 38],
];
export const POS: [number, number, number] = [214, 69, 65];
export const NEG: [number, number, number] = [55, 126, 184];

export function heat(t: number): [number, number, number] {
  const f = t * (HEAT.length - 1);
  const i = Math.min(HEAT.length - 2, Math.floor(f));
  const u = f - i;
  return [0, 1, 2].map((k) => Math.round(HEAT[i][k] + (HEAT[i + 1][k] - HEAT[i][k]) * u)) as [number, number, number];
}

export const rgba = (c: [number, number, number], a: number) => `rgba(${c[0]},${c[1]},${c[2]},${a.toFixed(3)})`;

/** The number a node's colour shows: its grad (or, comparing, the difference; `delta`). */
export function colourOf(s: State, node: number): number {
  const c = s.compare;
  if (s.colorMode === "delta" && c && node < c.delta.length) return c.delta[node];
  return s.view ? s.view.grad[node] : 0;
}

/** The spans the colours run over, the comparison's deltas included while it is shown. */
export function rangesOf(s: State): Ranges {
  const r = s.view!.ranges;
  const c = s.compare;
  if (s.colorMode !== "delta" || !c) return r;
  return { ...r, delta: { lo: c.deltaMax / 10 ** 6, hi: c.deltaMax } };
}

// a node with nothing to compare with (no counterpart in the other step)
const UNMATCHED = "rgba(128,128,128,0.45)";

/** The fill for a box, or "" to leave the plain panel colour. NaN and inf read as errors. */
export function fillFor(mode: ColorMode, grad: number, value: number, r: Ranges, theme: Theme): string {
  const x = mode === "value" ? value : grad;
  if (mode === "delta") {
    if (!Number.isFinite(x)) return UNMATCHED;
    const t = logLevel(x, r.delta ?? { lo: 0, hi: 0 });
    return t > 0 ? rgba(x > 0 ? POS : NEG, 0.15 + 0.8 * t) : "";
  }
  if (!Number.isFinite(x)) return theme.error;
  if (mode === "sign") return x > 0 ? rgba(POS, 0.6) : x < 0 ? rgba(NEG, 0.6) : "";
  if (mode === "grad") {
    const t = logLevel(grad, r.grad);
    return t > 0 ? rgba(heat(t), 0.25 + 0.7 * t) : "";
  }
  const t = logLevel(value, r.value);
  return t > 0 ? rgba(value > 0 ? POS : NEG, 0.15 + 0.75 * t) : "";
}

/** What the legend says: its title, colour stops, end labels and a note on what is special. */
export interface Legend {
  title: string;
  stops: string[];
  left: string;
  right: string;
}

/** The legend of the scale in force; `hasBackward` false: the step has no grads to show. */
export function legend(mode: ColorMode, r: Ranges, hasBackward: boolean, compared = ""): Legend {
  if (mode === "delta") {
    const d = r.delta ?? { lo: 0, hi: 0 };
    if (!compared) return { title: "comparing: waiting for the other step", stops: [], left: "", right: "" };
    if (!(d.hi > 0))
      return { title: `no difference from ${compared} (grey: no counterpart)`, stops: [], left: "", right: "" };
    return {
      title: `this step − ${compared} (grey: no counterpart)`,
      stops: [rgba(NEG, 0.95), rgba(NEG, 0.2), "rgba(128,128,128,0.1)", rgba(POS, 0.2), rgba(POS, 0.95)],
      left: fmtShort(-d.hi),
      right: fmtShort(d.hi),
    };
  }
  if (mode !== "value" && !hasBackward) {
    return { title: "no backward in this step: every grad is 0", stops: [], left: "", right: "" };
  }
  if (mode === "grad") {
    if (!(r.grad.hi > 0)) return { title: "every grad is 0", stops: [], left: "", right: "" };
    const one = r.grad.lo >= r.grad.hi;
    return {
      title: one ? "|grad| (all the same)" : "|grad|, log scale",
      stops: [0.08, 0.3, 0.55, 0.8, 1].map((t) => rgba(heat(t), 0.25 + 0.7 * t)),
      left: one ? "" : fmtShort(r.grad.lo),
      right: fmtShort(r.grad.hi),
    };
  }
  if (mode === "sign") {
    return {
      title: "sign of grad",
      stops: [rgba(NEG, 0.6), "rgba(128,128,128,0.15)", rgba(POS, 0.6)],
      left: "−",
      right: "+",
    };
  }
  if (!(r.value.hi > 0)) return { title: "every value is 0", stops: [], left: "", right: "" };
  return {
    title: "value, log scale of |value|",
    stops: [rgba(NEG, 0.9), rgba(NEG, 0.2), "rgba(128,128,128,0.1)", rgba(POS, 0.2), rgba(POS, 0.9)],
    left: fmtShort(-r.value.hi),
    right: fmtShort(r.value.hi),
  };
}

export function fmtShort(x: number): string {
  if (x === 0) return "0";
  if (!Number.isFinite(x)) return Number.isNaN(x) ? "nan" : x > 0 ? "inf" : "-inf";
  const a = Math.abs(x);
  return a >= 1e-2 && a < 1e4 ? String(Number(x.toPrecision(3))) : x.toExponential(1);
}

// ---------------------------------------------------------------- bucketed fills

const BUCKETS = 8;
export const NONFINITE = 100;
const UNMATCHED_BUCKET = 101;

/** A small integer standing for the fill of a box (for drawing thousands of dots in few calls). */
export function bucketOf(mode: ColorMode, grad: number, value: number, r: Ranges): number {
  const x = mode === "value" ? value : grad;
  if (mode === "delta") {
    if (!Number.isFinite(x)) return UNMATCHED_BUCKET;
    const t = Math.round(logLevel(x, r.delta ?? { lo: 0, hi: 0 }) * BUCKETS);
    return x < 0 ? -t : t;
  }
  if (!Number.isFinite(x)) return NONFINITE;
  if (mode === "sign") return Math.sign(x);
  const t = Math.round(logLevel(x, mode === "value" ? r.value : r.grad) * BUCKETS);
  return mode === "value" && x < 0 ? -t : t;
}

/** The fill `bucketOf` stands for ("" = the plain panel colour). */
export function bucketFill(mode: ColorMode, bucket: number, theme: Theme): string {
  if (bucket === NONFINITE) return theme.error;
  if (bucket === UNMATCHED_BUCKET) return UNMATCHED;
  if (mode === "delta") {
    const t = Math.abs(bucket) / BUCKETS;
    return t ? rgba(bucket > 0 ? POS : NEG, 0.15 + 0.8 * t) : "";
  }
  if (mode === "sign") return bucket > 0 ? rgba(POS, 0.6) : bucket < 0 ? rgba(NEG, 0.6) : "";
  const t = Math.abs(bucket) / BUCKETS;
  if (t === 0) return "";
  if (mode === "grad") return rgba(heat(t), 0.25 + 0.7 * t);
  return rgba(bucket > 0 ? POS : NEG, 0.15 + 0.75 * t);
}
