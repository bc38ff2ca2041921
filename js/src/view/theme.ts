// Colours and fonts: JupyterLab's theme variables read from the page (the scales that
// turn a grad or a value into a fill are scales.ts's).

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
