export { StoreClosedError } from "./errors.js";
export { DEFAULT_STORE_LIMITS, resolveStoreLimits } from "./limits.js";
export { MemoryStore, type MemoryStoreOptions } from "./memory-store.js";
export { storedMessageSize } from "./size.js";
export {
  type BrokerStore,
  type EnqueueResult,
  type QueuedMessage,
  type QueueEntry,
  type QueueOverflowPolicy,
  type RetainedMessage,
  type RetainResult,
  SESSION_RECORD_VERSION,
  type SessionRecord,
  type StoredMessage,
  type StoredSubscription,
  type StoredWill,
  type StoreLimits,
  type StoreUsage,
} from "./types.js";
