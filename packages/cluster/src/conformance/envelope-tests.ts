import { expect, it } from "vitest";
import { InboxFullError } from "../contract.js";
import { bytes, type SuiteContext, sleep, text, waitFor } from "./harness.js";

/** Envelopes: ordering, bounds, at-least-once. */
export function envelopeTests(ctx: SuiteContext): void {
  it("envelopes arrive in order per sender, receiver and channel, with their sender, channel and bytes", async () => {
    const a = await ctx.node("node-a");
    const c = await ctx.node("node-c");
    const b = await ctx.node("node-b");
    const lease = await ctx.leaseMs();
    b.events.autoAck = true;
    const sends: Promise<void>[] = [];
    for (let i = 0; i < 100; i++) {
      sends.push(a.bus.send("node-b", i % 2 === 0 ? "deliver" : "control", bytes(`a${i}`)));
      sends.push(c.bus.send("node-b", "deliver", bytes(`c${i}`)));
    }
    await Promise.all(sends);
    await waitFor("300 envelopes", () => b.events.envelopes.length === 200, lease * 2);
    const seen = (from: string, channel: string) =>
      b.events.envelopes
        .filter((r) => r.envelope.from === from && r.envelope.channel === channel)
        .map((r) => text(r.envelope.body));
    expect(seen("node-a", "deliver")).toEqual([...Array(50).keys()].map((i) => `a${i * 2}`));
    expect(seen("node-a", "control")).toEqual([...Array(50).keys()].map((i) => `a${i * 2 + 1}`));
    expect(seen("node-c", "deliver")).toEqual([...Array(100).keys()].map((i) => `c${i}`));
    const ids = b.events.envelopes.map((r) => `${r.envelope.from}/${r.envelope.id}`);
    expect(new Set(ids).size).toBe(200);
  });

  it("any bytes go through unchanged, the empty body too; the sender may reuse its buffer", async () => {
    const a = await ctx.node("node-a");
    const b = await ctx.node("node-b");
    const every = Uint8Array.from({ length: 256 }, (_, i) => i);
    const reused = every.slice();
    await a.bus.send("node-b", "deliver", reused);
    reused.fill(0);
    await a.bus.send("node-b", "deliver", new Uint8Array(0));
    await waitFor("two envelopes", () => b.events.envelopes.length === 2, await ctx.leaseMs());
    expect([...(b.events.envelopes[0]?.envelope.body ?? [])]).toEqual([...every]);
    expect(b.events.envelopes[1]?.envelope.body.length).toBe(0);
  });

  it("an envelope sent to a node that has not started yet waits in its inbox and arrives when it starts", async () => {
    const a = await ctx.node("node-a");
    await a.bus.send("node-late", "deliver", bytes("early"));
    const late = await ctx.node("node-late");
    await waitFor("the early envelope", () => late.events.envelopes.length === 1, await ctx.leaseMs());
    expect(text(late.events.envelopes[0]?.envelope.body ?? new Uint8Array())).toBe("early");
    expect(late.events.envelopes[0]?.envelope.from).toBe("node-a");
  });

  it("unacknowledged envelopes are delivered again, with the same ids, to the node's next run; acknowledged ones are not", async () => {
    const h = await ctx.harness();
    const lease = await ctx.leaseMs();
    const a = await ctx.node("node-a");
    const first = await ctx.node("node-b");
    for (let i = 0; i < 6; i++) await a.bus.send("node-b", "deliver", bytes(`m${i}`));
    await waitFor("six envelopes", () => first.events.envelopes.length === 6, lease);
    for (const r of first.events.envelopes.slice(0, 3)) r.ack();
    // Acks may be batched: give them a moment to reach the engine before the crash.
    await sleep(Math.min(200, lease / 4));
    await h.crash(first.bus);
    const second = await ctx.node("node-b");
    await waitFor("the three unacknowledged again", () => second.events.envelopes.length === 3, lease * 2);
    expect(second.events.envelopes.map((r) => text(r.envelope.body))).toEqual(["m3", "m4", "m5"]);
    expect(second.events.envelopes.map((r) => r.envelope.id)).toEqual(
      first.events.envelopes.slice(3).map((r) => r.envelope.id),
    );
    await sleep(Math.min(300, lease / 2));
    expect(second.events.envelopes).toHaveLength(3);
  });

  it("at most maxUnackedEnvelopes are delivered unacknowledged; reading resumes on ack", async () => {
    const lease = await ctx.leaseMs();
    const a = await ctx.node("node-a");
    const b = await ctx.node("node-b", { maxUnackedEnvelopes: 3 });
    for (let i = 0; i < 8; i++) await a.bus.send("node-b", "deliver", bytes(`m${i}`));
    await waitFor("three envelopes", () => b.events.envelopes.length === 3, lease);
    await sleep(Math.min(300, lease / 2));
    expect(b.events.envelopes).toHaveLength(3);
    b.events.envelopes[0]?.ack();
    b.events.envelopes[1]?.ack();
    await waitFor("two more", () => b.events.envelopes.length === 5, lease);
    await sleep(Math.min(300, lease / 2));
    expect(b.events.envelopes.map((r) => text(r.envelope.body))).toEqual(["m0", "m1", "m2", "m3", "m4"]);
  });

  it("a send to an inbox holding maxInboxEnvelopes fails with InboxFullError, and works again once the receiver acks", async () => {
    const lease = await ctx.leaseMs();
    const a = await ctx.node("node-a");
    const b = await ctx.node("node-b", { maxInboxEnvelopes: 4, maxUnackedEnvelopes: 2 });
    for (let i = 0; i < 4; i++) await a.bus.send("node-b", "deliver", bytes(`m${i}`));
    const refused = await a.bus.send("node-b", "deliver", bytes("m4")).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(InboxFullError);
    expect((refused as InboxFullError).name).toBe("InboxFullError");
    await waitFor("two envelopes", () => b.events.envelopes.length === 2, lease);
    b.events.autoAck = true;
    for (const r of b.events.envelopes) r.ack();
    await waitFor("all four", () => b.events.envelopes.length === 4, lease);
    // Acks may reach the engine a little later (batched): the send succeeds within a lease.
    const deadline = Date.now() + lease;
    for (;;) {
      const result = await a.bus.send("node-b", "deliver", bytes("m4")).then(
        () => "sent",
        (e: unknown) => e,
      );
      if (result === "sent") break;
      expect(result).toBeInstanceOf(InboxFullError);
      if (Date.now() > deadline)
        throw new Error("the inbox stayed full after every envelope was acknowledged");
      await sleep(20);
    }
    await waitFor("the fifth", () => b.events.envelopes.length === 5, lease);
  });

  it("adoptInbox hands a dead node's unacknowledged envelopes to the adopter, in order, with their sender and ids", async () => {
    const h = await ctx.harness();
    const lease = await ctx.leaseMs();
    const a = await ctx.node("node-a");
    const c = await ctx.node("node-c");
    const dead = await ctx.node("node-dead");
    if (a.bus.adoptInbox === undefined) throw new Error("this bus does not implement adoptInbox");
    for (let i = 0; i < 4; i++) await c.bus.send("node-dead", "share", bytes(`s${i}`));
    await waitFor("four at node-dead", () => dead.events.envelopes.length === 4, lease);
    dead.events.envelopes[0]?.ack();
    await sleep(Math.min(200, lease / 4));
    await h.crash(dead.bus);
    await waitFor("node-dead down", () => a.events.downs.includes("node-dead"), lease * 3);
    expect(await a.bus.adoptNode("node-dead")).toBe(true);
    expect(await a.bus.adoptInbox("node-dead")).toBe(3);
    await waitFor("three at node-a", () => a.events.envelopes.length === 3, lease);
    expect(
      a.events.envelopes.map((r) => [r.envelope.from, r.envelope.channel, text(r.envelope.body)]),
    ).toEqual([
      ["node-c", "share", "s1"],
      ["node-c", "share", "s2"],
      ["node-c", "share", "s3"],
    ]);
    expect(a.events.envelopes.map((r) => r.envelope.id)).toEqual(
      dead.events.envelopes.slice(1).map((r) => r.envelope.id),
    );
    expect(await a.bus.adoptInbox("node-dead")).toBe(0);
  });
}
