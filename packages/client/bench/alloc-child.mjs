// One client of alloc.bench.mjs in a process of its own: node alloc-child.mjs <ours|mqttjs> <url> <mode> <count>
// Prints one JSON line on stdout. Modes:
//   bytes      heap bytes allocated per sequential QoS 1 publish: `used_heap_size` after minus
//              before, in a window with no collection at all (run with a young generation large
//              enough; the GC profiler says how many collections fell in the window, 0 or void)
//   scavenges  `count` QoS 1 publishes at 1000 msg/s (open loop), with V8's default young
//              generation: how many scavenges, their total and longest pause
//   profile    a sampling heap profile (collected objects included) over `count` sequential
//              publishes: bytes per publish by allocating function
import { Session } from "node:inspector/promises";
import { createRequire } from "node:module";
import { GCProfiler, getHeapStatistics } from "node:v8";
import { amqttDriver, mqttjsDriver } from "./drivers.mjs";
import { atRate, sequential } from "./latency-measures.mjs";

const [which, url, mode, countText] = process.argv.slice(2);
const count = Number(countText);
const payload = new Uint8Array(64).fill(0x61);
const version = createRequire(import.meta.url)("mqtt/package.json").version;
const driver = which === "ours" ? amqttDriver(payload) : mqttjsDriver(payload, version);
const client = await driver.open(url);
const seq = await sequential().prepare(client, url);
await seq.block(3_000); // warm-up: the JIT and the connection's buffers
globalThis.gc?.();

let result;
if (mode === "bytes") {
  const profiler = new GCProfiler();
  profiler.start();
  const before = getHeapStatistics().used_heap_size;
  await seq.block(count);
  const after = getHeapStatistics().used_heap_size;
  const collections = profiler.stop().statistics.length;
  result = { bytesPerPublish: (after - before) / count, collections };
} else if (mode === "scavenges") {
  const rate = await atRate(1000).prepare(client, url);
  const profiler = new GCProfiler();
  profiler.start();
  await rate.block(count);
  const events = profiler.stop().statistics;
  const scavenges = events.filter((e) => e.gcType === "Scavenge");
  const pauses = scavenges.map((e) => e.cost / 1000); // µs -> ms
  result = {
    scavenges: scavenges.length,
    others: events.length - scavenges.length,
    pauseMs: pauses.reduce((a, b) => a + b, 0),
    longestMs: Math.max(0, ...pauses),
  };
} else if (mode === "profile") {
  const session = new Session();
  session.connect();
  await session.post("HeapProfiler.startSampling", {
    samplingInterval: 256,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  await seq.block(count);
  const { profile } = await session.post("HeapProfiler.stopSampling");
  const bySite = new Map();
  const name = (f) => {
    const file = f.url
      .replace(/^.*node_modules\/(\.pnpm\/[^/]+\/node_modules\/)?/, "")
      .replace(/^.*packages\//, "");
    return `${f.functionName || "(anonymous)"} ${file}:${f.lineNumber + 1}`;
  };
  const walk = (node, parent) => {
    // A builtin (Map growth, Array push, ...) is charged to its caller too.
    const here = name(node.callFrame);
    const site = node.callFrame.url === "" && parent !== undefined ? `${here} < ${parent}` : here;
    bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
    for (const child of node.children) walk(child, node.callFrame.url === "" ? parent : here);
  };
  walk(profile.head, undefined);
  const total = [...bySite.values()].reduce((a, b) => a + b, 0);
  const top = [...bySite]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 25)
    .map(([site, bytes]) => ({ site, bytesPerPublish: Math.round(bytes / count) }));
  result = { bytesPerPublish: total / count, top };
  session.disconnect();
} else throw new Error(`unknown mode ${mode}`);
await client.close();
process.stdout.write(`${JSON.stringify({ name: driver.name, ...result })}\n`);
process.exit(0);
