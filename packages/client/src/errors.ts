/**
 * Errors of `@amqtt/client`: one class per category, `name` set, `cause` passed
 * on. Branch on the class (or `name`), never on the message text.
 */

/** Base class: misuse of the API (bad QoS, not connected and not reconnecting), or the client gave up. */
export class ClientError extends Error {
  override name = "ClientError";
}

/** The connection could not be made, or the broker refused it (`returnCode` is the CONNACK code). */
export class ConnectError extends ClientError {
  override name = "ConnectError";
  /** CONNACK return code (3.1.1) or reason code (5.0); undefined when no CONNACK came. */
  readonly returnCode: number | undefined;
  constructor(message: string, returnCode?: number, options?: ErrorOptions) {
    super(message, options);
    this.returnCode = returnCode;
  }
}

/** A deadline passed: connect, an acknowledgement, `deliverMessage`, a PINGRESP. */
export class TimeoutError extends ClientError {
  override name = "TimeoutError";
}

/** The caller's `AbortSignal` fired; `cause` is the signal's reason. */
export class AbortError extends ClientError {
  override name = "AbortError";
}

/** The client was disconnected (by `disconnect()` or for good) while the call waited. */
export class ClosedError extends ClientError {
  override name = "ClosedError";
}

/**
 * A publish did not reach the broker: it refused it (5.0 reason code 0x80 and up
 * on PUBACK/PUBREC), or a bounded queue evicted or refused it (`reasonCode` undefined).
 */
export class PublishError extends ClientError {
  override name = "PublishError";
  /** The failing reason code of the PUBACK/PUBREC, when the broker sent one. */
  readonly reasonCode: number | undefined;
  /** `refused` (broker), `queue-full` (a bounded queue), `too-large` (over the broker's Maximum Packet Size). */
  readonly reason: "refused" | "queue-full" | "too-large";
  constructor(message: string, reason: PublishError["reason"], reasonCode?: number, options?: ErrorOptions) {
    super(message, options);
    this.reason = reason;
    this.reasonCode = reasonCode;
  }
}
