// `amqtt --cluster` and `amqtt --workers`: several broker processes on one real
// redis-server (started here on a free loopback port, killed by PID), with
// MQTT.js and Debian's mosquitto_pub/mosquitto_sub as clients.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mosquittoPub, seededRandom } from "@amqtt/test-utils";
import { type RedisServer, startRedis, startRedisCluster } from "@amqtt/test-utils/redis";
import { connect, connectAsync, type IConnackPacket, type MqttClient } from "mqtt";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type RunningAmqtt, runAmqtt, startAmqtt } from "./helpers/amqtt-process.js";
import { clusterConfigFile } from "./helpers/cluster-config.js";
import { routed } from "./helpers/routed.js";

const dir = mkdtempSync(join(tmpdir(), "amqtt-cluster-"));
let redis: RedisServer;
let prefix = 0;
const clients: MqttClient[] = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.end(true);
});

/** A config file: TCP on a free port (0), `$SYS` every second, fast leases, a fresh key prefix per test (`extra`: more cluster keys). */
function configFile(extra: Record<string, unknown> | null = {}): string {
  // `null`: no cluster section (a single broker).
  const cluster =
    extra === null
      ? undefined
      : { key_prefix: `t${++prefix}:`, lease_ms: 2000, request_timeout_ms: 1000, ...extra };
  return clusterConfigFile(dir, {
    plugins: { "anonymous-auth": { allow_anonymous: true }, sys: { sys_interval: 1 } },
    cluster,
  });
}

/** `count` broker processes, each a node of one cluster (on the test's redis-server unless `engine` says otherwise). */
async function startNodes(
  count: number,
  config = configFile(),
  engine: string[] = ["--cluster", redis.url],
): Promise<RunningAmqtt[]> {
  const nodes: RunningAmqtt[] = [];
  for (let i = 0; i < count; i++)
    nodes.push(await startAmqtt(["-c", config, "--memory", ...engine], mkdtempSync(join(dir, "cwd-"))));
  return nodes;
}

async function client(port: number, options: Parameters<typeof connectAsync>[1] = {}): Promise<MqttClient> {
  const c = await connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, ...options });
  clients.push(c);
  return c;
}

/** The next `count` messages of `c` on topics matching `match`, as `topic payload` lines. */
function messages(
  c: MqttClient,
  count: number,
  match: (topic: string) => boolean = () => true,
): Promise<string[]> {
  const got: string[] = [];
  return new Promise((resolve) => {
    const on = (topic: string, payload: Buffer) => {
      if (!match(topic)) return;
      got.push(`${topic} ${payload.toString()}`);
      if (got.length === count) {
        c.off("message", on);
        resolve(got);
      }
    };
    c.on("message", on);
  });
}

describe("amqtt --cluster", () => {
  it("refuses --workers above 1 without a cluster, saying what to add", async () => {
    const { code, stderr } = await runAmqtt(["--workers", "2", "--memory", "-p", "0", "--no-ws"], dir);
    expect(code).toBe(2);
    expect(stderr).toContain("add --cluster redis://");
  });

  it("refuses a --cluster URL that is not redis://, naming the field", async () => {
    const { code, stderr } = await runAmqtt(
      ["--cluster", "http://x:secret@127.0.0.1", "--memory", "-p", "0", "--no-ws"],
      dir,
    );
    expect(code).toBe(1);
    expect(stderr).toContain("cluster.redis");
    expect(stderr).not.toContain("secret");
  });

  it("routes QoS 0/1/2 and wildcards between two broker processes, MQTT.js and mosquitto_pub", async () => {
    const [a, b] = await startNodes(2);
    expect(a!.stderr()).toContain("cluster node");
    const sub = await client(b!.port, { protocolVersion: 5 });
    await sub.subscribeAsync("c/#", { qos: 2 });
    const pub = await client(a!.port);
    await routed(pub, sub, "c/probe");
    const got = messages(sub, 3, (t) => t !== "c/probe");
    for (const qos of [0, 1, 2] as const) await pub.publishAsync(`c/q${qos}`, `m${qos}`, { qos });
    expect((await got).sort()).toEqual(["c/q0 m0", "c/q1 m1", "c/q2 m2"]);
    const fromMosquitto = messages(sub, 1, (t) => t === "c/mosquitto");
    expect((await mosquittoPub(a!.port, { topic: "c/mosquitto", qos: 1 })).code).toBe(0);
    expect(await fromMosquitto).toEqual(["c/mosquitto x"]);
  });

  it("keeps retained messages cluster-wide: set through one process, seen at subscribe on another", async () => {
    const [a, b] = await startNodes(2);
    const pub = await client(a!.port);
    await pub.publishAsync("r/kept", "yes", { qos: 1, retain: true });
    // The retained copy is in the engine once PUBACK came: the other node has it, or gets it, now.
    const sub = await client(b!.port);
    const got = messages(sub, 1);
    for (let i = 0; i < 50; i++) {
      await sub.subscribeAsync("r/#", { qos: 1 });
      const first = await Promise.race([got, new Promise((r) => setTimeout(() => r(undefined), 100))]);
      if (first !== undefined) break;
      await sub.unsubscribeAsync("r/#");
    }
    expect(await got).toEqual(["r/kept yes"]);
  });

  it("takes a session over across processes: the old client gets DISCONNECT Session taken over, the new one session present", async () => {
    const [a, b] = await startNodes(2);
    const options = {
      protocolVersion: 5 as const,
      clientId: "roamer",
      clean: false,
      properties: { sessionExpiryInterval: 300 },
    };
    const first = await client(a!.port, options);
    await first.subscribeAsync("t/#", { qos: 1 });
    const disconnected = new Promise<number | undefined>((r) =>
      first.once("disconnect", (p) => r(p.reasonCode)),
    );
    const second = connect(`mqtt://127.0.0.1:${b!.port}`, { reconnectPeriod: 0, ...options });
    clients.push(second);
    const connack = await new Promise<IConnackPacket>((r) => second.once("connect", r));
    expect(connack.sessionPresent).toBe(true);
    expect(await disconnected).toBe(0x8e);
    const pub = await client(a!.port);
    await routed(pub, second, "t/probe");
  });

  it("runs --workers 2 --cluster on one port: clients land on both workers and still reach each other", async () => {
    const config = configFile();
    const primary = await startAmqtt(
      ["-c", config, "--memory", "--cluster", redis.url, "--workers", "2"],
      mkdtempSync(join(dir, "cwd-")),
    );
    // Each worker logs its own listening line; both share the port.
    const port = primary.port;
    const nodes = new Set<string>();
    const subs: MqttClient[] = [];
    for (let i = 0; i < 8 && nodes.size < 2; i++) {
      const c = await client(port);
      const node = messages(c, 1, (t) => t === "$SYS/broker/cluster/node");
      await c.subscribeAsync("$SYS/broker/cluster/node");
      const [line] = await node;
      nodes.add(line!.split(" ")[1]!);
      subs.push(c);
    }
    expect(nodes.size).toBe(2);
    const sub = subs[0]!;
    await sub.subscribeAsync("w/#", { qos: 1 });
    for (const pub of subs.slice(1)) await routed(pub, sub, "w/probe");
    // SIGHUP to the primary reloads every worker, and ends nothing.
    const mark = primary.stderr().length;
    primary.child.kill("SIGHUP");
    for (let i = 0; i < 200 && primary.stderr().slice(mark).split("SIGHUP: reload done").length < 3; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(primary.stderr().slice(mark).split("SIGHUP: reload done").length - 1).toBe(2);
    expect(primary.child.exitCode).toBeNull();
    await routed(subs[1]!, sub, "w/after-reload");
    primary.child.kill("SIGTERM");
    expect(await primary.exit).toBe(0);
  });
});

describe("nodes sharing the Redis store (persistence: redis) and engine", () => {
  it("a persistent session queued on one node is resumed on another: session present, each queued message once", async () => {
    const file = clusterConfigFile(dir, {
      persistence: { store: "redis", redis: redis.url, key_prefix: `store${++prefix}:` },
      cluster: { key_prefix: `t${++prefix}:`, lease_ms: 2000, request_timeout_ms: 1000 },
    });
    const nodes: RunningAmqtt[] = [];
    for (let i = 0; i < 2; i++)
      nodes.push(await startAmqtt(["-c", file, "--cluster", redis.url], mkdtempSync(join(dir, "cwd-"))));
    const [a, b] = nodes;
    const options = { clientId: "shared-keeper", clean: false, protocolVersion: 4 as const };
    const sub = await client(a!.port, options);
    await sub.subscribeAsync("sh/#", { qos: 1 });
    const pub = await client(b!.port);
    await routed(pub, sub, "sh/probe");
    await sub.endAsync();
    for (let i = 0; i < 5; i++) await pub.publishAsync("sh/q", `m${i}`, { qos: 1 });
    const again = connect(`mqtt://127.0.0.1:${b!.port}`, { reconnectPeriod: 0, ...options });
    clients.push(again);
    const got: string[] = [];
    again.on("message", (t, p) => {
      if (t === "sh/q") got.push(p.toString());
    });
    const connack = await new Promise<IConnackPacket>((r) => again.once("connect", r));
    expect(connack.sessionPresent).toBe(true);
    const deadline = Date.now() + 10_000;
    while (got.length < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    // One more round trip: a duplicate would have come before its answer.
    await again.subscribeAsync("sh/none");
    expect(got).toEqual(["m0", "m1", "m2", "m3", "m4"]);
  });
});

describe("the engine", () => {
  it("with a password in the URL: the nodes connect, and log the URL with the password as ***", async () => {
    const secured = await startRedis({ config: ["requirepass s3cret-pw"] });
    try {
      const url = `redis://:s3cret-pw@127.0.0.1:${secured.port}`;
      const [a, b] = await startNodes(2, configFile(), ["--cluster", url]);
      expect(a!.stderr()).toContain("***@127.0.0.1");
      expect(a!.stderr() + b!.stderr()).not.toContain("s3cret-pw");
      const sub = await client(b!.port);
      await sub.subscribeAsync("p/#", { qos: 1 });
      await routed(await client(a!.port), sub, "p/probe");
    } finally {
      await secured.stop();
    }
  });

  it("a Redis Cluster of 3 (cluster_nodes): messages cross nodes", async () => {
    const rc = await startRedisCluster(3);
    try {
      const config = configFile({ cluster_nodes: rc.startupNodes.map((n) => `redis://${n.host}:${n.port}`) });
      const [a, b] = await startNodes(2, config, []);
      const sub = await client(b!.port);
      await sub.subscribeAsync("rc/#", { qos: 1 });
      const pub = await client(a!.port);
      await routed(pub, sub, "rc/probe");
      const got = messages(sub, 1, (t) => t === "rc/q1");
      await pub.publishAsync("rc/q1", "through the Redis Cluster", { qos: 1 });
      expect(await got).toEqual(["rc/q1 through the Redis Cluster"]);
    } finally {
      await rc.stop();
    }
  });

  it("stalled (SIGSTOP): a CONNECT is refused with Server unavailable, local traffic goes on; after SIGCONT connects work again", async () => {
    const own = await startRedis();
    try {
      const [a] = await startNodes(1, configFile(), ["--cluster", own.url]);
      const local = await client(a!.port, { protocolVersion: 5 });
      await local.subscribeAsync("l/#", { qos: 0 });
      own.signal("SIGSTOP");
      // The engine counts as down past request_timeout_ms (1000 ms here): retried until it does.
      let code: number | undefined;
      for (let i = 0; i < 40 && code !== 0x88; i++) {
        code = await connackCode(a!.port);
        if (code !== 0x88) await new Promise((r) => setTimeout(r, 250));
      }
      expect(code).toBe(0x88);
      const got = messages(local, 1);
      await local.publishAsync("l/x", "local", { qos: 0 });
      expect(await got).toEqual(["l/x local"]);
      own.signal("SIGCONT");
      for (let i = 0; i < 40 && code !== 0; i++) {
        code = await connackCode(a!.port);
        if (code !== 0) await new Promise((r) => setTimeout(r, 250));
      }
      expect(code).toBe(0);
    } finally {
      await own.stop();
    }
  });
});

/** The CONNACK reason code a fresh 5.0 client gets (0: accepted). */
async function connackCode(port: number): Promise<number | undefined> {
  const attempt = connect(`mqtt://127.0.0.1:${port}`, {
    reconnectPeriod: 0,
    protocolVersion: 5,
    connectTimeout: 5000,
  });
  const code = await new Promise<number | undefined>((r) => {
    attempt.once("connect", () => r(0));
    attempt.once("error", (e) => r((e as { code?: number }).code));
  });
  attempt.end(true);
  return code;
}

describe("amqtt --workers", () => {
  it("starts a worker that died again; the port keeps serving", async () => {
    const primary = await startAmqtt(
      ["-c", configFile(), "--memory", "--cluster", redis.url, "--workers", "2"],
      mkdtempSync(join(dir, "cwd-")),
    );
    const pids = () =>
      [...primary.stderr().matchAll(/cluster node \{[^}]*"pid":(\d+)/g)].map((m) => Number(m[1]));
    const deadline = Date.now() + 15_000;
    while (pids().length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const [victim] = pids();
    process.kill(victim!, "SIGKILL");
    while (pids().length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(pids()).toHaveLength(3);
    expect(primary.stderr()).toContain("a worker died; starting it again");
    for (let i = 0; i < 4; i++) {
      const c = await client(primary.port);
      await c.subscribeAsync("alive");
    }
    primary.child.kill("SIGTERM");
    expect(await primary.exit).toBe(0);
  });
});

describe("a node SIGKILLed mid-stream", () => {
  const seed = Number(process.env.AMQTT_KILL_SEED ?? Date.now() % 100_000);

  it(`loses no acknowledged QoS 1 message and publishes the will once (seed ${seed})`, async () => {
    // The seed picks when the publisher's node dies.
    const killAfter = 20 + (seed % 60);
    const [a, b] = await startNodes(3);
    const sub = await client(b!.port, { clientId: "watcher", clean: false });
    await sub.subscribeAsync("s/#", { qos: 1 });
    const pub = await client(a!.port, {
      clientId: "doomed",
      will: { topic: "s/will", payload: Buffer.from("gone"), qos: 1, retain: false },
    });
    await routed(pub, sub, "s/probe");
    const received = new Set<string>();
    let wills = 0;
    sub.on("message", (t, p) => {
      if (t === "s/stream") received.add(p.toString());
      if (t === "s/will" && p.toString() === "gone") wills++;
    });
    const acked: string[] = [];
    pub.on("error", () => undefined);
    let open = true;
    const closed = new Promise<void>((resolve) =>
      pub.once("close", () => {
        open = false;
        resolve();
      }),
    );
    // Up to 10 in flight, so several are unacknowledged when the node dies; each PUBACK is recorded.
    const inFlight = new Set<Promise<void>>();
    for (let i = 0; open && i < killAfter + 200; i++) {
      if (i === killAfter) a!.child.kill("SIGKILL");
      const payload = String(i);
      const p = pub.publishAsync("s/stream", payload, { qos: 1 }).then(
        () => {
          acked.push(payload);
        },
        () => undefined,
      );
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
      if (inFlight.size >= 10) await Promise.race([...inFlight, closed]);
    }
    await a!.exit;
    expect(acked.length, `seed ${seed}: acknowledged before the kill`).toBeGreaterThan(0);
    // Lease expiry (2 s) then the adopter publishes the will, once.
    const deadline = Date.now() + 15_000;
    while ((wills === 0 || acked.some((m) => !received.has(m))) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(
      acked.filter((m) => !received.has(m)),
      `seed ${seed}: acknowledged but lost`,
    ).toEqual([]);
    expect(wills, `seed ${seed}: wills`).toBe(1);
    await new Promise((r) => setTimeout(r, 500));
    expect(wills, `seed ${seed}: wills, later`).toBe(1);
  });
});

describe("differential: one amqtt and a 3-process cluster", () => {
  // Three seeds by default (about 4 s each); replay others with AMQTT_DIFF_SEEDS=<seed,...>.
  const seeds = (process.env.AMQTT_DIFF_SEEDS ?? "7,11,23").split(",").map(Number);
  const TOPICS = ["d/a", "d/a/b", "d/x/1", "d/x/2"];
  const FILTERS = ["d/a", "d/a/#", "d/+/1", "d/#", "d/x/+"];

  /** The seeded workload: subscribers (node, filters) and publishes (publisher, node, topic, qos). */
  function workload(seed: number) {
    const random = seededRandom(seed);
    const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
    const subscribers = Array.from({ length: 4 }, (_, i) => ({
      id: `dsub${i}`,
      node: Math.floor(random() * 3),
      filters: Object.fromEntries(
        Array.from({ length: 2 }, () => [pick(FILTERS), { qos: pick([0, 1, 2] as const) }]),
      ),
    }));
    const publishers = [0, 1, 2].map(() => Math.floor(random() * 3));
    const publishes = Array.from({ length: 40 }, (_, i) => {
      const publisher = Math.floor(random() * 3);
      const qos = pick([0, 1, 2] as const);
      return {
        publisher,
        node: publishers[publisher]!,
        topic: pick(TOPICS),
        qos,
        payload: `p${publisher}-${i}-q${qos}`,
      };
    });
    return { subscribers, publishes };
  }

  async function run(seed: number, ports: number[], total?: number): Promise<Map<string, string[]>> {
    const w = workload(seed);
    const got = new Map<string, string[]>();
    const subs: MqttClient[] = [];
    for (const s of w.subscribers) {
      const c = await client(ports[s.node]!, { clientId: s.id });
      const lines: string[] = [];
      got.set(s.id, lines);
      // Recorded as each PUBLISH packet arrives: MQTT.js emits a QoS 2 message only
      // once the PUBREL came, so its "message" events can reorder what the broker sent.
      c.on("packetreceive", (packet) => {
        if (packet.cmd === "publish" && packet.topic.startsWith("d/"))
          lines.push(`${packet.topic} ${packet.payload.toString()} ${packet.qos}`);
      });
      await c.subscribeAsync({ ...s.filters, "probe/routes": { qos: 0 } });
      subs.push(c);
    }
    const pubs = new Map<number, MqttClient>();
    for (const p of w.publishes) {
      let c = pubs.get(p.publisher);
      if (c === undefined) {
        c = await client(ports[p.node]!, { clientId: `dpub${p.publisher}` });
        // Every subscriber's routes reached this publisher's node.
        for (const s of subs) await routed(c, s, "probe/routes");
        pubs.set(p.publisher, c);
      }
      await c.publishAsync(p.topic, p.payload, { qos: p.qos });
    }
    const count = () => [...got.values()].reduce((n, l) => n + l.length, 0);
    const deadline = Date.now() + 15_000;
    while (count() < (total ?? 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    // Nothing more comes: a round trip per subscriber after the last delivery.
    for (const s of subs) await s.subscribeAsync("probe/none");
    return got;
  }

  it.each(seeds)(
    "seed %i: the same deliveries per subscriber, in order per publisher and topic",
    async (seed) => {
      const single = await startAmqtt(["-c", configFile(null), "--memory"], mkdtempSync(join(dir, "cwd-")));
      const one = await run(seed, [single.port, single.port, single.port]);
      const total = [...one.values()].reduce((n, l) => n + l.length, 0);
      expect(total).toBeGreaterThan(0);
      for (const c of clients.splice(0)) c.end(true);
      const nodes = await startNodes(3);
      const many = await run(
        seed,
        nodes.map((n) => n.port),
        total,
      );
      // MQTT orders per topic and QoS (5.0 [MQTT-4.6.0-5], 3.1.1 [MQTT-4.6.0-6]); one broker
      // and the cluster keep the order per publisher and topic whatever the QoS.
      const perPublisherAndTopic = (lines: string[]) => {
        const out: Record<string, string[]> = {};
        for (const l of lines) {
          const [topic, payload] = l.split(" ");
          const key = `${topic} ${payload!.split("-")[0]}`;
          out[key] = [...(out[key] ?? []), l];
        }
        return out;
      };
      for (const [id, lines] of one) {
        expect([...many.get(id)!].sort(), `seed ${seed} ${id}`).toEqual([...lines].sort());
        expect(
          perPublisherAndTopic(many.get(id)!),
          `seed ${seed} ${id} order (3.1.1 clients) [MQTT-4.6.0-6]`,
        ).toEqual(perPublisherAndTopic(lines));
      }
    },
    60_000,
  );
});
