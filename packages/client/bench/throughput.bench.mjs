// QoS 0 / QoS 1 publish throughput and QoS 1 round-trip latency against one
// Mosquitto, @amqtt/client vs MQTT.js, in one run. Not part of the tests.
// Run: pnpm --filter @amqtt/client bench   (builds first; needs Debian's mosquitto)
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectAsync } from "mqtt";
import { MQTTClient } from "../dist/index.js";

const QOS0_COUNT = Number(process.env.QOS0_COUNT ?? 100_000);
const QOS1_COUNT = Number(process.env.QOS1_COUNT ?? 30_000);
const RTT_COUNT = Number(process.env.RTT_COUNT ?? 3_000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const payload = new Uint8Array(64).fill(0x61);

async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

async function startMosquitto() {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "amqtt-bench-"));
  writeFileSync(
    join(dir, "m.conf"),
    `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_inflight_messages 0\nmax_queued_messages 0\n`,
  );
  const child = spawn("mosquitto", ["-c", join(dir, "m.conf")], { stdio: "ignore" });
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise((r) => {
      const c = connect(port, "127.0.0.1")
        .once("connect", () => {
          c.destroy();
          r(true);
        })
        .once("error", () => r(false));
    });
    if (ok) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  return {
    url: `mqtt://127.0.0.1:${port}`,
    stop: () => {
      child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const ours = {
  name: "@amqtt/client",
  async open(url) {
    const c = new MQTTClient({
      config: { keep_alive: 60, auto_reconnect: false, maxOfflineMessages: 1_000_000 },
    });
    await c.connect(url);
    return {
      pub: (topic, qos) => c.publish(topic, payload, { qos }),
      close: () => c.disconnect(),
    };
  },
};
const mqttjs = {
  name: "MQTT.js 5.16.0",
  async open(url) {
    const c = await connectAsync(url, { reconnectPeriod: 0, keepalive: 60 });
    const buf = Buffer.from(payload);
    return {
      // QoS 0 without a callback, as MQTT.js users write it (publishAsync adds a drain listener per call).
      pub: (topic, qos) =>
        qos === 0 ? void c.publish(topic, buf, { qos }) : c.publishAsync(topic, buf, { qos }),
      close: () => c.endAsync(),
    };
  },
};

async function qos0Throughput(lib, url) {
  const c = await lib.open(url);
  const t0 = performance.now();
  for (let i = 0; i < QOS0_COUNT; i++) c.pub("bench/0", 0);
  await c.pub("bench/0", 1); // ordered after every QoS 0 publish: all reached the broker
  const ms = performance.now() - t0;
  await c.close();
  return (QOS0_COUNT / ms) * 1000;
}

async function qos1Throughput(lib, url) {
  const c = await lib.open(url);
  const t0 = performance.now();
  const all = [];
  for (let i = 0; i < QOS1_COUNT; i++) all.push(c.pub("bench/1", 1));
  await Promise.all(all);
  const ms = performance.now() - t0;
  await c.close();
  return (QOS1_COUNT / ms) * 1000;
}

async function qos1Latency(lib, url) {
  const c = await lib.open(url);
  const samples = [];
  for (let i = 0; i < RTT_COUNT; i++) {
    const t0 = performance.now();
    await c.pub("bench/rtt", 1);
    samples.push(performance.now() - t0);
  }
  await c.close();
  samples.sort((a, b) => a - b);
  return {
    p50: samples[Math.floor(samples.length / 2)] * 1000,
    p99: samples[Math.floor(samples.length * 0.99)] * 1000,
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const broker = await startMosquitto();
try {
  const results = {};
  for (const lib of [mqttjs, ours]) results[lib.name] = { q0: [], q1: [], p50: [], p99: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const lib of round % 2 === 0 ? [mqttjs, ours] : [ours, mqttjs]) {
      const r = results[lib.name];
      r.q0.push(await qos0Throughput(lib, broker.url));
      r.q1.push(await qos1Throughput(lib, broker.url));
      const l = await qos1Latency(lib, broker.url);
      r.p50.push(l.p50);
      r.p99.push(l.p99);
    }
  }
  const a = results[ours.name];
  const b = results[mqttjs.name];
  const row = (label, x, y, unit, higherIsBetter) => {
    const ratio = higherIsBetter ? x / y : y / x;
    return `| ${label} | ${x.toFixed(0)} ${unit} | ${y.toFixed(0)} ${unit} | ${ratio.toFixed(2)}x |`;
  };
  console.log(
    `Mosquitto ${broker.url}, 64-byte payloads, median of ${ROUNDS} rounds (Node ${process.version})`,
  );
  console.log("| measure | @amqtt/client | MQTT.js 5.16.0 | ours vs MQTT.js (>1 = better) |");
  console.log("| --- | --- | --- | --- |");
  console.log(row(`QoS 0 publish (${QOS0_COUNT})`, median(a.q0), median(b.q0), "msg/s", true));
  console.log(row(`QoS 1 publish (${QOS1_COUNT}, all in flight)`, median(a.q1), median(b.q1), "msg/s", true));
  console.log(
    row(`QoS 1 round trip p50 (${RTT_COUNT} sequential)`, median(a.p50), median(b.p50), "µs", false),
  );
  console.log(row("QoS 1 round trip p99", median(a.p99), median(b.p99), "µs", false));
} finally {
  broker.stop();
}
