// `pnpm --filter @amqtt/broker bench:subs`: what subscriptions cost. One clean
// client subscribes to N distinct filters (BATCH per SUBSCRIBE, each SUBSCRIBE
// waiting for its SUBACK) on ours with the memory store, ours with SQLite, and
// Mosquitto, in the same run. Reports wall time, RSS delta and (ours) heap delta
// after a full GC, per subscription, and the ratio to Mosquitto.
// BROKERS may add "base-memory base-sqlite" with BASE_BIN=<main>/packages/cli/dist/bin.js
// for before and after in the same run. Knobs: SUBS (default 100000), BATCH (100), BROKERS ("memory sqlite mosquitto"),
// MAX_SUBS (max_subscriptions_per_client for ours; default: SUBS, so the bound
// does not refuse any; "none" leaves the key out, for builds that predate it),
// WILDCARD=1 (every 10th filter ends in /+), SNAPSHOTS=1 (ours: heap snapshots
// before and after, in the cwd; compare them with bench/lib/heap-summary.mjs).
import { PacketType } from "@amqtt/codec";
import { kib, mib, startBroker } from "./lib/brokers.mjs";
import { RawClient } from "./lib/client.mjs";

const N = Number(process.env.SUBS ?? 100_000);
const BATCH = Number(process.env.BATCH ?? 100);
const KINDS = (process.env.BROKERS ?? "memory sqlite mosquitto").split(/\s+/).filter(Boolean);
const MAX_SUBS = process.env.MAX_SUBS ?? String(N);
const WILDCARD = process.env.WILDCARD === "1";
const SNAPSHOTS = process.env.SNAPSHOTS === "1";

function filterOf(i) {
  return WILDCARD && i % 10 === 0 ? `bench/sub/${i}/+` : `bench/sub/${i}`;
}

async function run(kind) {
  const broker = await startBroker(
    kind,
    MAX_SUBS === "none" || kind.startsWith("base-") ? "" : `max_subscriptions_per_client: ${MAX_SUBS}\n`,
  );
  try {
    const client = new RawClient(broker.port, 4);
    await client.open("subs-bench", true);
    const before = await broker.memory();
    const snapBefore = SNAPSHOTS && kind !== "mosquitto" ? await broker.heapSnapshot() : undefined;
    const t0 = performance.now();
    let refused = 0;
    for (let i = 0, id = 1; i < N; i += BATCH, id = (id % 65535) + 1) {
      const subscriptions = [];
      for (let k = i; k < Math.min(N, i + BATCH); k++)
        subscriptions.push({ topicFilter: filterOf(k), qos: 1 });
      const ack = client.next(PacketType.SUBACK);
      client.send({ type: PacketType.SUBSCRIBE, packetId: id, subscriptions });
      const suback = await ack;
      refused += suback.reasonCodes.filter((c) => c >= 0x80).length;
    }
    const seconds = (performance.now() - t0) / 1000;
    const after = await broker.memory();
    if (snapBefore !== undefined)
      console.error(
        `heap snapshots: ${snapBefore} ${await broker.heapSnapshot()} (bench/lib/heap-summary.mjs)`,
      );
    await client.destroy();
    const rss = after.rss - before.rss;
    const heap = after.heap === undefined ? undefined : after.heap - before.heap;
    return { name: broker.name, seconds, rss, heap, refused };
  } finally {
    await broker.stop();
  }
}

const rows = [];
for (const kind of KINDS) rows.push(await run(kind));
const peer = rows.find((r) => r.name === "mosquitto");
console.log(`## ${N} subscriptions of one clean client, ${BATCH} per SUBSCRIBE (3.1.1)`);
console.log(
  "broker         | time s | subs/s  | RSS delta | RSS/sub   | heap/sub  | RSS/sub vs mosquitto | refused",
);
for (const r of rows) {
  const ratio = peer === undefined || peer.rss <= 0 ? "-" : `${(r.rss / peer.rss).toFixed(2)}x`;
  console.log(
    [
      r.name.padEnd(14),
      r.seconds.toFixed(2).padStart(6),
      String(Math.round(N / r.seconds)).padStart(7),
      mib(r.rss).padStart(9),
      kib(r.rss / N).padStart(9),
      (r.heap === undefined ? "-" : kib(r.heap / N)).padStart(9),
      ratio.padStart(20),
      String(r.refused).padStart(7),
    ].join(" | "),
  );
}
