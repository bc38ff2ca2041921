// Timing hooks for bench/viewer_bench.py (and anyone profiling in devtools). Cheap enough to
// stay on: a bounded array of marks on `window.__mgdebugPerf`, each
//   {name, t (performance.now()), viewer (which widget view), ...detail}
// with names:
//   "step-request" {step}   the view asked the kernel for a step it did not have
//   "step-data"   {step, bytes, forView}   a step bundle arrived (before decoding)
//   "view"        {step}    a decoded step became the shown one
//   "layout"      {ms}      a layout answer arrived (ms = worker time)
//   "painted"     {step, units, ms}  the first redraw showing a step in its layout: a new
//                 layout, or a new step drawn in the layout it shares (ms = that frame's work)
//   "paused"      {step, node, event}  the kernel's `paused` trait arrived (a live pause)
//   "revealed"    {step, node, ms}  the first redraw showing that pause's node as its own box
//                 on screen (its groups opened, the camera on it)
//   "compared"    {step, ms}  a comparison is ready to draw (ms: since it was asked for:
//                 the other step's data, its replay, the alignment)
//   "heat-hover"  {ms}      a pointer move over the parameter heatmap (ms = its handler's work:
//                 the cell's readout and outline)
//   "loss-hover"  {ms}      the same over the loss curve
// Besides, the root element carries data-frame-ms (the last redraw's work, every renderer).

export interface PerfMark {
  name: string;
  t: number;
  viewer: number;
  [detail: string]: number | string | boolean;
}

const MAX_MARKS = 2000;
let viewers = 0; // where there is no window (tests)

// the count lives on the window: anywidget may load this module afresh for each widget,
// and view numbers must still grow across all of them
type PerfWindow = { __mgdebugPerf?: PerfMark[]; __mgdebugViewers?: number };

/** Record a mark named `name` with `detail`. */
export type Mark = (name: string, detail?: Record<string, number | string | boolean>) => void;

/** A mark function for one widget view. */
export function perfFor(): Mark {
  const pw = typeof window === "undefined" ? null : (window as unknown as PerfWindow);
  let viewer = ++viewers;
  if (pw) {
    pw.__mgdebugViewers = (pw.__mgdebugViewers ?? 0) + 1;
    viewer = pw.__mgdebugViewers;
  }
  return (name, detail = {}) => {
    if (typeof window === "undefined") return;
    const w = window as unknown as PerfWindow;
    w.__mgdebugPerf ??= [];
    const marks = w.__mgdebugPerf;
    if (marks.length >= MAX_MARKS) marks.splice(0, marks.length - MAX_MARKS + 1);
    marks.push({ ...detail, name, t: performance.now(), viewer });
  };
}
