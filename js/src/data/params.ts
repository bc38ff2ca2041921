// The parameter table of a `params` message (docs/widget-protocol.md): every persistent
// leaf's value and grad when each step's backward ended, for the step strip's heatmap.

import { decode } from "./decode";
import type { ParamsMsg } from "./protocol";

export interface ParamTable {
  names: string[];
  step: Int32Array;
  param: Int32Array; // index into `names`
  value: Float64Array;
  grad: Float64Array;
}

/** The table in `buffer`; throws (a BundleError) when the bundle is not one. */
export function readParams(msg: ParamsMsg, buffer: DataView): ParamTable {
  const c = decode(buffer).columns;
  return {
    names: msg.names,
    step: c.step as Int32Array,
    param: c.param as Int32Array,
    value: c.value as Float64Array,
    grad: c.grad as Float64Array,
  };
}
