import { expect, it } from "vitest";
import type { ClusterBus } from "../contract.js";
import { type SuiteContext, waitFor } from "./harness.js";

const plain = (filter: string) => ({ filter, group: undefined });
const shared = (group: string, filter: string) => ({ filter, group });
const nodesOf = (bus: ClusterBus, topic: string) => [...bus.match(topic).nodes].sort();

/** Routes: the local replica, idempotence, wildcards, shared groups. */
export function routeTests(ctx: SuiteContext): void {
  it("a route added on one node reaches the other nodes' replica; removal too", async () => {
    const a = await ctx.node("node-a");
    const b = await ctx.node("node-b");
    const lease = await ctx.leaseMs();
    await b.bus.addRoute(plain("sensors/+/temp"));
    await waitFor(
      "node-a to see node-b's route",
      () => a.bus.match("sensors/1/temp").nodes.has("node-b"),
      lease,
    );
    expect(nodesOf(a.bus, "sensors/1/hum")).toEqual([]);
    // Match answers for the other nodes only.
    expect(nodesOf(b.bus, "sensors/1/temp")).toEqual([]);
    await b.bus.removeRoute(plain("sensors/+/temp"));
    await waitFor(
      "node-a to see the removal",
      () => !a.bus.match("sensors/1/temp").nodes.has("node-b"),
      lease,
    );
  });

  it("adding a route twice and removing it once removes it; removing an unknown route is harmless", async () => {
    const a = await ctx.node("node-a");
    const b = await ctx.node("node-b");
    const lease = await ctx.leaseMs();
    await b.bus.addRoute(plain("x/y"));
    await b.bus.addRoute(plain("x/y"));
    await b.bus.removeRoute(plain("never/added"));
    await waitFor("the route", () => a.bus.match("x/y").nodes.has("node-b"), lease);
    await b.bus.removeRoute(plain("x/y"));
    await b.bus.removeRoute(plain("x/y"));
    // A later route from the same node proves the removals were applied before it.
    await b.bus.addRoute(plain("marker"));
    await waitFor("the marker", () => a.bus.match("marker").nodes.has("node-b"), lease);
    expect(nodesOf(a.bus, "x/y")).toEqual([]);
  });

  it("wildcards match as in a broker; $ topics only match filters that name their first level [MQTT-4.7.2-1]", async () => {
    const a = await ctx.node("node-a");
    const b = await ctx.node("node-b");
    const c = await ctx.node("node-c");
    const lease = await ctx.leaseMs();
    await b.bus.addRoute(plain("#"));
    await c.bus.addRoute(plain("a/+/c"));
    await c.bus.addRoute(plain("$SYS/#"));
    await c.bus.addRoute(plain("marker"));
    await b.bus.addRoute(plain("marker"));
    await waitFor("both markers", () => a.bus.match("marker").nodes.size === 2, lease);
    expect(nodesOf(a.bus, "a/b/c")).toEqual(["node-b", "node-c"]);
    expect(nodesOf(a.bus, "a/b")).toEqual(["node-b"]);
    expect(nodesOf(a.bus, "a/b/c/d")).toEqual(["node-b"]);
    expect(nodesOf(a.bus, "$SYS/broker/uptime")).toEqual(["node-c"]);
    expect(nodesOf(c.bus, "a/b/c")).toEqual(["node-b"]);
  });

  it("shared routes are answered per group and filter, with the nodes that have members", async () => {
    const a = await ctx.node("node-a");
    const b = await ctx.node("node-b");
    const c = await ctx.node("node-c");
    const lease = await ctx.leaseMs();
    await b.bus.addRoute(shared("g1", "jobs/#"));
    await c.bus.addRoute(shared("g1", "jobs/#"));
    await c.bus.addRoute(shared("g2", "jobs/+"));
    await waitFor(
      "three shared members",
      () => {
        const m = a.bus.match("jobs/1");
        return m.shared.get("g1\u0000jobs/#")?.size === 2 && m.shared.get("g2\u0000jobs/+")?.size === 1;
      },
      lease,
    );
    const m = a.bus.match("jobs/1");
    expect(m.nodes.size).toBe(0);
    expect([...(m.shared.get("g1\u0000jobs/#") ?? [])].sort()).toEqual(["node-b", "node-c"]);
    expect([...(m.shared.get("g2\u0000jobs/+") ?? [])]).toEqual(["node-c"]);
    expect([...c.bus.match("jobs/1").shared.keys()]).toEqual(["g1\u0000jobs/#"]);
    expect(a.bus.match("jobs/1/2").shared.has("g2\u0000jobs/+")).toBe(false);
  });

  it("the routes of a node that stops or crashes leave every replica", async () => {
    const h = await ctx.harness();
    const lease = await ctx.leaseMs();
    const a = await ctx.node("node-a");
    const b = await ctx.node("node-b");
    const c = await ctx.node("node-c");
    await b.bus.addRoute(plain("t"));
    await c.bus.addRoute(shared("g", "t"));
    await waitFor(
      "both routes",
      () => a.bus.match("t").nodes.has("node-b") && a.bus.match("t").shared.size === 1,
      lease,
    );
    await b.bus.stop();
    await waitFor("node-b's route gone", () => !a.bus.match("t").nodes.has("node-b"), lease);
    await h.crash(c.bus);
    await waitFor("node-c's route gone", () => a.bus.match("t").shared.size === 0, lease * 3);
  });

  it("a node that starts later loads the routes already there", async () => {
    const b = await ctx.node("node-b");
    await b.bus.addRoute(plain("late/#"));
    const a = await ctx.node("node-a");
    expect(nodesOf(a.bus, "late/x")).toEqual(["node-b"]);
  });
}
