// QoS 0 / QoS 1 publish throughput and QoS 1 round-trip latency against one
// Mosquitto, @amqtt/client vs MQTT.js, in one run. Not part of the tests.
// Run: pnpm --filter @amqtt/client bench   (builds first; needs Debian's mosquitto)
//
// Fairness rules: one broker for everything; the same message count, topic length
// and 64-byte payload for both clients; every timing stops when the broker has
// acknowledged the work (QoS 1 PUBACKs; for QoS 0, the PUBACK of a QoS 1 marker
// sent after them, which the broker reads last on that connection); a warm-up
// round first; then ROUNDS rounds in which the two clients run back to back in
// alternating order for each measure, a fresh connection each, with a GC between runs.
// The ratio column divides the medians; "rounds won" shows how steady the lead is on a shared machine.
// A second table repeats the measures against bench/ack-server.mjs, a peer that
// costs almost nothing, so the clients' own costs show (ACK_SERVER=0 skips it).
import { createRequire } from "node:module";
import { startAckServer, startMosquitto } from "./brokers.mjs";
import { amqttDriver, brokerCeiling, mqttjsDriver } from "./drivers.mjs";

const QOS0_COUNT = Number(process.env.QOS0_COUNT ?? 100_000);
const QOS1_COUNT = Number(process.env.QOS1_COUNT ?? 30_000);
const WINDOW = Number(process.env.WINDOW ?? 100);
const RTT_COUNT = Number(process.env.RTT_COUNT ?? 3_000);
const ROUNDS = Number(process.env.ROUNDS ?? 7);
const payload = new Uint8Array(64).fill(0x61);
const mqttVersion = createRequire(import.meta.url)("mqtt/package.json").version;

const gc = globalThis.gc ?? (() => {});

/** QoS 0: fire `count` publishes, then wait for the PUBACK of a QoS 1 marker behind them. */
async function qos0(c, count) {
  const t0 = performance.now();
  for (let i = 0; i < count; i++) c.publish("bench/0", 0);
  await c.publish("bench/0", 1);
  return (count / (performance.now() - t0)) * 1000;
}

/** QoS 1, everything in flight at once: fire `count` publishes, wait for every PUBACK. */
async function qos1All(c, count) {
  const t0 = performance.now();
  const all = new Array(count);
  for (let i = 0; i < count; i++) all[i] = c.publish("bench/1", 1);
  await Promise.all(all);
  return (count / (performance.now() - t0)) * 1000;
}

/** QoS 1 with a fixed window: `window` publishes outstanding, each PUBACK starts the next one. */
async function qos1Window(c, count, window) {
  const t0 = performance.now();
  let started = 0;
  const lane = async () => {
    while (started < count) {
      started++;
      await c.publish("bench/w", 1);
    }
  };
  await Promise.all(Array.from({ length: window }, lane));
  return (count / (performance.now() - t0)) * 1000;
}

/** QoS 1 round trips, one at a time: p50 and p99 in microseconds. */
async function qos1Rtt(c, count) {
  const samples = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await c.publish("bench/rtt", 1);
    samples[i] = (performance.now() - t0) * 1000;
  }
  samples.sort();
  return { p50: samples[Math.floor(count / 2)], p99: samples[Math.floor(count * 0.99)] };
}

const measures = [
  {
    key: "q0",
    label: `QoS 0 publish, ${QOS0_COUNT} msgs`,
    unit: "msg/s",
    higher: true,
    run: (c, n) => qos0(c, n(QOS0_COUNT)),
  },
  {
    key: "q1",
    label: `QoS 1 publish, ${QOS1_COUNT} msgs all in flight`,
    unit: "msg/s",
    higher: true,
    run: (c, n) => qos1All(c, n(QOS1_COUNT)),
  },
  {
    key: "qw",
    label: `QoS 1 publish, ${QOS1_COUNT} msgs, ${WINDOW} in flight`,
    unit: "msg/s",
    higher: true,
    run: (c, n) => qos1Window(c, n(QOS1_COUNT), WINDOW),
  },
  {
    key: "rtt",
    label: `QoS 1 round trip, ${RTT_COUNT} sequential`,
    unit: "µs",
    higher: false,
    run: (c, n) => qos1Rtt(c, n(RTT_COUNT)),
    split: ["p50", "p99"],
  },
];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function runOnce(driver, measure, url, scale) {
  gc();
  const c = await driver.open(url);
  try {
    return await measure.run(c, (n) => Math.max(1, Math.floor(n * scale)));
  } finally {
    await c.close();
  }
}

const ours = amqttDriver(payload);
const theirs = mqttjsDriver(payload, mqttVersion);

/** Run every measure against `url`: a warm-up, then ROUNDS alternating rounds. Returns the table rows. */
async function compare(url, withCeiling) {
  // Warm-up: every code path of both clients, a tenth of the work, not counted.
  for (const measure of measures) for (const d of [theirs, ours]) await runOnce(d, measure, url, 0.1);
  if (withCeiling) await brokerCeiling(url, payload, 3_000, 1);
  const rows = new Map(); // row label -> { unit, higher, ours: [], theirs: [], ratio: [], ceiling: [] }
  const record = (label, unit, higher, a, b) => {
    let row = rows.get(label);
    if (row === undefined) {
      row = { unit, higher, ours: [], theirs: [], ratio: [], ceiling: [] };
      rows.set(label, row);
    }
    row.ours.push(a);
    row.theirs.push(b);
    row.ratio.push(higher ? a / b : b / a);
    return row;
  };
  for (let round = 0; round < ROUNDS; round++) {
    for (const measure of measures) {
      const order = round % 2 === 0 ? [ours, theirs] : [theirs, ours];
      const got = new Map();
      for (const d of order) got.set(d, await runOnce(d, measure, url, 1));
      const a = got.get(ours);
      const b = got.get(theirs);
      if (measure.split === undefined) {
        const row = record(measure.label, measure.unit, measure.higher, a, b);
        if (withCeiling && (measure.key === "q0" || measure.key === "q1")) {
          gc();
          const qos = measure.key === "q0" ? 0 : 1;
          row.ceiling.push(await brokerCeiling(url, payload, qos === 0 ? QOS0_COUNT : QOS1_COUNT, qos));
        }
      } else {
        for (const part of measure.split)
          record(`${measure.label}, ${part}`, measure.unit, measure.higher, a[part], b[part]);
      }
    }
  }
  return rows;
}

function printTable(title, rows, withCeiling) {
  const fmt = (x) => Math.round(x).toLocaleString("en-US");
  console.log(`\n${title}`);
  const head = `| measure | @amqtt/client | ${theirs.name} | ours vs MQTT.js (>1 = ours better) | rounds ours won |`;
  console.log(withCeiling ? `${head} broker ceiling |` : head);
  console.log(withCeiling ? "| --- | --- | --- | --- | --- | --- |" : "| --- | --- | --- | --- | --- |");
  for (const [label, row] of rows) {
    const a = median(row.ours);
    const b = median(row.theirs);
    const won = row.ratio.filter((r) => r > 1).length;
    const cells = `| ${label} | ${fmt(a)} ${row.unit} | ${fmt(b)} ${row.unit} | ${(row.higher ? a / b : b / a).toFixed(2)}x | ${won}/${row.ratio.length} |`;
    const ceiling = row.ceiling.length > 0 ? ` ${fmt(median(row.ceiling))} ${row.unit} |` : " |";
    console.log(withCeiling ? `${cells}${ceiling}` : cells);
  }
}

console.log(
  `64-byte payloads, MQTT 3.1.1, medians of ${ROUNDS} rounds after a warm-up (ratio of the medians; rounds won counts the rounds in which ours did better); Node ${process.version}`,
);
const mosquitto = await startMosquitto();
try {
  const rows = await compare(mosquitto.url, true);
  printTable(`Against Mosquitto ${mosquitto.version} (${mosquitto.url})`, rows, true);
  console.log(
    "broker ceiling: the same messages pre-encoded and written at once over a bare socket, no client work at all; no client can go faster on this broker.",
  );
} finally {
  await mosquitto.stop();
}
if (process.env.ACK_SERVER !== "0") {
  const acker = await startAckServer();
  try {
    const rows = await compare(acker.url, false);
    printTable(
      "Against bench/ack-server.mjs (a minimal acking peer in its own process: the clients' own cost decides)",
      rows,
      false,
    );
  } finally {
    await acker.stop();
  }
}
