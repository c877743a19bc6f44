// Issue 19's client row: QoS 1 PUBLISH -> PUBACK round trip (p50/p99/p99.9) and the
// subscriber's receive latency, @amqtt/client vs MQTT.js, in one run, against the same
// brokers: Debian's Mosquitto and our broker (each in its own process). Not part of the tests.
// Run: pnpm --filter @amqtt/client bench   (builds first), or after a build:
//      node --expose-gc bench/latency.bench.mjs
//
// Mosquitto runs with set_tcp_nodelay (our broker and both clients disable Nagle too).
// Measures (64-byte payloads, MQTT 3.1.1, a fresh connection per run, a GC between runs):
// - "sequential": one publish in flight, the next one starts at the PUBACK (the client's
//   fastest round trip: the rate is whatever the round trip allows).
// - "at RATE msg/s": publishes started on a fixed schedule (open loop; a late timer starts
//   the publishes that are due at once), each one timed from its publish() call to its
//   promise's resolution.
// - "receive at RATE msg/s": a bare-socket publisher (the same for both clients, in this
//   process) writes QoS 1 PUBLISHes with the send time in the payload; the client under
//   test, subscribed with QoS 1, reads them as its users would (ours: `messages()`,
//   MQTT.js: the "message" event); latency = read time - send time.
// A warm-up run of each first; then ROUNDS rounds, the two clients alternating which goes
// first. Cells are medians over the rounds; "ratio" is MQTT.js / ours, so > 1 = ours faster;
// "won" counts the rounds in which ours was faster. Knobs: ROUNDS [5], SEQ_COUNT [3000],
// RATE [1000], RATE_COUNT [3000], BROKERS [mosquitto,amqtt].

import { createRequire } from "node:module";
import { connect } from "node:net";
import { startAmqttBroker, startMosquitto } from "./brokers.mjs";
import { amqttDriver, mqttjsDriver } from "./drivers.mjs";

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const SEQ_COUNT = Number(process.env.SEQ_COUNT ?? 3_000);
const RATE = Number(process.env.RATE ?? 1_000);
const RATE_COUNT = Number(process.env.RATE_COUNT ?? 3_000);
const BROKERS = (process.env.BROKERS ?? "mosquitto,amqtt").split(",");
const payload = new Uint8Array(64).fill(0x61);
const mqttVersion = createRequire(import.meta.url)("mqtt/package.json").version;
const gc = globalThis.gc ?? (() => {});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** p50, p99 and p99.9 of `samples` (µs), sorted in place. */
function percentiles(samples) {
  samples.sort();
  const at = (q) => samples[Math.min(samples.length - 1, Math.floor(samples.length * q))];
  return { p50: at(0.5), p99: at(0.99), "p99.9": at(0.999) };
}

/** Call `fire(i)` for i < count on a fixed schedule of `rate` per second. */
async function paced(count, rate, fire) {
  const interval = 1000 / rate;
  const t0 = performance.now();
  let i = 0;
  while (i < count) {
    const now = performance.now();
    while (i < count && t0 + i * interval <= now) fire(i++);
    if (i < count) await sleep(Math.max(0, t0 + i * interval - performance.now()));
  }
}

async function sequential(c, count) {
  const samples = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await c.publish("bench/rtt", 1);
    samples[i] = (performance.now() - t0) * 1000;
  }
  return percentiles(samples);
}

async function atRate(c, count) {
  const samples = new Float64Array(count);
  const all = new Array(count);
  await paced(count, RATE, (i) => {
    const t0 = performance.now();
    all[i] = c.publish("bench/rate", 1).then(() => {
      samples[i] = (performance.now() - t0) * 1000;
    });
  });
  await Promise.all(all);
  return percentiles(samples);
}

/** A bare MQTT 3.1.1 socket that writes QoS 1 PUBLISHes stamped with performance.now(). */
async function stampingPublisher(url, topic) {
  const socket = connect(Number(new URL(url).port), "127.0.0.1");
  socket.setNoDelay(true);
  await new Promise((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  const id = Buffer.from(`stamper-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  socket.write(
    Buffer.concat([Buffer.from([0x10, 12 + id.length, 0, 4, 77, 81, 84, 84, 4, 2, 0, 60, 0, id.length]), id]),
  );
  await new Promise((resolve) => socket.once("data", resolve)); // CONNACK
  socket.on("data", () => {}); // PUBACKs: read and dropped
  const name = Buffer.from(topic);
  const body = 2 + name.length + 2 + payload.length;
  if (body >= 128) throw new Error("stamped packets must stay below 128 bytes");
  let packetId = 0;
  return {
    send() {
      const b = Buffer.alloc(2 + body);
      b[0] = 0x32;
      b[1] = body;
      b.writeUInt16BE(name.length, 2);
      name.copy(b, 4);
      packetId = (packetId % 65_535) + 1;
      b.writeUInt16BE(packetId, 4 + name.length);
      b.set(payload, 6 + name.length);
      b.writeDoubleLE(performance.now(), 6 + name.length);
      socket.write(b);
    },
    close: () => socket.destroy(),
  };
}

async function receive(c, count, url) {
  const topic = `bench/recv/${Math.random().toString(36).slice(2, 8)}`;
  const samples = new Float64Array(count);
  let got = 0;
  let allIn;
  const done = new Promise((r) => {
    allIn = r;
  });
  await c.subscribe(topic, (bytes) => {
    const sent = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).readDoubleLE(0);
    if (got < count) samples[got++] = (performance.now() - sent) * 1000;
    if (got === count) allIn();
  });
  const publisher = await stampingPublisher(url, topic);
  try {
    await paced(count, RATE, () => publisher.send());
    const late = sleep(10_000).then(() => {
      throw new Error(`receive: ${got} of ${count} messages after 10 s`);
    });
    await Promise.race([done, late]);
  } finally {
    publisher.close();
  }
  return percentiles(samples);
}

const measures = [
  { label: `QoS 1 round trip, sequential (${SEQ_COUNT})`, run: (c, n) => sequential(c, n(SEQ_COUNT)) },
  { label: `QoS 1 round trip at ${RATE} msg/s (${RATE_COUNT})`, run: (c, n) => atRate(c, n(RATE_COUNT)) },
  {
    label: `QoS 1 receive latency at ${RATE} msg/s (${RATE_COUNT})`,
    run: (c, n, url) => receive(c, n(RATE_COUNT), url),
  },
];
const PARTS = ["p50", "p99", "p99.9"];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const ours = amqttDriver(payload);
const theirs = mqttjsDriver(payload, mqttVersion);

async function runOnce(driver, measure, url, scale) {
  gc();
  const c = await driver.open(url);
  try {
    return await measure.run(c, (n) => Math.max(10, Math.floor(n * scale)), url);
  } finally {
    await c.close();
  }
}

async function compare(url) {
  for (const measure of measures) for (const d of [theirs, ours]) await runOnce(d, measure, url, 0.2);
  const rows = new Map();
  for (let round = 0; round < ROUNDS; round++) {
    for (const measure of measures) {
      const order = round % 2 === 0 ? [ours, theirs] : [theirs, ours];
      const got = new Map();
      for (const d of order) got.set(d, await runOnce(d, measure, url, 1));
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
  }
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
  `QoS 1 latency, 64-byte payloads, MQTT 3.1.1, medians of ${ROUNDS} rounds after a warm-up; Node ${process.version}`,
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
