import { Broker, type BrokerPlugin, silentLogger } from "@amqtt/broker";
import type { ClusterBus } from "@amqtt/cluster";
import { RedisClusterBus } from "@amqtt/cluster-redis";
import { type RedisServer, startRedis } from "@amqtt/test-utils/redis";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Issue 15: a PUBACK goes out only once the engine holds the message's copies for
// the other nodes, also when an `onPublish` plugin answers asynchronously. Two
// in-process brokers on their own RedisClusterBus each, on one real redis-server
// that the test stalls with SIGSTOP (started here, killed by PID).

/** Answers a few milliseconds later, as a plugin calling a service would. */
const asyncOnPublish: BrokerPlugin = {
  name: "async-on-publish",
  onPublish: async (_client, message) => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    return message;
  },
};

let redis: RedisServer;
const brokers: Broker[] = [];
const buses: ClusterBus[] = [];

beforeAll(async () => {
  redis = await startRedis();
  for (const nodeId of ["a", "b"]) {
    // A stall shorter than the request timeout is waited out, not failed.
    const cluster = new RedisClusterBus({
      url: redis.url,
      nodeId,
      keyPrefix: "acks:",
      leaseMs: 10_000,
      requestTimeoutMs: 5000,
    });
    buses.push(cluster);
    const broker = new Broker(
      { listeners: { default: { type: "tcp", bind: "127.0.0.1:0" } } },
      { logger: silentLogger, cluster, plugins: nodeId === "a" ? [asyncOnPublish] : [] },
    );
    await broker.start();
    brokers.push(broker);
  }
  for (let i = 0; i < 200 && buses.some((x) => x.nodes().length < 2); i++)
    await new Promise((resolve) => setTimeout(resolve, 10));
});
afterAll(async () => {
  for (const b of brokers) await b.stop().catch(() => {});
  await redis?.stop();
});

function connect(broker: Broker, clientId: string): Promise<MqttClient> {
  return mqtt.connectAsync(`mqtt://127.0.0.1:${broker.addresses()[0]!.port}`, {
    clientId,
    protocolVersion: 5,
    reconnectPeriod: 0,
  });
}

describe("issue 15: an asynchronous onPublish plugin and a stalled engine (RedisClusterBus, SIGSTOP)", () => {
  it.each([1, 2] as const)(
    "QoS %i: no acknowledgement while redis-server is stopped; it comes after SIGCONT, and the message arrives",
    async (qos) => {
      const sub = await connect(brokers[1]!, `sub${qos}`);
      const pub = await connect(brokers[0]!, `pub${qos}`);
      try {
        await sub.subscribeAsync(`acks/${qos}`, { qos: 2 });
        const got = new Promise<string>((resolve) => sub.once("message", (_t, p) => resolve(p.toString())));
        redis.signal("SIGSTOP");
        let acked = false;
        const published = pub.publishAsync(`acks/${qos}`, "held", { qos }).then(() => {
          acked = true;
        });
        try {
          // The plugin answers within 5 ms; the copy for node b waits in the stopped engine.
          await new Promise((resolve) => setTimeout(resolve, 300));
          expect(acked).toBe(false);
        } finally {
          redis.signal("SIGCONT");
        }
        await published;
        expect(acked).toBe(true);
        expect(await got).toBe("held");
      } finally {
        await pub.endAsync();
        await sub.endAsync();
      }
    },
  );
});
