// Debian's HAProxy started by a test: from a configuration text or an existing
// file (the example's haproxy.cfg), in the foreground, killed by PID.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { debianBinary } from "./mosquitto.js";
import { waitForPort } from "./ports.js";

/** A running `haproxy`, started by {@link startHaproxy}. */
export interface Haproxy {
  /** What it wrote to stdout and stderr so far. */
  log(): string;
  /** Kill it by PID (SIGKILL) and remove its temp folder; safe to call twice. */
  stop(): Promise<void>;
}

/** Options of {@link startHaproxy}: exactly one of `config` and `configFile`. */
export interface HaproxyOptions {
  /** The configuration's text (written to a temp file). */
  config?: string;
  /** An existing configuration file. */
  configFile?: string;
  /** Loopback ports its frontends bind; it counts as started once all accept. */
  ports: readonly number[];
}

/** Start Debian's `haproxy -db` and wait until every port in `ports` accepts. The caller stops it. */
export async function startHaproxy(options: HaproxyOptions): Promise<Haproxy> {
  if ((options.config === undefined) === (options.configFile === undefined))
    throw new TypeError("startHaproxy: give exactly one of config and configFile");
  let dir: string | undefined;
  let file = options.configFile;
  if (options.config !== undefined) {
    dir = mkdtempSync(join(tmpdir(), "amqtt-haproxy-"));
    file = join(dir, "haproxy.cfg");
    writeFileSync(file, options.config);
  }
  const child: ChildProcess = spawn(debianBinary("haproxy"), ["-db", "-f", file!], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  // A missing binary is an 'error' event, not an exit: fail the wait with it instead of crashing the run.
  let spawnError: Error | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once("exit", () => resolve());
    child.once("error", (error) => {
      spawnError = error;
      output += `${error.message}\n`;
      resolve();
    });
  });
  const stop = async (): Promise<void> => {
    if (spawnError === undefined && child.exitCode === null && child.signalCode === null)
      child.kill("SIGKILL");
    await exited;
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of options.ports) {
      await waitForPort(port, () => output);
      if (spawnError !== undefined) throw spawnError;
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { log: () => output, stop };
}
