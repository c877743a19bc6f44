import { randomUUID } from "node:crypto";
import type { ClusterHarness } from "@amqtt/cluster/conformance";
import { RedisClusterBus, type RedisTarget } from "../src/index.js";

/** Timings short enough for the suite, long enough for a loaded 2-core machine. */
export const TEST_TIMING = { leaseMs: 3000, requestTimeoutMs: 1500 } as const;

/**
 * A conformance harness on an already running engine: a fresh key prefix per
 * test (so tests share one server), crash = drop the connections and wait the
 * lease out, outage = the given stall/resume (SIGSTOP/SIGCONT of the servers).
 */
export function redisHarness(
  target: RedisTarget,
  setAvailable: (available: boolean) => Promise<void>,
  blockMs = 200,
): ClusterHarness {
  const keyPrefix = `t-${randomUUID().slice(0, 8)}:`;
  return {
    options: TEST_TIMING,
    createBus: (options) => new RedisClusterBus({ ...target, ...options, keyPrefix, blockMs }),
    crash: async (bus) => {
      (bus as RedisClusterBus).crash();
      await new Promise((resolve) => setTimeout(resolve, TEST_TIMING.leaseMs + 50));
    },
    setEngineAvailable: setAvailable,
    close: async () => {},
  };
}
