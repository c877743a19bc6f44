import { join } from "node:path";
import { bundleFixture, checkCrashSurvivors, killWriters, runUntilKilled } from "@amqtt/test-utils/crash";
import { seededRandom } from "@amqtt/test-utils/prng";
import { afterEach, beforeAll, describe, it } from "vitest";
import type { SqlStore } from "../src/index.js";
import { BACKENDS, dropStoreTables, useServer } from "./servers.js";

// A broker process that dies (SIGKILL) while the database server goes on: a new
// store instance (new connection) must find every message whose flush() resolved,
// as a prefix of the writes in call order. The child runs the TypeScript sources.
const packageDir = join(import.meta.dirname, "..");
const writer = join(packageDir, "node_modules", ".cache", "store-sql-tests", "crash-writer.mjs");
const MESSAGES = 400;
const SEEDS = [1, 2, 3];

beforeAll(() => bundleFixture(join(packageDir, "test", "fixtures", "crash-writer.ts"), writer));

for (const backend of BACKENDS) {
  describe(`crash safety on ${backend.name} (the writer SIGKILLed at a seeded random point)`, () => {
    const server = useServer(backend, "crash");
    const stores: SqlStore[] = [];
    afterEach(async () => {
      killWriters();
      for (const store of stores.splice(0)) await store.close().catch(() => {});
      await dropStoreTables(server());
    });

    for (const seed of SEEDS) {
      it(`keeps every committed message, as a prefix in order, with a session no newer than the queue (seed ${seed})`, async () => {
        const killAfter = Math.floor(seededRandom(seed * 7919)() * MESSAGES);
        const flushed = await runUntilKilled(
          writer,
          [server().url, String(MESSAGES), String(seed)],
          killAfter,
        );
        const store = backend.store({ url: server().url, limits: { maxQueuedMessages: MESSAGES } });
        stores.push(store);
        await store.open();
        await checkCrashSurvivors(store, flushed, MESSAGES);
      });
    }
  });
}
