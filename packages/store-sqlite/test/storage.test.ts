import { join } from "node:path";
import { queued, retained } from "@amqtt/store/compliance";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { SQL } from "../src/statements.js";
import { openStoreAt, storeAt, tempDir } from "./helpers.js";

describe("queue bookkeeping in storage", () => {
  it("never reuses a seq, even after the newest messages are acknowledged and the file reopened", async () => {
    const path = join(tempDir(), "s.db");
    const first = await openStoreAt(path);
    for (let i = 0; i < 3; i++) await first.enqueue("c", queued(i));
    const lastSeq = (await first.peekQueue("c", 10)).at(-1)?.seq ?? 0;
    expect(await first.ackQueue("c", lastSeq)).toBe(3);
    await first.close();
    const second = await openStoreAt(path);
    await second.enqueue("c", queued(9));
    expect((await second.peekQueue("c", 1))[0]?.seq).toBeGreaterThan(lastSeq);
  });

  it("bounds the per-client usage counters it holds in memory, and reads evicted ones back exactly", async () => {
    const store = await openStoreAt(join(tempDir(), "s.db"), {
      usageCacheClients: 3,
      limits: { maxQueuedMessages: 2 },
    });
    for (let client = 0; client < 10; client++) {
      for (let i = 0; i < client % 3; i++) await store.enqueue(`c${client}`, queued(i, 10));
    }
    expect(store.cachedQueueUsages).toBeLessThanOrEqual(3);
    // c1 was evicted long ago: its usage and its bound come from the rows.
    expect(await store.queueUsage("c1")).toEqual({ count: 1, bytes: 11 });
    expect(await store.enqueue("c2", queued(7, 10))).toEqual({ accepted: true, dropped: 1 });
    expect(await store.queueUsage("c2")).toEqual({ count: 2, bytes: 22 });
    expect(store.cachedQueueUsages).toBeLessThanOrEqual(3);
  });

  it("keeps counters right when expiry drops messages of cached and uncached clients", async () => {
    const store = await openStoreAt(join(tempDir(), "s.db"), { usageCacheClients: 1 });
    await store.enqueue("a", queued(1, 3, 100));
    await store.enqueue("a", queued(2, 3));
    await store.enqueue("b", queued(3, 3, 100)); // evicts a's counters
    expect(await store.dropExpiredQueued(100)).toBe(2);
    expect(await store.queueUsage("a")).toEqual({ count: 1, bytes: 4 });
    expect(await store.queueUsage("b")).toEqual({ count: 0, bytes: 0 });
  });
});

describe("several instances over one file", () => {
  it("reads a client's counters from the rows once, not again after its own commits", async () => {
    const path = join(tempDir(), "s.db");
    const store = await openStoreAt(path);
    // The loader is private: wrap it to count the COUNT(*) queries.
    const cache = (store as unknown as { connection: { queueUsage: { load: (id: string) => unknown } } })
      .connection.queueUsage;
    const load = cache.load;
    let loads = 0;
    cache.load = (id) => {
      loads++;
      return load(id);
    };
    for (let turn = 0; turn < 5; turn++) {
      await store.enqueue("c", queued(turn));
      await store.flush();
    }
    expect(loads).toBe(1);
    const other = await openStoreAt(path);
    await other.enqueue("c", queued(9));
    await other.flush();
    expect(await store.queueUsage("c")).toEqual({ count: 6, bytes: 24 });
    expect(loads).toBe(2);
  });

  it("re-reads its counters after another instance committed, so bounds and usage stay exact", async () => {
    const path = join(tempDir(), "s.db");
    const limits = { maxQueuedMessages: 2, maxRetainedMessages: 2 };
    const a = await openStoreAt(path, { limits });
    const b = await openStoreAt(path, { limits });
    expect(await a.queueUsage("c")).toEqual({ count: 0, bytes: 0 }); // a caches c's counters
    await b.enqueue("c", queued(1));
    await b.enqueue("c", queued(2));
    await b.setRetained(retained("t1"));
    await b.setRetained(retained("t2"));
    await b.flush();
    expect(await a.queueUsage("c")).toEqual({ count: 2, bytes: 8 });
    expect(await a.enqueue("c", queued(3))).toEqual({ accepted: true, dropped: 1 });
    expect(await a.setRetained(retained("t3"))).toEqual({ stored: false, refusedBy: "count" });
    await a.flush();
    expect((await b.peekQueue("c", 10)).map((e) => e.payload[0])).toEqual([2, 3]);
    expect(await b.queueUsage("c")).toEqual({ count: 2, bytes: 8 });
  });
});

describe("retained matching by topic prefix", () => {
  it("matches topics holding GLOB's special characters literally", async () => {
    const store = await openStoreAt(join(tempDir(), "s.db"));
    for (const topic of ["a*/x", "ab/x", "a[1]/x", "a1/x", "a?/x", "a/x", "a", "b/x"]) {
      await store.setRetained(retained(topic));
    }
    const topics = async (filter: string) => (await store.matchRetained(filter)).map((m) => m.topic).sort();
    expect(await topics("a*/+")).toEqual(["a*/x"]);
    expect(await topics("a[1]/#")).toEqual(["a[1]/x"]);
    expect(await topics("a?/x")).toEqual(["a?/x"]);
    expect(await topics("a/#")).toEqual(["a", "a/x"]);
    expect(await topics("+/x")).toEqual(["a*/x", "a/x", "a1/x", "a?/x", "a[1]/x", "ab/x", "b/x"]);
  });
});

describe("index-driven cleanup and lookups", () => {
  const plans: [name: keyof typeof SQL, params: unknown[], index: RegExp][] = [
    ["deleteExpiredSessions", [100], /sessions_by_expiry/],
    ["dropExpiredQueued", [100], /queue_by_expiry/],
    ["dropExpiredRetained", [100], /retained_by_expiry/],
    ["peekQueue", ["c", 10], /queue_by_client/],
    ["queueUsage", ["c"], /COVERING INDEX queue_by_client/],
    ["oldestQueued", ["c"], /COVERING INDEX queue_by_client/],
    ["globRetained", ["a/b*"], /INDEX sqlite_autoindex_retained_1/],
  ];
  for (const [name, params, index] of plans) {
    it(`plans ${name} on an index, not a table scan`, async () => {
      const path = join(tempDir(), "s.db");
      await (await openStoreAt(path)).close();
      const db = new Database(path, { readonly: true });
      const plan = db
        .prepare(`EXPLAIN QUERY PLAN ${SQL[name]}`)
        .all(...params)
        .map((row) => (row as { detail: string }).detail)
        .join("; ");
      db.close();
      expect(plan).toMatch(index);
      expect(plan).not.toMatch(/^SCAN (sessions|queue|retained)$/);
    });
  }
});

describe("lifecycle", () => {
  it("rejects open after close with a StoreClosedError", async () => {
    const store = storeAt(join(tempDir(), "s.db"));
    await store.open();
    await store.close();
    await expect(store.open()).rejects.toMatchObject({ name: "StoreClosedError" });
  });

  it("treats a second open as a no-op", async () => {
    const store = await openStoreAt(join(tempDir(), "s.db"));
    await store.enqueue("c", queued(1));
    await store.open();
    expect((await store.queueUsage("c")).count).toBe(1);
  });
});
