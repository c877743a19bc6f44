import { execFileSync } from "node:child_process";
import { debianBinary } from "@amqtt/test-utils";
import { startRedis, startRedisCluster } from "@amqtt/test-utils/redis";
import { describe, expect, it } from "vitest";

const cli = debianBinary("redis-cli");
const redisCli = (port: number, ...args: string[]) =>
  execFileSync(cli, ["-p", String(port), ...args], { encoding: "utf8" }).trim();

describe("the test Redis spawner", () => {
  it("starts redis-server with AOF, keeps data across a restart, and stops it by PID", async () => {
    const redis = await startRedis({ appendOnly: true });
    try {
      expect(redisCli(redis.port, "SET", "k", "v")).toBe("OK");
      const before = redis.pid();
      await redis.restart();
      expect(redis.pid()).not.toBe(before);
      expect(redisCli(redis.port, "GET", "k")).toBe("v");
    } finally {
      await redis.stop();
    }
    expect(() => process.kill(redis.pid(), 0)).toThrow();
  });

  it("starts a Redis Cluster of 3 masters", async () => {
    const cluster = await startRedisCluster(3);
    try {
      const info = redisCli(cluster.nodes[0]?.port ?? 0, "CLUSTER", "INFO");
      expect(info).toContain("cluster_state:ok");
      expect(info).toContain("cluster_known_nodes:3");
    } finally {
      await cluster.stop();
    }
  }, 60_000);
});
