// `pnpm --filter @amqtt/broker bench:takeover`: what take-over churn leaves
// behind. N connections with the same client id, each taking over the one
// before (which is then closed by the broker), on ours with the memory store,
// ours with SQLite, and Mosquitto, in the same run. Reports the take-over rate
// and the RSS (and, ours, heap after a full GC) left once the churn settled.
// Each take-over waits for its CONNACK and for the close of the connection it
// replaced. Knobs: TAKEOVERS (default 100000), CLEAN (1: Clean Session 1, the default; 0: a persistent session), BROKERS
// ("memory sqlite mosquitto"), SNAPSHOTS=1 (ours: heap snapshots before/after).
import { PacketType } from "@amqtt/codec";
import { kib, mib, startBroker } from "./lib/brokers.mjs";
import { RawClient } from "./lib/client.mjs";

const N = Number(process.env.TAKEOVERS ?? 100_000);
const CLEAN = process.env.CLEAN !== "0";
const KINDS = (process.env.BROKERS ?? "memory sqlite mosquitto").split(/\s+/).filter(Boolean);
const SNAPSHOTS = process.env.SNAPSHOTS === "1";
const ID = "takeover-bench";

/** One take-over: connect with the shared id, wait for CONNACK; the broker closes the previous one. */
async function takeOver(port, previous) {
  const c = new RawClient(port, 4);
  await c.open(ID, CLEAN);
  // The taken-over connection is closed by the broker; wait for that, so sockets do not pile up.
  if (previous !== undefined) await previous.closed;
  return c;
}

/** `count` take-overs in a row; resolves with the last (still open) connection. */
async function churn(port, count) {
  let last;
  for (let i = 0; i < count; i++) last = await takeOver(port, last);
  return last;
}

async function run(kind) {
  const broker = await startBroker(kind);
  try {
    // Warm-up: the first take-overs load code and fill caches that stay anyway.
    const warm = await churn(broker.port, Math.min(N, 1000));
    await warm.destroy();
    const before = await broker.memory();
    const snapBefore = SNAPSHOTS && kind !== "mosquitto" ? await broker.heapSnapshot() : undefined;
    const t0 = performance.now();
    const last = await churn(broker.port, N);
    const seconds = (performance.now() - t0) / 1000;
    const ack = last.next(PacketType.PINGRESP);
    last.send({ type: PacketType.PINGREQ });
    await ack;
    await last.destroy();
    await new Promise((r) => setTimeout(r, 500));
    const after = await broker.memory();
    if (snapBefore !== undefined)
      console.error(`heap snapshots: ${snapBefore} ${await broker.heapSnapshot()} (bench/lib/heap-summary.mjs)`);
    return {
      name: broker.name,
      seconds,
      rss: after.rss - before.rss,
      heap: after.heap === undefined ? undefined : after.heap - before.heap,
    };
  } finally {
    await broker.stop();
  }
}

const rows = [];
for (const kind of KINDS) rows.push(await run(kind));
const peer = rows.find((r) => r.name === "mosquitto");
console.log(`## ${N} take-overs of one client id, Clean Session ${CLEAN ? 1 : 0} (3.1.1)`);
console.log("broker         | time s | take-overs/s | rate vs mosquitto | RSS kept  | heap kept | heap/take-over");
for (const r of rows) {
  const rate = N / r.seconds;
  const ratio = peer === undefined ? "-" : `${(rate / (N / peer.seconds)).toFixed(2)}x`;
  console.log(
    [
      r.name.padEnd(14),
      r.seconds.toFixed(2).padStart(6),
      String(Math.round(rate)).padStart(12),
      ratio.padStart(17),
      mib(r.rss).padStart(9),
      (r.heap === undefined ? "-" : mib(r.heap)).padStart(9),
      (r.heap === undefined ? "-" : kib(r.heap / N)).padStart(14),
    ].join(" | "),
  );
}
