import { describe, expect, it } from "vitest";
import { breakSpecOf } from "./inspector";

describe("break here", () => {
  it("names a node by its label, else its dotted scope and op, else its scope, else its op", () => {
    expect(breakSpecOf("layers.0.neurons.1.b", "", "")).toBe("layers.0.neurons.1.b");
    expect(breakSpecOf("", "MLP/layers.1/neurons.3", "tanh")).toBe("layers.1.neurons.3.tanh");
    expect(breakSpecOf("", "MLP/layers.1/neurons.3", "+")).toBe("scope:MLP/layers.1/neurons.3"); // `+` is no name
    expect(breakSpecOf("", "", "*")).toBe("op:*");
    expect(breakSpecOf("", "", "")).toBeNull(); // an unlabelled top-level leaf
    expect(breakSpecOf("w*", "", "exp")).toBe("op:exp"); // a glob-looking label would match others
  });
});
