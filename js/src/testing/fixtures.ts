// Test helper: read the fixtures written by fixtures/make_fixtures.py (node only).
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

// plain paths: under happy-dom the global URL is the DOM's, which node:fs refuses
const DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "fixtures");

export interface FixtureStep {
  index: number;
  bundle: string;
  numbers: string; // the same step without its structure columns
  structure_bundle: string; // ...and its structure columns alone (the kernel's second buffer)
  structure: string; // the kernel's structure key
  n_created: number;
  num_nodes: number;
  event_offset: number;
  num_events: number;
  grads: string[][];
  current_node: (number | null)[];
  data: string[];
}

export interface Fixture {
  strings: { ops: string[]; scopes: string[]; labels: string[]; files: string[] };
  steps: FixtureStep[];
}

export function readFixture(name: string): Fixture {
  return JSON.parse(readFileSync(join(DIR, `${name}.json`), "utf8")) as Fixture;
}

/** The bundle bytes as a DataView, optionally placed at `offset` inside a larger buffer. */
export function readBundle(file: string, offset = 0): DataView {
  const bytes = readFileSync(join(DIR, file));
  const buf = new ArrayBuffer(bytes.length + offset + 5);
  new Uint8Array(buf).set(bytes, offset);
  return new DataView(buf, offset, bytes.length);
}

/** Python's repr of a float back to the same double. */
export function pyFloat(s: string): number {
  if (s === "nan") return NaN;
  if (s === "inf") return Infinity;
  if (s === "-inf") return -Infinity;
  return Number(s);
}
