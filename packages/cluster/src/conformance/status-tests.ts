import { expect, it } from "vitest";
import { MAX_NODE_STATUS_BYTES, NodeStatusTooLargeError } from "../contract.js";
import { bytes, type SuiteContext, text, waitFor } from "./harness.js";

/** Node statuses (the optional `publishStatus`/`nodeStatuses`): kept per node, gone with the node. */
export function statusTests(ctx: SuiteContext): void {
  it("a published status is read by every node, replaced by the next one, and absent for a node that never published", async () => {
    const a = await ctx.node("node-a");
    const b = await ctx.node("node-b");
    if (a.bus.publishStatus === undefined || b.bus.nodeStatuses === undefined)
      throw new Error("this bus does not implement publishStatus and nodeStatuses");
    await a.bus.publishStatus(bytes("first"));
    await a.bus.publishStatus(bytes("second"));
    const seen = await b.bus.nodeStatuses(["node-a", "node-b", "node-unknown"]);
    expect([...seen.keys()]).toEqual(["node-a"]);
    expect(text(seen.get("node-a")!)).toBe("second");
  });

  it(`a status over ${MAX_NODE_STATUS_BYTES} bytes is refused (NodeStatusTooLargeError) and the one before stays`, async () => {
    const a = await ctx.node("node-a");
    if (a.bus.publishStatus === undefined || a.bus.nodeStatuses === undefined)
      throw new Error("this bus does not implement publishStatus and nodeStatuses");
    await a.bus.publishStatus(bytes("kept"));
    await expect(a.bus.publishStatus(new Uint8Array(MAX_NODE_STATUS_BYTES + 1))).rejects.toBeInstanceOf(
      NodeStatusTooLargeError,
    );
    await a.bus
      .publishStatus(new Uint8Array(MAX_NODE_STATUS_BYTES))
      .then(() => a.bus.publishStatus!(bytes("kept")));
    expect(text((await a.bus.nodeStatuses(["node-a"])).get("node-a")!)).toBe("kept");
  });

  it("the status of a node that stops or crashes is gone", async () => {
    const h = await ctx.harness();
    const lease = await ctx.leaseMs();
    const a = await ctx.node("node-a");
    const b = await ctx.node("node-b");
    const c = await ctx.node("node-c");
    if (a.bus.nodeStatuses === undefined) throw new Error("this bus does not implement nodeStatuses");
    await b.bus.publishStatus!(bytes("b"));
    await c.bus.publishStatus!(bytes("c"));
    expect([...(await a.bus.nodeStatuses(["node-b", "node-c"])).keys()].sort()).toEqual(["node-b", "node-c"]);
    await b.bus.stop();
    expect([...(await a.bus.nodeStatuses(["node-b", "node-c"])).keys()]).toEqual(["node-c"]);
    await h.crash(c.bus);
    await waitFor("node-c down", () => a.events.downs.includes("node-c"), lease * 3);
    expect((await a.bus.nodeStatuses(["node-b", "node-c"])).size).toBe(0);
  });
}
