import { bareSession, queued } from "@amqtt/store/compliance";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import type { RedisStore } from "../src/index.js";
import { KeySpace } from "../src/keys.js";
import { flushAll, storeOn, useRedisCluster } from "./servers.js";

// One master of a Redis Cluster of 3 stalls (SIGSTOP): calls for sessions in
// its slots reject with StoreConnectionError within the command timeout, the
// sessions on the other masters are served meanwhile, and everything is served
// again after SIGCONT, by the same instance.
describe("a stalled master in a Redis Cluster of 3", () => {
  const cluster = useRedisCluster(3);
  const stores: RedisStore[] = [];
  afterEach(async () => {
    for (const node of cluster().nodes) node.signal("SIGCONT");
    for (const store of stores.splice(0)) await store.close().catch(() => {});
    await flushAll(cluster().nodes.map((n) => n.port));
  });

  it("fails only the calls that need the stalled master, and recovers after SIGCONT", async () => {
    const store = storeOn({ clusterNodes: cluster().startupNodes, commandTimeoutMs: 500, keyPrefix: "o:" });
    stores.push(store);
    await store.open();
    // Client ids whose buckets sit on different masters.
    const ids = Array.from({ length: 40 }, (_, i) => `client-${i}`);
    for (const id of ids) await store.saveSession(bareSession(id));
    const owner = new Map<string, number>(); // client id -> port of its master
    const keys = new KeySpace("o:");
    for (const id of ids) {
      owner.set(
        id,
        await masterOf(
          cluster().nodes.map((n) => n.port),
          keys.clientKeys(id).session,
        ),
      );
    }
    const stalled = cluster().nodes[1];
    if (stalled === undefined) throw new Error("no node");
    const onStalled = ids.filter((id) => owner.get(id) === stalled.port);
    const elsewhere = ids.filter((id) => owner.get(id) !== stalled.port);
    expect(onStalled.length).toBeGreaterThan(0);
    expect(elsewhere.length).toBeGreaterThan(0);

    stalled.signal("SIGSTOP");
    const failed = await store.enqueue(onStalled[0] as string, queued(1)).then(
      () => "ok",
      (e: Error) => e.name,
    );
    expect(failed).toBe("StoreConnectionError");
    expect(await store.enqueue(elsewhere[0] as string, queued(2))).toEqual({ accepted: true, dropped: 0 });
    expect((await store.loadSession(elsewhere[0] as string))?.clientId).toBe(elsewhere[0]);

    stalled.signal("SIGCONT");
    expect(await store.enqueue(onStalled[0] as string, queued(3))).toMatchObject({ accepted: true });
    expect((await store.loadSession(onStalled[0] as string))?.clientId).toBe(onStalled[0]);
    // The first flush reports the write that failed since the last one (no PUBACK for it); the next is clean.
    await expect(store.flush()).rejects.toMatchObject({ name: "StoreConnectionError" });
    await expect(store.flush()).resolves.toBeUndefined();
  });
});

/** The port of the master serving `key`, asked of each master (CLUSTER KEYSLOT + CLUSTER SLOTS). */
async function masterOf(ports: number[], key: string): Promise<number> {
  const client = new Redis({ host: "127.0.0.1", port: ports[0] as number });
  try {
    const slot = Number(await client.cluster("KEYSLOT", key));
    const ranges = await client.cluster("SLOTS");
    for (const [from, to, master] of ranges) if (slot >= from && slot <= to && master) return master[1];
    throw new Error(`no master serves slot ${slot}`);
  } finally {
    await client.quit();
  }
}
