import { bareSession, fullSession, plain, queued } from "@amqtt/store/compliance";
import { afterEach, describe, expect, it } from "vitest";
import type { RedisStore, RedisStoreOptions } from "../src/index.js";
import { flushAll, storeOn, useRedis, useRedisCluster } from "./servers.js";

// Two broker nodes on one Redis: the node that claimed a session later (higher
// epoch) fences it, and every later write of the older owner is refused with a
// StaleEpochError and changes nothing.
describe("fencing on one redis-server", () => {
  const redis = useRedis();
  fencingTests(() => ({ options: { url: redis().url }, ports: [redis().port] }));
});
describe("fencing on a Redis Cluster of 3", () => {
  const cluster = useRedisCluster(3);
  fencingTests(() => ({
    options: { clusterNodes: cluster().startupNodes },
    ports: cluster().nodes.map((n) => n.port),
  }));
});

function fencingTests(place: () => { options: RedisStoreOptions; ports: number[] }): void {
  const stores: RedisStore[] = [];
  const open = async (): Promise<RedisStore> => {
    const store = storeOn(place().options);
    stores.push(store);
    await store.open();
    return store;
  };
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close().catch(() => {});
    await flushAll(place().ports);
  });

  it("refuses every session write of the old owner once a new owner fenced a higher epoch, and keeps the new owner's data", async () => {
    const nodeA = await open();
    const nodeB = await open();
    await nodeA.fence("c", 1);
    await nodeA.saveSession(bareSession("c"));
    await nodeA.enqueue("c", queued(1));
    await nodeA.enqueue("c", queued(2));

    await nodeB.fence("c", 2);
    await nodeB.saveSession(fullSession("c"));

    const stale = { name: "StaleEpochError", clientId: "c", epoch: 1, current: 2 };
    await expect(nodeA.saveSession(bareSession("c"))).rejects.toMatchObject(stale);
    await expect(nodeA.ackQueue("c", Number.MAX_SAFE_INTEGER)).rejects.toMatchObject(stale);
    await expect(nodeA.clearQueue("c")).rejects.toMatchObject(stale);
    await expect(nodeA.deleteSession("c")).rejects.toMatchObject(stale);
    await expect(nodeA.fence("c", 1)).rejects.toMatchObject(stale);
    // Nothing of the stale writes happened.
    expect(plain(await nodeB.loadSession("c"))).toEqual(fullSession("c"));
    expect((await nodeB.peekQueue("c", 10)).map((e) => e.payload[0])).toEqual([1, 2]);
    // The refusals are the stale writer's answer, not a durability failure.
    await expect(nodeA.flush()).resolves.toBeUndefined();

    // The new owner writes on; the epoch outlives the session.
    expect(await nodeB.ackQueue("c", (await nodeB.peekQueue("c", 1))[0]?.seq ?? 0)).toBe(1);
    await nodeB.deleteSession("c");
    expect(await nodeB.loadSession("c")).toBeUndefined();
    expect(await nodeA.epochOf("c")).toBe(2);
  });

  it("lets any node enqueue for a fenced session: queueing is not an owner's write", async () => {
    const owner = await open();
    const stale = await open();
    await stale.fence("c", 1);
    await owner.fence("c", 2);
    expect(await stale.enqueue("c", queued(7))).toEqual({ accepted: true, dropped: 0 });
    expect((await owner.peekQueue("c", 10)).map((e) => e.payload[0])).toEqual([7]);
  });

  it("accepts the same epoch again and a higher one from the same node, and carries the epoch into writes not awaited", async () => {
    const nodeA = await open();
    const nodeB = await open();
    await nodeA.fence("c", 3);
    await expect(nodeA.fence("c", 3)).resolves.toBeUndefined();
    // fence, then a write, neither awaited: the write already carries epoch 4.
    const fenced = nodeA.fence("c", 4);
    const saved = nodeA.saveSession(bareSession("c"));
    await Promise.all([fenced, saved]);
    expect(await nodeB.epochOf("c")).toBe(4);
    await expect(nodeB.fence("c", 3)).rejects.toMatchObject({ name: "StaleEpochError", current: 4 });
  });

  it("fences sessions one by one: another client's writes and unfenced writers are not affected", async () => {
    const nodeA = await open();
    const nodeB = await open();
    const plainWriter = await open();
    await nodeA.fence("c", 1);
    await nodeB.fence("c", 2);
    await expect(nodeA.saveSession(bareSession("other"))).resolves.toBeUndefined();
    // A writer that never fenced (a single-node broker) writes as before.
    await expect(plainWriter.saveSession(bareSession("c"))).resolves.toBeUndefined();
    expect((await nodeB.listSessions()).map((s) => s.clientId).sort()).toEqual(["c", "other"]);
  });

  it("keeps at most maxFencedSessions epochs, forgets one on unfence and on deleteSession", async () => {
    const store = storeOn({ ...place().options, maxFencedSessions: 2 });
    stores.push(store);
    await store.open();
    await store.fence("a", 1);
    await store.fence("b", 1);
    await expect(store.fence("c", 1)).rejects.toMatchObject({ name: "StoreBusyError" });
    await expect(store.fence("a", 2)).resolves.toBeUndefined(); // a session it holds already
    store.unfence("a");
    await store.deleteSession("b");
    expect(store.fencedSessions).toBe(0);
    await expect(store.fence("c", 1)).resolves.toBeUndefined();
    expect(await store.epochOf("a")).toBe(2); // Redis keeps it
  });

  it("rejects an epoch that is not a non-negative integer", async () => {
    const store = await open();
    await expect(store.fence("c", -1)).rejects.toBeInstanceOf(RangeError);
    await expect(store.fence("c", 1.5)).rejects.toBeInstanceOf(RangeError);
  });
}
