/**
 * The `server-error-value`s of RFC 5802 section 7 that this implementation
 * sends in an `e=` server-final-message. `unknown-user` is deliberately absent:
 * an unknown user is reported as `invalid-proof` so that the reply does not
 * reveal which users exist.
 */
export type ScramServerErrorValue =
  | "invalid-encoding"
  | "extensions-not-supported"
  | "invalid-proof"
  | "channel-bindings-dont-match"
  | "channel-binding-not-supported"
  | "invalid-username-encoding"
  | "other-error";

/**
 * Why a SCRAM conversation failed. Stable strings to branch on (never the
 * message text); the server keeps the true reason (e.g. `unknown-user`) for its
 * logs while the peer only sees the {@link ScramServerErrorValue}.
 */
export type ScramFailureReason =
  /** Bytes that are not well-formed UTF-8, or a message breaking RFC 5802 section 7. */
  | "malformed-message"
  /** A `n=`/`a=` value with a bad `=2C`/`=3D` escape, or one SASLprep refuses. */
  | "invalid-username-encoding"
  /** A GS2 authzid naming another identity than the user (acting as another user is not offered). */
  | "authzid-not-supported"
  /** The mandatory-extension attribute `m=` (RFC 5802 section 5.1). */
  | "extensions-not-supported"
  /** The client asked for channel binding (`p=`); only SCRAM-SHA-256 without -PLUS is offered. */
  | "channel-binding-not-supported"
  /** The `c=` attribute of client-final is not the GS2 header of client-first. */
  | "channel-bindings-dont-match"
  /** A nonce that is empty, not printable, or not the combined nonce of this conversation. */
  | "nonce-mismatch"
  /** Server side only: no credentials for this user (hidden from the peer). */
  | "unknown-user"
  /** Server side: the client proof is wrong, i.e. a wrong password. */
  | "invalid-proof"
  /** Client side: the server signature is wrong, i.e. the server does not know the credentials. */
  | "invalid-server-signature"
  /** Client side: the server answered with `e=<value>`. */
  | "server-error"
  /** An iteration count below the minimum or above the maximum accepted. */
  | "iteration-count"
  /** Stored credentials that cannot be used (wrong key sizes, too few iterations). */
  | "invalid-credentials"
  /** A message larger than `maxMessageBytes`. */
  | "message-too-large"
  /** A step called in the wrong order (e.g. `finish` before `start`, or twice). */
  | "out-of-order";

/** A failed SCRAM step. Carries a {@link ScramFailureReason} to branch on. */
export class ScramError extends Error {
  override name = "ScramError";
  /** Why the step failed. */
  readonly reason: ScramFailureReason;
  /** The `e=` value the server received (client side, reason `server-error`), if any. */
  readonly serverError: string | undefined;

  constructor(
    reason: ScramFailureReason,
    message: string,
    options?: { serverError?: string; cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.reason = reason;
    this.serverError = options?.serverError;
  }
}

/** A SCRAM credentials line (RFC 5803 style) that cannot be parsed. */
export class ScramCredentialsError extends Error {
  override name = "ScramCredentialsError";
}
