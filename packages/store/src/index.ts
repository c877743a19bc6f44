/**
 * @packageDocumentation
 * `@amqtt/store`: the contract between the amqtt broker and its storage
 * (persistent sessions, offline queues, retained messages, their bounds and
 * errors), the in-memory reference implementation, and, under
 * `@amqtt/store/compliance`, the tests every implementation runs.
 *
 * @example
 * ```ts
 * import { MemoryStore } from "@amqtt/store";
 * const store = new MemoryStore({ limits: { maxQueuedMessages: 1000 } });
 * await store.open();
 * ```
 */
export { StaleEpochError, StoreClosedError } from "./errors.js";
export { DEFAULT_STORE_LIMITS, resolveStoreLimits, retainedRefusal } from "./limits.js";
export { MemoryStore, type MemoryStoreOptions } from "./memory-store.js";
export { redactUrl } from "./redact-url.js";
export { storedMessageSize } from "./size.js";
export { fromTaggedJson, toTaggedJson } from "./tagged-json.js";
export {
  type BatchingStoreOptions,
  type BrokerStore,
  type EnqueueResult,
  type QueuedRecord,
  type QueueEntry,
  type QueueOverflowPolicy,
  type RetainedRecord,
  type RetainResult,
  SESSION_RECORD_VERSION,
  type SessionRecord,
  type StoredMessage,
  type StoredSubscription,
  type StoredWill,
  type StoreLimits,
  type StoreUsage,
} from "./types.js";
export { UsageCache } from "./usage-cache.js";
