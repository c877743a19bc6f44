// Issue 19's client row: QoS 1 PUBLISH -> PUBACK round trip (p50/p99/p99.9) and the
// subscriber's receive latency, @amqtt/client vs MQTT.js, in one run, against the same
// brokers: Debian's Mosquitto and our broker (each in its own process). Not part of the tests.
// Run: pnpm --filter @amqtt/client bench:latency   (builds first), or after a build:
//      node --expose-gc bench/latency.bench.mjs
//
// Mosquitto runs with set_tcp_nodelay (our broker and both clients disable Nagle too).
// Both clients get the same payload (64 bytes), topic, timer and MQTT 3.1.1 connection
// options (keep alive 60 s, no reconnect). Measures (bench/latency-measures.mjs):
// - "sequential": one publish in flight, the next one starts at the PUBACK (the client's
//   fastest round trip: the rate is whatever the round trip allows).
// - "at RATE msg/s": publishes started on a fixed schedule (open loop; a late timer starts
//   the publishes that are due at once), each one timed from its publish() call to its
//   promise's resolution.
// - "receive at RATE msg/s": a bare-socket publisher per client (in this process) writes
//   QoS 1 PUBLISHes with the send time in the payload; the client under test, subscribed
//   with QoS 1, reads them as its users would (ours: `messages()`, MQTT.js: the "message"
//   event); latency = read time - send time.
// Interleaved so the machine's load (it is shared) falls on both clients alike: for each
// measure both clients connect and stay connected; after a warm-up and one full GC, each
// of ROUNDS rounds runs BLOCKS short blocks per client in the order ours, MQTT.js, MQTT.js,
// ours, ... (MQTT.js first in odd rounds), and a round's percentiles pool its blocks. Cells are medians
// over the rounds; "ratio" is MQTT.js / ours, so > 1 = ours faster; "won" counts the
// rounds in which ours was faster. Knobs: ROUNDS [5], BLOCKS [10], SEQ_COUNT [3000],
// RATE [1000], RATE_COUNT [3000] (samples per client per round), BROKERS [mosquitto,amqtt],
// MEASURES [sequential,rate,receive].

import { createRequire } from "node:module";
import { startAmqttBroker, startMosquitto } from "./brokers.mjs";
import { amqttDriver, mqttjsDriver } from "./drivers.mjs";
import { atRate, percentiles, receive, sequential } from "./latency-measures.mjs";

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const BLOCKS = Number(process.env.BLOCKS ?? 10);
const SEQ_COUNT = Number(process.env.SEQ_COUNT ?? 3_000);
const RATE = Number(process.env.RATE ?? 1_000);
const RATE_COUNT = Number(process.env.RATE_COUNT ?? 3_000);
const BROKERS = (process.env.BROKERS ?? "mosquitto,amqtt").split(",");
const payload = new Uint8Array(64).fill(0x61);
const mqttVersion = createRequire(import.meta.url)("mqtt/package.json").version;
const gc = globalThis.gc ?? (() => {});

const MEASURES = (process.env.MEASURES ?? "sequential,rate,receive").split(",");
const measures = [
  {
    key: "sequential",
    label: `QoS 1 round trip, sequential (${SEQ_COUNT})`,
    count: SEQ_COUNT,
    ...sequential(),
  },
  {
    key: "rate",
    label: `QoS 1 round trip at ${RATE} msg/s (${RATE_COUNT})`,
    count: RATE_COUNT,
    ...atRate(RATE),
  },
  {
    key: "receive",
    label: `QoS 1 receive latency at ${RATE} msg/s (${RATE_COUNT})`,
    count: RATE_COUNT,
    ...receive(RATE, payload),
  },
].filter((m) => MEASURES.includes(m.key));
const PARTS = ["p50", "p99", "p99.9"];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const ours = amqttDriver(payload);
const theirs = mqttjsDriver(payload, mqttVersion);

/** Both clients connected and prepared for `measure`; rows of per-round percentiles. */
async function compareMeasure(measure, url, rows) {
  const drivers = [ours, theirs];
  const clients = [];
  const runners = new Map();
  try {
    for (const d of drivers) {
      const c = await d.open(url);
      clients.push(c);
      runners.set(d, await measure.prepare(c, url));
    }
    const perBlock = Math.max(10, Math.floor(measure.count / BLOCKS));
    for (const d of drivers) await runners.get(d).block(Math.max(10, Math.floor(measure.count / 5))); // warm-up
    gc(); // once per measure: a collection forced before a round would fall on its first block only
    for (let round = 0; round < ROUNDS; round++) {
      const pooled = new Map(drivers.map((d) => [d, new Float64Array(perBlock * BLOCKS)]));
      for (let b = 0; b < BLOCKS; b++) {
        // ours, MQTT.js, MQTT.js, ours, ... (MQTT.js first in odd rounds): neither always leads.
        const order = (b + round) % 2 === 0 ? [ours, theirs] : [theirs, ours];
        for (const d of order) pooled.get(d).set(await runners.get(d).block(perBlock), b * perBlock);
      }
      const got = new Map(drivers.map((d) => [d, percentiles(pooled.get(d))]));
      for (const part of PARTS) {
        const label = `${measure.label}, ${part}`;
        let row = rows.get(label);
        if (row === undefined) {
          row = { ours: [], theirs: [] };
          rows.set(label, row);
        }
        row.ours.push(got.get(ours)[part]);
        row.theirs.push(got.get(theirs)[part]);
      }
    }
  } finally {
    for (const r of runners.values()) r.close();
    for (const c of clients) await c.close();
  }
}

async function compare(url) {
  const rows = new Map();
  for (const measure of measures) await compareMeasure(measure, url, rows);
  return rows;
}

function printTable(title, rows) {
  const fmt = (x) => Math.round(x).toLocaleString("en-US");
  console.log(`\n${title}`);
  console.log(
    `| measure | @amqtt/client | ${theirs.name} | ratio (MQTT.js / ours, > 1 = ours faster) | won |`,
  );
  console.log("| --- | ---: | ---: | ---: | ---: |");
  for (const [label, row] of rows) {
    const a = median(row.ours);
    const b = median(row.theirs);
    const won = row.ours.filter((x, i) => x < row.theirs[i]).length;
    console.log(`| ${label} | ${fmt(a)} µs | ${fmt(b)} µs | ${(b / a).toFixed(2)}x | ${won}/${ROUNDS} |`);
  }
}

console.log(
  `QoS 1 latency, 64-byte payloads, MQTT 3.1.1, medians of ${ROUNDS} rounds of ${BLOCKS} interleaved blocks per client after a warm-up; Node ${process.version}`,
);
const starters = { mosquitto: () => startMosquitto({ noDelay: true }), amqtt: startAmqttBroker };
for (const name of BROKERS) {
  const start = starters[name];
  if (start === undefined) throw new Error(`unknown broker ${name} (mosquitto, amqtt)`);
  const broker = await start();
  try {
    const rows = await compare(broker.url);
    const what =
      name === "mosquitto" ? `Mosquitto ${broker.version}` : "our broker (@amqtt/broker, own process)";
    printTable(`Against ${what} (${broker.url})`, rows);
  } finally {
    await broker.stop();
  }
}
