import type { ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import { runSql } from "./sql.js";

// What the PostgreSQL and MariaDB spawners share: the handle, stopping by PID,
// waiting for the server to accept, and dropping root for servers that refuse it.

/** A database server started by a test, in a temp dir on a free loopback port. */
export interface DbServer {
  /** A connection URL in aMQTT's spelling (with the `+driver` part), password included. */
  url: string;
  port: number;
  user: string;
  password: string;
  database: string;
  /** The server's PID. */
  pid: number;
  /** Run statements as the password user on the test database (a fresh connection); the rows of each. */
  query(...statements: string[]): Promise<unknown[][]>;
  /** Stop it by PID (graceful, SIGKILL after 10 s) and remove its temp dir; safe to call twice. */
  stop(): Promise<void>;
  /** Kill it by PID with SIGKILL at once (a crash or a lost server); `stop()` still removes the dir. */
  kill(): Promise<void>;
}

/** Send `signal` to a child and wait for its exit (SIGKILL after 10 s). @internal */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Retry `attempt` until it resolves, for at most `ms`; the last error otherwise. @internal */
export async function retryWhileStarting<T>(
  attempt: () => Promise<T>,
  ms: number,
  child: ChildProcess,
  log: () => string,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}): ${log()}`);
      if (Date.now() > end) throw error;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** True when the tests run as root (servers that refuse root then run as `nobody`). @internal */
export const asRoot = process.getuid?.() === 0;

/** `command args` as `nobody` when running as root (setpriv execs it: the PID is the server's). @internal */
export function dropRoot(command: string, args: string[]): [string, string[]] {
  return asRoot
    ? ["setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", command, ...args]]
    : [command, args];
}

/**
 * The handle of a started server whose password user is `amqtt` on database
 * `amqtt_test`: `stop()` sends `stopSignal` and removes `dir`. @internal
 */
export function serverHandle(
  scheme: string,
  port: number,
  password: string,
  child: ChildProcess,
  dir: string,
  stopSignal: NodeJS.Signals,
): DbServer {
  const url = `${scheme}://amqtt:${password}@127.0.0.1:${port}/amqtt_test`;
  return {
    url,
    port,
    user: "amqtt",
    password,
    database: "amqtt_test",
    pid: child.pid ?? 0,
    query: (...statements) => runSql(url, ...statements),
    stop: async () => {
      await stopChild(child, stopSignal);
      rmSync(dir, { recursive: true, force: true });
    },
    kill: () => stopChild(child, "SIGKILL"),
  };
}
