import { Broker, silentLogger } from "@amqtt/broker";
import { type ClusterBus, MemoryClusterBus, MemoryClusterEngine } from "@amqtt/cluster";
import { RedisClusterBus } from "@amqtt/cluster-redis";
import { type RedisServer, startRedis } from "@amqtt/test-utils/redis";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Issue 15: a client must not be able to tell that the broker is several processes.
// A subscription made on node b is routed by node a as soon as its SUBACK is out: a
// QoS 1 message published on node a right after each SUBACK reaches the subscriber on b.
// Two in-process brokers, each with its own RedisClusterBus (three connections to one
// real redis-server, as two processes would have), or on one MemoryClusterEngine.

const FILTERS = 20;
const RUNS = 5;

interface Pair {
  readonly a: Broker;
  readonly b: Broker;
  readonly buses: ClusterBus[];
}

async function startPair(bus: (nodeId: string) => ClusterBus): Promise<Pair> {
  const brokers: Broker[] = [];
  const buses: ClusterBus[] = [];
  for (const nodeId of ["a", "b"]) {
    const cluster = bus(nodeId);
    buses.push(cluster);
    const broker = new Broker(
      { listeners: { default: { type: "tcp", bind: "127.0.0.1:0" } } },
      { logger: silentLogger, cluster },
    );
    await broker.start();
    brokers.push(broker);
  }
  const [a, b] = brokers as [Broker, Broker];
  // Both nodes see each other (b's heartbeat after its join; a hears b's join notice).
  for (let i = 0; i < 200 && buses.some((x) => x.nodes().length < 2); i++)
    await new Promise((resolve) => setTimeout(resolve, 10));
  expect(buses.map((x) => x.nodes().length)).toEqual([2, 2]);
  return { a, b, buses };
}

function connect(broker: Broker, clientId: string): Promise<MqttClient> {
  return mqtt.connectAsync(`mqtt://127.0.0.1:${broker.addresses()[0]!.port}`, {
    clientId,
    protocolVersion: 5,
    reconnectPeriod: 0,
  });
}

/** Subscribes to `count` new filters on b; after each SUBACK publishes QoS 1 on a; answers what arrived. */
async function subscribeThenPublish(pair: Pair, run: string, count: number): Promise<string[]> {
  const subscriber = await connect(pair.b, `sub-${run}`);
  const publisher = await connect(pair.a, `pub-${run}`);
  const got: string[] = [];
  const all = new Promise<void>((resolve) => {
    subscriber.on("message", (topic) => {
      got.push(topic);
      if (got.length === count) resolve();
    });
  });
  try {
    for (let i = 0; i < count; i++) {
      const topic = `sync/${run}/${i}`;
      await subscriber.subscribeAsync(topic, { qos: 1 });
      await publisher.publishAsync(topic, `m${i}`, { qos: 1 });
    }
    // Every PUBACK is in: what is missing now never comes (bounded wait, then the list is compared).
    await Promise.race([all, new Promise((resolve) => setTimeout(resolve, 2000))]);
    return got.sort();
  } finally {
    await subscriber.endAsync();
    await publisher.endAsync();
  }
}

function expected(run: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `sync/${run}/${i}`).sort();
}

/** Two brokers on their own RedisClusterBus each, on a redis-server started for the describe block. */
function useRedisPair(keyPrefix: string, timing: { leaseMs: number; requestTimeoutMs: number }): () => Pair {
  let redis: RedisServer;
  let pair: Pair;
  beforeAll(async () => {
    redis = await startRedis();
    pair = await startPair((nodeId) => new RedisClusterBus({ url: redis.url, nodeId, keyPrefix, ...timing }));
  });
  afterAll(async () => {
    await pair?.a.stop().catch(() => {});
    await pair?.b.stop().catch(() => {});
    await redis?.stop();
  });
  return () => pair;
}

describe("issue 15: a route made on one node is routed by the others once its SUBACK is out (RedisClusterBus)", () => {
  const pairOf = useRedisPair("route-sync:", { leaseMs: 3000, requestTimeoutMs: 1000 });

  for (let run = 1; run <= RUNS; run++)
    it(`run ${run} of ${RUNS}: ${FILTERS} new filters subscribed on b, each published on a right after its SUBACK: all ${FILTERS} arrive`, async () => {
      const before = pairOf().a.stats().cluster!.remoteMessagesOut;
      const got = await subscribeThenPublish(pairOf(), `redis${run}`, FILTERS);
      expect(got).toEqual(expected(`redis${run}`, FILTERS));
      expect(pairOf().a.stats().cluster!.remoteMessagesOut - before).toBe(FILTERS);
      expect(pairOf().b.stats().cluster!.routeSyncTimeouts).toBe(0);
    });
});

describe("issue 15: the guarantee holds for a node that has just joined (the older node may not know it live yet)", () => {
  let redis: RedisServer;
  const brokers: Broker[] = [];

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    for (const broker of brokers) await broker.stop().catch(() => {});
    await redis?.stop();
  });

  it("a subscription on b right after b started is routed by a once its SUBACK is out", async () => {
    for (const nodeId of ["a", "b"]) {
      const broker = new Broker(
        { listeners: { default: { type: "tcp", bind: "127.0.0.1:0" } } },
        {
          logger: silentLogger,
          cluster: new RedisClusterBus({
            url: redis.url,
            nodeId,
            keyPrefix: "route-join:",
            leaseMs: 3000,
            requestTimeoutMs: 1000,
          }),
        },
      );
      await broker.start();
      brokers.push(broker);
    }
    const [a, b] = brokers as [Broker, Broker];
    // No wait for a's view of b: the confirmation comes from a's reload of b's routes if need be.
    const got = await subscribeThenPublish({ a, b, buses: [] }, "joined", 5);
    expect(got).toEqual(expected("joined", 5));
    expect(b.stats().cluster!.routeSyncTimeouts).toBe(0);
  });
});

describe("issue 15: the same guarantee on the MemoryClusterBus", () => {
  let pair: Pair;
  beforeAll(async () => {
    const engine = new MemoryClusterEngine();
    pair = await startPair((nodeId) => new MemoryClusterBus(engine, { nodeId }));
  });
  afterAll(async () => {
    await pair?.a.stop().catch(() => {});
    await pair?.b.stop().catch(() => {});
  });

  it(`${FILTERS} new filters subscribed on b, each published on a right after its SUBACK: all ${FILTERS} arrive`, async () => {
    const got = await subscribeThenPublish(pair, "memory", FILTERS);
    expect(got).toEqual(expected("memory", FILTERS));
  });
});

describe("issue 15: a live node that does not confirm a new route delays the SUBACK by the request timeout only", () => {
  const pairOf = useRedisPair("route-stall:", { leaseMs: 10_000, requestTimeoutMs: 300 });

  it("sends the SUBACK anyway and counts routeSyncTimeouts when a node still live in the view never confirms", async () => {
    // Node a crashes: its lease (10 s) still holds, so b waits for its confirmation, in vain.
    (pairOf().buses[0] as RedisClusterBus).crash();
    await pairOf()
      .a.stop()
      .catch(() => {});
    const subscriber = await connect(pairOf().b, "stalled-sub");
    try {
      const granted = await subscriber.subscribeAsync("stall/topic", { qos: 1 });
      expect(granted.map((g) => g.qos)).toEqual([1]);
      expect(pairOf().b.stats().cluster!.routeSyncTimeouts).toBe(1);
    } finally {
      await subscriber.endAsync();
    }
  });
});
