// Colours: JupyterLab's theme variables read from the page, and the scales that turn a
// grad or a value into a fill (|grad| on a log scale, value and sign diverging).

import type { ColorMode } from "../state";

export interface Theme {
  bg: string;
  panel: string;
  panel2: string;
  text: string;
  text2: string;
  text3: string;
  border: string;
  accent: string; // the node the chain rule is visiting, and the edges it feeds
  select: string; // the selection and the path to the loss
  error: string;
  font: string;
  mono: string;
  dark: boolean;
}

const VARS: Record<Exclude<keyof Theme, "dark">, [string, string]> = {
  bg: ["--jp-layout-color0", "#ffffff"],
  panel: ["--jp-layout-color1", "#ffffff"],
  panel2: ["--jp-layout-color2", "#eeeeee"],
  text: ["--jp-ui-font-color1", "rgba(0,0,0,0.87)"],
  text2: ["--jp-ui-font-color2", "rgba(0,0,0,0.54)"],
  text3: ["--jp-ui-font-color3", "rgba(0,0,0,0.38)"],
  border: ["--jp-border-color1", "#bdbdbd"],
  accent: ["--jp-warn-color1", "#f57c00"],
  select: ["--jp-brand-color1", "#1976d2"],
  error: ["--jp-error-color1", "#d32f2f"],
  font: ["--jp-ui-font-family", "system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif"],
  mono: ["--jp-code-font-family", "Menlo, Consolas, 'DejaVu Sans Mono', monospace"],
};

/** The theme in force at `el` (JupyterLab sets the variables on the page; fallbacks elsewhere). */
function readTheme(el: Element): Theme {
  const css = getComputedStyle(el);
  const out = {} as Theme;
  for (const [k, [name, fallback]] of Object.entries(VARS)) {
    (out as unknown as Record<string, string>)[k] = css.getPropertyValue(name).trim() || fallback;
  }
  out.dark = luminance(out.bg) < 0.4;
  return out;
}

// one read of the variables per theme, not per frame (getComputedStyle can force a restyle)
let generation = 0;
const cache = new WeakMap<Element, { generation: number; theme: Theme }>();

export function cachedTheme(el: Element): Theme {
  const hit = cache.get(el);
  if (hit && hit.generation === generation) return hit.theme;
  const theme = readTheme(el);
  cache.set(el, { generation, theme });
  return theme;
}

/** The page's theme changed: read the variables again on the next frame. */
export function forgetThemes(): void {
  generation++;
}

function luminance(color: string): number {
  const hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(color);
  let rgb = [255, 255, 255];
  if (hex) {
    const h = hex[1].length === 3 ? hex[1].replace(/./g, "$&$&") : hex[1];
    rgb = [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16));
  } else {
    const m = /rgba?\(([^)]+)\)/.exec(color);
    if (m)
      rgb = m[1]
        .split(",")
        .slice(0, 3)
        .map((v) => parseFloat(v));
  }
  return (0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]) / 255;
}

// ---------------------------------------------------------------- scales

const DECADES = 6; // |grad| below max / 10^6 reads as nothing
const HEAT: [number, number, number][] = [
  [255, 237, 160],
  [254, 178, 76],
  [240, 59, 32],
  [189, 0, 38],
];
const POS: [number, number, number] = [214, 69, 65];
const NEG: [number, number, number] = [55, 126, 184];

/** 0..1 for |x| on a log scale up to `max` (0 for zero or a non-finite max). */
export function logLevel(x: number, max: number): number {
  const a = Math.abs(x);
  if (!(a > 0) || !(max > 0)) return 0;
  if (!Number.isFinite(a)) return 1;
  return Math.max(0, Math.min(1, 1 + Math.log10(a / max) / DECADES));
}

function heat(t: number): [number, number, number] {
  const f = t * (HEAT.length - 1);
  const i = Math.min(HEAT.length - 2, Math.floor(f));
  const u = f - i;
  return [0, 1, 2].map((k) => Math.round(HEAT[i][k] + (HEAT[i + 1][k] - HEAT[i][k]) * u)) as [number, number, number];
}

const rgba = (c: [number, number, number], a: number) => `rgba(${c[0]},${c[1]},${c[2]},${a.toFixed(3)})`;

/** The fill for a box, or "" to leave the plain panel colour. NaN and inf read as errors. */
export function fillFor(
  mode: ColorMode,
  grad: number,
  value: number,
  gradMax: number,
  valueMax: number,
  theme: Theme,
): string {
  const x = mode === "value" ? value : grad;
  if (!Number.isFinite(x)) return theme.error;
  if (mode === "grad") {
    const t = logLevel(grad, gradMax);
    return t > 0 ? rgba(heat(t), 0.25 + 0.7 * t) : "";
  }
  if (mode === "sign") return x > 0 ? rgba(POS, 0.6) : x < 0 ? rgba(NEG, 0.6) : "";
  const t = logLevel(value, valueMax);
  return t > 0 ? rgba(value > 0 ? POS : NEG, 0.15 + 0.75 * t) : "";
}

/** A legend's colour stops and end labels for the mode. */
export function legend(
  mode: ColorMode,
  gradMax: number,
  valueMax: number,
): { stops: string[]; left: string; right: string; title: string } {
  if (mode === "grad") {
    return {
      stops: [0, 0.25, 0.5, 0.75, 1].map((t) => rgba(heat(t), 0.25 + 0.7 * t)),
      left: `≤${fmtShort(gradMax / 10 ** DECADES)}`,
      right: fmtShort(gradMax),
      title: "|grad|",
    };
  }
  if (mode === "sign")
    return {
      stops: [rgba(NEG, 0.6), "rgba(128,128,128,0.15)", rgba(POS, 0.6)],
      left: "−",
      right: "+",
      title: "sign of grad",
    };
  return {
    stops: [rgba(NEG, 0.9), rgba(NEG, 0.15), "rgba(128,128,128,0.1)", rgba(POS, 0.15), rgba(POS, 0.9)],
    left: fmtShort(-valueMax),
    right: fmtShort(valueMax),
    title: "value",
  };
}

export function fmtShort(x: number): string {
  if (x === 0) return "0";
  const a = Math.abs(x);
  return a >= 1e-2 && a < 1e4 ? String(Number(x.toPrecision(3))) : x.toExponential(1);
}

// ---------------------------------------------------------------- bucketed fills

const BUCKETS = 8;

/** A small integer standing for the fill of a box (for drawing thousands of dots in few calls). */
export function bucketOf(mode: ColorMode, grad: number, value: number, gradMax: number, valueMax: number): number {
  const x = mode === "value" ? value : grad;
  if (!Number.isFinite(x)) return 100;
  if (mode === "sign") return Math.sign(x);
  const t = Math.round(logLevel(x, mode === "value" ? valueMax : gradMax) * BUCKETS);
  return mode === "value" && x < 0 ? -t : t;
}

/** The fill `bucketOf` stands for ("" = the plain panel colour). */
export function bucketFill(mode: ColorMode, bucket: number, theme: Theme): string {
  if (bucket === 100) return theme.error;
  if (mode === "sign") return bucket > 0 ? rgba(POS, 0.6) : bucket < 0 ? rgba(NEG, 0.6) : "";
  const t = Math.abs(bucket) / BUCKETS;
  if (t === 0) return "";
  if (mode === "grad") return rgba(heat(t), 0.25 + 0.7 * t);
  return rgba(bucket > 0 ? POS : NEG, 0.15 + 0.75 * t);
}
