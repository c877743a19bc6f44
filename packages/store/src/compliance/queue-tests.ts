import { expect, it } from "vitest";
import { pattern, plain, queued } from "./fixtures.js";
import type { SuiteContext } from "./harness.js";

/** Offline queues: order, acks, usage, bounds and expiry. @internal */
export function queueTests(ctx: SuiteContext): void {
  it("hands back queued messages in enqueue order with increasing seq, without removing them", async () => {
    const store = await ctx.open();
    for (let i = 0; i < 5; i++)
      expect(await store.enqueue("c", queued(i))).toEqual({ accepted: true, dropped: 0 });
    const entries = await store.peekQueue("c", 10);
    expect(entries.map((e) => e.payload[0])).toEqual([0, 1, 2, 3, 4]);
    for (let i = 1; i < entries.length; i++) {
      expect(entries[i]?.seq).toBeGreaterThan(entries[i - 1]?.seq ?? Number.POSITIVE_INFINITY);
    }
    expect(entries.every((e) => Number.isSafeInteger(e.seq) && e.seq > 0)).toBe(true);
    expect(await store.peekQueue("c", 10)).toHaveLength(5);
  });

  it("returns at most max messages from the front", async () => {
    const store = await ctx.open();
    for (let i = 0; i < 5; i++) await store.enqueue("c", queued(i));
    expect((await store.peekQueue("c", 2)).map((e) => e.payload[0])).toEqual([0, 1]);
    expect(await store.peekQueue("c", 0)).toEqual([]);
  });

  it("round-trips a queued message with its properties, expiry and bytes", async () => {
    const store = await ctx.open();
    const message = {
      topic: "a/ü/b",
      payload: pattern(1000),
      qos: 2 as const,
      retain: true,
      properties: {
        payloadFormatIndicator: 0 as const,
        messageExpiryInterval: 60,
        contentType: "application/octet-stream",
        responseTopic: "r/1",
        correlationData: pattern(8, 100),
        subscriptionIdentifiers: [1, 268_435_455],
        userProperties: [["k", "v"] as [string, string]],
      },
      expiresAt: 1_700_000_060_000,
      enqueuedAt: 1_700_000_000_000,
    };
    await store.enqueue("c", message);
    const [entry] = await store.peekQueue("c", 1);
    const { seq, ...rest } = plain(entry) ?? { seq: 0 };
    expect(rest).toEqual(message);
  });

  it("removes acknowledged messages up to and including a seq", async () => {
    const store = await ctx.open();
    for (let i = 0; i < 5; i++) await store.enqueue("c", queued(i));
    const entries = await store.peekQueue("c", 5);
    expect(await store.ackQueue("c", entries[1]?.seq ?? 0)).toBe(2);
    expect((await store.peekQueue("c", 10)).map((e) => e.payload[0])).toEqual([2, 3, 4]);
    expect(await store.ackQueue("c", entries[1]?.seq ?? 0)).toBe(0);
    await store.enqueue("c", queued(5));
    const after = await store.peekQueue("c", 10);
    expect(after.at(-1)?.seq).toBeGreaterThan(entries[4]?.seq ?? Number.POSITIVE_INFINITY);
  });

  it("keeps each client's queue apart", async () => {
    const store = await ctx.open();
    await store.enqueue("a", queued(1));
    await store.enqueue("b", queued(2));
    await store.enqueue("a", queued(3));
    expect((await store.peekQueue("a", 10)).map((e) => e.payload[0])).toEqual([1, 3]);
    expect((await store.peekQueue("b", 10)).map((e) => e.payload[0])).toEqual([2]);
    await store.clearQueue("a");
    expect(await store.queueUsage("a")).toEqual({ count: 0, bytes: 0 });
    expect((await store.queueUsage("b")).count).toBe(1);
  });

  it("counts messages and bytes per client (topic UTF-8 bytes plus payload)", async () => {
    const store = await ctx.open();
    expect(await store.queueUsage("c")).toEqual({ count: 0, bytes: 0 });
    await store.enqueue("c", queued(1, 3));
    await store.enqueue("c", queued(2, 10));
    expect(await store.queueUsage("c")).toEqual({ count: 2, bytes: 4 + 11 });
    const [first] = await store.peekQueue("c", 1);
    await store.ackQueue("c", first?.seq ?? 0);
    expect(await store.queueUsage("c")).toEqual({ count: 1, bytes: 11 });
  });

  it("drops the oldest messages when the count bound is reached (drop-oldest)", async () => {
    const store = await ctx.open({ maxQueuedMessages: 3, queueOverflow: "drop-oldest" });
    for (let i = 0; i < 3; i++) await store.enqueue("c", queued(i));
    expect(await store.enqueue("c", queued(3))).toEqual({ accepted: true, dropped: 1 });
    expect(await store.enqueue("c", queued(4))).toEqual({ accepted: true, dropped: 1 });
    expect((await store.peekQueue("c", 10)).map((e) => e.payload[0])).toEqual([2, 3, 4]);
    expect((await store.queueUsage("c")).count).toBe(3);
  });

  it("refuses a new message when the count bound is reached (refuse-new)", async () => {
    const store = await ctx.open({ maxQueuedMessages: 3, queueOverflow: "refuse-new" });
    for (let i = 0; i < 3; i++) await store.enqueue("c", queued(i));
    expect(await store.enqueue("c", queued(3))).toEqual({ accepted: false, dropped: 0 });
    expect((await store.peekQueue("c", 10)).map((e) => e.payload[0])).toEqual([0, 1, 2]);
  });

  it("drops as many of the oldest messages as the byte bound needs (drop-oldest)", async () => {
    const store = await ctx.open({ maxQueuedBytes: 12, queueOverflow: "drop-oldest" });
    await store.enqueue("c", queued(0, 3)); // 4 bytes
    await store.enqueue("c", queued(1, 3)); // 8
    await store.enqueue("c", queued(2, 3)); // 12: full
    expect(await store.enqueue("c", queued(3, 7))).toEqual({ accepted: true, dropped: 2 });
    expect((await store.peekQueue("c", 10)).map((e) => e.payload[0])).toEqual([2, 3]);
    expect(await store.queueUsage("c")).toEqual({ count: 2, bytes: 12 });
  });

  it("refuses a new message that would pass the byte bound (refuse-new)", async () => {
    const store = await ctx.open({ maxQueuedBytes: 12, queueOverflow: "refuse-new" });
    await store.enqueue("c", queued(0, 3));
    await store.enqueue("c", queued(1, 3));
    expect(await store.enqueue("c", queued(2, 4))).toEqual({ accepted: false, dropped: 0 });
    expect(await store.enqueue("c", queued(3, 3))).toEqual({ accepted: true, dropped: 0 });
    expect(await store.queueUsage("c")).toEqual({ count: 3, bytes: 12 });
  });

  it("refuses a message larger than the byte bound by itself and keeps the queue", async () => {
    const store = await ctx.open({ maxQueuedBytes: 12, queueOverflow: "drop-oldest" });
    await store.enqueue("c", queued(0, 3));
    expect(await store.enqueue("c", queued(1, 12))).toEqual({ accepted: false, dropped: 0 });
    expect((await store.peekQueue("c", 10)).map((e) => e.payload[0])).toEqual([0]);
  });

  it("keeps the bounds across enqueues that are not awaited", async () => {
    const store = await ctx.open({ maxQueuedMessages: 4, queueOverflow: "drop-oldest" });
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => store.enqueue("c", queued(i))));
    expect(results.reduce((sum, r) => sum + r.dropped, 0)).toBe(6);
    expect((await store.peekQueue("c", 10)).map((e) => e.payload[0])).toEqual([6, 7, 8, 9]);
  });

  it("drops queued messages expired at or before now and keeps the rest in order", async () => {
    const store = await ctx.open();
    const now = 1_700_000_000_000;
    await store.enqueue("a", queued(0, 3, now - 1));
    await store.enqueue("a", queued(1, 3));
    await store.enqueue("a", queued(2, 3, now));
    await store.enqueue("a", queued(3, 3, now + 1));
    await store.enqueue("b", queued(4, 3, now - 5));
    expect(await store.dropExpiredQueued(now)).toBe(3);
    expect((await store.peekQueue("a", 10)).map((e) => e.payload[0])).toEqual([1, 3]);
    expect(await store.queueUsage("a")).toEqual({ count: 2, bytes: 8 });
    expect(await store.queueUsage("b")).toEqual({ count: 0, bytes: 0 });
    expect(await store.dropExpiredQueued(now)).toBe(0);
  });

  it("is not changed by mutating an enqueued message or a peeked one", async () => {
    const store = await ctx.open();
    const message = queued(9);
    await store.enqueue("c", message);
    message.payload.fill(0);
    const [entry] = await store.peekQueue("c", 1);
    entry?.payload.fill(0);
    expect(plain((await store.peekQueue("c", 1))[0]?.payload)).toEqual(queued(9).payload);
  });
}
