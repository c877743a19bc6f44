// Issue 15, node failure: no acknowledged QoS 1/2 message is lost when the node a
// persistent subscriber is connected to dies (SIGKILL) while messages from
// another node are in flight to that subscriber (delivered live, not yet
// acknowledged by it). The subscriber's node saves the session with those
// flows before it acknowledges the envelope to the engine, so the node the
// subscriber moves to restores them from Redis (the cluster's default store)
// and sends them again, DUP set [MQTT-4.4.0-1]. Real redis-server and `amqtt`
// processes, started here on free loopback ports and killed by PID; MQTT.js
// clients. Replay seeds with AMQTT_LIVE_DEATH_SEEDS=<seed,...>.
import { seededRandom } from "@amqtt/test-utils";
import { connect, connectAsync } from "mqtt";
import { describe, expect, it } from "vitest";
import { clusterConfigFile } from "./helpers/cluster-config.js";
import { redisSuite, settledWithin } from "./helpers/redis-suite.js";
import { routed } from "./helpers/routed.js";

const LEASE_MS = 2000;
const { dir, clients, node } = redisSuite("live-death");
let prefix = 0;

describe("of 2 nodes, the one a persistent subscriber has unacknowledged live deliveries on is SIGKILLed", () => {
  const seeds = (process.env.AMQTT_LIVE_DEATH_SEEDS ?? "1,2,3").split(",").map(Number);

  it.each(seeds)(
    "seed %i: every message the publisher had acknowledged reaches the subscriber on the other node [MQTT-4.4.0-1]",
    async (seed) => {
      const random = seededRandom(seed * 7907);
      const count = 3 + Math.floor(random() * 8);
      // QoS 1: a QoS 2 receiver must keep its own state across the move (a fresh client
      // answers a resent PUBREL without the message); cluster-qos2-death.test.ts covers QoS 2.
      const qos = 1 as const;
      const protocolVersion = random() < 0.5 ? (4 as const) : (5 as const);
      const config = clusterConfigFile(dir, {
        cluster: { key_prefix: `livedeath${++prefix}:`, lease_ms: LEASE_MS, request_timeout_ms: 1000 },
      });
      const [a, b] = [await node(config), await node(config)];
      const options = {
        clientId: `live-${seed}`,
        clean: false,
        protocolVersion,
        ...(protocolVersion === 5 ? { properties: { sessionExpiryInterval: 600 } } : {}),
      };
      const first = await connectAsync(`mqtt://127.0.0.1:${a.port}`, { reconnectPeriod: 0, ...options });
      clients.push(first);
      await first.subscribeAsync("live/#", { qos });
      const pub = await connectAsync(`mqtt://127.0.0.1:${b.port}`, { reconnectPeriod: 0 });
      clients.push(pub);
      await routed(pub, first, "live/probe");
      // From now on the subscriber acknowledges nothing: every flow stays open on node a.
      const seenFirst: string[] = [];
      first.handleMessage = (packet) => {
        if (packet.topic === "live/q") seenFirst.push(packet.payload.toString());
      };
      const acknowledged: string[] = [];
      for (let i = 0; i < count; i++) {
        await pub.publishAsync("live/q", `m${i}`, { qos });
        acknowledged.push(`m${i}`);
      }
      await settledWithin(() => seenFirst.length >= 1, 10_000);
      expect(seenFirst.length, `seed ${seed}: delivered live on node a`).toBeGreaterThanOrEqual(1);
      // Past the engine's acknowledgement of the envelopes (a turn or two on node a).
      await new Promise((r) => setTimeout(r, 300));
      a.child.kill("SIGKILL");
      await a.exit;
      first.end(true);

      const received: string[] = [];
      const second = connect(`mqtt://127.0.0.1:${b.port}`, { reconnectPeriod: 0, ...options });
      clients.push(second);
      second.on("message", (topic, payload) => {
        if (topic === "live/q") received.push(payload.toString());
      });
      const connack = await new Promise<{ sessionPresent: boolean }>((resolve) =>
        second.once("connect", resolve),
      );
      // The session (subscription and flows) came from the store to node b.
      expect(connack.sessionPresent, `seed ${seed}: session present on node b`).toBe(true);
      await settledWithin(() => acknowledged.every((m) => received.includes(m)), 15_000);
      console.log(
        `seed ${seed}: ${count} QoS 1 messages, MQTT ${protocolVersion === 5 ? "5.0" : "3.1.1"}, ${seenFirst.length} seen on node a before the kill; on node b: ${JSON.stringify(received)}`,
      );
      expect(
        acknowledged.filter((m) => !received.includes(m)),
        `seed ${seed}: none lost`,
      ).toEqual([]);
    },
    60_000,
  );
});
