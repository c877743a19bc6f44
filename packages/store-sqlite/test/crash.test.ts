import { join } from "node:path";
import { bundleFixture, checkCrashSurvivors, killWriters, runUntilKilled } from "@amqtt/test-utils/crash";
import { seededRandom } from "@amqtt/test-utils/prng";
import { afterEach, beforeAll, describe, it } from "vitest";
import { openStoreAt, tempDir } from "./helpers.js";

// The fixture is bundled from the TypeScript sources of this package and its
// @amqtt dependencies, so the child runs the code under test, not a stale dist/,
// and starts fast. Other packages (better-sqlite3) stay imports, resolved from this package.
const packageDir = join(import.meta.dirname, "..");
const writer = join(packageDir, "node_modules", ".cache", "store-sqlite-tests", "crash-writer.mjs");
const MESSAGES = 400;
// Relaxed durability (synchronous=NORMAL) still survives a crash of the process.
const RUNS: [seed: number, durability: "full" | "relaxed"][] = [
  [1, "full"],
  [2, "full"],
  [3, "full"],
  [4, "full"],
  [5, "relaxed"],
  [6, "relaxed"],
];

afterEach(killWriters);
beforeAll(() => bundleFixture(join(packageDir, "test", "fixtures", "crash-writer.ts"), writer));

describe("crash safety of the store alone (SIGKILL at a seeded random point)", () => {
  for (const [seed, durability] of RUNS) {
    it(`keeps every flushed message, as a prefix in order, with a session no newer than the queue (seed ${seed}, ${durability})`, async () => {
      const path = join(tempDir(), "crash.db");
      const killAfter = Math.floor(seededRandom(seed * 7919)() * MESSAGES);
      const flushed = await runUntilKilled(
        writer,
        [path, String(MESSAGES), String(seed), durability],
        killAfter,
      );
      const store = await openStoreAt(path, { limits: { maxQueuedMessages: MESSAGES } });
      await checkCrashSurvivors(store, flushed, MESSAGES);
    });
  }
});
