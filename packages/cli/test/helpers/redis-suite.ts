// One redis-server for a test file's cluster nodes: started before its tests, a
// scratch folder for their configs and working directories, the MQTT.js clients
// ended after each test, all stopped at the end (by PID, through startRedis).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RedisServer, startRedis } from "@amqtt/test-utils/redis";
import type { MqttClient } from "mqtt";
import { afterAll, afterEach, beforeAll } from "vitest";
import { type RunningAmqtt, startAmqtt } from "./amqtt-process.js";

/** What {@link redisSuite} gives a test file. */
export interface RedisSuite {
  /** The scratch folder (configs, node working directories). */
  readonly dir: string;
  /** The running redis-server (after `beforeAll`). */
  redis(): RedisServer;
  /** Clients the suite ends after each test. */
  readonly clients: MqttClient[];
  /** An `amqtt -c config --cluster redis://...` process on the suite's redis-server. */
  node(config: string): Promise<RunningAmqtt>;
}

/** Register the hooks of a cluster test file on one redis-server; `name` names its scratch folder. */
export function redisSuite(name: string): RedisSuite {
  const dir = mkdtempSync(join(tmpdir(), `amqtt-${name}-`));
  let redis: RedisServer | undefined;
  const clients: MqttClient[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.end(true);
  });
  const running = (): RedisServer => {
    if (redis === undefined) throw new Error("redis-server is not started yet (use it inside a test)");
    return redis;
  };
  return {
    dir,
    redis: running,
    clients,
    node: (config) =>
      startAmqtt(
        ["-c", config, "--cluster", `redis://127.0.0.1:${running().port}`],
        mkdtempSync(join(dir, "cwd-")),
      ),
  };
}

/** Resolves once `predicate` holds, or after `ms` (a hang guard: the caller checks what it got). */
export async function settledWithin(predicate: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}
