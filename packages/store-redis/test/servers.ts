import {
  type RedisClusterServers,
  type RedisServer,
  startRedis,
  startRedisCluster,
} from "@amqtt/test-utils/redis";
import { Redis } from "ioredis";
import { afterAll, beforeAll } from "vitest";
import { RedisStore, type RedisStoreOptions } from "../src/index.js";

/** Start one redis-server for the file (stopped by PID after it); the getter is valid inside tests. */
export function useRedis(options: Parameters<typeof startRedis>[0] = {}): () => RedisServer {
  let server: RedisServer | undefined;
  beforeAll(async () => {
    server = await startRedis(options);
  });
  afterAll(async () => {
    await server?.stop();
  });
  return () => {
    if (server === undefined) throw new Error("redis-server is not started");
    return server;
  };
}

/** Start a Redis Cluster of `count` masters for the file. */
export function useRedisCluster(count = 3): () => RedisClusterServers {
  let cluster: RedisClusterServers | undefined;
  beforeAll(async () => {
    cluster = await startRedisCluster(count);
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });
  return () => {
    if (cluster === undefined) throw new Error("the Redis Cluster is not started");
    return cluster;
  };
}

/** Erase everything on these servers (each test starts empty). */
export async function flushAll(ports: readonly number[]): Promise<void> {
  for (const port of ports) {
    const client = new Redis({ host: "127.0.0.1", port, lazyConnect: true });
    await client.connect();
    await client.flushall();
    await client.quit();
  }
}

/** A store the test closes itself, with the test's defaults. */
export function storeOn(options: RedisStoreOptions): RedisStore {
  return new RedisStore({ commandTimeoutMs: 5000, ...options });
}
