// Bundle bytes -> named typed arrays + meta: the reader of mgdebug/_bundle.py's layout
// (docs/trace-format.md, "Binary bundle"). Pure, no DOM; field names mirror the encoder.
//
//   u32 version | u32 header_len | header (UTF-8 JSON) | pad to 8 | column bytes, each padded to 8

const VERSION = 1;
const MAX_HEADER = 16 << 20;

export type Column = Uint8Array | Uint16Array | Uint32Array | Int32Array | BigInt64Array | Float64Array;

type Ctor = { new (b: ArrayBuffer, off: number, n: number): Column; BYTES_PER_ELEMENT: number };

// the same dtype codes as _bundle.DTYPES, all little-endian
const DTYPES: Record<string, Ctor> = {
  u1: Uint8Array,
  u2: Uint16Array,
  u4: Uint32Array,
  i4: Int32Array,
  i8: BigInt64Array,
  f8: Float64Array,
};

export interface Bundle {
  meta: Record<string, unknown>;
  columns: Record<string, Column>;
}

export class BundleError extends Error {
  override name = "BundleError";
}

/** Bytes as hosts hand them: anywidget a DataView, Colab a Uint8Array, a test an ArrayBuffer. */
export type BufferLike = ArrayBufferLike | ArrayBufferView;

/** One DataView over exactly the bytes of `b`, whatever view (and byteOffset) they came in. */
export function asDataView(b: BufferLike): DataView {
  if (b instanceof DataView) return b;
  if (ArrayBuffer.isView(b)) return new DataView(b.buffer, b.byteOffset, b.byteLength);
  return new DataView(b);
}

/** Read a bundle from `data`: any buffer form, possibly a view anywhere in a larger buffer. */
export function decode(data: BufferLike): Bundle {
  const view = asDataView(data);
  const length = view.byteLength;
  if (length < 8) throw new BundleError(`bundle too short (${length} bytes) to hold a header`);
  const version = view.getUint32(0, true);
  const header_len = view.getUint32(4, true);
  if (version !== VERSION) {
    throw new BundleError(`bundle version ${version} is not supported (expected ${VERSION})`);
  }
  if (header_len > MAX_HEADER || 8 + header_len > length) {
    throw new BundleError(`header length ${header_len} runs past the end of the data`);
  }
  const bytes = new Uint8Array(view.buffer, view.byteOffset, length);
  let header: { meta?: unknown; columns?: unknown };
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + header_len)));
  } catch (e) {
    throw new BundleError(`header is not valid bundle JSON: ${(e as Error).message}`);
  }
  if (!header || typeof header !== "object" || !Array.isArray(header.columns) || !isRecord(header.meta)) {
    throw new BundleError("header is not valid bundle JSON: needs 'meta' and 'columns'");
  }
  let offset = align8(8 + header_len);
  const columns: Record<string, Column> = {};
  for (const spec of header.columns as unknown[]) {
    const { name, dtype, count } = checkSpec(spec);
    const ctor = DTYPES[dtype];
    const nbytes = count * ctor.BYTES_PER_ELEMENT;
    if (offset + nbytes > length) {
      throw new BundleError(`column '${name}' runs past the end of the data (truncated?)`);
    }
    columns[name] = view_(ctor, bytes, offset, count);
    offset = align8(offset + nbytes);
  }
  return { meta: header.meta, columns };
}

// A typed array over the bytes without copying when aligned; widget buffers usually are,
// but a DataView at an odd offset would make the typed-array constructor throw.
function view_(ctor: Ctor, bytes: Uint8Array, offset: number, count: number): Column {
  const at = bytes.byteOffset + offset;
  if (at % ctor.BYTES_PER_ELEMENT === 0) return new ctor(bytes.buffer as ArrayBuffer, at, count);
  const copy = new ArrayBuffer(count * ctor.BYTES_PER_ELEMENT);
  new Uint8Array(copy).set(bytes.subarray(offset, offset + copy.byteLength));
  return new ctor(copy, 0, count);
}

function checkSpec(spec: unknown): { name: string; dtype: string; count: number } {
  if (!isRecord(spec) || !Array.isArray(spec.shape) || spec.shape.length !== 1) {
    throw new BundleError(`malformed column description ${JSON.stringify(spec).slice(0, 100)}`);
  }
  const { name, dtype } = spec;
  const count = spec.shape[0];
  if (typeof name !== "string" || typeof dtype !== "string" || !(dtype in DTYPES)) {
    throw new BundleError(`column ${JSON.stringify(name)} has unknown dtype ${JSON.stringify(dtype)}`);
  }
  if (typeof count !== "number" || !Number.isInteger(count) || count < 0) {
    throw new BundleError(`column '${name}' has invalid length ${JSON.stringify(count)}`);
  }
  return { name, dtype, count };
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function align8(n: number): number {
  return n + ((8 - (n % 8)) % 8);
}

// ---------------------------------------------------------------- step graphs

/** A step's graph columns (mgdebug/_graph.py, same names and dtypes), plus how the
 * replay applies each edge: `rule` (RULE_*) and, on a closure's edges, `set_grad`. */
export interface StepColumns {
  op: Uint32Array;
  scope: Uint32Array;
  label: Uint32Array;
  data: Float64Array;
  child_ptr: Int32Array;
  child: Int32Array;
  local: Float64Array;
  imported: BigInt64Array;
  visits: Int32Array;
  start_id: Int32Array;
  start_grad: Float64Array;
  src_file: Uint32Array;
  src_line: Uint32Array;
  rule: Uint8Array;
  set_grad: Float64Array;
}

// how the replay applies an edge (mgdebug/_locals.py PLAIN, MASKED, SET)
export const RULE_PLAIN = 0; // child.grad += local * grad
export const RULE_MASKED = 1; // ...but a grad that is not finite passes back +0.0 (torch's masks)
export const RULE_SET = 2; // a closure's edge: the child's grad becomes set_grad

const STEP_DTYPES: Record<Exclude<keyof StepColumns, "rule" | "set_grad">, string> = {
  op: "u4",
  scope: "u4",
  label: "u4",
  data: "f8",
  child_ptr: "i4",
  child: "i4",
  local: "f8",
  imported: "i8",
  visits: "i4",
  start_id: "i4",
  start_grad: "f8",
  src_file: "u4",
  src_line: "u4",
};

/** The columns a training loop repeats every step (mgdebug/protocol.py FRONTEND_STRUCTURE). */
export const STRUCTURE_COLUMNS = ["op", "scope", "label", "child_ptr", "child", "imported", "visits"] as const;
export type StepStructure = Pick<StepColumns, (typeof STRUCTURE_COLUMNS)[number]>;

/** A step's structure columns, kept to complete later bundles that leave them out. */
export function structureOf(s: StepColumns): StepStructure {
  return {
    op: s.op,
    scope: s.scope,
    label: s.label,
    child_ptr: s.child_ptr,
    child: s.child,
    imported: s.imported,
    visits: s.visits,
  };
}

/** The structure columns of a bundle that holds only them (a step's second buffer). */
export function structureFrom(bundle: Bundle): StepStructure {
  const out: Partial<Record<(typeof STRUCTURE_COLUMNS)[number], Column>> = {};
  for (const name of STRUCTURE_COLUMNS) {
    const col = bundle.columns[name];
    if (!col) throw new BundleError(`a structure bundle lacks column '${name}'`);
    out[name] = col;
  }
  return out as StepStructure; // dtypes are checked with the step (stepColumns)
}

/** A bundle of numbers only, completed with a structure kept from an earlier step. */
export function withStructure(bundle: Bundle, structure: StepStructure): Bundle {
  for (const name of STRUCTURE_COLUMNS) {
    if (bundle.columns[name]) throw new BundleError(`a numbers-only step bundle carries '${name}'`);
  }
  return { ...bundle, columns: { ...bundle.columns, ...structure } };
}

/** Check a decoded bundle holds a consistent step graph; throws naming what is wrong.
 * `local` may come as `local_kind` + `local_literal` (the widget's transfer form). */
export function stepColumns(bundle: Bundle, nCreated: number): StepColumns {
  const c: Record<string, Column> = { ...bundle.columns };
  const packed = !c.local && c.local_kind !== undefined;
  if (packed) c.local = new Float64Array(0); // filled in below, once the rest checked out
  delete c.rule; // derived below, never taken from the bundle
  delete c.set_grad;
  for (const [name, code] of Object.entries(STEP_DTYPES)) {
    const col = c[name];
    if (!col) throw new BundleError(`step bundle lacks column '${name}'`);
    if (!(col instanceof DTYPES[code])) throw new BundleError(`column '${name}' should be ${code}`);
  }
  const s = c as unknown as StepColumns;
  const n = s.op.length;
  const edges = s.child.length;
  const expect = (ok: boolean, what: string) => {
    if (!ok) throw new BundleError(`inconsistent step graph: ${what}`);
  };
  expect(s.scope.length === n && s.label.length === n && s.data.length === n, "node columns differ in length");
  expect(nCreated >= 0 && nCreated <= n && s.imported.length === n - nCreated, "imported count");
  expect(s.child_ptr.length === n + 1 && s.child_ptr[0] === 0 && s.child_ptr[n] === edges, "child_ptr bounds");
  for (let i = 0; i < n; i++) expect(s.child_ptr[i] <= s.child_ptr[i + 1], "child_ptr must not decrease");
  for (const arr of [s.child, s.visits, s.start_id]) {
    for (let i = 0; i < arr.length; i++) expect(arr[i] >= 0 && arr[i] < n, "node index out of range");
  }
  if (packed) unpackLocal(c.local_kind, c.local_literal, s);
  else {
    s.rule = new Uint8Array(edges); // a full `local` column: every edge plain
    s.set_grad = new Float64Array(edges);
  }
  expect(s.local.length === edges, "local has one entry per edge");
  expect(s.start_grad.length === s.start_id.length, "start_grad length");
  expect(
    s.src_file.length === s.src_line.length && (s.src_file.length === 0 || s.src_file.length === nCreated),
    "src length",
  );
  return s;
}

// local_kind codes (mgdebug/_locals.py): where each edge's local derivative is
const LOCAL_LITERAL = 0; // the next value of local_literal
const LOCAL_ONE = 1; // 1.0: both edges of a +
const LOCAL_ZERO = 2; // +0.0: a ReLU that was off
const LOCAL_OTHER_DATA = 3; // the other child's data: d(a*b)/da = b
const LOCAL_MASK = 4; // +0.0, and the edge masks (relu off, x ** 0)
const LOCAL_CLOSURE = 5; // a closure's edge: two literals, the local shown and the grad it left

/** Fill s.local, s.rule and s.set_grad from the packed form. */
function unpackLocal(kind: Column | undefined, literal: Column | undefined, s: StepColumns): void {
  if (!(kind instanceof Uint8Array) || !(literal instanceof Float64Array)) {
    throw new BundleError("packed local needs local_kind (u1) and local_literal (f8)");
  }
  const { child_ptr: ptr, child, data } = s;
  if (kind.length !== child.length) throw new BundleError("inconsistent step graph: local_kind has one entry per edge");
  const local = new Float64Array(kind.length);
  const rule = new Uint8Array(kind.length);
  const setGrad = new Float64Array(kind.length);
  let next = 0;
  const take = (): number => {
    if (next >= literal.length) throw new BundleError("inconsistent step graph: too few local_literal values");
    return literal[next++];
  };
  for (let p = 0; p + 1 < ptr.length; p++) {
    const e0 = ptr[p];
    const e1 = ptr[p + 1];
    for (let e = e0; e < e1; e++) {
      const k = kind[e];
      if (k === LOCAL_LITERAL) local[e] = take();
      else if (k === LOCAL_ONE) local[e] = 1;
      else if (k === LOCAL_ZERO) local[e] = 0;
      else if (k === LOCAL_OTHER_DATA && e1 - e0 === 2) local[e] = data[child[e === e0 ? e0 + 1 : e0]];
      else if (k === LOCAL_MASK) {
        rule[e] = RULE_MASKED; // local stays +0.0
      } else if (k === LOCAL_CLOSURE) {
        local[e] = take();
        setGrad[e] = take();
        rule[e] = RULE_SET;
      } else throw new BundleError(`inconsistent step graph: local_kind ${k} on edge ${e}`);
    }
  }
  if (next !== literal.length) throw new BundleError("inconsistent step graph: local_literal values left over");
  s.local = local;
  s.rule = rule;
  s.set_grad = setGrad;
}
