import cluster, { type Worker } from "node:cluster";
import { availableParallelism } from "node:os";
import { InvalidArgumentError } from "./commander.js";

/** The environment variable telling a worker process its index (0-based). */
export const WORKER_INDEX_ENV = "AMQTT_WORKER_INDEX";

/** Restarts of crashed workers allowed per minute, in all; beyond it the command gives up (exit 1). */
export const MAX_RESTARTS_PER_MINUTE = 10;

/** `--workers N|auto`: a count from 1 to 256, or `auto` (the cores this process may use). */
export function parseWorkers(value: string): number {
  if (value === "auto") return availableParallelism();
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 256)
    throw new InvalidArgumentError("expected a number of workers from 1 to 256, or auto");
  return n;
}

/** This process's worker index when it is a worker of `--workers`, else `undefined`. */
export function workerIndex(): number | undefined {
  if (cluster.isPrimary) return undefined;
  const raw = process.env[WORKER_INDEX_ENV];
  return raw === undefined ? undefined : Number(raw);
}

/** Where the primary process of `--workers` logs. */
export interface PrimaryLog {
  info(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/**
 * The primary process of `amqtt --workers N`: N worker processes (node's
 * `cluster` module: the listeners' sockets are shared, connections spread over
 * the workers), each running the broker as a node of the same cluster. A
 * worker that dies is started again (at most {@link MAX_RESTARTS_PER_MINUTE});
 * SIGINT/SIGTERM stop them all; SIGHUP is passed to every worker (each reloads
 * its broker). Resolves with the exit code.
 */
export function runPrimary(count: number, log: PrimaryLog): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    let exitCode = 0;
    const restarts: number[] = [];
    const live = new Map<number, Worker>();
    const fork = (index: number) => {
      const worker = cluster.fork({ [WORKER_INDEX_ENV]: String(index) });
      live.set(index, worker);
      worker.once("exit", (code, signal) => {
        live.delete(index);
        if (stopping) {
          if (live.size === 0) resolve(exitCode);
          return;
        }
        const now = Date.now();
        while (restarts.length > 0 && restarts[0]! < now - 60_000) restarts.shift();
        if (restarts.length >= MAX_RESTARTS_PER_MINUTE) {
          log.error("workers keep dying; giving up", { worker: index, code, signal });
          exitCode = 1;
          stopAll("restart limit");
          if (live.size === 0) resolve(exitCode);
          return;
        }
        restarts.push(now);
        log.error("a worker died; starting it again", { worker: index, code, signal });
        fork(index);
      });
    };
    const stopAll = (why: string) => {
      if (stopping) return;
      stopping = true;
      log.info(`${why}: stopping ${live.size} workers`);
      for (const worker of live.values()) worker.process.kill("SIGTERM");
    };
    for (let i = 0; i < count; i++) fork(i);
    log.info(`started ${count} workers`, { pid: process.pid });
    process.once("SIGINT", () => stopAll("SIGINT"));
    process.once("SIGTERM", () => stopAll("SIGTERM"));
    // Without a handler SIGHUP would end the primary (Node's default) and orphan the workers.
    process.on("SIGHUP", () => {
      log.info(`SIGHUP: reloading ${live.size} workers`);
      for (const worker of live.values()) worker.process.kill("SIGHUP");
    });
  });
}
