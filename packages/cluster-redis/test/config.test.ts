import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ClusterOptionsError } from "@amqtt/cluster";
import { Recorder } from "@amqtt/cluster/conformance";
import { makeTempDir } from "@amqtt/test-utils";
import { startRedis } from "@amqtt/test-utils/redis";
import { describe, expect, it } from "vitest";
import { clusterBusFromConfig, RedisClusterBus, RedisUrlError, redactRedisUrl } from "../src/index.js";

describe("clusterBusFromConfig", () => {
  it("maps the YAML keys onto the bus options", () => {
    const bus = clusterBusFromConfig({
      redis: "redis://127.0.0.1:6390/2",
      node_id: "n1",
      key_prefix: "k:",
      lease_ms: 5000,
      request_timeout_ms: 500,
      max_unacked_envelopes: 10,
      max_inbox_envelopes: 20,
    });
    expect(bus.nodeId).toBe("n1");
    expect(bus.resolvedOptions).toMatchObject({
      leaseMs: 5000,
      requestTimeoutMs: 500,
      maxUnackedEnvelopes: 10,
      maxInboxEnvelopes: 20,
    });
    expect(bus.target).toBe("redis://127.0.0.1:6390/2");
  });

  it("generates a valid node id when none is configured", () => {
    expect(clusterBusFromConfig({ redis: "redis://127.0.0.1:6390" }).nodeId).toMatch(/-\d+-[0-9a-f]{8}$/);
  });

  it("refuses no engine, two engines and bad timing with typed errors", () => {
    expect(() => clusterBusFromConfig({})).toThrow(RedisUrlError);
    expect(() =>
      clusterBusFromConfig({ redis: "redis://a:1", cluster_nodes: ["redis://b:2"], node_id: "n" }),
    ).toThrow(RedisUrlError);
    expect(() =>
      clusterBusFromConfig({ redis: "redis://a:1", node_id: "n", lease_ms: 1000, request_timeout_ms: 2000 }),
    ).toThrow(ClusterOptionsError);
  });

  it("a message about the URL never shows its password", () => {
    expect(redactRedisUrl("rediss://user:s3cret@host:6380/1")).toBe("rediss://***@host:6380/1");
    const bus = clusterBusFromConfig({ redis: "redis://:s3cret@127.0.0.1:6390", node_id: "n" });
    expect(bus.target).not.toContain("s3cret");
    let message = "";
    try {
      clusterBusFromConfig({ redis: "redis://:s3cret@a:1", cluster_nodes: ["redis://b:2"], node_id: "n" });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain("***@a:1");
    expect(message).not.toContain("s3cret");
  });
});

describe("a password-protected redis-server", () => {
  it("is reached with the password from the URL or from a file, and refused without one", async () => {
    const redis = await startRedis({ config: ["requirepass s3cret-pw"] });
    const dir = makeTempDir("amqtt-cluster-redis-");
    try {
      const withUrl = new RedisClusterBus({ nodeId: "u", url: `redis://:s3cret-pw@127.0.0.1:${redis.port}` });
      await withUrl.start(new Recorder());
      expect((await withUrl.claimSession("c")).ownership.nodeId).toBe("u");
      await withUrl.stop();
      const file = join(dir.path, "password");
      writeFileSync(file, "s3cret-pw\n");
      const withFile = new RedisClusterBus({ nodeId: "f", url: redis.url, passwordFile: file });
      await withFile.start(new Recorder());
      expect((await withFile.claimSession("c")).previous?.nodeId).toBe("u");
      await withFile.stop();
      const without = new RedisClusterBus({ nodeId: "w", url: redis.url });
      const error = await without.start(new Recorder()).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(error?.name).toBe("ClusterUnavailableError");
      expect(error?.message).not.toContain("s3cret");
    } finally {
      dir.remove();
      await redis.stop();
    }
  });
});
