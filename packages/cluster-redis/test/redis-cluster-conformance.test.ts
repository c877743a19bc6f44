import { execFileSync } from "node:child_process";
import { describeClusterConformance, waitFor } from "@amqtt/cluster/conformance";
import { debianBinary } from "@amqtt/test-utils";
import { type RedisClusterServers, startRedisCluster } from "@amqtt/test-utils/redis";
import { afterAll, beforeAll } from "vitest";
import { redisHarness } from "./harness.js";

let cluster: RedisClusterServers;
let stalled = false;

beforeAll(async () => {
  cluster = await startRedisCluster(3);
  // The spawner waits for the first node; a client may ask any of them for the slot map.
  const ok = (port: number) =>
    execFileSync(debianBinary("redis-cli"), ["-p", String(port), "CLUSTER", "INFO"], {
      encoding: "utf8",
    }).includes("cluster_state:ok");
  await waitFor("every node's cluster_state:ok", () => cluster.nodes.every((n) => ok(n.port)), 20_000);
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
