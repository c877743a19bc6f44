// Bridge benchmark: QoS 1 throughput from a publisher on a site broker, through
// the site's bridge, to a subscriber on a remote broker (Debian's mosquitto in
// both cases). The site broker is ours with @amqtt/bridge, or mosquitto with a
// `connection` section (Mosquitto's own bridge), each in its own process; the
// publisher and subscriber are the same @amqtt/client code in this process for
// both. Each run sends MESSAGES [20000] messages of 64 bytes with WINDOW [64]
// QoS 1 publishes in flight, and times first publish to last delivery; RUNS [3]
// runs per case, alternating, median reported with the ratio ours/mosquitto.
// MQTT 3.1.1 and 5.0 bridges. Run: `pnpm --filter @amqtt/bridge bench` (builds first).
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MQTTClient } from "@amqtt/client";
import { freePort, writeMosquittoConf } from "../../../tooling/bench/lib/net.mjs";

const RUNS = Number(process.env.RUNS || 3);
const MESSAGES = Number(process.env.MESSAGES || 20000);
const WINDOW = Number(process.env.WINDOW || 64);
const payload = new Uint8Array(64).fill(0x61);
const dir = mkdtempSync(join(tmpdir(), "amqtt-bridge-bench-"));
const children = new Set();

/** Spawn and resolve once `ready(text)` holds for its output (stdout + stderr). */
function start(command, args, ready) {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  let out = "";
  return new Promise((resolve, reject) => {
    const check = (d) => {
      out += d;
      if (ready(out)) resolve(child);
    };
    child.stdout.on("data", check);
    child.stderr.on("data", check);
    child.once("exit", (code) => reject(new Error(`${command} exited with ${code}: ${out}`)));
  });
}

async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGKILL");
  await exited;
  children.delete(child);
}

async function startMosquitto(name, settings) {
  const port = await freePort();
  const conf = writeMosquittoConf(mkdtempSync(join(dir, `${name}-`)), port, settings);
  const child = await start("/usr/sbin/mosquitto", ["-c", conf, "-v"], (out) => out.includes("running"));
  return { port, child };
}

async function startSite(kind, remotePort, protocolVersion) {
  if (kind === "mosquitto") {
    return startMosquitto("site", [
      "persistence false",
      // Mosquitto's bridge queue is bounded by max_queued_messages too: a whole run fits.
      "max_queued_messages 1000000",
      "connection central",
      `address 127.0.0.1:${remotePort}`,
      `bridge_protocol_version ${protocolVersion === 5 ? "mqttv50" : "mqttv311"}`,
      "cleansession false",
      "try_private true",
      "max_inflight_messages 100",
      'topic bench/# out 1 "" site/',
    ]);
  }
  const port = await freePort();
  const bridges = [
    {
      name: "central",
      address: `127.0.0.1:${remotePort}`,
      protocol_version: protocolVersion,
      max_inflight: 100,
      max_queued_messages: 1_000_000,
      topics: [{ filter: "bench/#", direction: "out", qos: 1, remote_prefix: "site/" }],
    },
  ];
  const script = join(import.meta.dirname, "site-broker.mjs");
  const child = await start(process.execPath, [script, String(port), JSON.stringify(bridges)], (out) =>
    out.includes("ready"),
  );
  return { port, child };
}

async function client(port, id) {
  const c = new MQTTClient({ clientId: id, config: { maxDeliveryQueue: 100_000, keepAlive: 60 } });
  await c.connect(`mqtt://127.0.0.1:${port}`);
  return c;
}

/** Publish `count` QoS 1 messages with WINDOW in flight; resolves when all are acknowledged. */
async function publish(pub, count, tag) {
  let next = 0;
  const lane = async () => {
    while (next < count) {
      next++;
      await pub.publish(`bench/${tag}`, payload, { qos: 1 });
    }
  };
  await Promise.all(Array.from({ length: WINDOW }, lane));
}

/** Resolves once `count` messages on site/bench/<tag> arrived. */
function receive(sub, count, tag) {
  return new Promise((resolve) => {
    let got = 0;
    const off = sub.on("message", (m) => {
      if (m.topic !== `site/bench/${tag}`) return;
      if (++got === count) {
        off();
        resolve();
      }
    });
  });
}

async function runOnce(kind, protocolVersion, run) {
  const remote = await startMosquitto("remote", ["persistence false", "max_inflight_messages 100"]);
  const site = await startSite(kind, remote.port, protocolVersion);
  const sub = await client(remote.port, `bench-sub-${run}`);
  await sub.subscribe([["site/#", 1]]);
  const pub = await client(site.port, `bench-pub-${run}`);
  // Warm-up: proves the bridge is up (the remote link connects in the background).
  for (;;) {
    const arrived = receive(sub, 1, "warmup");
    await pub.publish("bench/warmup", payload, { qos: 1 });
    const ok = await Promise.race([arrived.then(() => true), new Promise((r) => setTimeout(r, 500, false))]);
    if (ok) break;
  }
  const t0 = process.hrtime.bigint();
  const done = receive(sub, MESSAGES, "data");
  await publish(pub, MESSAGES, "data");
  await done;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await Promise.all([pub.disconnect(), sub.disconnect()]);
  await stop(site.child);
  await stop(remote.child);
  return MESSAGES / seconds;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

try {
  const rows = [];
  for (const protocolVersion of [4, 5]) {
    const rates = { ours: [], mosquitto: [] };
    for (let run = 0; run < RUNS; run++) {
      for (const kind of run % 2 === 0 ? ["ours", "mosquitto"] : ["mosquitto", "ours"]) {
        rates[kind].push(await runOnce(kind, protocolVersion, run));
      }
    }
    const ours = median(rates.ours);
    const theirs = median(rates.mosquitto);
    rows.push({ protocolVersion, ours, theirs });
  }
  console.log(
    `\nbridge QoS 1 throughput, ${MESSAGES} x 64 B, window ${WINDOW}, median of ${RUNS} runs (msg/s)\n`,
  );
  console.log("| bridge protocol | ours (@amqtt/bridge) | mosquitto 2.0 bridge | ours / mosquitto |");
  console.log("| --- | ---: | ---: | ---: |");
  for (const r of rows) {
    const name = r.protocolVersion === 5 ? "MQTT 5.0" : "MQTT 3.1.1";
    console.log(
      `| ${name} | ${Math.round(r.ours)} | ${Math.round(r.theirs)} | ${(r.ours / r.theirs).toFixed(2)} |`,
    );
  }
} finally {
  for (const child of children) child.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
}
