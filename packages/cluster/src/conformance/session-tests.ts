import { expect, it } from "vitest";
import { type SuiteContext, waitFor } from "./harness.js";

/** Session ownership with epochs. */
export function sessionTests(ctx: SuiteContext): void {
  it("every claim increments the epoch and names the previous owner", async () => {
    const a = await ctx.node("node-a");
    const b = await ctx.node("node-b");
    expect(await a.bus.sessionOwner("client-1")).toBeUndefined();
    const first = await a.bus.claimSession("client-1");
    expect(first.ownership.nodeId).toBe("node-a");
    expect(first.previous).toBeUndefined();
    const again = await a.bus.claimSession("client-1");
    expect(again.ownership.epoch).toBeGreaterThan(first.ownership.epoch);
    expect(again.previous).toEqual(first.ownership);
    const taken = await b.bus.claimSession("client-1");
    expect(taken.ownership).toEqual({ nodeId: "node-b", epoch: again.ownership.epoch + 1 });
    expect(taken.previous).toEqual({ nodeId: "node-a", epoch: again.ownership.epoch });
    expect(await a.bus.sessionOwner("client-1")).toEqual(taken.ownership);
    expect(await a.bus.sessionOwner("client-2")).toBeUndefined();
  });

  it("concurrent claims get distinct epochs; the last one owns the session", async () => {
    const a = await ctx.node("node-a");
    const b = await ctx.node("node-b");
    const claims = await Promise.all([
      a.bus.claimSession("racy"),
      b.bus.claimSession("racy"),
      a.bus.claimSession("racy"),
      b.bus.claimSession("racy"),
    ]);
    const epochs = claims.map((c) => c.ownership.epoch).sort((x, y) => x - y);
    expect(new Set(epochs).size).toBe(4);
    const last = claims.find((c) => c.ownership.epoch === epochs[3]);
    expect(await a.bus.sessionOwner("racy")).toEqual(last?.ownership);
  });

  it("a release with a stale epoch is refused; the current one releases, and epochs keep growing", async () => {
    const a = await ctx.node("node-a");
    const b = await ctx.node("node-b");
    const old = await a.bus.claimSession("client-1");
    const current = await b.bus.claimSession("client-1");
    expect(await a.bus.releaseSession("client-1", old.ownership.epoch)).toBe(false);
    expect(await a.bus.sessionOwner("client-1")).toEqual(current.ownership);
    expect(await b.bus.releaseSession("client-1", current.ownership.epoch)).toBe(true);
    expect(await a.bus.sessionOwner("client-1")).toBeUndefined();
    expect(await b.bus.releaseSession("client-1", current.ownership.epoch)).toBe(false);
    const next = await a.bus.claimSession("client-1");
    expect(next.previous).toBeUndefined();
    expect(next.ownership.epoch).toBeGreaterThan(current.ownership.epoch);
  });

  it("sessionsOwnedBy lists what a node owns now; the adopter of a dead node gets its sessions", async () => {
    const h = await ctx.harness();
    const lease = await ctx.leaseMs();
    const a = await ctx.node("node-a");
    const b = await ctx.node("node-b");
    await b.bus.claimSession("c1");
    await b.bus.claimSession("c2");
    await b.bus.claimSession("c3");
    await a.bus.claimSession("c2");
    const released = await b.bus.claimSession("c3");
    await b.bus.releaseSession("c3", released.ownership.epoch);
    expect([...(await a.bus.sessionsOwnedBy("node-b"))].sort()).toEqual(["c1"]);
    expect([...(await a.bus.sessionsOwnedBy("node-a"))].sort()).toEqual(["c2"]);
    await h.crash(b.bus);
    await waitFor("node-b down", () => a.events.downs.includes("node-b"), lease * 3);
    expect(await a.bus.adoptNode("node-b")).toBe(true);
    expect([...(await a.bus.sessionsOwnedBy("node-b"))]).toEqual(["c1"]);
    const claim = await a.bus.claimSession("c1");
    expect(claim.previous?.nodeId).toBe("node-b");
    expect(await a.bus.sessionsOwnedBy("node-b")).toEqual([]);
  });
}
