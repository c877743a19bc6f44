// One client of latency.bench.mjs in a process of its own (forked with an IPC channel), so
// it pays for its own garbage collections only. Commands from the parent, one at a time,
// each answered with { ok: true, ... } or { ok: false, error }:
//   { cmd: "prepare", url, measure, rate }  connect and prepare a measure (sequential, rate, receive)
//   { cmd: "block", count }                 run one block; answers { samples } (µs)
//   { cmd: "gc" }                           a full collection (with --expose-gc)
//   { cmd: "close" }                        disconnect; the process then exits
import { createRequire } from "node:module";
import { amqttDriver, mqttjsDriver } from "./drivers.mjs";
import { atRate, receive, sequential } from "./latency-measures.mjs";

const which = process.argv[2];
const payload = new Uint8Array(64).fill(0x61);
const version = createRequire(import.meta.url)("mqtt/package.json").version;
const driver = which === "ours" ? amqttDriver(payload) : mqttjsDriver(payload, version);
let client;
let runner;
// With CHILD_FLAGS (e.g. --trace-gc), say whose trace lines carry this pid.
if ((process.env.CHILD_FLAGS ?? "") !== "")
  process.stderr.write(`[latency-child] pid ${process.pid} = ${driver.name}\n`);

const handlers = {
  async prepare({ url, measure, rate }) {
    const m =
      measure === "sequential" ? sequential() : measure === "rate" ? atRate(rate) : receive(rate, payload);
    client = await driver.open(url);
    runner = await m.prepare(client, url);
    return { name: driver.name };
  },
  async block({ count }) {
    return { samples: Array.from(await runner.block(count)) };
  },
  gc() {
    globalThis.gc?.();
    return {};
  },
  async close() {
    runner?.close();
    await client?.close();
    return {};
  },
};

process.on("message", async (message) => {
  try {
    const reply = await handlers[message.cmd](message);
    process.send({ ok: true, ...reply });
    if (message.cmd === "close") process.disconnect();
  } catch (error) {
    process.send({ ok: false, error: String(error?.stack ?? error) });
  }
});
