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
    await everyNodeSeesTheCluster(cluster);
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

/**
 * startRedisCluster waits for the first node to say `cluster_state:ok`; the
 * others may still be learning the slot map, which makes a fresh client's
 * first slot refresh disagree. Wait until every node agrees.
 */
async function everyNodeSeesTheCluster(cluster: RedisClusterServers): Promise<void> {
  for (const node of cluster.nodes) {
    const client = new Redis({ host: "127.0.0.1", port: node.port });
    try {
      for (let attempt = 0; ; attempt++) {
        const info = await client.cluster("INFO");
        if (
          /cluster_state:ok/.test(info) &&
          /cluster_slots_ok:16384/.test(info) &&
          /cluster_known_nodes:(\d+)/.exec(info)?.[1] === String(cluster.nodes.length)
        )
          break;
        if (attempt > 200) throw new Error(`node ${node.port} does not see the whole cluster:\n${info}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      await client.quit();
    }
  }
}
