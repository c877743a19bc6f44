import { isAbsolute, resolve as resolvePath } from "node:path";
import { redactUrl } from "@amqtt/store";
import type { z } from "zod";
import type { ConfigIssue } from "./errors.js";
import { lazySchema } from "./zod.js";

// The `cluster` section: which engine the broker nodes of one cluster share
// (Redis/Valkey today) and the timing every node of the cluster agrees on.

/** The `cluster` section as written. */
export const clusterSchema = lazySchema((z) => {
  const redisUrl = z.string().min(1);
  return z.strictObject({
    /**
     * The Redis/Valkey URL (`redis://host:6379/0`, `rediss://` for TLS; a password in
     * the URL or in `password_file`). A list of several URLs are a Redis Cluster's seed
     * nodes (as `cluster_nodes`).
     */
    redis: z.union([redisUrl, z.array(redisUrl).min(1)]).optional(),
    /** Seed nodes of a Redis Cluster (`redis://host:7000`, ...): Redis Cluster mode instead of `redis`. */
    cluster_nodes: z.array(redisUrl).min(1).optional(),
    /** A file whose first line is the engine's password (wins over one in the URL). */
    password_file: z.string().min(1).optional(),
    /** This node's id, unique in the cluster (default: generated at start from host and pid). */
    node_id: z.string().min(1).max(128).optional(),
    /** Prefix of every key the cluster writes (default `amqtt:`), so several clusters share one engine. */
    key_prefix: z.string().min(1).max(64).optional(),
    /** A node that does not renew its lease for this many ms is declared down (default 10,000). */
    lease_ms: z.int().min(500).max(600_000).optional(),
    /** Longest wait for one engine call, in ms (default 2,000); past it the engine counts as down. */
    request_timeout_ms: z.int().min(50).max(60_000).optional(),
    /** Envelopes this node holds received but unacknowledged; beyond it reading pauses (default 10,000). */
    max_unacked_envelopes: z.int().min(1).optional(),
    /** Envelopes one node's inbox holds in the engine; beyond it sends to that node fail (default 100,000). */
    max_inbox_envelopes: z.int().min(1).optional(),
  });
});

/** The cluster settings, resolved. */
export interface ResolvedCluster {
  /** The URL of a single engine, `undefined` in Redis Cluster mode (may hold a password: log it through `redactRedisUrl`). */
  redis: string | undefined;
  /** Seed URLs of a Redis Cluster; non-empty means Redis Cluster mode. */
  clusterNodes: string[];
  /** Absolute path of the password file, when given. */
  passwordFile: string | undefined;
  /** `undefined`: the bus's default. */
  maxUnackedEnvelopes: number | undefined;
  /** `undefined`: the bus's default. */
  maxInboxEnvelopes: number | undefined;
  /** The configured node id, or `undefined` (the node generates one). */
  nodeId: string | undefined;
  keyPrefix: string;
  leaseMs: number;
  requestTimeoutMs: number;
}

/** Defaults of the cluster keys; see the package README (Cluster) for why each value. */
export const defaultCluster = {
  keyPrefix: "amqtt:",
  leaseMs: 10_000,
  requestTimeoutMs: 2_000,
} as const;

const URL_SCHEMES = /^(redis|rediss|valkey|valkeys):\/\//i;

/** Check and complete the `cluster` section; `undefined` when there is none. */
export function resolveCluster(
  raw: z.output<ReturnType<typeof clusterSchema>> | null | undefined,
  baseDir: string,
  issues: ConfigIssue[],
): ResolvedCluster | undefined {
  if (raw == null) return undefined;
  const redis = raw.redis === undefined ? [] : Array.isArray(raw.redis) ? raw.redis : [raw.redis];
  const clusterNodes = raw.cluster_nodes ?? [];
  if (redis.length === 0 && clusterNodes.length === 0)
    issues.push({
      path: "cluster.redis",
      message:
        "the cluster needs its engine: redis (a URL such as redis://127.0.0.1:6379/0) or cluster_nodes",
    });
  if (redis.length > 0 && clusterNodes.length > 0)
    issues.push({
      path: "cluster.cluster_nodes",
      message: "redis and cluster_nodes contradict each other: one engine or one Redis Cluster",
    });
  const check = (urls: readonly string[], key: string) =>
    urls.forEach((url, i) => {
      if (!URL_SCHEMES.test(url))
        issues.push({
          path: urls.length === 1 && key === "redis" ? `cluster.${key}` : `cluster.${key}.${i}`,
          message: `expected a redis:// or rediss:// URL, got ${JSON.stringify(redactRedisUrl(url))}`,
        });
    });
  check(redis, "redis");
  check(clusterNodes, "cluster_nodes");
  const leaseMs = raw.lease_ms ?? defaultCluster.leaseMs;
  const requestTimeoutMs = raw.request_timeout_ms ?? defaultCluster.requestTimeoutMs;
  if (requestTimeoutMs >= leaseMs)
    issues.push({
      path: "cluster.request_timeout_ms",
      message: `must be below lease_ms (${leaseMs}): a node must be able to renew its lease before it expires`,
    });
  const file = raw.password_file;
  return {
    redis: redis.length === 1 ? redis[0] : undefined,
    clusterNodes: redis.length > 1 ? redis : clusterNodes,
    passwordFile: file === undefined ? undefined : isAbsolute(file) ? file : resolvePath(baseDir, file),
    maxUnackedEnvelopes: raw.max_unacked_envelopes,
    maxInboxEnvelopes: raw.max_inbox_envelopes,
    nodeId: raw.node_id,
    keyPrefix: raw.key_prefix ?? defaultCluster.keyPrefix,
    leaseMs,
    requestTimeoutMs,
  };
}

/**
 * A Redis URL with its password replaced by `***`, for logs (`rediss://default:***@cache:6380/2`).
 * The stores' `redactUrl`, so a URL the store and the cluster share is logged alike;
 * text that is not a URL at all is replaced whole by `<Redis URL>`.
 */
export function redactRedisUrl(url: string): string {
  return redactUrl(url, "<Redis URL>", true);
}
