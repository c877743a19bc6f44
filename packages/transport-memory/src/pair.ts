import type { ConnectionOptions } from "@amqtt/transport";
import { MemoryConnection } from "./memory-connection.js";

/** Options of {@link memoryPair}: connection options for each end. */
export interface MemoryPairOptions {
  /** Options of the first end. */
  a?: ConnectionOptions;
  /** Options of the second end. */
  b?: ConnectionOptions;
}

/** Two connected in-process ends; bytes sent on one are read from the other. */
export function memoryPair(options: MemoryPairOptions = {}): [MemoryConnection, MemoryConnection] {
  return MemoryConnection.createPair(
    { address: { transport: "memory", path: "a" }, options: options.a },
    { address: { transport: "memory", path: "b" }, options: options.b },
  );
}
