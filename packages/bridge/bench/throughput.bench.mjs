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
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { MQTTClient } from "@amqtt/client";
import { freePort, writeMosquittoConf } from "../../../tooling/bench/lib/net.mjs";

const RUNS = Number(process.env.RUNS || 3);
const MESSAGES = Number(process.env.MESSAGES || 20000);
const WINDOW = Number(process.env.WINDOW || 64);
/** A round that has not finished after this many seconds is reported and counted as failed, not waited for. */
const ROUND_TIMEOUT_S = Number(process.env.ROUND_TIMEOUT_S || 60);
/**
 * `SITE_STORE=sqlite`: our site keeps its queue in SQLite (as `amqtt` does), so the
 * outbound QoS ledger is on; `CLEAN_START=1` turns the remote session (and the ledger) off.
 */
const SITE_STORE = process.env.SITE_STORE || "memory";
const CLEAN_START = process.env.CLEAN_START === "1";
/** Protocol versions to run (`4,5`). */
const VERSIONS = (process.env.VERSIONS || "4,5").split(",").map(Number);
const payload = new Uint8Array(64).fill(0x61);
const dir = mkdtempSync(join(tmpdir(), "amqtt-bridge-bench-"));
const children = new Set();

/** Spawn and resolve once `ready(text)` holds for its output (stdout + stderr). */
function start(command, args, ready, env = {}) {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
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
  // SIGTERM first (a --cpu-prof in SITE_NODE_FLAGS is written at exit), SIGKILL after 3 s.
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
  await exited;
  clearTimeout(timer);
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
      clean_start: CLEAN_START,
      topics: [{ filter: "bench/#", direction: "out", qos: 1, remote_prefix: "site/" }],
    },
  ];
  const script = join(import.meta.dirname, "site-broker.mjs");
  const env = SITE_STORE === "sqlite" ? { SQLITE_DIR: mkdtempSync(join(dir, "sqlite-")) } : {};
  const child = await start(
    process.execPath,
    [
      ...(process.env.SITE_NODE_FLAGS ?? "").split(" ").filter(Boolean),
      script,
      String(port),
      JSON.stringify(bridges),
    ],
    (out) => out.includes("ready"),
    env,
  );
  return { port, child, kind };
}

async function client(port, id) {
  const c = new MQTTClient({ clientId: id, config: { maxDeliveryQueue: 100_000, keepAlive: 60 } });
  await c.connect(`mqtt://127.0.0.1:${port}`);
  return c;
}

/** Publish `count` QoS 1 messages with WINDOW in flight; resolves when all are acknowledged. */
async function publish(pub, count, tag, progress = { acked: 0 }) {
  let next = 0;
  const lane = async () => {
    while (next < count) {
      next++;
      await pub.publish(`bench/${tag}`, payload, { qos: 1 });
      progress.acked++;
    }
  };
  await Promise.all(Array.from({ length: WINDOW }, lane));
}

/** Resolves once `count` messages on site/bench/<tag> arrived; `progress.received` counts them. */
function receive(sub, count, tag, progress = { received: 0 }) {
  return new Promise((resolve) => {
    const off = sub.on("message", (m) => {
      if (m.topic !== `site/bench/${tag}`) return;
      if (++progress.received === count) {
        off();
        resolve();
      }
    });
  });
}

/** Our site's bridge status (it prints it on SIGUSR2), or undefined for mosquitto or no answer. */
async function siteStatus(site) {
  if (site.kind !== "ours") return undefined;
  return new Promise((resolve) => {
    let out = "";
    const timer = setTimeout(() => resolve(undefined), 2000);
    const onData = (d) => {
      out += d;
      const line = out.split("\n").find((l) => l.startsWith("status "));
      if (line === undefined) return;
      clearTimeout(timer);
      site.child.stdout.off("data", onData);
      resolve(JSON.parse(line.slice("status ".length)));
    };
    site.child.stdout.on("data", onData);
    site.child.kill("SIGUSR2");
  });
}

async function runOnce(kind, protocolVersion, run) {
  const remote = await startMosquitto("remote", ["persistence false", "max_inflight_messages 100"]);
  const site = await startSite(kind, remote.port, protocolVersion);
  const sub = await client(remote.port, `bench-sub-${run}`);
  await sub.subscribe([["site/#", 1]]);
  const pub = await client(site.port, `bench-pub-${run}`);
  // Warm-up: proves the bridge is up (the remote link connects in the background).
  const warmupUntil = Date.now() + ROUND_TIMEOUT_S * 1000;
  for (;;) {
    const arrived = receive(sub, 1, "warmup");
    await pub.publish("bench/warmup", payload, { qos: 1 });
    const ok = await Promise.race([arrived.then(() => true), new Promise((r) => setTimeout(r, 500, false))]);
    if (ok) break;
    if (Date.now() > warmupUntil)
      throw new Error(`site ${kind}, MQTT ${protocolVersion}: the bridge never came up`);
  }
  const t0 = process.hrtime.bigint();
  const progress = { received: 0, acked: 0 };
  const done = receive(sub, MESSAGES, "data", progress);
  let timer;
  const timeout = new Promise((resolve) => {
    timer = setTimeout(resolve, ROUND_TIMEOUT_S * 1000, "timeout");
  });
  const outcome = await Promise.race([
    Promise.all([publish(pub, MESSAGES, "data", progress), done]).then(() => "done"),
    timeout,
  ]);
  clearTimeout(timer);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  let result = MESSAGES / seconds;
  if (outcome === "timeout") {
    const status = await siteStatus(site);
    console.log(
      `round timed out after ${ROUND_TIMEOUT_S} s: site ${kind}, MQTT ${protocolVersion === 5 ? "5.0" : "3.1.1"}, run ${run}: ` +
        `${progress.acked}/${MESSAGES} published and acknowledged by the site, ${progress.received}/${MESSAGES} at the remote subscriber` +
        (status === undefined ? "" : `; bridge status ${JSON.stringify(status)}`),
    );
    result = Number.NaN;
  }
  await Promise.all([pub.disconnect().catch(() => {}), sub.disconnect().catch(() => {})]);
  await stop(site.child);
  await stop(remote.child);
  return result;
}

/** Median of the rounds that finished (NaN when none did). */
const median = (xs) => {
  const ok = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  return ok.length === 0 ? Number.NaN : ok[Math.floor(ok.length / 2)];
};

try {
  const rows = [];
  for (const protocolVersion of VERSIONS) {
    const rates = { ours: [], mosquitto: [] };
    for (let run = 0; run < RUNS; run++) {
      for (const kind of run % 2 === 0 ? ["ours", "mosquitto"] : ["mosquitto", "ours"]) {
        rates[kind].push(await runOnce(kind, protocolVersion, run));
      }
    }
    const ours = median(rates.ours);
    const theirs = median(rates.mosquitto);
    const failed = (xs) => xs.filter((x) => Number.isNaN(x)).length;
    rows.push({ protocolVersion, ours, theirs, failed: failed(rates.ours) + failed(rates.mosquitto) });
  }
  console.log(
    `\nbridge QoS 1 throughput, ${MESSAGES} x 64 B, window ${WINDOW}, median of ${RUNS} runs (msg/s); our site's store: ${SITE_STORE}${CLEAN_START ? ", clean_start" : ""}\n`,
  );
  console.log(
    "| bridge protocol | ours (@amqtt/bridge) | mosquitto 2.0 bridge | ours / mosquitto | rounds timed out |",
  );
  console.log("| --- | ---: | ---: | ---: | ---: |");
  for (const r of rows) {
    const name = r.protocolVersion === 5 ? "MQTT 5.0" : "MQTT 3.1.1";
    console.log(
      `| ${name} | ${Math.round(r.ours)} | ${Math.round(r.theirs)} | ${(r.ours / r.theirs).toFixed(2)} | ${r.failed} |`,
    );
  }
  console.log(
    `load average ${loadavg()
      .map((x) => x.toFixed(1))
      .join(" ")}`,
  );
} finally {
  for (const child of children) child.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
}
