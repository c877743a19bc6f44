/**
 * The database server could not be reached, the connection broke, or a
 * statement ran past its time limit. The store rejects with it (never hangs);
 * callers branch on `name === "StoreConnectionError"`. The message names the
 * server without its password.
 */
export class StoreConnectionError extends Error {
  override name = "StoreConnectionError";
}

/** Why {@link StoreSchemaError} refused a database. */
export type StoreSchemaProblem =
  /** Tables with our names that another program made (no meta row of ours). */
  | "foreign"
  /** A store schema version newer than this release reads. */
  | "newer-version";

/**
 * `open()` refused a database it cannot use; nothing was written to it.
 * Callers branch on `name === "StoreSchemaError"` and on `problem`.
 */
export class StoreSchemaError extends Error {
  override name = "StoreSchemaError";
  /** What is wrong. */
  readonly problem: StoreSchemaProblem;
  /** What was found, in words. */
  readonly found: string;

  constructor(problem: StoreSchemaProblem, found: string) {
    super(
      problem === "foreign"
        ? `the database holds amqtt_* tables that are not an @amqtt/store-sql store (found ${found}); nothing was changed`
        : `the database holds an @amqtt/store-sql store of a newer release (found ${found}); upgrade to open it`,
    );
    this.problem = problem;
    this.found = found;
  }
}

/**
 * More calls wait for the database than `maxPendingOperations`: the call is
 * refused at once instead of growing the queue without bound. Callers branch on
 * `name === "StoreBusyError"`.
 */
export class StoreBusyError extends Error {
  override name = "StoreBusyError";
}
