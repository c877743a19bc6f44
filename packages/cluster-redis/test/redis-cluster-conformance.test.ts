import { describeClusterConformance } from "@amqtt/cluster/conformance";
import { type RedisClusterServers, startRedisCluster } from "@amqtt/test-utils/redis";
import { afterAll, beforeAll } from "vitest";
import { redisHarness } from "./harness.js";

let cluster: RedisClusterServers;
let stalled = false;

beforeAll(async () => {
  cluster = await startRedisCluster(3);
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});

describeClusterConformance("RedisClusterBus on a Redis Cluster of 3", async () =>
  redisHarness({ clusterNodes: cluster.startupNodes }, async (available) => {
    if (available === !stalled) return;
    // Every master stalls at once: the whole engine is unreachable.
    for (const node of cluster.nodes) node.signal(available ? "SIGCONT" : "SIGSTOP");
    stalled = !available;
  }),
);
