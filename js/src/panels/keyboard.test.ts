import { describe, expect, it } from "vitest";
import { keyName, SHORTCUTS, shortcutFor } from "./keyboard";

const key = (k: string, mods: Partial<Record<"shiftKey" | "ctrlKey" | "altKey" | "metaKey", boolean>> = {}) =>
  keyName({ key: k, shiftKey: false, ctrlKey: false, altKey: false, metaKey: false, ...mods });

describe("keys", () => {
  it("names keys as the table spells them, and leaves Ctrl, Alt and ⌘ to the notebook", () => {
    expect([key("c"), key("C", { shiftKey: true }), key("?", { shiftKey: true }), key(" ")]).toEqual([
      "c",
      "Shift+C",
      "?",
      "Space",
    ]);
    expect([key("F11", { shiftKey: true }), key("ArrowLeft", { shiftKey: true }), key("=")]).toEqual([
      "Shift+F11",
      "Shift+ArrowLeft",
      "+",
    ]);
    expect([key("s", { ctrlKey: true }), key("c", { metaKey: true }), key("n", { altKey: true })]).toEqual([
      null,
      null,
      null,
    ]);
  });

  it("maps the debugger's keys while paused only, and every key to one shortcut", () => {
    expect(shortcutFor("n", false)).toBeUndefined();
    expect(shortcutFor("n", true)?.what).toMatch(/^Step over/);
    expect(shortcutFor("Shift+F11", true)?.what).toMatch(/^Step out/);
    expect(shortcutFor("F8", true)?.what).toMatch(/^Continue/);
    expect(shortcutFor("ArrowRight", false)?.what).toMatch(/one event/);
    const all = SHORTCUTS.flatMap((s) => s.keys);
    expect(new Set(all).size).toBe(all.length);
  });
});
