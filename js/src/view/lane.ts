// The timeline's zoomed window over a step's events, as pure math: the wheel (about the
// pointer) and the [ ] keys (about the cursor) both zoom through here.

const MIN_SPAN = 20; // events: closer than this, single events are already wide

/**
 * The window after zooming `lane` (null: the whole step) by `factor` (< 1 zooms in) about
 * event `at`, which keeps its place on screen; null once the window covers the whole step.
 */
export function zoomLane(
  numEvents: number,
  lane: readonly [number, number] | null,
  at: number,
  factor: number,
): [number, number] | null {
  const n = numEvents - 1;
  const [lo, hi] = lane ?? [0, n];
  const span = Math.max(MIN_SPAN, Math.min(n, (hi - lo) * factor));
  if (span >= n) return null;
  const f = hi > lo ? Math.max(0, Math.min(1, (at - lo) / (hi - lo))) : 0.5;
  const start = Math.max(0, Math.min(n - span, at - f * span));
  return [Math.round(start), Math.round(start + span)];
}
