import { describe, expect, it } from "vitest";
import { CLUSTER_DEFAULTS, ClusterOptionsError, resolveClusterOptions } from "../src/index.js";

describe("resolveClusterOptions", () => {
  it("fills in the defaults and derives the renewal interval", () => {
    const o = resolveClusterOptions({ nodeId: "n1" });
    expect(o).toMatchObject({ ...CLUSTER_DEFAULTS, nodeId: "n1", renewIntervalMs: 3333 });
  });

  it.each([
    ["an empty node id", { nodeId: "" }],
    ["a node id with a space", { nodeId: "a b" }],
    ["a node id with a brace (Redis hash tags)", { nodeId: "a{b}" }],
    ["a zero lease", { nodeId: "n", leaseMs: 0 }],
    ["a fractional bound", { nodeId: "n", maxUnackedEnvelopes: 1.5 }],
    ["a request timeout not shorter than the lease", { nodeId: "n", leaseMs: 1000, requestTimeoutMs: 1000 }],
  ])("refuses %s with ClusterOptionsError", (_, options) => {
    expect(() => resolveClusterOptions(options)).toThrow(ClusterOptionsError);
  });
});
