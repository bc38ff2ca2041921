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
  if (/[<>=()]/.test(text) || !NAME.test(text)) return `${pyRepr(text)} is not a breakpoint spec`;
  return null;
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
