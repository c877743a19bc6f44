import type { BrokerStore, StoreLimits } from "../index.js";

/**
 * Make a new, unopened store instance with the given bounds (the rest default).
 * Every call within one test must reach the same storage, so a second call
 * reopens what the first wrote (for a persistent store) or starts empty (for a
 * memory store).
 */
export type CreateStore = (limits?: Partial<StoreLimits>) => Promise<BrokerStore>;

/** Erase the storage of the test that just ran (a temporary file, a Redis prefix). */
export type CleanupStore = () => Promise<void>;

/** What each test group gets. */
export interface SuiteContext {
  /** Create and open a store; the suite closes it after the test. */
  open(limits?: Partial<StoreLimits>): Promise<BrokerStore>;
}

/** @internal */
export function createSuiteContext(
  createStore: CreateStore,
  cleanupStore: CleanupStore | undefined,
): { context: SuiteContext; cleanup: () => Promise<void> } {
  const opened: BrokerStore[] = [];
  const context: SuiteContext = {
    async open(limits) {
      const store = await createStore(limits);
      opened.push(store);
      await store.open();
      return store;
    },
  };
  const cleanup = async (): Promise<void> => {
    // Close before erasing: a store may hold its file open.
    for (const store of opened.splice(0)) await store.close();
    await cleanupStore?.();
  };
  return { context, cleanup };
}
