// Memory benchmark: Redis memory per persistent session and per queued message
// in @amqtt/store-redis, the default store of a cluster node. N sessions as the
// broker saves them (one subscription, no will, nothing in flight) and fenced
// as a cluster node fences them (one epoch key each), then K queued messages
// per session (QoS 1, TOPIC_BYTES-byte topic, PAYLOAD-byte payload, as an
// offline client's queue fills). `INFO memory` used_memory before and after
// each step; redis-server (no persistence: memory does not depend on it) is
// started here on a free loopback port and killed by PID. The named peer in the
// same run: Mosquitto (no persistence) holding the same N persistent sessions
// and N*K queued messages in its own memory, made over raw MQTT 3.1.1 sockets
// (@amqtt/codec encodes); its RSS (VmRSS) before and after, against Redis's
// used_memory_rss, as a ratio.
//   N=10000 K=10 PAYLOAD=64 pnpm --filter @amqtt/store-redis bench:memory
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encode311, PacketType } from "@amqtt/codec";
import { Redis } from "ioredis";
import { freePort, writeMosquittoConf } from "../../../tooling/bench/lib/net.mjs";
import { RedisStore } from "../dist/index.js";

const N = Number(process.env.N || 10000);
const K = Number(process.env.K || 10);
const PAYLOAD = Number(process.env.PAYLOAD || 64);
const dir = mkdtempSync(join(tmpdir(), "amqtt-store-redis-memory-"));
const port = await freePort();
const conf = join(dir, "redis.conf");
writeFileSync(conf, [`port ${port}`, "bind 127.0.0.1", `dir ${dir}`, "save ''", "appendonly no"].join("\n"));
const child = spawn("redis-server", [conf], { stdio: "ignore" });
process.on("exit", () => {
  child.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});
const admin = new Redis({ port, host: "127.0.0.1", retryStrategy: () => 50, maxRetriesPerRequest: null });
admin.on("error", () => {}); // refused connections until it listens
await admin.ping();

/** Redis's `used_memory` and `used_memory_rss`. */
async function redisMemory() {
  const info = await admin.info("memory");
  return {
    used: Number(/^used_memory:(\d+)/m.exec(info)?.[1]),
    rss: Number(/^used_memory_rss:(\d+)/m.exec(info)?.[1]),
  };
}

/** A session record as the broker writes a connected persistent session. */
function record(i) {
  return {
    version: 1,
    clientId: `device-${String(i).padStart(7, "0")}`,
    protocolVersion: 5,
    sessionExpiryInterval: 3600,
    subscriptions: [
      {
        topicFilter: `devices/${i}/cmd/#`,
        qos: 1,
        noLocal: false,
        retainAsPublished: false,
        retainHandling: 0,
      },
    ],
    outgoing: { version: 1, kind: "qos-sender", nextSeq: 1, inFlight: [], waiting: [] },
    incoming: { version: 1, kind: "qos-receiver", awaitingRelease: [] },
  };
}

const store = new RedisStore({
  url: `redis://127.0.0.1:${port}`,
  limits: { maxQueuedMessages: Number.POSITIVE_INFINITY, maxQueuedBytes: Number.POSITIVE_INFINITY },
});
await store.open();
const payload = new Uint8Array(PAYLOAD).fill(0x61);
const topic = (i) => `devices/${i}/cmd/set`;
const CHUNK = 1000;

const empty = await redisMemory();
for (let start = 0; start < N; start += CHUNK) {
  for (let i = start; i < Math.min(N, start + CHUNK); i++) {
    const r = record(i);
    void store.saveSession(r);
    void store.fence(r.clientId, 1);
  }
  await store.flush();
}
const withSessions = await redisMemory();
for (let start = 0; start < N; start += CHUNK) {
  for (let i = start; i < Math.min(N, start + CHUNK); i++)
    for (let k = 0; k < K; k++)
      void store.enqueue(record(i).clientId, {
        topic: topic(i),
        payload,
        qos: 1,
        retain: false,
        enqueuedAt: Date.now(),
      });
  await store.flush();
}
const withQueues = await redisMemory();
const keys = await admin.dbsize();
await store.close();
await admin.quit();
child.kill("SIGKILL");

// Mosquitto, the same sessions and queues.
const mport = await freePort();
const mconf = writeMosquittoConf(dir, mport, ["persistence false", `max_queued_messages ${K + 10}`]);
const mosquitto = spawn("mosquitto", ["-c", mconf], { stdio: "ignore" });
process.on("exit", () => mosquitto.kill("SIGKILL"));
const rss = () =>
  Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${mosquitto.pid}/status`, "utf8"))?.[1]) * 1024;

/** A raw MQTT 3.1.1 socket; `replies(bytes)` resolves once that many bytes came back. */
function socket() {
  return new Promise((resolve, reject) => {
    const s = connect(mport, "127.0.0.1");
    let got = 0;
    let wanted = 0;
    let wake = () => {};
    s.on("data", (d) => {
      got += d.length;
      if (got >= wanted) wake();
    });
    s.once("error", reject);
    s.once("connect", () =>
      resolve({
        send: (packet) => s.write(encode311(packet)),
        replies(bytes) {
          wanted += bytes;
          return got >= wanted ? Promise.resolve() : new Promise((r) => (wake = r));
        },
        end: () => new Promise((r) => s.end(r)),
      }),
    );
  });
}
const CONNACK = 4;
const SUBACK = 5;
const PUBACK = 4;
async function mosquittoSession(i) {
  const c = await socket();
  c.send({
    type: PacketType.CONNECT,
    protocolVersion: 4,
    clean: false,
    keepAlive: 0,
    clientId: record(i).clientId,
  });
  c.send({
    type: PacketType.SUBSCRIBE,
    packetId: 1,
    subscriptions: [{ topicFilter: `devices/${i}/cmd/#`, qos: 1 }],
  });
  await c.replies(CONNACK + SUBACK);
  c.send({ type: PacketType.DISCONNECT });
  await c.end();
}
for (let tries = 0; ; tries++) {
  try {
    await (await socket()).end();
    break;
  } catch (error) {
    if (tries > 100) throw error;
    await new Promise((r) => setTimeout(r, 50));
  }
}
const mEmpty = rss();
for (let start = 0; start < N; start += 100) {
  const batch = [];
  for (let i = start; i < Math.min(N, start + 100); i++) batch.push(mosquittoSession(i));
  await Promise.all(batch);
}
await new Promise((r) => setTimeout(r, 200));
const mSessions = rss();
const pub = await socket();
pub.send({ type: PacketType.CONNECT, protocolVersion: 4, clean: true, keepAlive: 0, clientId: "bench-pub" });
await pub.replies(CONNACK);
// In chunks of 1000 (packet ids 1 to 1000), each acknowledged before the next.
const topics = [];
for (let i = 0; i < N; i++) for (let k = 0; k < K; k++) topics.push(topic(i));
for (let start = 0; start < topics.length; start += 1000) {
  const chunk = topics.slice(start, start + 1000);
  for (const [j, t] of chunk.entries())
    pub.send({
      type: PacketType.PUBLISH,
      topic: t,
      payload,
      qos: 1,
      retain: false,
      dup: false,
      packetId: j + 1,
    });
  await pub.replies(chunk.length * PUBACK);
}
await pub.end();
await new Promise((r) => setTimeout(r, 200));
const mQueues = rss();
mosquitto.kill("SIGKILL");

const each = (after, before, count) => (count === 0 ? 0 : (after - before) / count);
const rows = [
  {
    what: "per session (1 subscription)",
    "redis used_memory": each(withSessions.used, empty.used, N),
    "redis rss": each(withSessions.rss, empty.rss, N),
    "mosquitto rss": each(mSessions, mEmpty, N),
  },
  {
    what: "per queued message",
    "redis used_memory": each(withQueues.used, withSessions.used, N * K),
    "redis rss": each(withQueues.rss, withSessions.rss, N * K),
    "mosquitto rss": each(mQueues, mSessions, N * K),
  },
];
for (const r of rows) {
  r["ratio used_memory / mosquitto"] = (r["redis used_memory"] / r["mosquitto rss"]).toFixed(2);
  r["ratio rss / mosquitto"] = (r["redis rss"] / r["mosquitto rss"]).toFixed(2);
  for (const k of ["redis used_memory", "redis rss", "mosquitto rss"]) r[k] = r[k].toFixed(0);
}
console.log(
  `N=${N} sessions (1 subscription, fenced), K=${K} queued QoS 1 messages each (topic ${topic(0).length} B, payload ${PAYLOAD} B); redis keys ${keys}; bytes each`,
);
console.table(rows);
