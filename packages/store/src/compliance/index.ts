/**
 * @packageDocumentation
 * `@amqtt/store/compliance`: the tests every `BrokerStore`
 * passes (memory, SQLite, Redis, yours). It registers vitest tests, so call it at
 * the top level of a test file.
 *
 * @example
 * ```ts
 * import { MemoryStore } from "@amqtt/store";
 * import { describeStoreCompliance } from "@amqtt/store/compliance";
 * describeStoreCompliance("memory", async (limits) => new MemoryStore({ limits }));
 * ```
 */
import { afterEach, describe } from "vitest";
import { type CleanupStore, type CreateStore, createSuiteContext } from "./harness.js";
import { lifecycleTests } from "./lifecycle-tests.js";
import { queueTests } from "./queue-tests.js";
import { retainedTests } from "./retained-tests.js";
import { sessionTests } from "./session-tests.js";

export { bareSession, fullSession, pattern, plain, queued, retained } from "./fixtures.js";
export type { CleanupStore, CreateStore, SuiteContext } from "./harness.js";

/**
 * Register the store compliance tests for `name`.
 *
 * `createStore(limits)` makes a new, unopened instance; every call within one
 * test must reach the same storage, so the reopen tests see what an earlier
 * instance wrote when the store says it is `persistent` (and check that nothing
 * is left when it is not: no test is skipped either way). After each test every
 * instance the suite opened is closed, then `cleanup()` erases the storage.
 */
export function describeStoreCompliance(
  name: string,
  createStore: CreateStore,
  cleanup?: CleanupStore,
): void {
  describe(`${name} store compliance`, () => {
    const suite = createSuiteContext(createStore, cleanup);
    afterEach(suite.cleanup);
    describe("sessions", () => sessionTests(suite.context));
    describe("offline queues", () => queueTests(suite.context));
    describe("retained messages", () => retainedTests(suite.context));
    describe("lifecycle, ordering and durability", () => lifecycleTests(suite.context, createStore));
  });
}
