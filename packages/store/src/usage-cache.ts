import type { StoreUsage } from "./types.js";

/**
 * Count and bytes of the queues of recently used clients, so `enqueue` checks
 * its bounds without a `COUNT(*)` per call. Entries are loaded from the
 * database on a miss; the least recently used one is forgotten beyond
 * `capacity` (it is only a cache: the rows stay the truth). A helper for
 * store implementations (SQLite, SQL servers); bounded by `capacity`.
 */
export class UsageCache {
  private readonly entries = new Map<string, StoreUsage>();
  // The most recent client: a run of calls for one client skips the reordering.
  private lastId: string | undefined;
  private lastUsage: StoreUsage | undefined;

  /** @param load reads the usage of a client that is not cached. */
  constructor(
    private readonly capacity: number,
    private readonly load: (clientId: string) => StoreUsage,
  ) {}

  /** Number of clients cached now (at most `capacity`). */
  get size(): number {
    return this.entries.size;
  }

  /**
   * The live usage of `clientId`; the caller updates it in place after a write.
   * `load` overrides the constructor's loader for this call (a store with an
   * async driver reads the row first, then hands it over).
   */
  get(clientId: string, load: (clientId: string) => StoreUsage = this.load): StoreUsage {
    if (clientId === this.lastId && this.lastUsage !== undefined) return this.lastUsage;
    let usage = this.entries.get(clientId);
    if (usage === undefined) {
      usage = load(clientId);
      if (this.entries.size >= this.capacity) {
        const oldest = this.entries.keys().next();
        if (oldest.done !== true) this.entries.delete(oldest.value);
      }
    } else {
      this.entries.delete(clientId); // re-inserted below: Map order is recency order
    }
    this.entries.set(clientId, usage);
    this.lastId = clientId;
    this.lastUsage = usage;
    return usage;
  }

  /** The cached usage of `clientId`, without loading it. */
  peek(clientId: string): StoreUsage | undefined {
    return this.entries.get(clientId);
  }

  /** Forget `clientId` (its queue was emptied or deleted). */
  forget(clientId: string): void {
    this.entries.delete(clientId);
    if (clientId === this.lastId) this.lastUsage = undefined;
  }

  /** Forget every client. */
  clear(): void {
    this.entries.clear();
    this.lastUsage = undefined;
  }
}
