import { join } from "node:path";
import { bundleFixture, checkCrashSurvivors, killWriters, runUntilKilled } from "@amqtt/test-utils/crash";
import { seededRandom } from "@amqtt/test-utils/prng";
import {
  type RedisClusterServers,
  type RedisServer,
  startRedis,
  startRedisCluster,
} from "@amqtt/test-utils/redis";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { RedisStore } from "../src/index.js";
import { everyNodeSeesTheCluster, storeOn } from "./servers.js";

// A broker process (the writer) SIGKILLed after flush() confirmed messages
// loses none of them: a new store instance finds them, as a prefix of the
// writes in call order. Then Redis itself is SIGKILLed and restarted from its
// append-only file: with `appendfsync always` the confirmed messages are
// still there. With `everysec` Redis may hold its AOF writes for up to 2 s
// while an fsync runs long (and answers meanwhile), so a Redis crash can lose
// the last writes: what survives is then a prefix of the queue, in order, never
// a gap or a reordering. The child runs the TypeScript sources, bundled.
const packageDir = join(import.meta.dirname, "..");
const writer = join(packageDir, "node_modules", ".cache", "store-redis-tests", "crash-writer.mjs");
const MESSAGES = 400;
const RUNS: [seed: number, appendfsync: "always" | "everysec"][] = [
  [1, "always"],
  [2, "always"],
  [3, "everysec"],
  [4, "everysec"],
];

const servers: RedisServer[] = [];
const clusters: RedisClusterServers[] = [];
const stores: RedisStore[] = [];
afterEach(async () => {
  killWriters();
  for (const store of stores.splice(0)) await store.close().catch(() => {});
  for (const server of servers.splice(0)) await server.stop();
  for (const cluster of clusters.splice(0)) await cluster.stop();
});
beforeAll(() => bundleFixture(join(packageDir, "test", "fixtures", "crash-writer.ts"), writer));

async function reopen(server: RedisServer): Promise<RedisStore> {
  const store = storeOn({ url: server.url, limits: { maxQueuedMessages: MESSAGES } });
  stores.push(store);
  await store.open();
  return store;
}

describe("crash safety (the writer SIGKILLed at a seeded random point, then Redis SIGKILLed and restarted from its AOF)", () => {
  for (const [seed, appendfsync] of RUNS) {
    it(`keeps every flushed message, as a prefix in order, with a session no newer than the queue (seed ${seed}, appendfsync ${appendfsync})`, async () => {
      const server = await startRedis({ appendOnly: true, config: [`appendfsync ${appendfsync}`] });
      servers.push(server);
      const killAfter = Math.floor(seededRandom(seed * 7919)() * MESSAGES);
      const flushed = await runUntilKilled(writer, [server.url, String(MESSAGES), String(seed)], killAfter);
      expect(flushed.length).toBeGreaterThanOrEqual(killAfter);
      // The broker is gone, Redis goes on: a new instance sees every confirmed write.
      const before = await reopen(server);
      const queuedBefore = (await before.queueUsage("crash-client")).count;
      await before.close();
      await server.restart(); // SIGKILL, then replay the AOF
      const after = await reopen(server);
      if (appendfsync === "always") {
        expect((await after.queueUsage("crash-client")).count).toBe(queuedBefore);
        await checkCrashSurvivors(after, flushed, MESSAGES);
      } else {
        const survivors = await after.peekQueue("crash-client", MESSAGES);
        expect(survivors.length).toBeLessThanOrEqual(queuedBefore);
        const numbers = survivors.map((e) =>
          new DataView(e.payload.buffer, e.payload.byteOffset).getUint32(0),
        );
        expect(numbers).toEqual(Array.from({ length: numbers.length }, (_, i) => i));
      }
    });
  }

  it("keeps every flushed message on a Redis Cluster of 3, as a prefix in order (seed 6)", async () => {
    const cluster = await startRedisCluster(3);
    clusters.push(cluster);
    await everyNodeSeesTheCluster(cluster);
    const killAfter = Math.floor(seededRandom(6 * 7919)() * MESSAGES);
    const target = `cluster:${cluster.nodes.map((n) => n.port).join(",")}`;
    const flushed = await runUntilKilled(writer, [target, String(MESSAGES), "6"], killAfter);
    const store = storeOn({ clusterNodes: cluster.startupNodes, limits: { maxQueuedMessages: MESSAGES } });
    stores.push(store);
    await store.open();
    await checkCrashSurvivors(store, flushed, MESSAGES);
  }, 60_000);

  it("keeps nothing over a Redis restart without persistence: flush() then only vouches for a broker crash", async () => {
    const server = await startRedis({ appendOnly: false });
    servers.push(server);
    const flushed = await runUntilKilled(writer, [server.url, String(MESSAGES), "5"], 50);
    const before = await reopen(server);
    await checkCrashSurvivors(before, flushed, MESSAGES);
    await before.close();
    await server.restart();
    const after = await reopen(server);
    expect(await after.queueUsage("crash-client")).toEqual({ count: 0, bytes: 0 });
  });
});
