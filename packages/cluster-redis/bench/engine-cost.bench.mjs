// Engine cost of RedisClusterBus on a real redis-server: Redis commands, bytes and
// memory per routed envelope, per claimSession (a CONNECT) and per addRoute (a first
// subscription), and envelopes/s against a named peer measured in the same run: the
// same XADD -> XREADGROUP -> XACK+XDEL work done with plain ioredis, no bus.
// Counts come from the server (INFO commandstats / stats / memory after CONFIG RESETSTAT).
// Run: pnpm --filter @amqtt/cluster-redis bench
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { freePort } from "../../../tooling/bench/lib/net.mjs";
import { RedisClusterBus } from "../dist/index.js";

const N_ENVELOPES = Number(process.env.BENCH_ENVELOPES ?? 20_000);
const N_CLAIMS = Number(process.env.BENCH_CLAIMS ?? 10_000);
const N_ROUTES = Number(process.env.BENCH_ROUTES ?? 10_000);
const WINDOW = 500;
const BODY = new Uint8Array(64).fill(7);

const port = await freePort();
const dir = mkdtempSync(join(tmpdir(), "amqtt-bench-redis-"));
const conf = join(dir, "redis.conf");
writeFileSync(
  conf,
  [`port ${port}`, "bind 127.0.0.1", `dir ${dir}`, "save ''", "appendonly no", ""].join("\n"),
);
const server = spawn("/usr/bin/redis-server", [conf], { stdio: "ignore" });
const url = `redis://127.0.0.1:${port}`;
const admin = new Redis(url, { lazyConnect: true, retryStrategy: () => null });
admin.on("error", () => {}); // connect attempts before the server listens; the loop below retries

// Round trips: every command an ioredis client of this process sends, except the admin's.
const sentByName = {};
const sendCommand = Redis.prototype.sendCommand;
Redis.prototype.sendCommand = function (command, stream) {
  if (this !== admin) sentByName[command.name] = (sentByName[command.name] ?? 0) + 1;
  return sendCommand.call(this, command, stream);
};
const takeSent = () => {
  const copy = { ...sentByName };
  for (const k of Object.keys(sentByName)) delete sentByName[k];
  return copy;
};
for (let i = 0; ; i++) {
  try {
    await admin.connect();
    break;
  } catch (error) {
    if (i > 100) throw error;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const info = async (section) =>
  Object.fromEntries(
    (await admin.info(section))
      .split(/\r?\n/)
      .filter((l) => l.includes(":"))
      .map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 1)]),
  );

/** Commands (without this script's own INFO/CONFIG), bytes in/out and memory used since `reset()`. */
const cpuSeconds = async () => {
  const cpu = await info("cpu");
  return Number(cpu.used_cpu_user) + Number(cpu.used_cpu_sys);
};
let cpuBefore = 0;
async function reset() {
  await admin.config("RESETSTAT");
  takeSent();
  cpuBefore = await cpuSeconds();
  return Number((await info("memory")).used_memory);
}
async function measure(memoryBefore) {
  // The server's whole CPU (commands, scripts, networking), in µs.
  const usec = ((await cpuSeconds()) - cpuBefore) * 1e6;
  const stats = await info("commandstats");
  let commands = 0;
  const byName = {};
  for (const [key, value] of Object.entries(stats)) {
    const name = key.replace("cmdstat_", "");
    if (name === "info" || name === "config") continue;
    const calls = Number(/calls=(\d+)/.exec(value)?.[1] ?? 0);
    commands += calls;
    byName[name] = calls;
  }
  const s = await info("stats");
  const memory = Number((await info("memory")).used_memory) - memoryBefore;
  const sent = takeSent();
  const requests = Object.values(sent).reduce((x, y) => x + y, 0);
  return {
    requests,
    sent,
    commands,
    usec,
    byName,
    bytesIn: Number(s.total_net_input_bytes),
    bytesOut: Number(s.total_net_output_bytes),
    memory,
  };
}

const events = (onEnvelope) => ({
  envelope: onEnvelope,
  nodeUp() {},
  nodeDown() {},
  engineStatus() {},
});
const nodeOptions = { url, requestTimeoutMs: 2_000, leaseMs: 30_000, keyPrefix: "bench:" };

// ---- routed envelopes through the bus ----
let received = 0;
let allReceived;
const a = new RedisClusterBus({ ...nodeOptions, nodeId: "a" });
const b = new RedisClusterBus({ ...nodeOptions, nodeId: "b" });
await a.start(events(() => {}));
await b.start(
  events((_e, ack) => {
    ack();
    if (++received === N_ENVELOPES) allReceived();
  }),
);

async function windowed(n, one) {
  let next = 0;
  const worker = async () => {
    while (next < n) await one(next++);
  };
  await Promise.all(Array.from({ length: WINDOW }, worker));
}

let memory = await reset();
let started = performance.now();
const done = new Promise((r) => {
  allReceived = r;
});
await windowed(N_ENVELOPES, () => a.send("b", "deliver", BODY));
await done;
const busSeconds = (performance.now() - started) / 1000;
await new Promise((r) => setTimeout(r, 100)); // the last ack batch
const envelopeCost = await measure(memory);

// ---- the peer: the same stream work with plain ioredis, no bus ----
const producer = new Redis(url, { enableAutoPipelining: true });
const consumer = new Redis(url, { enableAutoPipelining: true });
const stream = "peer:{i:b}:inbox";
await producer.xgroup("CREATE", stream, "g", "0", "MKSTREAM");
const body = Buffer.from(BODY);
memory = await reset();
started = performance.now();
let peerReceived = 0;
const reading = (async () => {
  while (peerReceived < N_ENVELOPES) {
    const reply = await consumer.xreadgroupBuffer(
      "GROUP",
      "g",
      "c",
      "COUNT",
      10_000,
      "BLOCK",
      1000,
      "STREAMS",
      stream,
      ">",
    );
    const ids = (reply?.[0]?.[1] ?? []).map(([id]) => id);
    if (ids.length === 0) continue;
    peerReceived += ids.length;
    await consumer.xack(stream, "g", ...ids);
    await consumer.xdel(stream, ...ids);
  }
})();
await windowed(N_ENVELOPES, (i) =>
  producer.xadd(stream, "*", "f", "a", "i", String(i), "c", "deliver", "b", body),
);
await reading;
const peerSeconds = (performance.now() - started) / 1000;
const peerCost = await measure(memory);

// ---- claimSession (one per CONNECT) and the memory a session's ownership takes ----
memory = await reset();
await windowed(N_CLAIMS, (i) => a.claimSession(`client-${i}`));
const claimCost = await measure(memory);

// ---- addRoute (a node's first subscription under a filter) ----
memory = await reset();
await windowed(N_ROUTES, (i) => b.addRoute({ filter: `sensors/${i}/+`, group: undefined }));
const routeCost = await measure(memory);
while (a.match(`sensors/${N_ROUTES - 1}/x`).nodes.size === 0) await new Promise((r) => setTimeout(r, 10));

const ownerKeyBytes = await admin.call("MEMORY", "USAGE", "bench:{s:client-1}:owner");

await a.stop();
await b.stop();
producer.disconnect();
consumer.disconnect();
admin.disconnect();
server.kill("SIGKILL");
rmSync(dir, { recursive: true, force: true });

const row = (what, n, cost) =>
  `| ${what} | ${n} | ${(cost.requests / n).toFixed(2)} | ${(cost.commands / n).toFixed(2)} | ${(cost.usec / n).toFixed(1)} | ${(cost.bytesIn / n).toFixed(0)} | ${(cost.bytesOut / n).toFixed(0)} | ${(cost.memory / n).toFixed(0)} |`;
const mix = (cost, n) =>
  Object.entries(cost.sent)
    .map(([k, v]) => `${k} ${(v / n).toFixed(2)}`)
    .join(", ");
console.log(
  `RedisClusterBus engine cost (redis-server ${(await import("node:child_process")).execFileSync("/usr/bin/redis-server", ["--version"]).toString().split(" ")[2]}, body ${BODY.length} B, window ${WINDOW})`,
);
console.log("");
console.log(
  "| operation | n | requests each (round trips, batched reads/acks shared) | Redis commands each (script internals included) | redis-server CPU each (µs, user+sys) | bytes to Redis each | bytes from Redis each | memory delta each (B) |",
);
console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
console.log(row("routed envelope (send+read+ack), bus", N_ENVELOPES, envelopeCost));
console.log(row("same stream work, plain ioredis (peer)", N_ENVELOPES, peerCost));
console.log(row("claimSession", N_CLAIMS, claimCost));
console.log(row("addRoute", N_ROUTES, routeCost));
console.log("");
console.log(`requests per envelope, bus: ${mix(envelopeCost, N_ENVELOPES)}`);
console.log(`requests per claim: ${mix(claimCost, N_CLAIMS)}`);
console.log(`requests per addRoute: ${mix(routeCost, N_ROUTES)}`);
console.log(`MEMORY USAGE of one session owner key: ${ownerKeyBytes} B`);
console.log("");
console.log("| throughput | envelopes/s | ratio to peer |");
console.log("| --- | --- | --- |");
console.log(
  `| RedisClusterBus a -> b | ${(N_ENVELOPES / busSeconds).toFixed(0)} | ${(peerSeconds / busSeconds).toFixed(2)}x |`,
);
console.log(
  `| plain ioredis XADD/XREADGROUP/XACK (peer) | ${(N_ENVELOPES / peerSeconds).toFixed(0)} | 1.00x |`,
);
