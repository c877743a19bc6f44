// Issue 19's client row, the allocation side: heap bytes allocated per QoS 1 round trip and
// scavenges per 10 s at 1000 msg/s, @amqtt/client vs MQTT.js, each client in a process of
// its own (bench/alloc-child.mjs), against Mosquitto and our broker. Not part of the tests.
// Run: node bench/alloc.bench.mjs  (after `pnpm --filter @amqtt/client build`)
// - bytes per publish: `used_heap_size` after minus before over COUNT sequential QoS 1
//   publishes, with a young generation of 64 MB so that no collection falls in the window
//   (the child counts them; a window with one is reported void). The median of REPEAT processes.
// - scavenges per 10 s: 10,000 QoS 1 publishes at 1000 msg/s with V8's default heap sizes.
// - PROFILE=1 adds the sampling heap profile of each client (collected objects included,
//   inlining off so that each function keeps its own allocations): bytes per publish by
//   allocating function, the top 25.
// Knobs: COUNT [5000], REPEAT [3], BROKERS [mosquitto,amqtt], BEFORE_DIST (the
// dist/index.js of another build of this client, measured as a third column).
import { spawn } from "node:child_process";
import { startAmqttBroker, startMosquitto } from "./brokers.mjs";

const COUNT = Number(process.env.COUNT ?? 5_000);
const REPEAT = Number(process.env.REPEAT ?? 3);
const BROKERS = (process.env.BROKERS ?? "mosquitto,amqtt").split(",");
const PROFILE = process.env.PROFILE === "1";
const BEFORE_DIST = process.env.BEFORE_DIST;

const clients = [
  { label: "@amqtt/client", which: "ours", env: {} },
  ...(BEFORE_DIST === undefined
    ? []
    : [{ label: "@amqtt/client before", which: "ours", env: { AMQTT_CLIENT_DIST: BEFORE_DIST } }]),
  { label: "MQTT.js", which: "mqttjs", env: {} },
];

/** Run alloc-child.mjs and resolve with its JSON line. */
function child(client, url, mode, count, flags) {
  return new Promise((resolve, reject) => {
    const script = new URL("./alloc-child.mjs", import.meta.url).pathname;
    const p = spawn(process.execPath, [...flags, script, client.which, url, mode, String(count)], {
      env: { ...process.env, ...client.env },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    p.stdout.on("data", (d) => {
      out += d;
    });
    p.once("exit", (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`${client.label} ${mode} exited ${code}`)),
    );
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const BIG_YOUNG = ["--expose-gc", "--min-semi-space-size=64", "--max-semi-space-size=64"];

console.log(`QoS 1 allocation, 64-byte payloads, MQTT 3.1.1; Node ${process.version}`);
const starters = { mosquitto: () => startMosquitto({ noDelay: true }), amqtt: startAmqttBroker };
for (const name of BROKERS) {
  const broker = await starters[name]();
  try {
    console.log(`\nAgainst ${name === "mosquitto" ? `Mosquitto ${broker.version}` : "our broker"}`);
    console.log(
      "| client | bytes per round trip | scavenges per 10 s at 1000 msg/s | their pause, total / longest |",
    );
    console.log("| --- | ---: | ---: | ---: |");
    for (const c of clients) {
      const bytes = [];
      for (let i = 0; i < REPEAT; i++) {
        const r = await child(c, broker.url, "bytes", COUNT, BIG_YOUNG);
        if (r.collections === 0) bytes.push(r.bytesPerPublish);
      }
      const s = await child(c, broker.url, "scavenges", 10_000, ["--expose-gc"]);
      const b =
        bytes.length === 0 ? "void (a collection fell in every window)" : `${Math.round(median(bytes))} B`;
      console.log(
        `| ${c.label} | ${b} | ${s.scavenges} (+${s.others} other) | ${s.pauseMs.toFixed(1)} / ${s.longestMs.toFixed(1)} ms |`,
      );
    }
    if (PROFILE)
      for (const c of clients) {
        const r = await child(c, broker.url, "profile", COUNT, ["--expose-gc", "--no-turbo-inlining"]);
        console.log(`\n${c.label}: ${Math.round(r.bytesPerPublish)} B per publish sampled; top sites:`);
        for (const t of r.top) console.log(`  ${String(t.bytesPerPublish).padStart(5)} B  ${t.site}`);
      }
  } finally {
    await broker.stop();
  }
}
