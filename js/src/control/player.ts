// Play: the cursor moves forward in time at `speed` events per second, one animation
// frame at a time, until the step's last event, a pause, or another step is loaded.

import type { Store } from "../state";

export class Player {
  private frame = 0; // the requested animation frame, 0 when not playing
  private lastMs = 0; // when the last frame ran
  private carry = 0; // the fraction of an event owed to the next frame

  constructor(
    private readonly store: Store,
    private readonly seek: (t: number) => void,
  ) {}

  toggle(): void {
    const s = this.store.state;
    if (s.playing) return this.stop();
    const v = s.view;
    if (!v) return;
    if (v.event >= v.numEvents - 1) this.seek(v.eventOffset); // at the end: play from the start
    this.store.update({ playing: true });
    this.lastMs = performance.now();
    this.carry = 0;
    this.frame = requestAnimationFrame(this.onFrame);
  }

  stop(): void {
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
    if (this.store.state.playing) this.store.update({ playing: false });
  }

  private onFrame = (now: number): void => {
    const s = this.store.state;
    const v = s.view;
    if (!v || !s.playing) return this.stop();
    this.carry += ((now - this.lastMs) / 1000) * s.speed;
    this.lastMs = now;
    const whole = Math.floor(this.carry);
    this.carry -= whole;
    if (whole) this.seek(Math.min(v.eventOffset + v.numEvents - 1, s.cursor + whole));
    if (s.cursor >= v.eventOffset + v.numEvents - 1) return this.stop();
    this.frame = requestAnimationFrame(this.onFrame);
  };
}
