/**
 * A store was used before `open()` or after `close()`. Stores reject with an
 * error whose `name` is `"StoreClosedError"`; callers branch on the name.
 */
export class StoreClosedError extends Error {
  override name = "StoreClosedError";
  constructor(operation: string, options?: ErrorOptions) {
    super(`the store is not open (${operation})`, options);
  }
}

/**
 * A write to a session carried a fencing epoch older than the one the store
 * holds: another broker node claimed the session since (see
 * {@link BrokerStore.fence}). The write did not happen. Callers branch on
 * `name === "StaleEpochError"` and stop acting for the session.
 */
export class StaleEpochError extends Error {
  override name = "StaleEpochError";
  /** The client id of the session. */
  readonly clientId: string;
  /** The epoch the writer held. */
  readonly epoch: number;
  /** The epoch the store holds now (higher). */
  readonly current: number;

  constructor(clientId: string, epoch: number, current: number, options?: ErrorOptions) {
    super(
      `session ${JSON.stringify(clientId)} is fenced at epoch ${current}; this writer holds ${epoch}`,
      options,
    );
    this.clientId = clientId;
    this.epoch = epoch;
    this.current = current;
  }
}
