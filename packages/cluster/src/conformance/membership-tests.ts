import { expect, it } from "vitest";
import { lists, nodeIds, type SuiteContext, sleep, waitFor } from "./harness.js";

/** Join, leave, lease expiry and adoption. */
export function membershipTests(ctx: SuiteContext): void {
  it("a started node sees itself and the nodes already there; they see it join", async () => {
    const a = await ctx.node("node-a");
    const b = await ctx.node("node-b");
    const lease = await ctx.leaseMs();
    expect(nodeIds(b.bus)).toEqual(["node-a", "node-b"]);
    await waitFor("node-a to see node-b join", () => a.events.ups.some((n) => n.nodeId === "node-b"), lease);
    await waitFor("node-a to list node-b", () => lists(a.bus, "node-b"), lease);
    const self = b.bus.nodes().find((n) => n.nodeId === "node-b");
    expect(self?.leaseExpiresAt).toBeGreaterThan(self?.joinedAt ?? Number.POSITIVE_INFINITY);
    expect(b.bus.status).toBe("up");
  });

  it("a node that stops is down for the others at once, and adoptable exactly once", async () => {
    const a = await ctx.node("node-a");
    const b = await ctx.node("node-b");
    const c = await ctx.node("node-c");
    const lease = await ctx.leaseMs();
    await c.bus.stop();
    // "At once": well before its lease would have run out.
    await waitFor("node-a to see node-c leave", () => a.events.downs.includes("node-c"), lease / 2);
    await waitFor("node-b to see node-c leave", () => b.events.downs.includes("node-c"), lease / 2);
    await waitFor("node-c gone from node-a's list", () => !lists(a.bus, "node-c"), lease);
    const wins = await Promise.all([a.bus.adoptNode("node-c"), b.bus.adoptNode("node-c")]);
    expect(wins.filter((w) => w)).toHaveLength(1);
    expect(await a.bus.adoptNode("node-c")).toBe(false);
  });

  it("a crashed node is declared down by lease expiry exactly once on every live node, and adopted by exactly one", async () => {
    const h = await ctx.harness();
    const lease = await ctx.leaseMs();
    const a = await ctx.node("node-a");
    const b = await ctx.node("node-b");
    const dead = await ctx.node("node-dead");
    await h.crash(dead.bus);
    await waitFor("node-a to see node-dead down", () => a.events.downs.includes("node-dead"), lease * 3);
    await waitFor("node-b to see node-dead down", () => b.events.downs.includes("node-dead"), lease * 3);
    const wins = await Promise.all([a.bus.adoptNode("node-dead"), b.bus.adoptNode("node-dead")]);
    expect(wins.filter((w) => w)).toHaveLength(1);
    // A second look (more checks of the lease) raises nothing new.
    await sleep(lease);
    expect(a.events.downs.filter((d) => d === "node-dead")).toHaveLength(1);
    expect(b.events.downs.filter((d) => d === "node-dead")).toHaveLength(1);
    expect(a.events.downs).not.toContain("node-b");
    expect(nodeIds(a.bus)).toEqual(["node-a", "node-b"]);
  });

  it("a live node, this node itself and an unknown node are not adoptable", async () => {
    const a = await ctx.node("node-a");
    await ctx.node("node-b");
    expect(await a.bus.adoptNode("node-b")).toBe(false);
    expect(await a.bus.adoptNode("node-a")).toBe(false);
    expect(await a.bus.adoptNode("never-joined")).toBe(false);
  });

  it("a node that restarts under the same id after a crash is up again and adoptable again after its next death", async () => {
    const h = await ctx.harness();
    const lease = await ctx.leaseMs();
    const a = await ctx.node("node-a");
    const first = await ctx.node("node-b");
    await h.crash(first.bus);
    await waitFor("node-b down", () => a.events.downs.includes("node-b"), lease * 3);
    expect(await a.bus.adoptNode("node-b")).toBe(true);
    const second = await ctx.node("node-b");
    await waitFor("node-b up again", () => lists(a.bus, "node-b"), lease * 2);
    await second.bus.stop();
    await waitFor(
      "node-b down again",
      () => a.events.downs.filter((d) => d === "node-b").length === 2,
      lease,
    );
    expect(await a.bus.adoptNode("node-b")).toBe(true);
  });
}
