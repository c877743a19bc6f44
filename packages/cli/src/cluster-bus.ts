import { hostname } from "node:os";
import { type ResolvedCluster, redactRedisUrl } from "@amqtt/broker";
import type { ClusterBus } from "@amqtt/cluster";

/**
 * The node id: the configured one, else host name and process id. A worker of
 * `--workers` appends `-w<index>` to the id of the command (host name and the
 * primary's pid unless configured), so the workers of one command read as one
 * family in logs and `$SYS`.
 */
export function nodeIdOf(cluster: ResolvedCluster, worker: number | undefined): string {
  if (worker === undefined) return cluster.nodeId ?? `${hostname()}-${process.pid}`;
  return `${cluster.nodeId ?? `${hostname()}-${process.ppid}`}-w${worker}`;
}

/** The Redis/Valkey bus of this node (`@amqtt/cluster-redis` is imported only for a cluster). */
export async function createClusterBus(
  cluster: ResolvedCluster,
  worker: number | undefined,
): Promise<ClusterBus> {
  const { RedisClusterBus } = await import("@amqtt/cluster-redis");
  return new RedisClusterBus({
    nodeId: nodeIdOf(cluster, worker),
    ...(cluster.clusterNodes.length > 0 ? { clusterNodes: cluster.clusterNodes } : { url: cluster.redis! }),
    ...(cluster.passwordFile === undefined ? {} : { passwordFile: cluster.passwordFile }),
    ...(cluster.maxUnackedEnvelopes === undefined
      ? {}
      : { maxUnackedEnvelopes: cluster.maxUnackedEnvelopes }),
    ...(cluster.maxInboxEnvelopes === undefined ? {} : { maxInboxEnvelopes: cluster.maxInboxEnvelopes }),
    keyPrefix: cluster.keyPrefix,
    leaseMs: cluster.leaseMs,
    requestTimeoutMs: cluster.requestTimeoutMs,
  });
}

/** The engine for the start log line: URLs without their passwords. */
export function describeCluster(cluster: ResolvedCluster): Record<string, unknown> {
  return cluster.clusterNodes.length > 0
    ? { redisCluster: cluster.clusterNodes.map(redactRedisUrl) }
    : { redis: redactRedisUrl(cluster.redis ?? "") };
}
