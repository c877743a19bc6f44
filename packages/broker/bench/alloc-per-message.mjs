// What one message allocates in the broker at a steady rate (issue 19's tail: at
// 1000 msg/s only scavenges run, and the bytes allocated per message set how often):
// a fresh broker of this build (or AMQTT_BIN's) with the bench configuration, warmed
// by WARM_SECONDS [3] of `mqtt-load latency`, then DURATION [10] s at RATE [1000]
// msg/s under the sampling heap profiler (collected objects counted, so it sees the
// churn). Prints the bytes per message by allocating function, each with the
// nearest caller of this repository (who asked for it: Node's stream code allocates
// on our behalf), largest first, and writes the profile to OUT_DIR [a temp dir].
//   node packages/broker/bench/alloc-per-message.mjs      # QOS [1] TOP [40]
// Run it under `flock /tmp/bench.lock` on a shared machine. The profiler's own cost
// moves CPU figures: read bytes here, CPU and tails from `pnpm bench`.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, renameSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startBroker } from "./lib/brokers.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const BENCH = join(HERE, "../../../tooling/bench");
const QOS = process.env.QOS ?? "1";
const RATE = Number(process.env.RATE ?? 1000);
const DURATION = Number(process.env.DURATION ?? 10);
const WARM = Number(process.env.WARM_SECONDS ?? 3);
const TOP = Number(process.env.TOP ?? 40);
const OUT = process.env.OUT_DIR ?? mkdtempSync(join(tmpdir(), "alloc-per-message-"));

// The limits of bench/bench-broker.yaml (the listener and plugins come from startBroker).
const LIMITS =
  "max_inflight_messages: 65535\nmax_queued_messages: 10000000\nmax_queued_bytes: 0\nlog_level: warn\n";

execFileSync("make", ["-s", "-C", BENCH, "mqtt-load"], { stdio: "ignore" });
const broker = await startBroker("memory", LIMITS);
try {
  execFileSync("taskset", ["-cp", "0", String(broker.pid)], { stdio: "ignore" });
  const run = (seconds) =>
    execFileSync(
      "taskset",
      [
        "-c",
        "1",
        join(BENCH, "mqtt-load"),
        "latency",
        "127.0.0.1",
        String(broker.port),
        "-q",
        QOS,
        "-r",
        String(RATE),
        "-m",
        "64",
        "-d",
        String(seconds),
        "-W",
        "0",
      ],
      { encoding: "utf8" },
    );
  run(WARM);
  await broker.sample("sample-start");
  const out = run(DURATION);
  const file = await broker.sample("sample-stop");
  const sent = Number(/ sent=(\d+)/.exec(out)?.[1] ?? Number.NaN);
  const profilePath = join(OUT, `qos${QOS}.heapprofile`);
  renameSync(file, profilePath);
  summarize(JSON.parse(readFileSync(profilePath, "utf8")), sent);
  console.log(`profile: ${profilePath}`);
} finally {
  await broker.stop();
}

/** Bytes per message by (allocating function, nearest caller in this repository). */
function summarize(profile, messages) {
  const rows = new Map();
  let total = 0;
  const frameName = (f) =>
    `${f.functionName || "(anonymous)"} ${f.url.split("/").slice(-2).join("/")}:${f.lineNumber + 1}`;
  const ours = (f) => f.url.includes("/packages/") && !f.url.includes("node_modules");
  const walk = (node, owner) => {
    const f = node.callFrame;
    const here = ours(f) ? frameName(f) : owner;
    if (node.selfSize > 0) {
      total += node.selfSize;
      const key = `${frameName(f)}${ours(f) ? "" : `  <- ${owner}`}`;
      rows.set(key, (rows.get(key) ?? 0) + node.selfSize);
    }
    for (const child of node.children) walk(child, here);
  };
  walk(profile.head, "(no caller of ours)");
  console.log(
    `QoS ${QOS}, ${messages} messages at ${RATE}/s: ${(total / messages).toFixed(0)} bytes allocated per message`,
  );
  for (const [key, bytes] of [...rows].sort((a, b) => b[1] - a[1]).slice(0, TOP))
    console.log(`${(bytes / messages).toFixed(0).padStart(6)} B  ${key}`);
}
