import { describe, expect, it } from "vitest";
import { ConfigError, parseBrokerConfigYaml, redactRedisUrl, resolveBrokerConfig } from "../../src/index.js";

function issuesOf(input: unknown): string[] {
  try {
    resolveBrokerConfig(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).name).toBe("ConfigError");
    return (error as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error("no ConfigError");
}

describe("the cluster section", () => {
  it("is absent for a single broker", () => {
    expect(resolveBrokerConfig({}).cluster).toBeUndefined();
  });

  it("reads YAML with every key, applying the defaults to the missing ones", () => {
    const config = parseBrokerConfigYaml(
      ["cluster:", "  redis: redis://127.0.0.1:6379/0", "  node_id: node-a", "  lease_ms: 3000"].join("\n"),
    );
    expect(config.cluster).toEqual({
      redis: "redis://127.0.0.1:6379/0",
      clusterNodes: [],
      passwordFile: undefined,
      maxUnackedEnvelopes: undefined,
      maxInboxEnvelopes: undefined,
      nodeId: "node-a",
      keyPrefix: "amqtt:",
      leaseMs: 3000,
      requestTimeoutMs: 2000,
    });
  });

  it("takes a Redis Cluster's seed nodes and a key prefix", () => {
    const cluster = resolveBrokerConfig({
      cluster: { cluster_nodes: ["redis://127.0.0.1:7000", "redis://127.0.0.1:7001"], key_prefix: "site1:" },
    }).cluster;
    expect(cluster?.clusterNodes).toHaveLength(2);
    expect(cluster?.redis).toBeUndefined();
    expect(cluster?.keyPrefix).toBe("site1:");
  });

  it("reads several redis URLs as a Redis Cluster's seeds, and a password file next to the config", () => {
    const cluster = resolveBrokerConfig(
      { cluster: { redis: ["redis://a:7000", "redis://b:7000"], password_file: "redis.pw" } },
      { baseDir: "/etc/amqtt" },
    ).cluster;
    expect(cluster?.redis).toBeUndefined();
    expect(cluster?.clusterNodes).toEqual(["redis://a:7000", "redis://b:7000"]);
    expect(cluster?.passwordFile).toBe("/etc/amqtt/redis.pw");
  });

  it("needs an engine", () => {
    expect(issuesOf({ cluster: { node_id: "a" } })).toEqual([
      expect.stringMatching(/^cluster\.redis: the cluster needs its engine/),
    ]);
  });

  it("refuses redis and cluster_nodes together", () => {
    expect(
      issuesOf({ cluster: { redis: "redis://127.0.0.1:6379", cluster_nodes: ["redis://127.0.0.1:7000"] } }),
    ).toEqual([expect.stringMatching(/^cluster\.cluster_nodes: redis and cluster_nodes contradict/)]);
  });

  it("names the field of a URL that is not redis://, without its password", () => {
    const issues = issuesOf({ cluster: { redis: "http://user:s3cret@127.0.0.1:6379" } });
    expect(issues).toEqual([expect.stringMatching(/^cluster\.redis: expected a redis:\/\//)]);
    expect(issues[0]).not.toContain("s3cret");
    expect(issuesOf({ cluster: { cluster_nodes: ["redis://a:1", "tcp://b:2"] } })).toEqual([
      expect.stringMatching(/^cluster\.cluster_nodes\.1: /),
    ]);
  });

  it("refuses a request timeout that is not below the lease, and out-of-range numbers", () => {
    expect(
      issuesOf({ cluster: { redis: "redis://127.0.0.1", lease_ms: 1000, request_timeout_ms: 1000 } }),
    ).toEqual([expect.stringMatching(/^cluster\.request_timeout_ms: must be below lease_ms/)]);
    expect(issuesOf({ cluster: { redis: "redis://127.0.0.1", lease_ms: 10 } })).toEqual([
      expect.stringMatching(/^cluster\.lease_ms: /),
    ]);
  });

  it("refuses unknown keys by path", () => {
    expect(issuesOf({ cluster: { redis: "redis://127.0.0.1", nodes: 3 } })).toEqual([
      expect.stringMatching(/^cluster(\.nodes)?: /),
    ]);
  });
});

describe("redactRedisUrl", () => {
  it("hides the password of a URL (as the stores do), replaces a non-URL whole, and leaves one without a password alone", () => {
    expect(redactRedisUrl("rediss://default:pw@cache:6380/2")).toBe("rediss://default:***@cache:6380/2");
    expect(redactRedisUrl("redis://:pw@cache")).toBe("redis://:***@cache");
    expect(redactRedisUrl("not a url :pw@")).toBe("<Redis URL>");
    expect(redactRedisUrl("redis://127.0.0.1:6379")).toBe("redis://127.0.0.1:6379");
  });
});
