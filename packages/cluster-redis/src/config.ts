import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { RedisUrlError, redactRedisUrl } from "./connection.js";
import { DEFAULT_KEY_PREFIX, RedisClusterBus } from "./redis-bus.js";

/** The broker's `cluster` section as written in YAML (snake_case keys). */
export interface ClusterConfig {
  /** One Redis/Valkey URL, or a list (the first is used: one engine; use `cluster_nodes` for Redis Cluster). */
  readonly redis?: string | readonly string[];
  /** Seed nodes of a Redis Cluster. */
  readonly cluster_nodes?: readonly string[];
  /** This node's id (default: host name, pid and a random suffix). */
  readonly node_id?: string;
  /** Key prefix (default `amqtt:`). */
  readonly key_prefix?: string;
  readonly lease_ms?: number;
  readonly request_timeout_ms?: number;
  readonly max_unacked_envelopes?: number;
  readonly max_inbox_envelopes?: number;
  /** A file whose first line is the Redis password (wins over one in the URL). */
  readonly password_file?: string;
}

/** A generated node id: `<host>-<pid>-<8 random hex>`, reduced to the characters node ids allow. */
export function generatedNodeId(): string {
  const host = hostname()
    .replace(/[^A-Za-z0-9._-]/g, "-")
    .slice(0, 64);
  return `${host}-${process.pid}-${randomUUID().slice(0, 8)}`;
}

/**
 * The bus for the broker's `cluster` section (not started).
 * @throws RedisUrlError when neither `redis` nor `cluster_nodes` is given, or both;
 *   ClusterOptionsError (from `@amqtt/cluster`) for bad timing or bounds.
 */
export function clusterBusFromConfig(config: ClusterConfig): RedisClusterBus {
  const urls =
    config.redis === undefined ? [] : typeof config.redis === "string" ? [config.redis] : config.redis;
  const seeds = config.cluster_nodes ?? [];
  if (urls.length === 0 && seeds.length === 0)
    throw new RedisUrlError("the cluster needs redis (a redis:// URL) or cluster_nodes");
  if (urls.length > 0 && seeds.length > 0)
    throw new RedisUrlError(
      `redis (${urls.map(redactRedisUrl).join(", ")}) and cluster_nodes contradict each other: one engine or one Redis Cluster`,
    );
  return new RedisClusterBus({
    nodeId: config.node_id ?? generatedNodeId(),
    keyPrefix: config.key_prefix ?? DEFAULT_KEY_PREFIX,
    ...(seeds.length > 0 ? { clusterNodes: seeds } : { url: urls[0] as string }),
    ...(config.password_file === undefined ? {} : { passwordFile: config.password_file }),
    ...(config.lease_ms === undefined ? {} : { leaseMs: config.lease_ms }),
    ...(config.request_timeout_ms === undefined ? {} : { requestTimeoutMs: config.request_timeout_ms }),
    ...(config.max_unacked_envelopes === undefined
      ? {}
      : { maxUnackedEnvelopes: config.max_unacked_envelopes }),
    ...(config.max_inbox_envelopes === undefined ? {} : { maxInboxEnvelopes: config.max_inbox_envelopes }),
  });
}
