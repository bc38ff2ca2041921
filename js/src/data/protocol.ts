// The shapes of the messages mgdebug/widget.py sends (docs/widget-protocol.md), and the
// checks that turn an untrusted message into them.

export interface StepSummary {
  index: number;
  loss: number | null; // null when not finite
  has_backward: boolean;
  backward_completed: boolean;
  num_created: number;
  num_visits: number;
  num_events: number;
  kept: boolean;
}

export interface TraceMeta {
  kind: "trace_meta";
  strings: { ops: string[]; scopes: string[]; labels: string[]; files: string[] };
  steps: StepSummary[];
  event_offsets: number[]; // len(steps) + 1
  notices: string[];
  error: { type: string; message: string } | null;
  recording: boolean;
  trace?: "this" | "other"; // "other": the shape of the trace this one is compared with
  other_steps?: number | null; // how many steps that trace has (null: the viewer has none)
}

export interface StepDataMsg {
  kind: "step_data";
  id: number;
  step: number;
  n_created: number;
  num_visits?: number; // the chain rules that ran, of the whole visit order the bundle holds
  event_offset: number;
  has_backward: boolean;
  structure?: string; // digest of the structure columns (mgdebug/protocol.py FRONTEND_STRUCTURE)
  structure_sent?: boolean; // false: the bundle holds only the numbers; take the structure we keep
  trace?: "this" | "other"; // "other": a step of the trace this one is compared with
}

/** Which node of the compared step each node of a step is (mgdebug/compare.py). */
export interface AlignmentMsg {
  kind: "alignment";
  id: number;
  step: number;
  other_step: number;
  trace: "this" | "other";
  same_structure: boolean;
}

export interface ParamsMsg {
  kind: "params";
  id: number;
  names: string[];
}

export interface ProgressMsg {
  kind: "progress";
  steps: number;
  nodes: number;
  losses: (number | null)[];
}

export interface ErrorMsg {
  kind: "error";
  id: number | null;
  message: string;
}

/** A replay breakpoint hit: the event right before `node`'s chain rule (global t). */
export interface Hit {
  event: number;
  step: number;
  node: number;
  spec: string;
}

/** Where the recording actually paused live (a breakpoint, a step, a non-finite value). */
export interface LiveHit {
  event: number;
  reason: string;
  step: number;
}

export interface HitsMsg {
  kind: "hits";
  id: number | null; // null when sent because the `breakpoints` trait changed
  hits: Hit[];
  live: LiveHit[];
  problems: Record<string, string>; // spec -> why it names nothing in this trace (an op typo)
}

/** Where the first NaN/inf was born; non-finite numbers arrive as strings. */
export interface Anomaly {
  phase: "forward" | "backward";
  step: number;
  event: number;
  node: number;
  what?: string;
}

export interface AnomalyMsg {
  kind: "anomaly";
  id: number | null;
  anomaly: Anomaly | null;
}

export type KernelMsg =
  | TraceMeta
  | StepDataMsg
  | ParamsMsg
  | ProgressMsg
  | ErrorMsg
  | HitsMsg
  | AnomalyMsg
  | AlignmentMsg;

/** The `status` trait. */
export interface Status {
  recording?: boolean;
  steps?: number;
  nodes?: number;
  error?: string | null;
  live?: boolean | null; // while recording: the running cell hears this viewer (Stop, pauses)
  live_note?: string; // why it does not, when it does not
}

/** The `paused` trait: `{}` when running. */
export interface Paused {
  reason?: string;
  step?: number;
  event?: number;
  node?: number;
  spec?: string | null; // the breakpoint that hit; null when a step led here
  how?: "breakpoint" | "step" | "over" | "out" | "forward";
  scope?: string | null; // the scope a Step over / Step out ran through
}

const strs = (x: unknown): x is string[] => Array.isArray(x) && x.every((s) => typeof s === "string");
/** An object of strings as it came, or {} for anything else. */
const textByKey = (x: unknown): Record<string, string> =>
  typeof x === "object" && x !== null && !Array.isArray(x) && Object.values(x).every((v) => typeof v === "string")
    ? (x as Record<string, string>)
    : {};

/** Narrow a custom message; null for anything we do not understand (ignored, not thrown). */
export function parseKernelMsg(content: unknown): KernelMsg | null {
  if (typeof content !== "object" || content === null) return null;
  const m = content as Record<string, unknown>;
  switch (m.kind) {
    case "trace_meta": {
      const s = m.strings as Record<string, unknown> | undefined;
      const ok =
        s &&
        strs(s.ops) &&
        strs(s.scopes) &&
        strs(s.labels) &&
        strs(s.files) &&
        Array.isArray(m.steps) &&
        Array.isArray(m.event_offsets) &&
        m.event_offsets.length === m.steps.length + 1;
      return ok ? (m as unknown as TraceMeta) : null;
    }
    case "step_data":
      return typeof m.step === "number" &&
        typeof m.n_created === "number" &&
        (m.structure === undefined || typeof m.structure === "string")
        ? (m as unknown as StepDataMsg)
        : null;
    case "params":
      return strs(m.names) ? (m as unknown as ParamsMsg) : null;
    case "progress":
      return typeof m.steps === "number" && Array.isArray(m.losses) ? (m as unknown as ProgressMsg) : null;
    case "hits":
      return Array.isArray(m.hits)
        ? ({
            ...m,
            live: Array.isArray(m.live) ? m.live : [],
            problems: textByKey(m.problems),
          } as unknown as HitsMsg)
        : null;
    case "anomaly":
      return "anomaly" in m ? (m as unknown as AnomalyMsg) : null;
    case "alignment":
      return typeof m.step === "number" && typeof m.other_step === "number" ? (m as unknown as AlignmentMsg) : null;
    case "error":
      return typeof m.message === "string" ? (m as unknown as ErrorMsg) : null;
    default:
      return null;
  }
}
