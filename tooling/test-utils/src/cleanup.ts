// What a test started and must stop after it, in one place instead of a copy per helper file.

/** Cleanups added during a test and run after it: `afterEach(cleanups.run)`. */
export interface Cleanups {
  /** Run each of `fns` after the current test (like separate `add` calls, in this order). */
  add(...fns: (() => unknown)[]): void;
  /** Run every cleanup added so far, the last added first; all run, then the first failure is thrown. */
  run(): Promise<void>;
}

/** A new, empty list of {@link Cleanups} (one per test file or helper module). */
export function cleanupStack(): Cleanups {
  const pending: (() => unknown)[] = [];
  return {
    add: (...fns) => {
      pending.push(...fns);
    },
    run: async () => {
      const failures: unknown[] = [];
      for (const fn of pending.splice(0).reverse()) {
        try {
          await fn();
        } catch (error) {
          failures.push(error);
        }
      }
      if (failures.length > 0) throw failures[0];
    },
  };
}

/** `stop` made safe to call twice (by the test and by its cleanup): the second call waits for the first. */
export function stopOnce(stop: () => Promise<void>): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  return () => {
    stopping ??= stop();
    return stopping;
  };
}
