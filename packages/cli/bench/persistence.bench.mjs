// `pnpm --filter @amqtt/cli bench`: persistent QoS 1 throughput of the `amqtt`
// command with SQLite (durability full and relaxed) against its memory store and
// Mosquitto with persistence on, in one run.
//
// Each round, for each broker: a persistent subscriber subscribes to bench/# at
// QoS 1 and goes offline; a publisher sends N QoS 1 messages (a window of W in
// flight, the same MQTT.js client for every broker) and waits for every PUBACK;
// then the subscriber comes back and receives all N from its offline queue.
// Reported: publish msg/s (to the last PUBACK), drain msg/s (reconnect to the
// last message), and the whole path; medians over the rounds, ratios to ours
// with the memory store.
//
// What "persistent" means differs: ours acknowledges a message once it is on
// disk (full: fsync per group commit; relaxed: survives a process crash, not a
// power loss). Mosquitto keeps messages in memory and writes its database only
// every autosave_interval seconds and at shutdown: a crash loses what came since.
//
// QOS=2 runs the same at QoS 2 (subscription and publishes).
//
//   N=20000 W=100 ROUNDS=3 QOS=1 pnpm --filter @amqtt/cli bench
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, connectAsync } from "mqtt";
import { freePort, writeMosquittoConf } from "../../../tooling/bench/lib/net.mjs";

const N = Number(process.env.N ?? 20000);
const W = Number(process.env.W ?? 100);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const QOS = Number(process.env.QOS ?? 1);
const bin = join(import.meta.dirname, "..", "dist", "bin.js");
const work = mkdtempSync(join(tmpdir(), "amqtt-persist-bench-"));
const payload = Buffer.alloc(64, 0x61);

const oursConfig = join(work, "ours.yaml");
writeFileSync(
  oursConfig,
  [
    "listeners:",
    "  default:",
    "    type: tcp",
    "    bind: 127.0.0.1:0",
    "plugins:",
    "  anonymous-auth:",
    "    allow_anonymous: true",
    `max_queued_messages: ${N * 2}`,
    "max_queued_bytes: 0",
    "max_inflight_messages: 65535",
    "",
  ].join("\n"),
);

/** Start a broker process; resolve with its port once it listens. */
function start(name, command, args, portFrom) {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  return new Promise((resolve, reject) => {
    const onData = (d) => {
      out += d;
      const port = portFrom(out);
      if (port !== undefined) resolve({ child, port });
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => reject(new Error(`${name} exited (${code}): ${out}`)));
  });
}

const brokers = {
  "ours, memory": (dir) =>
    start("ours", process.execPath, [bin, "-c", oursConfig, "--memory"], ourPort).then(withDir(dir)),
  "ours, SQLite full": (dir) =>
    start("ours", process.execPath, [bin, "-c", oursConfig, "--data-dir", dir], ourPort).then(withDir(dir)),
  "ours, SQLite relaxed": (dir) => {
    const config = join(dir, "relaxed.yaml");
    writeFileSync(
      config,
      `${readFileSync(oursConfig, "utf8")}persistence:\n  store: sqlite\n  data_dir: ${dir}\n  durability: relaxed\n`,
    );
    return start("ours", process.execPath, [bin, "-c", config], ourPort).then(withDir(dir));
  },
  "mosquitto, persistence on": async (dir) => {
    const port = await freePort();
    const conf = writeMosquittoConf(dir, port, [
      "persistence true",
      `persistence_location ${dir}/`,
      "autosave_interval 1",
      "max_inflight_messages 0",
      "max_queued_messages 10000000",
      "log_dest stderr",
      "log_type information",
    ]);
    const mosquitto = process.env.MOSQUITTO ?? "/usr/sbin/mosquitto";
    return start("mosquitto", mosquitto, ["-c", conf], (out) =>
      out.includes("Opening ipv4 listen socket") || out.includes("mosquitto version") ? port : undefined,
    ).then(withDir(dir));
  },
};

function ourPort(out) {
  const m = /listening (\{.*\})/.exec(out);
  return m === null ? undefined : JSON.parse(m[1]).port;
}
function withDir(dir) {
  return (b) => ({ ...b, dir });
}

async function waitPort(port) {
  for (let i = 0; i < 100; i++) {
    try {
      const c = await connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 1000 });
      await c.endAsync();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`nothing listens on ${port}`);
}

async function round(launch) {
  const dir = mkdtempSync(join(work, "run-"));
  const broker = await launch(dir);
  try {
    await waitPort(broker.port);
    const url = `mqtt://127.0.0.1:${broker.port}`;
    const sub = await connectAsync(url, { clientId: "bench-sink", clean: false, reconnectPeriod: 0 });
    await sub.subscribeAsync("bench/#", { qos: QOS });
    await sub.endAsync();

    const pub = await connectAsync(url, { clientId: "bench-pub", reconnectPeriod: 0 });
    const t0 = performance.now();
    let sent = 0;
    let acked = 0;
    await new Promise((resolve, reject) => {
      const more = () => {
        while (sent < N && sent - acked < W) {
          const i = sent++;
          pub.publish(`bench/${i % 100}`, payload, { qos: QOS }, (error) => {
            if (error) return reject(error);
            acked++;
            if (acked === N) resolve();
            else more();
          });
        }
      };
      more();
    });
    const t1 = performance.now();
    await pub.endAsync();

    let got = 0;
    const t2 = performance.now();
    // Listen before the CONNACK: the queued messages follow it at once.
    const back = connect(url, { clientId: "bench-sink", clean: false, reconnectPeriod: 0 });
    await new Promise((resolve) => {
      back.on("message", () => {
        got++;
        if (got === N) resolve();
      });
    });
    const t3 = performance.now();
    await back.endAsync();
    return {
      publish: N / ((t1 - t0) / 1000),
      drain: N / ((t3 - t2) / 1000),
      total: N / ((t1 - t0 + t3 - t2) / 1000),
    };
  } finally {
    broker.child.kill("SIGKILL");
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = Object.fromEntries(Object.keys(brokers).map((k) => [k, []]));
try {
  for (let r = 0; r < ROUNDS; r++) {
    // Brokers take turns within a round, so machine noise spreads over all of them.
    for (const [name, launch] of Object.entries(brokers)) results[name].push(await round(launch));
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const base = median(results["ours, memory"].map((r) => r.total));
const fmt = (x) => Math.round(x).toLocaleString("en-US");
console.log(`persistent QoS ${QOS}, ${N} messages of 64 B, window ${W}, ${ROUNDS} rounds (medians, msg/s)\n`);
console.log("| broker | publish (to last PUBACK) | drain (offline queue) | whole path | vs ours, memory |");
console.log("|---|---:|---:|---:|---:|");
for (const [name, rs] of Object.entries(results)) {
  const total = median(rs.map((r) => r.total));
  console.log(
    `| ${name} | ${fmt(median(rs.map((r) => r.publish)))} | ${fmt(median(rs.map((r) => r.drain)))} | ${fmt(total)} | ${(total / base).toFixed(2)}x |`,
  );
}
