import { execFileSync } from "node:child_process";
import { describeClusterConformance, Recorder, waitFor } from "@amqtt/cluster/conformance";
import { debianBinary } from "@amqtt/test-utils";
import { type RedisClusterServers, startRedisCluster } from "@amqtt/test-utils/redis";
import { afterAll, beforeAll, describe, it } from "vitest";
import { RedisClusterBus } from "../src/index.js";
import { redisHarness, TEST_TIMING } from "./harness.js";

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

describe("RedisClusterBus start/stop churn on a Redis Cluster of 3", () => {
  it("three nodes starting together, then crashing or stopping, 12 rounds: every start succeeds and sees the others", async () => {
    for (let round = 0; round < 12; round++) {
      const keyPrefix = `churn-${round}:`;
      const buses = ["a", "b", "c"].map(
        (n) =>
          new RedisClusterBus({
            nodeId: n,
            clusterNodes: cluster.startupNodes,
            ...TEST_TIMING,
            blockMs: 200,
            keyPrefix,
          }),
      );
      const events = buses.map(() => new Recorder());
      await Promise.all(buses.map((b, i) => b.start(events[i] as Recorder)));
      await waitFor(
        `round ${round}: every node lists three`,
        () => buses.every((b) => b.nodes().length === 3),
        TEST_TIMING.leaseMs * 2,
      );
      if (round % 2 === 0) for (const b of buses) b.crash();
      else await Promise.all(buses.map((b) => b.stop()));
    }
  }, 60_000);
});
