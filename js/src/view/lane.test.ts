import { describe, expect, it } from "vitest";
import { zoomLane } from "./lane";

describe("zoomLane", () => {
  it("zooms about an event that keeps its place, and back out to the whole step", () => {
    const lane = zoomLane(1001, null, 500, 0.5);
    expect(lane).toEqual([250, 750]);
    expect(zoomLane(1001, lane, 250, 0.5)).toEqual([250, 500]); // the left edge stays put
    expect(zoomLane(1001, [250, 500], 300, 8)).toBeNull();
    expect(zoomLane(1001, null, 1000, 0.001)).toEqual([980, 1000]); // never under 20 events
  });
});
