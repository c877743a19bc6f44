/**
 * @packageDocumentation
 * `@amqtt/cluster-redis`: the `@amqtt/cluster` contract on Redis 7 / Valkey
 * (one server or a Redis Cluster), through `ioredis`.
 *
 * @example
 * ```ts
 * const bus = new RedisClusterBus({ nodeId: "node-1", url: "redis://127.0.0.1:6379/0" });
 * await bus.start(events); // events: ClusterEvents of @amqtt/cluster
 * // or, from the broker's YAML `cluster` section:
 * const fromYaml = clusterBusFromConfig({ redis: "redis://127.0.0.1:6379", node_id: "node-1" });
 * ```
 */
export { type ClusterConfig, clusterBusFromConfig, generatedNodeId } from "./config.js";
export {
  DEFAULT_REDIS_URL,
  type RedisTarget,
  RedisUrlError,
  redactRedisUrl,
} from "./connection.js";
export { ClusterKeys, INBOX_GROUP } from "./keys.js";
export {
  DEFAULT_KEY_PREFIX,
  DEFAULT_MAX_PENDING_CALLS,
  RedisClusterBus,
  type RedisClusterBusOptions,
} from "./redis-bus.js";
