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
