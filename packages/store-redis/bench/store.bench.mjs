// Store benchmark: what the broker asks of its store, per operation, on Redis
// (AOF appendfsync everysec, and always) against the SQLite store (durability
// full, its default) in one run, as ratios to SQLite:
//   enqueue  each event-loop turn enqueues BATCH messages (64-byte payload) for
//            an offline client, then awaits flush() (where the broker may PUBACK);
//   ack      the queue is drained as for a reconnecting client: peek 100, ack, flush;
//   session  each turn saves 10 session records (2 subscriptions, a will), then flush.
// Each case runs ~SECONDS [1] RUNS [5] times, the stores taking turns; medians. Redis also reports the
// commands it ran per operation (INFO commandstats, which counts the commands
// run inside the Lua scripts too; ack counts one op per peek+ack of 100). redis-server is started
// here on a free loopback port in a temp dir and killed by PID.
// Run from the repository: `pnpm --filter @amqtt/store-redis bench` (builds first).
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteStore } from "@amqtt/store-sqlite";
import { Redis } from "ioredis";
import { freePort } from "../../../tooling/bench/lib/net.mjs";
import { RedisStore } from "../dist/index.js";

const RUNS = Number(process.env.RUNS || 5);
const SECONDS = Number(process.env.SECONDS || 1);
const BATCHES = [1, 100];
const payload = new Uint8Array(64).fill(0x61);
const limits = { maxQueuedMessages: Number.POSITIVE_INFINITY, maxQueuedBytes: Number.POSITIVE_INFINITY };
const dir = mkdtempSync(join(tmpdir(), "amqtt-store-redis-bench-"));

async function startRedis(appendfsync) {
  const port = await freePort();
  const folder = mkdtempSync(join(dir, `redis-${appendfsync}-`));
  const conf = join(folder, "redis.conf");
  writeFileSync(
    conf,
    [
      `port ${port}`,
      "bind 127.0.0.1",
      `dir ${folder}`,
      "save ''",
      "appendonly yes",
      `appendfsync ${appendfsync}`,
    ].join("\n"),
  );
  const child = spawn("redis-server", [conf], { stdio: "ignore" });
  // ioredis retries the connection until redis-server listens; the PING waits for it.
  const admin = new Redis({ port, host: "127.0.0.1", retryStrategy: () => 50, maxRetriesPerRequest: null });
  admin.on("error", () => {}); // refused connections until it listens
  await admin.ping();
  return {
    url: `redis://127.0.0.1:${port}`,
    admin,
    async commands() {
      const info = await admin.info("commandstats");
      let calls = 0;
      for (const m of info.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm))
        if (m[1] !== "info") calls += Number(m[2]);
      return calls;
    },
    async stop() {
      await admin.quit();
      child.kill("SIGKILL");
    },
  };
}

function session(i) {
  return {
    version: 1,
    clientId: `bench-${i}`,
    protocolVersion: 5,
    sessionExpiryInterval: 3600,
    will: { topic: `status/${i}`, payload, qos: 1, retain: true },
    subscriptions: [
      { topicFilter: "a/+/c", qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0 },
      { topicFilter: `devices/${i}/#`, qos: 2, noLocal: false, retainAsPublished: false, retainHandling: 0 },
    ],
    outgoing: { version: 1, kind: "qos-sender", nextSeq: 1, inFlight: [], waiting: [] },
    incoming: { version: 1, kind: "qos-receiver", awaitingRelease: [] },
  };
}

const untilDeadline = () => {
  const end = process.hrtime.bigint() + BigInt(Math.round(SECONDS * 1e9));
  return () => process.hrtime.bigint() < end;
};
const perSecond = (n, t0) => n / (Number(process.hrtime.bigint() - t0) / 1e9);

async function runOnce(make, batch) {
  const store = make();
  await store.open();
  const message = { topic: "bench/queue", payload, qos: 1, retain: false, enqueuedAt: Date.now() };
  const client = `offline-${Math.random().toString(36).slice(2)}`;
  let enqueued = 0;
  let going = untilDeadline();
  let t0 = process.hrtime.bigint();
  while (going()) {
    for (let i = 0; i < batch; i++) void store.enqueue(client, message);
    await store.flush();
    enqueued += batch;
  }
  const enqueue = perSecond(enqueued, t0);
  t0 = process.hrtime.bigint();
  let acked = 0;
  for (;;) {
    const entries = await store.peekQueue(client, 100);
    if (entries.length === 0) break;
    await store.ackQueue(client, entries[entries.length - 1].seq);
    await store.flush();
    acked += entries.length;
  }
  const ack = perSecond(acked, t0);
  if (acked !== enqueued) throw new Error(`drained ${acked} of ${enqueued}`);
  let saved = 0;
  going = untilDeadline();
  t0 = process.hrtime.bigint();
  while (going()) {
    for (let i = 0; i < 10; i++) void store.saveSession(session(saved + i));
    await store.flush();
    saved += 10;
  }
  const sessions = perSecond(saved, t0);
  await store.close();
  return { enqueue, ack, sessions, ops: { enqueued, acked, saved } };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const servers = { everysec: await startRedis("everysec"), always: await startRedis("always") };
const backends = {
  "sqlite (full)": { make: () => new SqliteStore({ path: join(dir, `b-${Math.random()}.db`), limits }) },
  "redis AOF everysec": {
    make: () => new RedisStore({ url: servers.everysec.url, limits }),
    redis: servers.everysec,
  },
  "redis AOF always": {
    make: () => new RedisStore({ url: servers.always.url, limits }),
    redis: servers.always,
  },
};

const rows = [];
try {
  for (const batch of BATCHES) {
    const runs = {};
    const commands = {};
    for (const [name, backend] of Object.entries(backends)) {
      runs[name] = [];
      await runOnce(backend.make, batch); // warm-up
    }
    // The stores take turns run by run, so a change in the machine's load hits them alike.
    for (let run = 0; run < RUNS; run++) {
      for (const [name, backend] of Object.entries(backends)) {
        const before = backend.redis ? await backend.redis.commands() : 0;
        const r = await runOnce(backend.make, batch);
        if (backend.redis) {
          const total = (await backend.redis.commands()) - before;
          commands[name] = total / (r.ops.enqueued + r.ops.acked / 100 + r.ops.saved);
        }
        runs[name].push(r);
      }
    }
    const results = {};
    for (const name of Object.keys(backends)) {
      results[name] = {
        enqueue: median(runs[name].map((r) => r.enqueue)),
        ack: median(runs[name].map((r) => r.ack)),
        sessions: median(runs[name].map((r) => r.sessions)),
        commands: commands[name],
      };
    }
    const peer = results["sqlite (full)"];
    for (const [name, r] of Object.entries(results)) {
      rows.push({
        "msgs/turn": batch,
        store: name,
        "enqueue msg/s": Math.round(r.enqueue),
        "enqueue vs sqlite": (r.enqueue / peer.enqueue).toFixed(2),
        "ack msg/s": Math.round(r.ack),
        "ack vs sqlite": (r.ack / peer.ack).toFixed(2),
        "session saves/s": Math.round(r.sessions),
        "saves vs sqlite": (r.sessions / peer.sessions).toFixed(2),
        "redis cmds/op (in scripts too)": r.commands === undefined ? "-" : r.commands.toFixed(2),
      });
    }
  }
} finally {
  for (const server of Object.values(servers)) await server.stop();
  rmSync(dir, { recursive: true, force: true });
}

console.log(
  `store operations, 64-byte payloads, median of ${RUNS} runs of ~${SECONDS}s, ratios to the SQLite store (node ${process.version})`,
);
console.table(rows);
