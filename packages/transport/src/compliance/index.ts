/**
 * @packageDocumentation
 * The compliance suite every `@amqtt/transport-*` package runs: echo, large
 * payloads across chunk boundaries, ordering, close both ways, `closed`
 * resolution, every buffer bound, push-style reading and the listener's
 * connection bound. It
 * registers vitest tests, so call it at the top level of a test file.
 *
 * @example
 * ```ts
 * import { describeTransportCompliance } from "@amqtt/transport/compliance";
 * import { MemoryHub } from "@amqtt/transport-memory";
 * describeTransportCompliance("memory", {
 *   async listen(options) {
 *     const hub = new MemoryHub();
 *     const listener = hub.listen("broker", options);
 *     return { listener, dial: (connection) => hub.dial("broker", connection) };
 *   },
 * });
 * ```
 */
import { afterEach, describe } from "vitest";
import { backpressureTests } from "./backpressure-tests.js";
import { closeTests } from "./close-tests.js";
import { dataTests } from "./data-tests.js";
import { createSuiteContext, type TransportHarness } from "./harness.js";
import { listenerTests } from "./listener-tests.js";
import { pushReadTests } from "./push-read-tests.js";

export type { ConnectedPair, HarnessEndpoint, SuiteContext, TransportHarness } from "./harness.js";
export { concat, firstDifference, pattern, Reader, sendInChunks, sendUntil, tick } from "./helpers.js";

/**
 * Register the transport compliance tests for `name`. Every listener and
 * connection the tests open is aborted/closed in `afterEach`.
 */
export function describeTransportCompliance(name: string, harness: TransportHarness): void {
  describe(`${name} transport compliance`, () => {
    const { context, cleanup } = createSuiteContext(harness);
    afterEach(cleanup);
    describe("data", () => dataTests(context));
    describe("close", () => closeTests(context));
    describe("backpressure", () => backpressureTests(context));
    describe("listener", () => listenerTests(context));
    describe("push-style reading", () => pushReadTests(context));
  });
}
