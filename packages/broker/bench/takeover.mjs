// `pnpm --filter @amqtt/broker bench:takeover`: what take-over churn leaves
// behind. N connections with the same client id, each taking over the one
// before (which is then closed by the broker), on ours with the memory store,
// ours with SQLite, and Mosquitto, in the same run. Reports the take-over rate
// and the RSS (and, ours, heap after a full GC) left once the churn settled.
// Each take-over waits for its CONNACK and for the close of the connection it
// replaced. Knobs: TAKEOVERS (default 100000), CLEAN (1: Clean Session 1, the default; 0: a persistent session), BROKERS
// ("memory sqlite mosquitto"; add "base-memory base-sqlite" with BASE_BIN=<main's
// packages/cli/dist/bin.js> for before and after in one run), VERSION (4 or 5, default 5), KEEPALIVE (s, default
// 60), WILL=1 (a will, 5.0 with a Will Delay Interval), STORM (connections in flight at once, default 1:
// one after the other), SNAPSHOTS=1 (ours: heap snapshots before/after).
import { PacketType } from "@amqtt/codec";
import { kib, mib, startBroker } from "./lib/brokers.mjs";
import { RawClient } from "./lib/client.mjs";

const N = Number(process.env.TAKEOVERS ?? 100_000);
const CLEAN = process.env.CLEAN !== "0";
const KINDS = (process.env.BROKERS ?? "memory sqlite mosquitto").split(/\s+/).filter(Boolean);
const SNAPSHOTS = process.env.SNAPSHOTS === "1";
const STORM = Number(process.env.STORM ?? 1);
const VERSION = Number(process.env.VERSION ?? 5);
const KEEPALIVE = Number(process.env.KEEPALIVE ?? 60);
const WILL = process.env.WILL === "1";
const CONNECT = {
  keepAlive: KEEPALIVE,
  ...(VERSION === 5 && !CLEAN ? { properties: { sessionExpiryInterval: 3600 } } : {}),
  ...(WILL
    ? {
        will: {
          topic: "takeover/will",
          payload: new Uint8Array(8),
          qos: 1,
          retain: false,
          ...(VERSION === 5 ? { properties: { willDelayInterval: 30 } } : {}),
        },
      }
    : {}),
};
const ID = "takeover-bench";

/** One take-over: connect with the shared id, wait for CONNACK; the broker closes the previous one. */
async function takeOver(port, previous) {
  const c = new RawClient(port, VERSION);
  await c.open(ID, CLEAN, CONNECT);
  // The taken-over connection is closed by the broker; wait for that, so sockets do not pile up.
  if (previous !== undefined) await previous.closed;
  return c;
}

/** `count` take-overs in a row; resolves with the last (still open) connection. */
async function churn(port, count) {
  if (STORM > 1) return storm(port, count);
  let last;
  for (let i = 0; i < count; i++) last = await takeOver(port, last);
  return last;
}

/**
 * A take-over storm: STORM connections with the same id in flight at once,
 * each sending CONNECT without waiting for the others; each ends when it got
 * its CONNACK and was taken over (or was closed before its CONNACK).
 */
async function storm(port, count) {
  let started = 0;
  let last;
  const worker = async () => {
    while (started < count) {
      started++;
      const c = new RawClient(port, VERSION);
      last = c;
      const acked = c.open(ID, CLEAN, CONNECT);
      await Promise.race([acked, c.closed]);
      if (c !== last) await c.closed;
    }
  };
  await Promise.all(Array.from({ length: STORM }, worker));
  // The last one may have been taken over by an earlier one still in flight: open a final one.
  return takeOver(port, undefined);
}

async function run(kind) {
  const broker = await startBroker(kind);
  try {
    // Warm-up: the first take-overs load code and fill caches that stay anyway.
    const warm = await churn(broker.port, Math.min(N, 1000));
    await warm.destroy();
    const before = await broker.memory();
    const rssBefore = broker.rssNow();
    const snapBefore = SNAPSHOTS && kind !== "mosquitto" ? await broker.heapSnapshot() : undefined;
    const t0 = performance.now();
    const last = await churn(broker.port, N);
    const seconds = (performance.now() - t0) / 1000;
    const ack = last.next(PacketType.PINGRESP);
    last.send({ type: PacketType.PINGREQ });
    await ack;
    await last.destroy();
    await new Promise((r) => setTimeout(r, 2000));
    const rssSettled = broker.rssNow() - rssBefore;
    const after = await broker.memory();
    if (snapBefore !== undefined)
      console.error(
        `heap snapshots: ${snapBefore} ${await broker.heapSnapshot()} (bench/lib/heap-summary.mjs)`,
      );
    return {
      name: broker.name,
      seconds,
      rss: after.rss - before.rss,
      rssSettled,
      heap: after.heap === undefined ? undefined : after.heap - before.heap,
    };
  } finally {
    await broker.stop();
  }
}

const rows = [];
for (const kind of KINDS) rows.push(await run(kind));
const peer = rows.find((r) => r.name === "mosquitto");
console.log(
  `## ${N} take-overs of one client id, Clean ${CLEAN ? 1 : 0}, level ${VERSION}, keep alive ${KEEPALIVE} s${WILL ? ", will" : ""}, ${STORM} in flight`,
);
console.log(
  "broker         | time s | take-overs/s | rate vs mosquitto | RSS +2 s, no GC | RSS after GC | heap after GC | heap/take-over",
);
for (const r of rows) {
  const rate = N / r.seconds;
  const ratio = peer === undefined ? "-" : `${(rate / (N / peer.seconds)).toFixed(2)}x`;
  console.log(
    [
      r.name.padEnd(14),
      r.seconds.toFixed(2).padStart(6),
      String(Math.round(rate)).padStart(12),
      ratio.padStart(17),
      mib(r.rssSettled).padStart(15),
      mib(r.rss).padStart(12),
      (r.heap === undefined ? "-" : mib(r.heap)).padStart(13),
      (r.heap === undefined ? "-" : kib(r.heap / N)).padStart(14),
    ].join(" | "),
  );
}
