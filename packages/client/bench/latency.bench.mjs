// Issue 19's client row: QoS 1 PUBLISH -> PUBACK round trip (p50/p99/p99.9) and the
// subscriber's receive latency, @amqtt/client vs MQTT.js, in one run, against the same
// brokers: Debian's Mosquitto and our broker (each in its own process). Not part of the tests.
// Run: pnpm --filter @amqtt/client bench:latency   (builds first), or after a build:
//      node bench/latency.bench.mjs
//
// Mosquitto runs with set_tcp_nodelay (our broker and our client disable Nagle too; MQTT.js
// keeps Node's default, Nagle on, unless MQTTJS_NODELAY=1).
// Both clients get the same payload (64 bytes), topic, timer and MQTT 3.1.1 connection
// options (keep alive 60 s, no reconnect). Measures (bench/latency-measures.mjs):
// - "sequential": one publish in flight, the next one starts at the PUBACK (the client's
//   fastest round trip: the rate is whatever the round trip allows).
// - "at RATE msg/s": publishes started on a fixed schedule (open loop; a late timer starts
//   the publishes that are due at once), each one timed from its publish() call to its
//   promise's resolution.
// - "receive at RATE msg/s": a bare-socket publisher per client (in the client's process) writes
//   QoS 1 PUBLISHes with the send time in the payload; the client under test, subscribed
//   with QoS 1, reads them as its users would (ours: `messages()`, MQTT.js: the "message"
//   event); latency = read time - send time.
// Each client runs in a process of its own (bench/latency-child.mjs, driven over IPC), so
// each pays for its own garbage collections only: in one shared heap a major GC lands in
// whichever block happens to be running, and one such pause decides a round's p99.
// Interleaved so the machine's load (it is shared) falls on both clients alike: for each
// measure both clients connect and stay connected; after a warm-up and one full GC, each
// of ROUNDS rounds runs BLOCKS short blocks per client in the order ours, MQTT.js, MQTT.js,
// ours, ... (MQTT.js first in odd rounds), and a round's percentiles pool its blocks (only
// the running client works; the other waits for its next command). Cells are medians
// over the rounds; "ratio" is MQTT.js / ours of those medians, so > 1 = ours faster;
// "paired" is the median of each round's own ratio (the two clients of a round ran
// through the same load); "won" counts the rounds in which ours was faster.
// Knobs: ROUNDS [5], BLOCKS [10], SEQ_COUNT [3000], RATE [1000], RATE_COUNT [3000]
// (samples per client per round), BROKERS [mosquitto,amqtt], MEASURES
// [sequential,rate,receive], CHILD_FLAGS (node flags of the client processes, e.g.
// --trace-gc), DETAIL=1 (every round's values), MQTTJS_NODELAY=1 (MQTT.js's socket
// without Nagle), AMQTT_CLIENT_DIST (another build of this client, see drivers.mjs).

import { fork } from "node:child_process";
import { createRequire } from "node:module";
import { startAmqttBroker, startMosquitto } from "./brokers.mjs";
import { percentiles } from "./latency-measures.mjs";

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const BLOCKS = Number(process.env.BLOCKS ?? 10);
const SEQ_COUNT = Number(process.env.SEQ_COUNT ?? 3_000);
const RATE = Number(process.env.RATE ?? 1_000);
const RATE_COUNT = Number(process.env.RATE_COUNT ?? 3_000);
const BROKERS = (process.env.BROKERS ?? "mosquitto,amqtt").split(",");
// Extra node flags for the client processes, e.g. CHILD_FLAGS=--trace-gc.
// DETAIL=1 prints each round's values under the table.
const DETAIL = process.env.DETAIL === "1";
const CHILD_FLAGS = (process.env.CHILD_FLAGS ?? "").split(" ").filter((f) => f !== "");
const mqttVersion = createRequire(import.meta.url)("mqtt/package.json").version;

const MEASURES = (process.env.MEASURES ?? "sequential,rate,receive").split(",");
const measures = [
  { key: "sequential", label: `QoS 1 round trip, sequential (${SEQ_COUNT})`, count: SEQ_COUNT },
  { key: "rate", label: `QoS 1 round trip at ${RATE} msg/s (${RATE_COUNT})`, count: RATE_COUNT },
  { key: "receive", label: `QoS 1 receive latency at ${RATE} msg/s (${RATE_COUNT})`, count: RATE_COUNT },
].filter((m) => MEASURES.includes(m.key));
const PARTS = ["p50", "p99", "p99.9"];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const ours = { key: "ours", name: "@amqtt/client" };
const theirs = { key: "mqttjs", name: `MQTT.js ${mqttVersion}` };

/** One client in its own process (bench/latency-child.mjs): `call(command)` resolves with its answer. */
function spawnClient(driver) {
  const child = fork(new URL("./latency-child.mjs", import.meta.url).pathname, [driver.key], {
    execArgv: ["--expose-gc", ...CHILD_FLAGS],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  let pending;
  child.on("message", (reply) => {
    const p = pending;
    pending = undefined;
    if (reply.ok) p?.resolve(reply);
    else p?.reject(new Error(`${driver.name}: ${reply.error}`));
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.once("exit", (code) => pending?.reject(new Error(`${driver.name} exited (${code})`)));
  return {
    call: (command) =>
      new Promise((resolve, reject) => {
        pending = { resolve, reject };
        child.send(command);
      }),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}

/** Both clients connected and prepared for `measure`, each in its own process; rows of per-round percentiles. */
async function compareMeasure(measure, url, rows) {
  const drivers = [ours, theirs];
  const clients = new Map(drivers.map((d) => [d, spawnClient(d)]));
  try {
    for (const d of drivers)
      await clients.get(d).call({ cmd: "prepare", url, measure: measure.key, rate: RATE });
    const perBlock = Math.max(10, Math.floor(measure.count / BLOCKS));
    const block = async (d, count) => (await clients.get(d).call({ cmd: "block", count })).samples;
    for (const d of drivers) await block(d, Math.max(10, Math.floor(measure.count / 5))); // warm-up
    for (const d of drivers) await clients.get(d).call({ cmd: "gc" });
    for (let round = 0; round < ROUNDS; round++) {
      const pooled = new Map(drivers.map((d) => [d, new Float64Array(perBlock * BLOCKS)]));
      for (let b = 0; b < BLOCKS; b++) {
        // ours, MQTT.js, MQTT.js, ours, ... (MQTT.js first in odd rounds): neither always leads.
        const order = (b + round) % 2 === 0 ? [ours, theirs] : [theirs, ours];
        for (const d of order) pooled.get(d).set(await block(d, perBlock), b * perBlock);
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
    for (const d of drivers) await clients.get(d).call({ cmd: "close" });
  } finally {
    for (const c of clients.values()) await c.stop();
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
    `| measure | @amqtt/client | ${theirs.name} | ratio (MQTT.js / ours, > 1 = ours faster) | paired | won |`,
  );
  console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
  for (const [label, row] of rows) {
    const a = median(row.ours);
    const b = median(row.theirs);
    // The median of each round's own ratio: both clients of a round ran through the same load.
    const paired = median(row.ours.map((x, i) => row.theirs[i] / x));
    const won = row.ours.filter((x, i) => x < row.theirs[i]).length;
    console.log(
      `| ${label} | ${fmt(a)} µs | ${fmt(b)} µs | ${(b / a).toFixed(2)}x | ${paired.toFixed(2)}x | ${won}/${ROUNDS} |`,
    );
  }
  if (DETAIL) {
    // Every round's value, to see how steady a median is.
    for (const [label, row] of rows)
      console.log(`${label}: ours ${row.ours.map(fmt).join(" ")} | MQTT.js ${row.theirs.map(fmt).join(" ")}`);
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
