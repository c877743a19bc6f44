import { Broker, silentLogger } from "@amqtt/broker";
import { MemoryClusterBus, MemoryClusterEngine } from "@amqtt/cluster";
import { bareSession } from "@amqtt/store/compliance";
import { RedisStore } from "@amqtt/store-redis";
import { type RedisServer, startRedis } from "@amqtt/test-utils/redis";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Two broker nodes sharing one real redis-server as their store (one RedisStore
// each, as two processes would have), on one in-process cluster engine. Node a
// stalls (its inbox held: it never hears of the take-over); node b claims the
// session, waits out the hand-over window and fences the session in the store with
// its claim's epoch. The stalled old owner's later writes are refused, so it cannot
// overwrite what the new owner keeps.

describe("a take-over fences the session in a shared Redis store", () => {
  let redis: RedisServer;
  const engine = new MemoryClusterEngine();
  const stores: RedisStore[] = [];
  const brokers: Broker[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    for (const nodeId of ["a", "b"]) {
      const store = new RedisStore({ url: `redis://127.0.0.1:${redis.port}/0`, keyPrefix: "fence:" });
      stores.push(store);
      const broker = new Broker(
        { listeners: { default: { type: "tcp", bind: "127.0.0.1:0" } } },
        {
          logger: silentLogger,
          store,
          cluster: new MemoryClusterBus(engine, { nodeId }),
          clusterTuning: { handOverTimeoutMs: 300 },
        },
      );
      await broker.start();
      brokers.push(broker);
    }
  });
  afterAll(async () => {
    for (const broker of brokers) await broker.stop().catch(() => {});
    await redis?.stop();
  });

  const connect = (broker: Broker) =>
    mqtt.connectAsync(`mqtt://127.0.0.1:${broker.addresses()[0]!.port}`, {
      clientId: "fenced-client",
      clean: false,
      protocolVersion: 5,
      properties: { sessionExpiryInterval: 3600 },
      reconnectPeriod: 0,
    });

  it("refuses a stalled old owner's session writes with StaleEpochError once the new node claimed the session", async () => {
    const [storeA, storeB] = stores as [RedisStore, RedisStore];
    const first = await connect(brokers[0]!);
    await first.subscribeAsync("fence/#", { qos: 1 });
    await first.endAsync(); // offline on node a, kept in the store
    await storeA.flush();
    expect(await storeA.epochOf("fenced-client")).toBe(1);

    engine.hold("a");
    const second = await connect(brokers[1]!);
    expect(second.connected).toBe(true);
    expect(await storeB.epochOf("fenced-client")).toBe(2);

    // Node a, had it stalled through the take-over, now writes with its old epoch.
    await expect(storeA.saveSession(bareSession("fenced-client"))).rejects.toMatchObject({
      name: "StaleEpochError",
      clientId: "fenced-client",
    });
    await expect(storeA.clearQueue("fenced-client")).rejects.toMatchObject({ name: "StaleEpochError" });
    // The new owner writes as usual, and what it wrote is what the store holds.
    await second.subscribeAsync("kept/#", { qos: 1 });
    await second.endAsync();
    await storeB.flush();
    const kept = await storeB.loadSession("fenced-client");
    expect(kept?.subscriptions.map((s) => s.topicFilter)).toContain("kept/#");
    engine.release("a");
  });
});
