// Store benchmark: persistent QoS 1 offline queueing as the broker does it:
// each event-loop turn enqueues BATCH messages (64-byte payload) for an offline
// client and awaits flush() (the point where the broker may send PUBACK); then
// the queue is drained the way a reconnecting client is served: peek up to 100,
// ack them, flush. SqliteStore (durability full and relaxed) against the
// MemoryStore of @amqtt/store, in one run. Each case runs for about SECONDS [1]
// of enqueueing, RUNS [3] times; medians and ratios to the memory store are printed.
// Run from the repository: `pnpm --filter @amqtt/store-sqlite bench` (builds first).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryStore } from "@amqtt/store";
import { SqliteStore } from "../dist/index.js";

const RUNS = Number(process.env.RUNS || 3);
const SECONDS = Number(process.env.SECONDS || 1);
const BATCHES = [1, 10, 100];
const payload = new Uint8Array(64).fill(0x61);
const limits = { maxQueuedMessages: Number.POSITIVE_INFINITY, maxQueuedBytes: Number.POSITIVE_INFINITY };
const dir = mkdtempSync(join(tmpdir(), "amqtt-store-bench-"));

const stores = {
  memory: () => new MemoryStore({ limits }),
  "sqlite full": (path) => new SqliteStore({ path, limits }),
  "sqlite relaxed": (path) => new SqliteStore({ path, limits, durability: "relaxed" }),
};

async function runOnce(make, batch, run) {
  const store = make(join(dir, `bench-${run}-${batch}-${Math.random().toString(36).slice(2)}.db`));
  await store.open();
  const message = { topic: "bench/queue", payload, qos: 1, retain: false, enqueuedAt: Date.now() };
  let enqueued = 0;
  const t0 = process.hrtime.bigint();
  const end = t0 + BigInt(Math.round(SECONDS * 1e9));
  while (process.hrtime.bigint() < end) {
    for (let i = 0; i < batch; i++) void store.enqueue("offline-client", message);
    await store.flush();
    enqueued += batch;
  }
  const t1 = process.hrtime.bigint();
  let drained = 0;
  for (;;) {
    const entries = await store.peekQueue("offline-client", 100);
    if (entries.length === 0) break;
    await store.ackQueue("offline-client", entries[entries.length - 1].seq);
    await store.flush();
    drained += entries.length;
  }
  const t2 = process.hrtime.bigint();
  await store.close();
  if (drained !== enqueued) throw new Error(`drained ${drained} of ${enqueued}`);
  return { enqueue: enqueued / (Number(t1 - t0) / 1e9), drain: drained / (Number(t2 - t1) / 1e9) };
}

function median(xs) {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const rows = [];
try {
  for (const batch of BATCHES) {
    const results = {};
    for (const [name, make] of Object.entries(stores)) {
      await runOnce(make, batch, "warm-up");
      const runs = [];
      for (let run = 0; run < RUNS; run++) runs.push(await runOnce(make, batch, run));
      results[name] = {
        enqueue: median(runs.map((r) => r.enqueue)),
        drain: median(runs.map((r) => r.drain)),
      };
    }
    for (const [name, r] of Object.entries(results)) {
      rows.push({
        "messages per turn": batch,
        store: name,
        "enqueue+flush msg/s": Math.round(r.enqueue),
        "vs memory": (r.enqueue / results.memory.enqueue).toFixed(3),
        "drain msg/s": Math.round(r.drain),
        "drain vs memory": (r.drain / results.memory.drain).toFixed(3),
      });
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

console.log(
  `store throughput, 64-byte payloads, median of ${RUNS} runs of ~${SECONDS}s (node ${process.version})`,
);
console.table(rows);
