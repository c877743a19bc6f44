import { bareSession, queued, retained } from "@amqtt/store/compliance";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { RedisStore } from "../src/index.js";
import { flushAll, storeOn, useRedis, useRedisCluster } from "./servers.js";

// What the compliance suite cannot see: where the keys go (one slot per
// session, the prefix), that the bounds hold across several broker processes
// on one Redis (they are checked inside the scripts), and the bound on calls
// waiting for Redis.
const tricky = ["{s1}", "a{b}c", "}{", "{}", "{{x}}", "ü{∞}"];

describe("on a Redis Cluster of 3", () => {
  const cluster = useRedisCluster(3);
  const stores: RedisStore[] = [];
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    await flushAll(cluster().nodes.map((n) => n.port));
  });

  it("keeps every key of a session in one slot, whatever braces its client id holds", async () => {
    const store = storeOn({ clusterNodes: cluster().startupNodes, keyPrefix: "t:" });
    stores.push(store);
    await store.open();
    // Plain connections to each master: KEYS per node, KEYSLOT answered by any node.
    const admins = cluster().nodes.map((n) => new Redis({ host: "127.0.0.1", port: n.port }));
    try {
      for (const id of tricky) {
        await store.fence(id, 1);
        await store.saveSession({ ...bareSession(id), expiresAt: 2_000_000_000_000 });
        await store.enqueue(id, queued(1, 3, 2_000_000_000_000));
        expect((await store.loadSession(id))?.clientId).toBe(id);
        expect((await store.peekQueue(id, 1)).map((e) => e.payload[0])).toEqual([1]);
      }
      // Every key of the store, from every master, grouped by hash tag: one tag, one slot.
      const slots = new Map<string, Set<number>>();
      let nodesWithKeys = 0;
      for (const admin of admins) {
        const keys = await admin.keys("t:*");
        if (keys.length > 0) nodesWithKeys++;
        for (const key of keys) {
          const tag = /^t:\{([^}]*)\}/.exec(key)?.[1];
          expect(tag).toMatch(/^(s\d{1,3}|r)$/);
          const slot = Number(await admin.cluster("KEYSLOT", key));
          slots.set(tag as string, (slots.get(tag as string) ?? new Set()).add(slot));
        }
      }
      for (const [, set] of slots) expect(set.size).toBe(1);
      // The sessions' buckets spread over the masters, not all on one.
      expect(slots.size).toBeGreaterThan(2);
      expect(nodesWithKeys).toBeGreaterThan(1);
    } finally {
      for (const admin of admins) await admin.quit();
    }
  });
});

describe("on one redis-server", () => {
  const redis = useRedis();
  const stores: RedisStore[] = [];
  const open = async (options: ConstructorParameters<typeof RedisStore>[0] = {}): Promise<RedisStore> => {
    const store = storeOn({ url: redis().url, ...options });
    stores.push(store);
    await store.open();
    return store;
  };
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close().catch(() => {});
    await flushAll([redis().port]);
  });

  it("keeps the queue bound across two broker processes writing to one queue", async () => {
    const limits = { maxQueuedMessages: 3, maxQueuedBytes: 1000 };
    const a = await open({ limits });
    const b = await open({ limits });
    let dropped = 0;
    for (let i = 0; i < 10; i++) dropped += (await (i % 2 === 0 ? a : b).enqueue("c", queued(i))).dropped;
    expect(dropped).toBe(7);
    expect(await a.queueUsage("c")).toEqual({ count: 3, bytes: 12 });
    expect((await b.peekQueue("c", 10)).map((e) => e.payload[0])).toEqual([7, 8, 9]);
  });

  it("keeps the retained bounds across two broker processes", async () => {
    const a = await open({ limits: { maxRetainedMessages: 2 } });
    const b = await open({ limits: { maxRetainedMessages: 2 } });
    await a.setRetained(retained("x"));
    await b.setRetained(retained("y"));
    expect(await a.setRetained(retained("z"))).toEqual({ stored: false, refusedBy: "count" });
    expect(await b.retainedUsage()).toEqual({ count: 2, bytes: 10 });
  });

  it("keeps stores with different key prefixes apart on one Redis", async () => {
    const one = await open({ keyPrefix: "one:" });
    const two = await open({ keyPrefix: "two:" });
    await one.saveSession(bareSession("c"));
    await one.enqueue("c", queued(1));
    await one.setRetained(retained("t"));
    expect(await two.loadSession("c")).toBeUndefined();
    expect(await two.queueUsage("c")).toEqual({ count: 0, bytes: 0 });
    expect(await two.listRetained()).toEqual([]);
    expect(one.keyPrefix).toBe("one:");
  });

  it("refuses a key prefix with a brace, which would become the hash tag", () => {
    expect(() => new RedisStore({ keyPrefix: "a{b}:" })).toThrow(RangeError);
    expect(() => new RedisStore({ keyPrefix: "a}" })).toThrow(RangeError);
  });

  it("refuses calls beyond maxPendingOperations with StoreBusyError and serves the rest", async () => {
    const store = await open({ maxPendingOperations: 4 });
    const calls = Array.from({ length: 10 }, (_, i) =>
      store.enqueue("c", queued(i)).then(
        () => "ok",
        (error: Error) => error.name,
      ),
    );
    const outcomes = await Promise.all(calls);
    expect(outcomes.slice(0, 4)).toEqual(["ok", "ok", "ok", "ok"]);
    expect(outcomes.slice(4)).toEqual(Array(6).fill("StoreBusyError"));
    expect(store.pendingOperations).toBe(0);
    expect((await store.queueUsage("c")).count).toBe(4);
  });

  it("sends the calls of one event-loop turn as one pipeline: 100 enqueues cost a few socket reads on Redis, not 100", async () => {
    const store = await open();
    const admin = new Redis({ host: "127.0.0.1", port: redis().port });
    const reads = async (): Promise<number> =>
      Number(/total_reads_processed:(\d+)/.exec(await admin.info("stats"))?.[1]);
    try {
      await store.enqueue("warm", queued(0));
      const before = await reads();
      await Promise.all(Array.from({ length: 100 }, (_, i) => store.enqueue("c", queued(i))));
      const pipelined = (await reads()) - before;
      // The same 100 calls, each awaited before the next: one read (and round trip) each.
      const start = await reads();
      for (let i = 0; i < 100; i++) await store.enqueue("d", queued(i));
      const oneByOne = (await reads()) - start;
      expect(pipelined).toBeLessThan(10);
      expect(oneByOne).toBeGreaterThanOrEqual(100);
      expect((await store.queueUsage("c")).count).toBe(100);
    } finally {
      await admin.quit();
    }
  });

  it("coalesces one turn's enqueues for one client into one script call, and keeps their order and results", async () => {
    const store = await open({ limits: { maxQueuedMessages: 60 } });
    const admin = new Redis({ host: "127.0.0.1", port: redis().port });
    const evals = async (): Promise<number> =>
      Number(/cmdstat_eval:calls=(\d+)/.exec(await admin.info("commandstats"))?.[1] ?? 0);
    try {
      const before = await evals();
      const results = await Promise.all(Array.from({ length: 100 }, (_, i) => store.enqueue("c", queued(i))));
      expect((await evals()) - before).toBe(1);
      // Each caller gets its own answer: the first 60 fit, each later one drops the oldest.
      expect(results.map((r) => r.dropped)).toEqual([...Array(60).fill(0), ...Array(40).fill(1)]);
      expect((await store.peekQueue("c", 100)).map((e) => e.payload[0])).toEqual(
        Array.from({ length: 60 }, (_, i) => 40 + i),
      );
      // Another client, or any other call, closes the batch: three calls here.
      const mid = await evals();
      void store.enqueue("a", queued(1));
      void store.enqueue("b", queued(2));
      void store.queueUsage("b");
      await store.enqueue("b", queued(3));
      expect((await evals()) - mid).toBe(4);
      expect((await store.peekQueue("b", 10)).map((e) => e.payload[0])).toEqual([2, 3]);
      // A batch holds 1000 messages at most: 2500 in one turn are three calls.
      const big = await evals();
      await Promise.all(Array.from({ length: 2500 }, (_, i) => store.enqueue("big", queued(i))));
      expect((await evals()) - big).toBe(3);
    } finally {
      await admin.quit();
    }
  });

  it("uses 100,000 as the default bound on pending calls and rejects invalid options", () => {
    expect(() => new RedisStore({ maxPendingOperations: 0 })).toThrow(RangeError);
    expect(() => new RedisStore({ commandTimeoutMs: 1.5 })).toThrow(RangeError);
    expect(() => new RedisStore({ wait: { replicas: 0, timeoutMs: 10 } })).toThrow(RangeError);
  });
});
