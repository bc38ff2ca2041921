import { describe, expect, it } from "vitest";
import { labelTokens, localName, ownerScopes } from "./owners";

describe("owners", () => {
  it("maps a parameter's dotted label to its module's scope, the root module's name first", () => {
    const scopes = ["", "MLP/layers.0/neurons.3", "MLP/layers.1/neurons.0", "MLP"];
    const labels = ["", "layers.0.neurons.3.w.1", "layers.0.neurons.3.b", "layers.1.neurons.0.w.12", "a"];
    expect(Array.from(ownerScopes(labels, scopes))).toEqual([-1, 1, 1, 2, -1]);
  });

  it("owns nothing when no scope fits, or when two models share the layout", () => {
    expect(Array.from(ownerScopes(["layers.7.neurons.0.w.0"], ["", "MLP/layers.0/neurons.0"]))).toEqual([-1]);
    const two = ["", "MLP/layers.0/neurons.0", "Other/layers.0/neurons.0"];
    expect(Array.from(ownerScopes(["layers.0.neurons.0.w.0"], two))).toEqual([-1]);
  });

  it("gives a root module's own w.N and b to the one root scope, never a user's plain names", () => {
    expect(Array.from(ownerScopes(["w.0", "b", "x"], ["", "Neuron"]))).toEqual([1, 1, -1]);
    expect(Array.from(ownerScopes(["w.0"], ["", "Neuron", "loss"]))).toEqual([-1]);
  });

  it("splits labels into parts with their indices, and names a parameter within its module", () => {
    expect(labelTokens("layers.0.neurons.3.w.1")).toEqual(["layers.0", "neurons.3", "w.1"]);
    expect(labelTokens("")).toEqual([]);
    expect(localName("layers.0.neurons.3.b")).toBe("b");
    expect(localName("layers.0.neurons.3.w.12")).toBe("w.12");
  });
});
