// Issue 15: a node that dies (SIGKILL) leaves its persistent sessions to the
// cluster. `amqtt --cluster` without a persistence section keeps them in Redis
// on the cluster's engine (@amqtt/store-redis), so a subscriber whose node died
// reconnects to another node and gets every message acknowledged to its
// publisher. Real redis-server (with a password) and real `amqtt` processes,
// started here on free loopback ports and killed by PID; MQTT.js clients.
// Replay seeds with AMQTT_DEATH_SEEDS=<seed,...>.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PER_NODE_STORE_WARNING } from "@amqtt/broker";
import { seededRandom } from "@amqtt/test-utils";
import { type RedisServer, startRedis } from "@amqtt/test-utils/redis";
import { connect, connectAsync, type IConnackPacket, type MqttClient } from "mqtt";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type RunningAmqtt, startAmqtt } from "./helpers/amqtt-process.js";
import { clusterConfigFile } from "./helpers/cluster-config.js";
import { routed } from "./helpers/routed.js";

const PASSWORD = "death-s3cret";
const LEASE_MS = 2000;
const dir = mkdtempSync(join(tmpdir(), "amqtt-node-death-"));
let redis: RedisServer;
let url: string;
let prefix = 0;
const clients: MqttClient[] = [];

beforeAll(async () => {
  redis = await startRedis({ config: [`requirepass ${PASSWORD}`] });
  url = `redis://:${PASSWORD}@127.0.0.1:${redis.port}`;
});
afterAll(async () => {
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  for (const c of clients.splice(0)) c.end(true);
});

/** A config with a cluster section (fresh key prefix, short lease) and no persistence section. */
function configFile(): string {
  return clusterConfigFile(dir, {
    cluster: { key_prefix: `death${++prefix}:`, lease_ms: LEASE_MS, request_timeout_ms: 500 },
  });
}

function node(config: string, extra: string[] = []): Promise<RunningAmqtt> {
  return startAmqtt(["-c", config, "--cluster", url, ...extra], mkdtempSync(join(dir, "cwd-")));
}

async function client(port: number, options: Parameters<typeof connectAsync>[1] = {}): Promise<MqttClient> {
  const c = await connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, ...options });
  clients.push(c);
  return c;
}

/** Wait (at most 10 s) until `running` (or `other`) logged `text`. */
async function logged(running: RunningAmqtt, text: string, other?: RunningAmqtt): Promise<void> {
  const deadline = Date.now() + 10_000;
  const seen = () => running.stderr().includes(text) || (other?.stderr().includes(text) ?? false);
  while (!seen() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

describe("amqtt --cluster keeps persistent sessions on the engine by default", () => {
  it("logs the store as Redis on the cluster's engine, never the password; --memory logs what a node's death loses", async () => {
    const config = configFile();
    const shared = await node(config);
    await logged(shared, "cluster node");
    expect(shared.stderr()).toContain("state kept in Redis (the cluster's engine)");
    expect(shared.stderr()).toContain("***@127.0.0.1");
    expect(shared.stderr()).not.toContain(PER_NODE_STORE_WARNING);
    const own = await node(config, ["--memory"]);
    await logged(own, "cluster node");
    expect(own.stderr()).toContain(PER_NODE_STORE_WARNING);
    expect(shared.stderr() + own.stderr()).not.toContain(PASSWORD);
  });
});

describe("of 3 nodes, one SIGKILLed with QoS 1 messages queued for a persistent subscriber", () => {
  const seeds = (process.env.AMQTT_DEATH_SEEDS ?? "1,2,3,4,5,6").split(",").map(Number);

  it.each(seeds)(
    "seed %i: the subscriber reconnects to another node and gets every acknowledged message",
    async (seed) => {
      const random = seededRandom(seed);
      const count = 20 + Math.floor(random() * 60);
      // Killed right after the last PUBACK (envelopes may still be unread in its inbox), or later.
      const killDelayMs = random() < 0.5 ? 0 : 300;
      // Back before the dead node's lease lapsed (no hand-over: read from the store), or after its adoption.
      const reconnectAfterMs = random() < 0.5 ? 0 : LEASE_MS + 1500;
      const protocolVersion = random() < 0.5 ? (4 as const) : (5 as const);
      // Back on the publisher's node or on the third one (either may adopt the dead node).
      const back = random() < 0.5 ? "b" : "c";
      // Stalled (SIGSTOP) before the publishes: every message is acknowledged from the engine
      // and still unread in its inbox when it dies (the adopter must hand them on).
      const stalled = random() < 0.5;
      const config = configFile();
      const a = await node(config);
      const b = await node(config);
      const c = await node(config);
      const options = {
        clientId: `keeper-${seed}`,
        clean: false,
        protocolVersion,
        ...(protocolVersion === 5 ? { properties: { sessionExpiryInterval: 600 } } : {}),
      };
      const sub = await client(a.port, options);
      await sub.subscribeAsync("k/#", { qos: 1 });
      const pub = await client(b.port);
      await routed(pub, sub, "k/probe");
      await sub.endAsync();
      // Its node saw the DISCONNECT: the session is offline there, its messages queue.
      await new Promise((r) => setTimeout(r, 300));
      if (stalled) a.child.kill("SIGSTOP");
      const acked: string[] = [];
      for (let i = 0; i < count; i++) {
        await pub.publishAsync("k/q", `m${i}`, { qos: 1 });
        acked.push(`m${i}`);
      }
      if (killDelayMs > 0) await new Promise((r) => setTimeout(r, killDelayMs));
      a.child.kill("SIGKILL");
      await a.exit;
      if (reconnectAfterMs > 0) {
        await new Promise((r) => setTimeout(r, reconnectAfterMs));
        // The adopter restored the session from the store: its route is back and its queue
        // goes on filling while its client is away.
        const restored = '"sessions":1';
        await logged(b, restored, c);
        expect(b.stderr() + c.stderr(), `seed ${seed}: adopter restored the session`).toContain(restored);
        await new Promise((r) => setTimeout(r, 1000));
        for (let i = 0; i < 10; i++) {
          await pub.publishAsync("k/q", `after${i}`, { qos: 1 });
          acked.push(`after${i}`);
        }
      }
      const again = connect(`mqtt://127.0.0.1:${(back === "b" ? b : c).port}`, {
        reconnectPeriod: 0,
        ...options,
      });
      clients.push(again);
      const received: string[] = [];
      again.on("message", (t, p) => {
        if (t === "k/q") received.push(p.toString());
      });
      const connack = await new Promise<IConnackPacket>((r) => again.once("connect", r));
      const deadline = Date.now() + 20_000;
      while (acked.some((m) => !received.includes(m)) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      const lost = acked.filter((m) => !received.includes(m));
      const duplicates = received.length - new Set(received).size;
      console.log(
        `seed ${seed}: ${acked.length} acknowledged (${acked.length - count} after the death), MQTT ${protocolVersion === 5 ? "5.0" : "3.1.1"}, ${stalled ? "stalled, " : ""}kill +${killDelayMs} ms, reconnect +${reconnectAfterMs} ms to ${back}:` +
          ` session present ${connack.sessionPresent}, received ${received.length}, lost ${lost.length}, duplicates ${duplicates}`,
      );
      expect(connack.sessionPresent, `seed ${seed}: session present`).toBe(true);
      expect(lost, `seed ${seed}: acknowledged but lost`).toEqual([]);
      // In order, QoS 1 duplicates allowed (a redelivery repeats from an earlier point) [MQTT-4.6.0-6].
      expect(
        received.filter((m, i) => received.indexOf(m) === i),
        `seed ${seed}: order`,
      ).toEqual(acked);
    },
    60_000,
  );
});
