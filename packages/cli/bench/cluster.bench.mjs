// `pnpm --filter @amqtt/cli bench:cluster`: what the cluster costs and buys, in
// one run, against the same scenario on one broker (ratios, not absolute times).
//
// 1. Cross-node: a publisher on node A, a subscriber on node B (two `amqtt
//    --cluster` processes on one redis-server), QoS 0 and QoS 1: throughput
//    (N messages, a window of W in flight, until the subscriber has them all)
//    and latency (p50/p99 at RATE msg/s, send time in the payload), against a
//    single `amqtt` (no cluster) with publisher and subscriber on it.
// 2. Fan-out / fan-in cross-node: FAN subscribers on B for one publisher on A;
//    FAN publishers on A for one subscriber on B.
// 3. `--workers 2` against `--workers 1` (both `--cluster`), same load: PAIRS
//    publisher/subscriber pairs on one port, QoS 0, total msg/s.
// 4. Engine cost: Redis commands and network bytes (INFO stats) per routed
//    cross-node QoS 1 message and per CONNECT/DISCONNECT of a clean client
//    (lease renewals and blocking inbox reads of the nodes included).
//
//   N=20000 W=100 RATE=1000 SECONDS=5 FAN=4 PAIRS=4 pnpm --filter @amqtt/cli bench:cluster
//   STORE=engine keeps the cluster nodes' sessions in Redis (the `--cluster`
//   default), not in memory.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectAsync } from "mqtt";
import { freePort } from "../../../tooling/bench/lib/net.mjs";

const N = Number(process.env.N ?? 20000);
const W = Number(process.env.W ?? 100);
const RATE = Number(process.env.RATE ?? 1000);
const SECONDS = Number(process.env.SECONDS ?? 5);
const FAN = Number(process.env.FAN ?? 4);
const PAIRS = Number(process.env.PAIRS ?? 4);
const bin = join(import.meta.dirname, "..", "dist", "bin.js");
const work = mkdtempSync(join(tmpdir(), "amqtt-cluster-bench-"));
const children = [];

function cleanup() {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  rmSync(work, { recursive: true, force: true });
}
process.on("exit", cleanup);

let redisPort;
async function redisStats() {
  const { execFileSync } = await import("node:child_process");
  const text = execFileSync("redis-cli", ["-p", String(redisPort), "INFO", "stats"], { encoding: "utf8" });
  const field = (name) => Number(new RegExp(`${name}:(\\d+)`).exec(text)?.[1] ?? Number.NaN);
  return {
    commands: field("total_commands_processed"),
    bytes: field("total_net_input_bytes") + field("total_net_output_bytes"),
  };
}

/** Redis commands and bytes per unit of `run` (which does `count` units). */
async function engineCost(run, count) {
  const before = await redisStats();
  await run();
  const after = await redisStats();
  return {
    commands: (after.commands - before.commands) / count,
    bytes: (after.bytes - before.bytes) / count,
  };
}

async function startRedis() {
  const port = await freePort();
  redisPort = port;
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    {
      stdio: "ignore",
    },
  );
  children.push(child);
  for (let i = 0; i < 100; i++) {
    try {
      const c = await connectRaw(port);
      c.destroy();
      return `redis://127.0.0.1:${port}`;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error("redis-server did not start");
}

async function connectRaw(port) {
  const { createConnection } = await import("node:net");
  return new Promise((resolve, reject) => {
    const s = createConnection(port, "127.0.0.1", () => resolve(s));
    s.once("error", reject);
  });
}

let prefix = 0;
/** One `amqtt` process; resolves with its port once it listens (every worker logs one line). */
async function startAmqtt(args, listeningLines = 1) {
  const port = await freePort();
  const config = join(work, `c${++prefix}.yaml`);
  writeFileSync(
    config,
    JSON.stringify({
      listeners: { default: { type: "tcp", bind: `127.0.0.1:${port}` } },
      plugins: { "anonymous-auth": { allow_anonymous: true } },
      max_inflight_messages: 65535,
      max_queued_messages: 0,
      max_queued_bytes: 0,
    }),
  );
  // STORE=engine: cluster nodes keep their sessions in Redis (the `--cluster` default) instead of memory.
  const memory = process.env.STORE === "engine" && args.includes("--cluster") ? [] : ["--memory"];
  const child = spawn(process.execPath, [bin, "-c", config, ...memory, ...args], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  children.push(child);
  let err = "";
  await new Promise((resolve, reject) => {
    child.stderr.on("data", (d) => {
      err += d;
      if ((err.match(/listening \{/g) ?? []).length >= listeningLines) resolve();
    });
    child.once("exit", (code) => reject(new Error(`amqtt exited ${code}: ${err}`)));
  });
  return { port, child, stop: () => child.kill("SIGTERM") };
}

const client = (port, id) =>
  connectAsync(`mqtt://127.0.0.1:${port}`, {
    reconnectPeriod: 0,
    clientId: id,
    clean: true,
    protocolVersion: 4,
  });

/** Publish until a subscriber on `subPort` sees a probe: its route reached the publisher's node. */
async function routed(pub, sub, topic) {
  await new Promise((resolve) => {
    const timer = setInterval(() => pub.publish(topic, "probe", { qos: 0 }), 50);
    const on = (t, p) => {
      if (t === topic && p.toString() === "probe") {
        clearInterval(timer);
        sub.off("message", on);
        resolve();
      }
    };
    sub.on("message", on);
  });
}

/** N messages, W in flight, until every subscriber has them all; msg/s (per subscriber). */
async function throughput(pubs, subs, qos, tag) {
  const topic = `bench/${tag}`;
  for (const s of subs) await s.subscribeAsync(topic, { qos });
  for (const p of pubs) for (const s of subs) await routed(p, s, topic);
  const perPub = Math.floor(N / pubs.length);
  const expected = perPub * pubs.length;
  const payload = Buffer.alloc(64, 0x61);
  const done = subs.map(
    (s) =>
      new Promise((resolve) => {
        let n = 0;
        const on = (t, p) => {
          if (t !== topic || p.length !== 64) return;
          if (++n === expected) {
            s.off("message", on);
            resolve();
          }
        };
        s.on("message", on);
      }),
  );
  const t0 = performance.now();
  await Promise.all(
    pubs.map(async (p) => {
      let inFlight = 0;
      let sent = 0;
      await new Promise((resolve) => {
        const pump = () => {
          while (inFlight < W && sent < perPub) {
            inFlight++;
            sent++;
            p.publish(topic, payload, { qos }, () => {
              inFlight--;
              if (sent === perPub && inFlight === 0) resolve();
              else pump();
            });
          }
        };
        pump();
      });
    }),
  );
  await Promise.all(done);
  return expected / ((performance.now() - t0) / 1000);
}

/** RATE msg/s for SECONDS: p50/p99 of publish-to-delivery latency in ms. */
async function latency(pub, sub, qos, tag) {
  const topic = `lat/${tag}`;
  await sub.subscribeAsync(topic, { qos });
  await routed(pub, sub, topic);
  const samples = [];
  sub.on("message", (t, p) => {
    if (t === topic && p.length === 8) samples.push(performance.now() - p.readDoubleLE(0));
  });
  const total = RATE * SECONDS;
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const b = Buffer.alloc(8);
    b.writeDoubleLE(performance.now(), 0);
    pub.publish(topic, b, { qos });
  }
  const deadline = performance.now() + 10_000;
  while (samples.length < total && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  samples.sort((a, b) => a - b);
  const at = (q) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))];
  return { p50: at(0.5), p99: at(0.99), lost: total - samples.length };
}

const rows = [];
const row = (scenario, single, cluster, unit) =>
  rows.push({
    scenario,
    single: single.toFixed(unit === "msg/s" ? 0 : 3),
    cluster: cluster.toFixed(unit === "msg/s" ? 0 : 3),
    unit,
    ratio: (cluster / single).toFixed(2),
  });

async function main() {
  const redis = await startRedis();
  const single = await startAmqtt([]);
  const a = await startAmqtt(["--cluster", redis]);
  const b = await startAmqtt(["--cluster", redis]);
  const pair = async (pubPort, subPort, tag) => [
    await client(pubPort, `p-${tag}`),
    await client(subPort, `s-${tag}`),
  ];

  for (const qos of [0, 1]) {
    const [sp, ss] = await pair(single.port, single.port, `s${qos}`);
    const [cp, cs] = await pair(a.port, b.port, `c${qos}`);
    row(
      `1 pub -> 1 sub, QoS ${qos}, cross-node`,
      await throughput([sp], [ss], qos, `s${qos}`),
      await throughput([cp], [cs], qos, `c${qos}`),
      "msg/s",
    );
    const ls = await latency(sp, ss, qos, `s${qos}`);
    const lc = await latency(cp, cs, qos, `c${qos}`);
    row(`latency p50 at ${RATE} msg/s, QoS ${qos}`, ls.p50, lc.p50, "ms");
    row(`latency p99 at ${RATE} msg/s, QoS ${qos}`, ls.p99, lc.p99, "ms");
    if (ls.lost + lc.lost > 0)
      console.error(`latency QoS ${qos}: lost single ${ls.lost}, cluster ${lc.lost}`);
    for (const c of [sp, ss, cp, cs]) await c.endAsync();
  }
  for (const qos of [0, 1]) {
    const sPub = await client(single.port, `fo-sp${qos}`);
    const sSubs = await Promise.all(
      Array.from({ length: FAN }, (_, i) => client(single.port, `fo-ss${qos}-${i}`)),
    );
    const cPub = await client(a.port, `fo-cp${qos}`);
    const cSubs = await Promise.all(
      Array.from({ length: FAN }, (_, i) => client(b.port, `fo-cs${qos}-${i}`)),
    );
    row(
      `fan-out 1 -> ${FAN}, QoS ${qos}`,
      await throughput([sPub], sSubs, qos, `fos${qos}`),
      await throughput([cPub], cSubs, qos, `foc${qos}`),
      "msg/s",
    );
    const sPubs = await Promise.all(
      Array.from({ length: FAN }, (_, i) => client(single.port, `fi-sp${qos}-${i}`)),
    );
    const sSub = await client(single.port, `fi-ss${qos}`);
    const cPubs = await Promise.all(
      Array.from({ length: FAN }, (_, i) => client(a.port, `fi-cp${qos}-${i}`)),
    );
    const cSub = await client(b.port, `fi-cs${qos}`);
    row(
      `fan-in ${FAN} -> 1, QoS ${qos}`,
      await throughput(sPubs, [sSub], qos, `fis${qos}`),
      await throughput(cPubs, [cSub], qos, `fic${qos}`),
      "msg/s",
    );
    for (const c of [sPub, ...sSubs, cPub, ...cSubs, ...sPubs, sSub, ...cPubs, cSub]) await c.endAsync();
  }
  // Engine cost per routed message (cross-node QoS 1) and per connect.
  const [ep, es] = await pair(a.port, b.port, "cost");
  const perMessage = await engineCost(() => throughput([ep], [es], 1, "cost"), N);
  await Promise.all([ep.endAsync(), es.endAsync()]);
  const CONNECTS = 200;
  const perConnect = await engineCost(async () => {
    for (let i = 0; i < CONNECTS; i++) await (await client(a.port, `conn-${i}`)).endAsync();
  }, CONNECTS);
  const cost = [
    {
      what: "per routed cross-node QoS 1 message",
      commands: perMessage.commands.toFixed(2),
      bytes: perMessage.bytes.toFixed(0),
    },
    {
      what: "per CONNECT + DISCONNECT (clean)",
      commands: perConnect.commands.toFixed(2),
      bytes: perConnect.bytes.toFixed(0),
    },
  ];
  single.stop();
  a.stop();
  b.stop();

  // --workers 2 against --workers 1, both cluster nodes, PAIRS pairs on one port.
  const workersRate = async (workers) => {
    const w = await startAmqtt(["--cluster", redis, "--workers", String(workers)], workers);
    const pairs = [];
    for (let i = 0; i < PAIRS; i++) pairs.push(await pair(w.port, w.port, `w${workers}-${i}`));
    const rates = await Promise.all(pairs.map(([p, s], i) => throughput([p], [s], 0, `w${workers}-${i}`)));
    for (const [p, s] of pairs) await Promise.all([p.endAsync(), s.endAsync()]);
    w.stop();
    await new Promise((r) => w.child.once("exit", r));
    return rates.reduce((x, y) => x + y, 0);
  };
  const one = await workersRate(1);
  const two = await workersRate(2);
  rows.push({
    scenario: `${PAIRS} pairs QoS 0, --workers 2 vs 1`,
    single: one.toFixed(0),
    cluster: two.toFixed(0),
    unit: "msg/s",
    ratio: (two / one).toFixed(2),
  });

  console.log(
    `N=${N} W=${W} RATE=${RATE} SECONDS=${SECONDS} FAN=${FAN} PAIRS=${PAIRS} (single = one amqtt, or --workers 1)`,
  );
  console.table(rows);
  console.log("engine cost (Redis INFO stats, in + out)");
  console.table(cost);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
