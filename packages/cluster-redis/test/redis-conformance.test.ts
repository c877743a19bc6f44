import { describeClusterConformance } from "@amqtt/cluster/conformance";
import { type RedisServer, startRedis } from "@amqtt/test-utils/redis";
import { afterAll, beforeAll } from "vitest";
import { redisHarness } from "./harness.js";

let redis: RedisServer;
let stalled = false;

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

describeClusterConformance("RedisClusterBus on one redis-server", async () =>
  redisHarness({ url: redis.url }, async (available) => {
    // SIGSTOP: the server keeps its sockets open and stops answering (a stall, the hard case).
    if (available === !stalled) return;
    redis.signal(available ? "SIGCONT" : "SIGSTOP");
    stalled = !available;
  }),
);
