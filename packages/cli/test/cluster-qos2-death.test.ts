// Issue 15: QoS 2 stays exactly once end to end when the node a persistent
// subscriber is connected to dies (SIGKILL) while it sends that subscriber its
// offline queue [MQTT-4.3.3-*]. The subscriber (one MQTT.js client, which keeps
// its QoS 2 receiver state across its reconnects) fails over to another node;
// that node reads the session from Redis (the cluster's default store) and must
// resend each unfinished flow as it stood: PUBLISH with DUP and the original
// packet id when no PUBREC had come [MQTT-4.3.3-1], PUBREL when one had
// [MQTT-4.3.3-4], and never the same message under a new packet id; messages
// still unread in the dead node's inbox reach it once, from the adopter. Real
// redis-server and `amqtt` processes, started here on free loopback ports and
// killed by PID. Replay seeds with AMQTT_QOS2_DEATH_SEEDS=<seed,...>.
import { seededRandom } from "@amqtt/test-utils";
import { connect, connectAsync } from "mqtt";
import { describe, expect, it } from "vitest";
import { clusterConfigFile } from "./helpers/cluster-config.js";
import { redisSuite, settledWithin } from "./helpers/redis-suite.js";
import { routed } from "./helpers/routed.js";

const LEASE_MS = 2000;
const { dir, clients, node } = redisSuite("qos2-death");
let prefix = 0;

describe("of 3 nodes, the one sending a persistent subscriber its QoS 2 queue is SIGKILLed", () => {
  const seeds = (process.env.AMQTT_QOS2_DEATH_SEEDS ?? "1,2,3,4,5,6").split(",").map(Number);

  it.each(seeds)(
    "seed %i: every QoS 2 message reaches the subscriber exactly once, in order, after it fails over [MQTT-4.3.3-1] [MQTT-4.3.3-4]",
    async (seed) => {
      const random = seededRandom(seed);
      const count = 10 + Math.floor(random() * 40);
      // Killed once the subscriber has this many (its flows completed), from none to all.
      const killAfter = Math.floor(random() * (count + 1));
      const protocolVersion = random() < 0.5 ? (4 as const) : (5 as const);
      const back = random() < 0.5 ? "b" : "c";
      // Back at once (the dead node still holds its lease) or after its adoption.
      const reconnectPeriod = random() < 0.5 ? 100 : LEASE_MS + 1500;
      // Stalled (SIGSTOP) before it dies, with this many more published meanwhile: acknowledged
      // from the engine and unread in its inbox, so they come from the adopted inbox.
      const unread = random() < 0.5 ? 0 : 5;
      const config = clusterConfigFile(dir, {
        cluster: { key_prefix: `qos2death${++prefix}:`, lease_ms: LEASE_MS, request_timeout_ms: 500 },
      });
      const [a, b, c] = [await node(config), await node(config), await node(config)];
      const options = {
        clientId: `exactly-once-${seed}`,
        clean: false,
        protocolVersion,
        ...(protocolVersion === 5 ? { properties: { sessionExpiryInterval: 600 } } : {}),
      };
      const first = await connectAsync(`mqtt://127.0.0.1:${a.port}`, { reconnectPeriod: 0, ...options });
      clients.push(first);
      await first.subscribeAsync("e/#", { qos: 2 });
      const pub = await connectAsync(`mqtt://127.0.0.1:${b.port}`, { reconnectPeriod: 0 });
      clients.push(pub);
      await routed(pub, first, "e/probe");
      await first.endAsync();
      // Its node saw the DISCONNECT: the session is offline there, its messages queue.
      await new Promise((r) => setTimeout(r, 300));
      const acknowledged: string[] = [];
      for (let i = 0; i < count; i++) {
        await pub.publishAsync("e/q", `m${i}`, { qos: 2 });
        acknowledged.push(`m${i}`);
      }

      // One client for both connections: node a first, then (its reconnect) the other node.
      const other = back === "b" ? b : c;
      const sub = connect({
        servers: [
          { host: "127.0.0.1", port: a.port },
          { host: "127.0.0.1", port: other.port },
        ],
        reconnectPeriod,
        ...options,
      });
      clients.push(sub);
      const received: string[] = [];
      let killed = false;
      const kill = async () => {
        if (killed) return;
        killed = true;
        if (unread > 0) {
          a.child.kill("SIGSTOP");
          for (let i = 0; i < unread; i++) {
            await pub.publishAsync("e/q", `unread${i}`, { qos: 2 });
            acknowledged.push(`unread${i}`);
          }
        }
        a.child.kill("SIGKILL");
      };
      sub.on("message", (topic, payload) => {
        if (topic !== "e/q") return;
        received.push(payload.toString());
        if (received.length >= killAfter) void kill();
      });
      let connects = 0;
      sub.on("connect", () => {
        connects++;
        if (killAfter === 0) void kill();
      });
      await a.exit;
      await settledWithin(() => connects >= 2 && acknowledged.every((m) => received.includes(m)), 20_000);
      // Resends come right after the CONNACK: give late duplicates the time to show.
      await new Promise((r) => setTimeout(r, 1000));
      const duplicates = received.length - new Set(received).size;
      console.log(
        `seed ${seed}: ${count} QoS 2 messages, MQTT ${protocolVersion === 5 ? "5.0" : "3.1.1"}, killed after ${killAfter}${unread > 0 ? ` (stalled first, ${unread} more published)` : ""}, back on ${back} after ${reconnectPeriod} ms:` +
          ` received ${received.length}, duplicates ${duplicates}, connects ${connects}, missing ${acknowledged.filter((m) => !received.includes(m)).join(" ")}`,
      );
      expect(connects, `seed ${seed}: failed over`).toBeGreaterThanOrEqual(2);
      expect(received, `seed ${seed}: exactly once, in order`).toEqual(acknowledged);
    },
    60_000,
  );
});
