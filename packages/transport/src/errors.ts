/** Base class of the errors transports report. Branch on `name` or `instanceof`. */
export class TransportError extends Error {
  override name = "TransportError";
}

/** Which buffer a {@link SlowConsumerError} is about. */
export type BufferDirection = "write" | "read";

/**
 * A buffer went over its bound (`maxBufferedBytes`), so the connection was
 * closed instead of growing memory. `"write"`: the peer does not read fast enough.
 * `"read"`: the local application does not consume what arrives.
 */
export class SlowConsumerError extends TransportError {
  override name = "SlowConsumerError";
  /** Which buffer overflowed. */
  readonly direction: BufferDirection;
  /** The bytes that buffer would have held. */
  readonly bufferedBytes: number;
  /** The bound, in bytes. */
  readonly limit: number;
  constructor(direction: BufferDirection, bufferedBytes: number, limit: number) {
    super(
      direction === "write"
        ? `peer too slow: ${bufferedBytes} bytes queued for writing exceed the bound of ${limit}`
        : `application too slow: ${bufferedBytes} unread bytes exceed the bound of ${limit}`,
    );
    this.direction = direction;
    this.bufferedBytes = bufferedBytes;
    this.limit = limit;
  }
}

/** A graceful `close()` could not flush within `closeTimeoutMs`; the connection was aborted. */
export class CloseTimeoutError extends TransportError {
  override name = "CloseTimeoutError";
  /** The timeout that expired, in milliseconds. */
  readonly timeoutMs: number;
  constructor(timeoutMs: number) {
    super(`graceful close did not finish within ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

/** The peer ended the connection abruptly (reset, aborted), not with a clean close. */
export class ConnectionResetError extends TransportError {
  override name = "ConnectionResetError";
}

/** A dial was refused: nothing listening, or the listener is at `maxConnections`. */
export class ConnectionRefusedError extends TransportError {
  override name = "ConnectionRefusedError";
}

/** A listener refused an accepted connection because it is at `maxConnections`. */
export class TooManyConnectionsError extends TransportError {
  override name = "TooManyConnectionsError";
  /** The bound that was reached. */
  readonly limit: number;
  constructor(limit: number) {
    super(`listener is at its limit of ${limit} connections`);
    this.limit = limit;
  }
}

/** An accepted connection arrived while the listener had no `onConnection` handler. */
export class NoConnectionHandlerError extends TransportError {
  override name = "NoConnectionHandlerError";
  constructor() {
    super("listener has no onConnection handler");
  }
}
