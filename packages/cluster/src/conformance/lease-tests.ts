import { expect, it } from "vitest";
import { type SuiteContext, sleep } from "./harness.js";

/** Named leases (optional members: engines without them skip nothing, they fail here). */
export function leaseTests(ctx: SuiteContext): void {
  it("one node holds a named lease at a time; a renewal keeps the epoch and carries the holder's info", async () => {
    const a = await ctx.node("node-a");
    const b = await ctx.node("node-b");
    const taken = await a.bus.acquireLease!("bridge:x", 5000, "first");
    expect(taken).toMatchObject({ name: "bridge:x", nodeId: "node-a", info: "first" });
    const refused = await b.bus.acquireLease!("bridge:x", 5000, "b-wants-it");
    expect(refused).toMatchObject({ nodeId: "node-a", epoch: taken.epoch, info: "first" });
    const renewed = await a.bus.acquireLease!("bridge:x", 5000, "second");
    expect(renewed).toMatchObject({ nodeId: "node-a", epoch: taken.epoch, info: "second" });
    expect(renewed.expiresAt).toBeGreaterThanOrEqual(taken.expiresAt);
    expect(await b.bus.acquireLease!("bridge:x", 5000)).toMatchObject({ nodeId: "node-a", info: "second" });
    // Another name is another lease.
    expect(await b.bus.acquireLease!("bridge:y", 5000)).toMatchObject({ nodeId: "node-b" });
  });

  it("a lapsed lease goes to the next node that asks, with a higher epoch; the old holder cannot renew it", async () => {
    const a = await ctx.node("node-a");
    const b = await ctx.node("node-b");
    const first = await a.bus.acquireLease!("bridge:x", 300);
    expect(first.nodeId).toBe("node-a");
    await sleep(450);
    const second = await b.bus.acquireLease!("bridge:x", 5000, "b");
    expect(second).toMatchObject({ nodeId: "node-b", info: "b" });
    expect(second.epoch).toBeGreaterThan(first.epoch);
    expect(await a.bus.acquireLease!("bridge:x", 5000)).toMatchObject({
      nodeId: "node-b",
      epoch: second.epoch,
    });
    expect(await a.bus.releaseLease!("bridge:x", first.epoch)).toBe(false);
  });

  it("a release with the current epoch frees the lease at once; a stale epoch or another node's release is refused", async () => {
    const a = await ctx.node("node-a");
    const b = await ctx.node("node-b");
    const held = await a.bus.acquireLease!("bridge:x", 5000);
    expect(await b.bus.releaseLease!("bridge:x", held.epoch)).toBe(false);
    expect(await a.bus.releaseLease!("bridge:x", held.epoch - 1)).toBe(false);
    expect(await a.bus.releaseLease!("bridge:x", held.epoch)).toBe(true);
    expect(await a.bus.releaseLease!("bridge:x", held.epoch)).toBe(false);
    const next = await b.bus.acquireLease!("bridge:x", 5000);
    expect(next.nodeId).toBe("node-b");
    expect(next.epoch).toBe(held.epoch + 1);
  });

  it("concurrent takes of a free lease: exactly one node wins, every answer names it", async () => {
    const nodes = [await ctx.node("node-a"), await ctx.node("node-b"), await ctx.node("node-c")];
    const answers = await Promise.all(
      nodes.map((n) => n.bus.acquireLease!("bridge:race", 5000, n.bus.nodeId)),
    );
    const holders = new Set(answers.map((l) => l.nodeId));
    expect(holders.size).toBe(1);
    const [holder] = [...holders];
    expect(new Set(answers.map((l) => l.epoch)).size).toBe(1);
    expect(answers.every((l) => l.info === holder)).toBe(true);
  });
}
