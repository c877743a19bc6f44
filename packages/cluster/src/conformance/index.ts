/**
 * @packageDocumentation
 * `@amqtt/cluster/conformance`: the tests every cluster engine passes (memory,
 * Redis, yours). It registers vitest tests, so call it at the top level of a
 * test file.
 *
 * @example
 * ```ts
 * import { MemoryClusterBus, MemoryClusterEngine } from "@amqtt/cluster";
 * import { describeClusterConformance } from "@amqtt/cluster/conformance";
 * describeClusterConformance("memory", async () => {
 *   const engine = new MemoryClusterEngine();
 *   return {
 *     createBus: (options) => new MemoryClusterBus(engine, options),
 *     crash: async (bus) => engine.expire(bus.nodeId),
 *     setEngineAvailable: async (up) => engine.setAvailable(up),
 *     close: async () => {},
 *   };
 * });
 * ```
 */
import { afterEach, describe } from "vitest";
import { engineTests } from "./engine-tests.js";
import { envelopeTests } from "./envelope-tests.js";
import { type CreateClusterHarness, createSuiteContext } from "./harness.js";
import { leaseTests } from "./lease-tests.js";
import { membershipTests } from "./membership-tests.js";
import { routeTests } from "./route-tests.js";
import { sessionTests } from "./session-tests.js";
import { statusTests } from "./status-tests.js";

export type { ClusterHarness, CreateClusterHarness, Received, SuiteContext, TestNode } from "./harness.js";
export { Recorder, waitFor } from "./harness.js";

/**
 * Register the cluster conformance tests for `name`. `create()` makes a fresh,
 * empty cluster for each test; after each test every bus the suite made is
 * stopped, the engine is made available again, and `close()` erases the rest.
 */
export function describeClusterConformance(name: string, create: CreateClusterHarness): void {
  describe(`${name} cluster conformance`, () => {
    const suite = createSuiteContext(create);
    afterEach(suite.cleanup);
    describe("membership", () => membershipTests(suite.context));
    describe("session ownership", () => sessionTests(suite.context));
    describe("named leases", () => leaseTests(suite.context));
    describe("routes", () => routeTests(suite.context));
    describe("envelopes", () => envelopeTests(suite.context));
    describe("engine outage", () => engineTests(suite.context));
    describe("node status", () => statusTests(suite.context));
  });
}
