// Bridges in a cluster: two `amqtt` processes, nodes of one cluster on a real
// redis-server that is also their shared store (`persistence: { store: redis }`),
// bridge to a real mosquitto. The bridge runs on one node at a time (the named
// lease `bridge:central`); publishers on both nodes; the runner is SIGKILLed
// mid-stream at a seeded point. Every QoS 1 message acknowledged to a local
// publisher reaches the remote (duplicates allowed), in order per topic, and
// the surviving node takes the bridge over within the lease time.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MQTTClient } from "@amqtt/client";
import { cleanupStack, freePort, seededRandom, startMosquitto } from "@amqtt/test-utils";
import { type RedisServer, startRedis } from "@amqtt/test-utils/redis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { killAmqtt, type RunningAmqtt, runAmqtt, startAmqtt } from "./helpers/amqtt-process.js";
import { clusterConfigFile } from "./helpers/cluster-config.js";

const dir = mkdtempSync(join(tmpdir(), "amqtt-bridge-cluster-"));
const cleanups = cleanupStack();
afterEach(cleanups.run);
let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const LEASE_MS = 2000;
/** Messages per publisher. */
const N = 150;
/** Seeds of the kill point; `BRIDGE_KILL_SEEDS=1,2,3` runs more. */
const SEEDS = (process.env.BRIDGE_KILL_SEEDS ?? "7")
  .split(",")
  .map(Number)
  .filter((n) => Number.isInteger(n));

let prefix = 0;

function writeConfig(remotePort: number, extra: Record<string, unknown> = {}): string {
  const p = `bc${++prefix}:`;
  return clusterConfigFile(dir, {
    persistence: { store: "redis", redis: `redis://127.0.0.1:${redis.port}/0`, key_prefix: `${p}store:` },
    cluster: {
      redis: `redis://127.0.0.1:${redis.port}/0`,
      key_prefix: p,
      lease_ms: LEASE_MS,
      request_timeout_ms: 1000,
    },
    bridges: [
      {
        name: "central",
        address: `127.0.0.1:${remotePort}`,
        protocol_version: 5,
        client_id: "site-bridge",
        restart_timeout: [0.05, 0.2],
        topics: [{ filter: "sensors/#", direction: "out", qos: 1, remote_prefix: "site/" }],
      },
    ],
    ...extra,
  });
}

function client(clientId: string): MQTTClient {
  const c = new MQTTClient({
    clientId,
    config: { reconnectInitialDelayMs: 20, reconnect_max_interval: 0.2 },
  });
  cleanups.add(() => c.disconnect().catch(() => {}));
  return c;
}

/** Resolves once `node` logged `text` (polling its stderr), rejects after `ms`. */
async function logged(node: RunningAmqtt, text: string, ms: number): Promise<number> {
  const start = Date.now();
  while (!node.stderr().includes(text)) {
    if (Date.now() - start > ms) throw new Error(`no "${text}" within ${ms} ms:\n${node.stderr()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - start;
}

/** GET /api/v1/bridges of a node's admin listener until `predicate` holds. */
async function bridgesUntil(
  adminPort: number,
  predicate: (items: { name: string; connected: boolean }[]) => boolean,
): Promise<{ name: string; connected: boolean }[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    // The admin listener opens after the MQTT one: refused until then.
    const body = (await fetch(`http://127.0.0.1:${adminPort}/api/v1/bridges`).then(
      (r) => r.json(),
      (error: unknown) => ({ items: [], error: String(error) }),
    )) as { items: { name: string; connected: boolean }[]; error?: string };
    if (predicate(body.items)) return body.items;
    if (Date.now() > deadline) throw new Error(`bridges status: ${JSON.stringify(body)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const RUNNING = "bridge central: running on this node (lease taken)";

describe("bridges in a cluster (2 amqtt processes, redis-server, mosquitto as the remote)", () => {
  it("refuses bridges in a cluster whose store is not shared by the nodes", async () => {
    const config = writeConfig(1);
    const { code, stderr } = await runAmqtt(["-c", config, "--memory"], mkdtempSync(join(dir, "cwd-")));
    expect(code).toBe(2);
    expect(stderr).toContain("bridges in a cluster need a store every node shares");
  });

  for (const seed of SEEDS) {
    it(`SIGKILL of the bridge's node mid-stream (seed ${seed}): every acknowledged QoS 1 message reaches the remote, in order per topic; the other node takes the bridge within the lease`, async () => {
      const random = seededRandom(seed);
      const remote = await startMosquitto({ config: ["allow_anonymous true", "persistence false"] });
      cleanups.add(() => remote.stop());
      const sub = client("central-subscriber");
      await sub.connect(remote.url);
      await sub.subscribe([["site/#", 1]]);
      const received: string[] = [];
      sub.on("message", (m) => received.push(`${m.topic} ${new TextDecoder().decode(m.data)}`));

      const config = writeConfig(remote.port);
      const adminA = await freePort();
      const adminB = await freePort();
      const a = await startAmqtt(
        ["-c", config, "--admin-port", String(adminA)],
        mkdtempSync(join(dir, "cwd-")),
      );
      cleanups.add(() => killAmqtt(a));
      await logged(a, RUNNING, 10_000);
      const b = await startAmqtt(
        ["-c", config, "--admin-port", String(adminB)],
        mkdtempSync(join(dir, "cwd-")),
      );
      cleanups.add(() => killAmqtt(b));
      // Status from any node: b does not run the bridge, yet shows it connected (a's view, by the lease).
      await bridgesUntil(adminB, (items) => items[0]?.connected === true);
      expect(b.stderr()).not.toContain(RUNNING);

      const pubA = client("publisher-a");
      await pubA.connect(`mqtt://127.0.0.1:${a.port}`);
      const pubB = client("publisher-b");
      await pubB.connect(`mqtt://127.0.0.1:${b.port}`);
      const killAfter = Math.floor(N * (0.2 + 0.6 * random()));
      const acked = { a: [] as number[], b: [] as number[] };
      let killed: Promise<void> | undefined;
      let takeOver: Promise<number> | undefined;
      const publishA = (async () => {
        for (let i = 0; i < N; i++) {
          try {
            await pubA.publish("sensors/a", String(i), { qos: 1 });
          } catch {
            return; // its node is gone: only what was acknowledged counts
          }
          acked.a.push(i);
          if (i === killAfter) {
            const killedAt = Date.now();
            takeOver = logged(b, RUNNING, 3 * LEASE_MS).then(() => Date.now() - killedAt);
            killed = killAmqtt(a);
            await killed;
            return;
          }
        }
      })();
      const publishB = (async () => {
        for (let i = 0; i < N; i++) {
          await pubB.publish("sensors/b", String(i), { qos: 1 });
          acked.b.push(i);
          // Spread b's stream over the kill and the take-over.
          if (i % 10 === 0) await new Promise((r) => setTimeout(r, 20));
        }
      })();
      await Promise.all([publishA, publishB]);
      expect(killed).toBeDefined();
      // Within the lease time from the kill (plus one renewal period, and slack for the loaded machine).
      expect(await takeOver).toBeLessThan(LEASE_MS + LEASE_MS / 3 + 1500);

      const wanted = new Set([
        ...acked.a.map((i) => `site/sensors/a ${i}`),
        ...acked.b.map((i) => `site/sensors/b ${i}`),
      ]);
      const deadline = Date.now() + 20_000;
      while ([...wanted].some((w) => !received.includes(w)) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      const missing = [...wanted].filter((w) => !received.includes(w));
      expect(missing).toEqual([]);
      // Order per topic: the first copy of each message comes after the first copy of every earlier one.
      for (const topic of ["site/sensors/a", "site/sensors/b"]) {
        const firsts: number[] = [];
        for (const line of received) {
          if (!line.startsWith(`${topic} `)) continue;
          const n = Number(line.slice(topic.length + 1));
          if (!firsts.includes(n)) firsts.push(n);
        }
        expect(firsts).toEqual([...firsts].sort((x, y) => x - y));
      }
      expect(acked.b).toHaveLength(N);
      expect(acked.a.length).toBe(killAfter + 1);
      // b now runs it and says so.
      await bridgesUntil(adminB, (items) => items[0]?.connected === true);
    });
  }
});
