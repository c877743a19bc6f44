/**
 * API misuse of a session machine: a command in the wrong state (publish before
 * the connection is up, accept twice), a bad argument (QoS 3, an invalid topic),
 * or a bound reached (too many pending requests). Thrown synchronously by the
 * command; the machine's state is unchanged. Peer input never throws.
 */
export class SessionUsageError extends Error {
  override name = "SessionUsageError";
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
  }
}

/** A session snapshot that cannot be restored (unknown version, wrong role, malformed content). */
export class InvalidSessionSnapshotError extends Error {
  override name = "InvalidSessionSnapshotError";
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
  }
}
