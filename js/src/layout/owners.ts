// Which module owns a parameter. Parameters are built before recording starts, so the
// recorder never sees the scope they were created in; they arrive labelled with their
// dotted name from `Module.named_parameters()` (`layers.0.neurons.3.w.1`), which is the
// scope path of their module without its root (`MLP/layers.0/neurons.3`) plus the
// parameter's own name (`w.1` or `b`). Pure.

/** Dotted name -> parts, numeric parts merged into the one before:
 * "layers.0.neurons.3.w.1" -> ["layers.0", "neurons.3", "w.1"]. */
export function labelTokens(label: string): string[] {
  const out: string[] = [];
  if (!label) return out;
  for (const t of label.split(".")) {
    if (out.length && /^\d+$/.test(t)) out[out.length - 1] += `.${t}`;
    else out.push(t);
  }
  return out;
}

/** The parameter's own name within its module: "layers.0.neurons.3.w.1" -> "w.1". */
export function localName(label: string): string {
  const t = labelTokens(label);
  return t.length ? t[t.length - 1] : label;
}

/**
 * For each label (by index), the scope (by index) of the module that owns a parameter so
 * labelled, or -1. A label owns to the scope whose path, after its first part (the root
 * module's class name), equals the label minus its last part; a label of one part (a root
 * module's own `w.0`, `b`: a Neuron called as the model) to the one single-part scope when
 * there is exactly one. A label
 * that fits no scope, or several (two models with the same layout), owns to none.
 */
export function ownerScopes(labels: readonly string[], scopes: readonly string[]): Int32Array {
  const bySuffix = new Map<string, number>(); // scope path minus its root -> scope, -2 when ambiguous
  let roots = 0;
  let root = -1;
  scopes.forEach((s, i) => {
    if (!s) return;
    const cut = s.indexOf("/");
    if (cut < 0) {
      roots++;
      root = i;
      return;
    }
    const suffix = s.slice(cut + 1);
    bySuffix.set(suffix, bySuffix.has(suffix) ? -2 : i);
  });
  const out = new Int32Array(labels.length).fill(-1);
  labels.forEach((label, i) => {
    const t = labelTokens(label);
    if (!t.length || !/^[\w.]+$/.test(label)) return;
    if (t.length === 1) {
      if (roots === 1 && /^(w\.\d+|b)$/.test(label)) out[i] = root; // a user's own "a", "b" own nothing
      return;
    }
    const owner = bySuffix.get(t.slice(0, -1).join("/"));
    if (owner !== undefined && owner >= 0) out[i] = owner;
  });
  return out;
}
