import { describe, expect, it } from "vitest";
import { initialState, Store } from "./state";

describe("Store", () => {
  it("merges every update of a frame into one redraw that sees all the changes", () => {
    const frames: (() => void)[] = [];
    const store = new Store(
      initialState(),
      (cb) => frames.push(cb),
      () => {},
    );
    const seen: string[][] = [];
    store.subscribe((s, changed) => seen.push([...changed].map(String).sort().concat(String(s.cursor))));
    store.update({ cursor: 5 });
    store.update({ cursor: 7, selected: 3 });
    expect(frames.length).toBe(1);
    expect(seen).toEqual([]);
    frames[0]();
    expect(seen).toEqual([["cursor", "selected", "7"]]);
    store.update({ playing: true });
    expect(frames.length).toBe(2);
  });

  it("does nothing once disposed", () => {
    const frames: (() => void)[] = [];
    const store = new Store(
      initialState(),
      (cb) => frames.push(cb),
      () => {},
    );
    store.dispose();
    store.update({ cursor: 1 });
    expect(frames.length).toBe(0);
    expect(store.state.cursor).toBe(-1);
  });
});
