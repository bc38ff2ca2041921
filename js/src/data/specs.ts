// The breakpoint spec grammar, checked as the user types (docs/breakpoints.md): the same
// rules and the same messages as mgdebug/breakpoints.py's parser, which stays the judge
// (the kernel parses every spec again). js/fixtures/specs.json, written by Python, holds
// the cases both must agree on (data/specs.test.ts, tests/test_breakpoints.py).

const WORD = "[\\p{L}\\p{N}_]"; // Python's \w: letters, digits, underscore, in any script
const NAME = new RegExp(`^(?:${WORD}|[.*?\\[\\]!-])+$`, "u");
const STEP = /^step:\s*\d+$/;
const NUMBER = String.raw`[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?inf`;
const COMPARE = String.raw`\s*(?:>=|<=|==|!=|>|<)\s*(?:${NUMBER})\s*$`;
const CONDITION = [
  new RegExp(String.raw`^\s*abs\(\s*(?:value|grad)\s*\)` + COMPARE),
  new RegExp(String.raw`^\s*(?:value|grad)` + COMPARE),
];

/** What is wrong with `spec`, as mgdebug's parser says it (without its grammar reminder); null if it parses. */
export function specError(spec: string): string | null {
  const text = spec.trim();
  if (!text) return "empty breakpoint spec";
  const parts = text.split("&").map((p) => p.trim());
  if (parts.length > 1 && !parts.every(Boolean))
    return `${pyRepr(text)}: '&' joins two specs, e.g. step:57 & abs(grad)>10`;
  for (const part of parts) {
    const e = termError(part);
    if (e) return e;
  }
  return null;
}

function termError(text: string): string | null {
  if (text === "nonfinite") return null;
  if (text.startsWith("op:"))
    return text.slice(3).trim() ? null : `${pyRepr(text)}: op: needs an op name, e.g. op:tanh`;
  if (text.startsWith("label:")) {
    const name = text.slice(6).trim();
    return name && NAME.test(name) ? null : `${pyRepr(text)}: label: needs a label or glob, e.g. label:w.1`;
  }
  if (text.startsWith("scope:")) {
    return text
      .slice(6)
      .trim()
      .replace(/^\/+|\/+$/g, "")
      ? null
      : `${pyRepr(text)}: scope: needs a path, e.g. scope:layers.1`;
  }
  if (text.startsWith("step:"))
    return STEP.test(text) ? null : `${pyRepr(text)}: step: needs a step number, e.g. step:57`;
  if (CONDITION.some((c) => c.test(text))) return null;
  if (/[<>=()]/.test(text) || !NAME.test(text)) return `${pyRepr(text)} is not a breakpoint spec${failedTerm(text)}`;
  return /[*?[]/.test(text) ? null : bareWord(text);
}

// ---------------------------------------------------------------------- did you mean
// Near-misses of the keywords, as mgdebug/_spechints.py says them: an edit distance
// (insert, delete, substitute, swap two neighbours) of at most 1, or 2 for a keyword
// longer than five letters, ignoring case.

const PREFIXES = ["op", "scope", "step", "label"];
const FIELDS = ["grad", "value"];
const NONFINITE_WORDS = new Set([
  "nan",
  "inf",
  "isnan",
  "isinf",
  "non-finite",
  "non_finite",
  "notfinite",
  "infinite",
  "anomaly",
  "nonfinite",
]);
const LEADING_WORD = /^\s*(?:abs\s*\(\s*)?([A-Za-z_][\p{L}\p{N}_-]*)/u;
const ALL = "(prefixes: op: scope: step: label:)";

function bareWord(text: string): string | null {
  const word = text.toLowerCase();
  const asLabel = ` (to break on a node labelled ${pyRepr(text)}, write label:${text})`;
  if (NONFINITE_WORDS.has(word) || near(word, "nonfinite"))
    return `${pyRepr(text)}: did you mean 'nonfinite'?${asLabel}`;
  if ([...FIELDS, "abs"].includes(word))
    return `${pyRepr(text)} alone is not a condition: compare it, e.g. grad>10, abs(grad)>=1e3, value<0${asLabel}`;
  return null;
}

function failedTerm(text: string): string {
  const colon = text.indexOf(":");
  if (colon >= 0) {
    const prefix = text.slice(0, colon).trim();
    const rest = text.slice(colon + 1).trim();
    const best = closest(prefix.toLowerCase(), PREFIXES);
    return best ? `; did you mean '${best}:${rest}'? ${ALL}` : `; ${pyRepr(prefix)} is no prefix ${ALL}`;
  }
  const match = LEADING_WORD.exec(text);
  if (!match) return "";
  const word = match[1].toLowerCase();
  const rest = text.slice(match[0].length).trimStart();
  if (["<", ">", "=", "!", ")"].includes(rest.slice(0, 1))) {
    const best = closest(word, FIELDS) ?? FIELDS.find((f) => word.startsWith(f)) ?? null;
    if (best && best !== word) return `; did you mean '${best}'? (a condition compares value or grad)`;
  }
  const best = closest(word, ["op", "scope", "step"]);
  return best && rest ? `; did you mean '${best}:${rest}'?` : "";
}

function near(word: string, keyword: string): boolean {
  return distance(word, keyword) <= (keyword.length <= 5 ? 1 : 2);
}

function closest(word: string, keywords: string[]): string | null {
  let best: string | null = null;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const k of keywords) {
    const d = distance(word, k);
    if (near(word, k) && d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

/** Edits from `a` to `b` (by code point): insert, delete, substitute, swap two neighbours. */
export function distance(a: string, b: string): number {
  const x = Array.from(a);
  const y = Array.from(b);
  const rows: number[][] = [Array.from({ length: y.length + 1 }, (_, j) => j)];
  for (let i = 1; i <= x.length; i++) {
    const prev = rows[i - 1];
    const row = [i, ...new Array<number>(y.length).fill(0)];
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1])
        row[j] = Math.min(row[j], rows[i - 2][j - 2] + 1);
    }
    rows.push(row);
  }
  return rows[x.length][y.length];
}

/** Python's repr of a str, as the parser's messages quote a spec. */
export function pyRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  const body = text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/\t/g, "\\t");
  return quote + (quote === "'" ? body.replace(/'/g, "\\'") : body) + quote;
}

/** The specs typed in one field: comma separated (no spec holds a comma), blanks dropped. */
export function splitSpecs(text: string): string[] {
  return text
    .split(",")
    .map((t) => t.trim())
    .filter(Boolean);
}
