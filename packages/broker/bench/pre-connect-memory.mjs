#!/usr/bin/env node
// Memory an unauthenticated peer can make a broker hold before CONNECT
// (issue 14): N raw connections each send a fixed header declaring DECLARED
// bytes and then BODY bytes of it, and stay silent. Reported per broker: RSS
// growth of the broker process and how many of the N connections it still
// holds open 2 s later (connect_timeout is 60 s). Mosquitto runs in the same
// pass when installed, as the peer.
//
//   node packages/broker/bench/pre-connect-memory.mjs [broker-dist ...]
//   N=1000 BODY=65536 node packages/broker/bench/pre-connect-memory.mjs \
//     /tmp/main/packages/broker/dist/index.js packages/broker/dist/index.js
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../../../tooling/bench/lib/net.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const N = Number(process.env.N ?? 1000);
const BODY = Number(process.env.BODY ?? 64 * 1024);
const DECLARED = Number(process.env.DECLARED ?? 4 * 1024 * 1024);
const dists = process.argv.slice(2).length > 0 ? process.argv.slice(2) : [join(here, "../dist/index.js")];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const rssKiB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]);

function header(first, remaining) {
  const out = [first];
  let n = remaining;
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
}

/** Open N sockets, send `bytes` on each, wait, and report RSS growth and connections still open. */
async function attack(pid, port, bytes) {
  const before = rssKiB(pid);
  const sockets = [];
  let open = 0;
  for (let i = 0; i < N; i++) {
    const s = connect({ host: "127.0.0.1", port });
    s.on("error", () => {});
    await new Promise((r) => s.once("connect", r));
    open++;
    s.once("close", () => open--);
    s.write(bytes);
    sockets.push(s);
  }
  await sleep(2000);
  const after = rssKiB(pid);
  const stillOpen = open;
  for (const s of sockets) s.destroy();
  await sleep(1000);
  return { rssMiB: (after - before) / 1024, stillOpen };
}

async function startOurs(dist) {
  const child = spawn(
    process.execPath,
    ["--expose-gc", join(here, "pre-connect-server.mjs"), resolve(dist)],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const port = await new Promise((r) => child.stdout.once("data", (d) => r(Number(String(d).trim()))));
  return { child, port };
}

async function startMosquitto() {
  try {
    execFileSync("sh", ["-c", "command -v mosquitto"], { stdio: "ignore" });
  } catch {
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), "preconnect-mosq-"));
  const port = await freePort();
  writeFileSync(
    join(dir, "m.conf"),
    `listener ${port} 127.0.0.1\nallow_anonymous true\nmax_connections -1\n`,
  );
  const child = spawn("mosquitto", ["-c", join(dir, "m.conf")], { stdio: "ignore" });
  await sleep(500);
  return { child, port, dir };
}

const scenarios = [
  ["PUBLISH header first (0x30)", Buffer.concat([header(0x30, DECLARED), Buffer.alloc(BODY, 0x41)])],
  ["CONNECT header (0x10)", Buffer.concat([header(0x10, DECLARED), Buffer.alloc(BODY, 0x41)])],
];
console.log(
  `N=${N} connections, each: a fixed header declaring ${DECLARED} bytes, then ${BODY} bytes, then silence`,
);
console.log("| broker | scenario | RSS growth (MiB) | connections still open after 2 s |");
console.log("| --- | --- | --- | --- |");
const runs = dists.map((d) => ["ours " + d, () => startOurs(d)]);
runs.push(["mosquitto", startMosquitto]);
for (const [name, start] of runs) {
  for (const [label, bytes] of scenarios) {
    const broker = await start();
    if (broker === undefined) break;
    await sleep(1000);
    const r = await attack(broker.child.pid, broker.port, bytes);
    console.log(`| ${name} | ${label} | ${r.rssMiB.toFixed(1)} | ${r.stillOpen} / ${N} |`);
    broker.child.kill("SIGTERM");
    await new Promise((r2) => broker.child.once("exit", r2));
    if (broker.dir !== undefined) rmSync(broker.dir, { recursive: true, force: true });
  }
}
