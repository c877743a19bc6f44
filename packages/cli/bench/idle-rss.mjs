// Idle RSS of `amqtt --memory --no-ws` and `amqtt --memory` (WebSocket too) against
// bare Node, measured in the same run (issue 19: target <= 50 MB). Each variant is started ROUNDS times (default 5); once it
// is ready and has sat for SETTLE_MS, its VmRSS, and the Rss/Anonymous/file-backed parts
// of /proc/PID/smaps_rollup, are read. Medians are printed, and RSS as a ratio to bare Node.
//
//   node packages/cli/bench/idle-rss.mjs            (after `pnpm --filter @amqtt/cli build`)
//   ROUNDS=9 EXTRA_ARGS="--max-semi-space-size=1" node packages/cli/bench/idle-rss.mjs
//   SETTLE_MS=20000 ROUNDS=3 node packages/cli/bench/idle-rss.mjs   (after V8's memory reducer ran)
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

const rounds = Number(process.env.ROUNDS ?? 5);
const settleMs = Number(process.env.SETTLE_MS ?? 1500);
const extra = (process.env.EXTRA_ARGS ?? "").split(" ").filter(Boolean);
const dist = join(import.meta.dirname, "..", "dist");
// The Node flags of the bin's shebang line (`#!/usr/bin/env -S node --flag ...`), as npm's link runs it.
const shebangFlags = (readFileSync(join(dist, "bin.js"), "utf8").split("\n")[0] ?? "")
  .replace(/^#!.*?\bnode\b/, "")
  .split(" ")
  .filter(Boolean);

/** What to start, and the stderr text that says it is ready. */
const variants = [
  {
    name: "bare node",
    command: process.execPath,
    args: ["-e", "setInterval(() => {}, 1 << 30); process.stderr.write('ready\\n')"],
    ready: "ready",
  },
  {
    // As installed: the bin runs through its shebang line (its Node flags apply).
    name: "amqtt --memory --no-ws (shebang)",
    command: process.execPath,
    args: [...shebangFlags, join(dist, "bin.js"), "--memory", "--no-ws", "--port", "0"],
    ready: "state in memory",
  },
  {
    // The README's quick start: the embedded defaults, WebSocket listener included.
    name: "amqtt --memory (shebang, with ws)",
    command: process.execPath,
    args: [...shebangFlags, join(dist, "bin.js"), "--memory", "--port", "0", "--ws-port", "0"],
    ready: "state in memory",
  },
  {
    name: "node dist/bin.js --memory --no-ws",
    command: process.execPath,
    args: [...extra, join(dist, "bin.js"), "--memory", "--no-ws", "--port", "0"],
    ready: "state in memory",
  },
];

function kilobytes(text, key) {
  const match = new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(text);
  return match === null ? Number.NaN : Number(match[1]);
}

async function sample(variant) {
  const child = spawn(variant.command, variant.args, { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  await new Promise((resolve, reject) => {
    child.stderr.on("data", (d) => {
      err += d;
      if (err.includes(variant.ready)) resolve();
    });
    child.once("exit", (code) => reject(new Error(`${variant.name} exited with ${code}: ${err}`)));
  });
  await sleep(settleMs);
  const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
  const rollup = readFileSync(`/proc/${child.pid}/smaps_rollup`, "utf8");
  child.kill("SIGKILL");
  await new Promise((r) => (child.exitCode === null ? child.once("exit", r) : r()));
  return {
    rss: kilobytes(status, "VmRSS"),
    anon: kilobytes(rollup, "Anonymous"),
    file: kilobytes(rollup, "Rss") - kilobytes(rollup, "Anonymous"),
  };
}

const median = (values) => values.toSorted((a, b) => a - b)[Math.floor(values.length / 2)];
const results = [];
for (const variant of variants) {
  const samples = [];
  for (let i = 0; i < rounds; i++) samples.push(await sample(variant));
  results.push({
    name: variant.name,
    rss: median(samples.map((s) => s.rss)),
    anon: median(samples.map((s) => s.anon)),
    file: median(samples.map((s) => s.file)),
  });
}
const bare = results[0].rss;
const mb = (kb) => (kb / 1024).toFixed(1).padStart(6);
console.log(`idle RSS, median of ${rounds} (MB; anonymous / file-backed from smaps_rollup)`);
for (const r of results)
  console.log(
    `${r.name.padEnd(38)} rss ${mb(r.rss)}  anon ${mb(r.anon)}  file ${mb(r.file)}  ${(r.rss / bare).toFixed(2)}x bare node`,
  );
