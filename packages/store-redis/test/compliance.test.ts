import { describeStoreCompliance } from "@amqtt/store/compliance";
import { describe } from "vitest";
import { flushAll, storeOn, useRedis, useRedisCluster } from "./servers.js";

// The suite every broker store passes, on a real redis-server and on a real
// Redis Cluster of three masters (started here, stopped by PID); every test
// starts on an empty Redis (FLUSHALL after it).
describe("on one redis-server", () => {
  const redis = useRedis();
  describeStoreCompliance(
    "RedisStore",
    async (limits) => storeOn({ url: redis().url, ...(limits ? { limits } : {}) }),
    () => flushAll([redis().port]),
  );
});

describe("on a Redis Cluster of 3 masters", () => {
  const cluster = useRedisCluster(3);
  describeStoreCompliance(
    "RedisStore (cluster)",
    async (limits) => storeOn({ clusterNodes: cluster().startupNodes, ...(limits ? { limits } : {}) }),
    () => flushAll(cluster().nodes.map((n) => n.port)),
  );
});
