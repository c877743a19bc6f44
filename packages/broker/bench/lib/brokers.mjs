// Brokers for the resource benchmarks (subscriptions.mjs, takeover.mjs): ours
// (the built `amqtt` command, memory or SQLite store) and Mosquitto, each a child
// process on a free loopback port in a temp dir, stopped by PID. Ours runs with
// a preload that answers "mem" on its IPC channel with process.memoryUsage()
// after a full GC, so heap figures are exact; Mosquitto's figure is RSS from /proc.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect as netConnect } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, writeMosquittoConf } from "../../../../tooling/bench/lib/net.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, "../../../..");
// AMQTT_BIN: another build of the `amqtt` command (e.g. main's, for before/after figures).
const BIN = process.env.AMQTT_BIN ?? join(ROOT, "packages/cli/dist/bin.js");
const PRELOAD = join(HERE, "gc-preload.mjs");
// OURS_NODE_FLAGS: node flags for ours (default those of the `amqtt` shebang); e.g. add
// --cpu-prof or --heapsnapshot-signal=SIGUSR2 to profile (the files land in the cwd).
const OURS_FLAGS = (process.env.OURS_NODE_FLAGS ?? "--max-semi-space-size=4").split(/\s+/).filter(Boolean);

/** A free loopback port. */
export { freePort };

/** VmRSS of a process in bytes (Linux). */
export function rssOf(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) * 1024 : Number.NaN;
}

function waitForPort(port, child, timeoutMs = 15_000) {
  const until = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null) return reject(new Error(`broker exited with ${child.exitCode}`));
      const s = netConnect(port, "127.0.0.1");
      s.once("connect", () => {
        s.destroy();
        resolve();
      });
      s.once("error", () => {
        s.destroy();
        if (Date.now() > until) reject(new Error(`port ${port} never opened`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

/**
 * Start one broker: `kind` is "memory", "sqlite" or "mosquitto", or "base-memory" /
 * "base-sqlite" for the build at BASE_BIN (e.g. main's `packages/cli/dist/bin.js`),
 * to put before and after in one run.
 * @returns {{name, port, pid, memory(): Promise<{rss:number, heap?:number}>, stop(): Promise<void>}}
 */
export async function startBroker(kind, extraYaml = "") {
  const base = kind.startsWith("base-");
  if (base && process.env.BASE_BIN === undefined) throw new Error(`${kind} needs BASE_BIN`);
  const bin = base ? process.env.BASE_BIN : BIN;
  const store = base ? kind.slice("base-".length) : kind;
  const dir = mkdtempSync(join(tmpdir(), `amqtt-bench-${kind}-`));
  const port = await freePort();
  let child;
  if (kind === "mosquitto") {
    const conf = writeMosquittoConf(dir, port, [
      "persistence false",
      "log_dest stderr",
      "log_type error",
      "connection_messages false",
      "max_inflight_messages 0",
    ]);
    child = spawn("mosquitto", ["-c", conf], { stdio: ["ignore", "ignore", "inherit"] });
  } else {
    const conf = join(dir, "broker.yaml");
    const persistence =
      store === "sqlite"
        ? `persistence:\n  store: sqlite\n  data_dir: ${join(dir, "data")}\n`
        : "persistence:\n  store: memory\n";
    writeFileSync(
      conf,
      `listeners:\n  default:\n    type: tcp\n    bind: 127.0.0.1:${port}\nplugins:\n  anonymous-auth:\n    allow_anonymous: true\n${persistence}${extraYaml}`,
    );
    child = spawn(process.execPath, [...OURS_FLAGS, "--expose-gc", "--import", PRELOAD, bin, "-c", conf], {
      // BROKER_STDOUT=1: keep ours' stdout (where --trace-gc and friends write).
      stdio: ["ignore", process.env.BROKER_STDOUT === "1" ? "inherit" : "ignore", "inherit", "ipc"],
    });
  }
  await waitForPort(port, child);
  const name = kind === "mosquitto" ? "mosquitto" : base ? `main-${store}` : `amqtt-${store}`;
  return {
    name,
    port,
    pid: child.pid,
    /** Memory now: ours after a full GC (rss, heapUsed), Mosquitto rss only. */
    memory() {
      if (kind === "mosquitto")
        return new Promise((r) => setTimeout(() => r({ rss: rssOf(child.pid) }), 200));
      return new Promise((resolve) => {
        child.once("message", (m) => resolve({ rss: m.rss, heap: m.heapUsed }));
        child.send("mem");
      });
    },
    /** Ours only: process.memoryUsage() as it is, no GC first. */
    usageNow() {
      return new Promise((resolve) => {
        child.once("message", resolve);
        child.send("mem-nogc");
      });
    },
    /** Ours only: start ("sample-start") or stop ("sample-stop": resolves with the file) allocation sampling. */
    sample(what) {
      return new Promise((resolve) => {
        child.once("message", (m) => resolve(m.profile));
        child.send(what);
      });
    },
    /** RSS now, as /proc says, without a GC first (what a monitoring tool sees). */
    rssNow() {
      return rssOf(child.pid);
    },
    /** Ours only: write a heap snapshot (in the broker's cwd); resolves with its file name. */
    heapSnapshot() {
      return new Promise((resolve) => {
        child.once("message", (m) => resolve(m.snapshot));
        child.send("snap");
      });
    },
    stop() {
      return new Promise((resolve) => {
        const done = () => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        };
        if (child.exitCode !== null) return done();
        child.once("exit", done);
        process.kill(child.pid, "SIGTERM");
        setTimeout(() => child.exitCode === null && process.kill(child.pid, "SIGKILL"), 5000).unref();
      });
    },
  };
}

/** "1.23 KiB" style. */
export function kib(bytes) {
  return `${(bytes / 1024).toFixed(2)} KiB`;
}

/** "12.3 MiB" style. */
export function mib(bytes) {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}
