/**
 * @packageDocumentation
 * `@amqtt/transport-memory`: in-process connections for tests and embedding.
 * {@link memoryPair} gives two connected ends; {@link MemoryHub} gives named
 * listeners and a dialer. Delivery is asynchronous and bounded like a socket's:
 * a reader that stops consuming pauses delivery, the sender's buffer fills, `send`
 * returns `false`, and past `maxBufferedBytes` the sender is closed with a
 * `SlowConsumerError`.
 *
 * @example
 * ```ts
 * import { memoryPair } from "@amqtt/transport-memory";
 * const [a, b] = memoryPair();
 * a.send(new TextEncoder().encode("hello"));
 * for await (const chunk of b) { console.log(new TextDecoder().decode(chunk)); break; }
 * ```
 */
export { MemoryHub, MemoryListener } from "./hub.js";
export { MemoryConnection } from "./memory-connection.js";
export { type MemoryPairOptions, memoryPair } from "./pair.js";
