export { StoreClosedError } from "./errors.js";
export { DEFAULT_STORE_LIMITS, resolveStoreLimits } from "./limits.js";
export { MemoryStore, type MemoryStoreOptions } from "./memory-store.js";
export { storedMessageSize } from "./size.js";
export {
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
