import { queued } from "@amqtt/store/compliance";
import { type RedisServer, startRedis } from "@amqtt/test-utils/redis";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { storeOn } from "./servers.js";

// The `wait` option: flush() sends WAIT after the writes it covers, and
// rejects when fewer replicas than asked confirmed them.
describe("flush with wait (a master and one replica)", () => {
  let master: RedisServer;
  let replica: RedisServer;
  beforeAll(async () => {
    master = await startRedis({ config: ["repl-diskless-sync-delay 0"] });
    replica = await startRedis({ config: [`replicaof 127.0.0.1 ${master.port}`] });
    const probe = new Redis({ host: "127.0.0.1", port: replica.port });
    try {
      for (let attempt = 0; !/master_link_status:up/.test(await probe.info("replication")); attempt++) {
        if (attempt > 200) throw new Error("the replica did not connect to its master");
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      await probe.quit();
    }
  }, 30_000);
  afterAll(async () => {
    await replica?.stop();
    await master?.stop();
  });

  it("resolves once the replica confirmed the writes, which it then holds", async () => {
    const store = storeOn({ url: master.url, keyPrefix: "w1:", wait: { replicas: 1, timeoutMs: 5000 } });
    await store.open();
    try {
      void store.enqueue("c", queued(1));
      void store.enqueue("c", queued(2));
      await store.flush();
      const onReplica = storeOn({ url: replica.url, keyPrefix: "w1:" });
      await onReplica.open();
      expect((await onReplica.peekQueue("c", 10)).map((e) => e.payload[0])).toEqual([1, 2]);
      await onReplica.close();
    } finally {
      await store.close();
    }
  });

  it("rejects with StoreConnectionError when fewer replicas than asked confirm in time", async () => {
    const store = storeOn({ url: master.url, keyPrefix: "w2:", wait: { replicas: 2, timeoutMs: 200 } });
    await store.open();
    try {
      void store.enqueue("c", queued(1));
      await expect(store.flush()).rejects.toMatchObject({ name: "StoreConnectionError" });
    } finally {
      await store.close();
    }
  });
});
