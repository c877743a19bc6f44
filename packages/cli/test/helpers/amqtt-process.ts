import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { afterEach } from "vitest";

/** The built `amqtt` binary the tests run. */
export const AMQTT_BIN = join(import.meta.dirname, "..", "..", "dist", "bin.js");

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
});

/** A running `amqtt` process. */
export interface RunningAmqtt {
  child: ChildProcess;
  /** Bound ports by listener name, from its `listening` log lines. */
  ports: Record<string, number>;
  /** The port of the `default` listener (or the first one logged). */
  port: number;
  /** What it wrote to stderr so far. */
  stderr: () => string;
  /** Resolves with the exit code (null when killed by a signal). */
  exit: Promise<number | null>;
}

/**
 * Start the built `amqtt` binary in `cwd`; resolves once it logged `listeners`
 * listening lines (rejects if it exits first). Killed after the test.
 */
export function startAmqtt(args: string[], cwd: string, listeners = 1): Promise<RunningAmqtt> {
  const child = spawn(process.execPath, [AMQTT_BIN, ...args], { stdio: ["ignore", "pipe", "pipe"], cwd });
  children.push(child);
  let err = "";
  const exit = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return new Promise((resolve, reject) => {
    const ports: Record<string, number> = {};
    child.stderr!.on("data", (d) => {
      err += d;
      for (const m of err.matchAll(/listening (\{.*\})/g)) {
        const info = JSON.parse(m[1]!) as { listener: string; port: number };
        ports[info.listener] = info.port;
      }
      const names = Object.keys(ports);
      if (names.length === listeners)
        resolve({ child, ports, port: ports.default ?? ports[names[0]!]!, stderr: () => err, exit });
    });
    exit.then((code) => reject(new Error(`amqtt exited with ${code}: ${err}`)));
  });
}

/** Run the binary in `cwd` to completion; resolves with its exit code and output. */
export function runAmqtt(
  args: string[],
  cwd: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [AMQTT_BIN, ...args], { stdio: ["ignore", "pipe", "pipe"], cwd });
  children.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  return new Promise((r) => child.once("exit", (code) => r({ code, stdout, stderr })));
}

/** SIGKILL a running broker and wait until it is gone. */
export async function killAmqtt(running: RunningAmqtt): Promise<void> {
  running.child.kill("SIGKILL");
  await running.exit;
}

/**
 * Run the binary in `cwd` (Node started with `nodeArgs` first) until its stderr holds `text`,
 * then (after `during`, given the log so far) SIGINT it; resolves with its stderr once it exited with 0. Rejects when it exits first,
 * exits with another code, or logs no `text` within 15 s.
 */
export async function runUntilLogged(
  args: string[],
  text: string,
  cwd: string,
  nodeArgs: string[] = [],
  during?: (stderr: string) => Promise<void>,
): Promise<string> {
  const child = spawn(process.execPath, [...nodeArgs, AMQTT_BIN, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    cwd,
  });
  children.push(child);
  let err = "";
  child.stderr!.on("data", (d) => (err += d));
  const exit = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  const deadline = Date.now() + 15_000;
  while (!err.includes(text)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`no "${text}" in the log: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  if (during !== undefined) await during(err);
  child.kill("SIGINT");
  const code = await exit;
  if (code !== 0) throw new Error(`amqtt exited with ${code} after SIGINT: ${err}`);
  return err;
}
