import { expect, it } from "vitest";
import { ClusterUnavailableError } from "../contract.js";
import { bytes, nodeIds, type SuiteContext, sleep, waitFor } from "./harness.js";

/** What a node sees when the engine stalls and comes back. */
export function engineTests(ctx: SuiteContext): void {
  it("with the engine down every call fails with ClusterUnavailableError within requestTimeoutMs, and status goes down", async () => {
    const h = await ctx.harness();
    const timeout = await ctx.requestTimeoutMs();
    const a = await ctx.node("node-a");
    await ctx.node("node-b");
    await h.setEngineAvailable(false);
    const calls: [string, () => Promise<unknown>][] = [
      ["claimSession", () => a.bus.claimSession("c")],
      ["sessionOwner", () => a.bus.sessionOwner("c")],
      ["releaseSession", () => a.bus.releaseSession("c", 1)],
      ["adoptNode", () => a.bus.adoptNode("node-b")],
      ["sessionsOwnedBy", () => a.bus.sessionsOwnedBy("node-b")],
      ["addRoute", () => a.bus.addRoute({ filter: "t", group: undefined })],
      ["removeRoute", () => a.bus.removeRoute({ filter: "t", group: undefined })],
      ["send", () => a.bus.send("node-b", "deliver", bytes("x"))],
    ];
    for (const [name, call] of calls) {
      const started = Date.now();
      const error = await call().then(
        () => new Error(`${name} succeeded with the engine down`),
        (e: unknown) => e,
      );
      expect(error, name).toBeInstanceOf(ClusterUnavailableError);
      expect((error as Error).name).toBe("ClusterUnavailableError");
      // The bound the contract promises, plus scheduling slack on a loaded machine.
      expect(Date.now() - started, name).toBeLessThan(timeout + 500);
    }
    await waitFor("status down", () => a.events.statuses.includes("down"), timeout * 3);
    expect(a.bus.status).toBe("down");
  });

  it("after the engine comes back: status up, calls work, envelopes flow, and no live node is declared down", async () => {
    const h = await ctx.harness();
    const lease = await ctx.leaseMs();
    const timeout = await ctx.requestTimeoutMs();
    const a = await ctx.node("node-a");
    const b = await ctx.node("node-b");
    b.events.autoAck = true;
    await b.bus.addRoute({ filter: "before", group: undefined });
    await waitFor("the route", () => a.bus.match("before").nodes.has("node-b"), lease);
    await h.setEngineAvailable(false);
    await waitFor("status down", () => a.events.statuses.includes("down"), timeout * 3);
    // Longer than a lease: every lease has lapsed by the engine's clock when it returns.
    await sleep(lease * 1.5);
    await h.setEngineAvailable(true);
    await waitFor("status up on node-a", () => a.events.statuses.at(-1) === "up", lease * 2);
    await waitFor("status up on node-b", () => b.events.statuses.at(-1) === "up", lease * 2);
    expect(a.bus.status).toBe("up");
    const claim = await a.bus.claimSession("after");
    expect(claim.ownership.nodeId).toBe("node-a");
    await a.bus.send("node-b", "deliver", bytes("after"));
    await waitFor("the envelope", () => b.events.envelopes.length === 1, lease);
    await b.bus.addRoute({ filter: "after", group: undefined });
    await waitFor("the new route", () => a.bus.match("after").nodes.has("node-b"), lease);
    expect(a.bus.match("before").nodes.has("node-b")).toBe(true);
    // Grace: nobody was declared dead for the outage, not even after a further lease.
    await sleep(lease * 1.5);
    expect(a.events.downs).toEqual([]);
    expect(b.events.downs).toEqual([]);
    expect(nodeIds(a.bus)).toEqual(["node-a", "node-b"]);
  });
}
