// The peers of the benchmarks: Debian's mosquitto on a free loopback port, and a minimal acking server.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../../tooling/bench/lib/net.mjs";

async function listening(port) {
  return new Promise((r) => {
    const c = connect(port, "127.0.0.1")
      .once("connect", () => {
        c.destroy();
        r(true);
      })
      .once("error", () => r(false));
  });
}

/**
 * Start mosquitto (anonymous, no persistence, no in-flight or queue limits) and
 * resolve with its URL, process id, version and an async `stop()`. `noDelay` sets
 * `set_tcp_nodelay true`: without it Mosquitto's Nagle holds a PUBACK back while an
 * earlier one is unacknowledged, which a latency run would charge to the client.
 */
export async function startMosquitto({ noDelay = false } = {}) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "amqtt-bench-"));
  const conf = join(dir, "m.conf");
  writeFileSync(
    conf,
    `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_inflight_messages 0\nmax_queued_messages 0\n${noDelay ? "set_tcp_nodelay true\n" : ""}`,
  );
  // Debian installs it in /usr/sbin, which a non-login PATH may lack.
  const bin = existsSync("/usr/sbin/mosquitto") ? "/usr/sbin/mosquitto" : "mosquitto";
  const child = spawn(bin, ["-c", conf], { stdio: "ignore" });
  const exited = new Promise((r) => child.once("exit", r));
  let up = false;
  for (let i = 0; i < 200 && !up; i++) {
    up = await listening(port);
    if (!up) await new Promise((r) => setTimeout(r, 25));
  }
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  if (!up) {
    await stop();
    throw new Error(`mosquitto did not listen on ${port}`);
  }
  // `mosquitto -h` prints "mosquitto version X.Y.Z" first (and exits non-zero).
  const help = spawnSync(bin, ["-h"], { encoding: "utf8" });
  const version = /version (\S+)/.exec(`${help.stdout}${help.stderr}`)?.[1] ?? "(unknown version)";
  return { url: `mqtt://127.0.0.1:${port}`, pid: child.pid, version, stop };
}

/** A bench script in a child process that prints its port first; resolves with its URL, pid and an async `stop()`. */
async function startPortPrinter(script, what) {
  const child = spawn(process.execPath, [new URL(script, import.meta.url).pathname], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise((r) => child.once("exit", r));
  const port = await new Promise((resolve, reject) => {
    child.stdout.once("data", (d) => resolve(Number(String(d).trim())));
    child.once("exit", () => reject(new Error(`${what} exited before listening`)));
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
  };
  return { url: `mqtt://127.0.0.1:${port}`, pid: child.pid, stop };
}

/** bench/ack-server.mjs in a child process; resolves with its URL and an async `stop()`. */
export function startAckServer() {
  return startPortPrinter("./ack-server.mjs", "the ack server");
}

/** Our broker (bench/amqtt-broker.mjs) in a child process; resolves with its URL, pid and an async `stop()`. */
export function startAmqttBroker() {
  return startPortPrinter("./amqtt-broker.mjs", "the amqtt broker");
}
