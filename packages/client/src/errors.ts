/**
 * Errors of `@amqtt/client`: one class per category, `name` set, `cause` passed
 * on. Branch on the class (or `name`), never on the message text. Failures of
 * the carrier underneath (`@amqtt/transport`'s `TransportError` and its kinds)
 * arrive as the `cause` of a `ConnectError` or `ClientError`.
 */

/**
 * Base class: misuse of the API (bad QoS, not connected and not reconnecting),
 * or the client gave up.
 */
export class ClientError extends Error {
  override name = "ClientError";
}

/** The connection could not be made, or the broker refused it (`returnCode` is the CONNACK code). */
export class ConnectError extends ClientError {
  override name = "ConnectError";
  /** @param returnCode CONNACK return code (3.1.1) or reason code (5.0); undefined when no CONNACK came. */
  constructor(
    message: string,
    readonly returnCode?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A deadline passed: connect, an acknowledgement, `deliverMessage`, a PINGRESP. */
export class TimeoutError extends ClientError {
  override name = "TimeoutError";
}

/**
 * A publish did not reach the broker: it refused it (5.0 reason code of 0x80 and
 * up on PUBACK/PUBREC, `isFailure`), or a bounded queue evicted or refused it
 * (`reasonCode` undefined).
 */
export class PublishError extends ClientError {
  override name = "PublishError";
  /**
   * @param reason `refused` (broker), `queue-full` (a bounded queue), `too-large` (over the broker's Maximum Packet Size).
   * @param reasonCode The failing reason code of the PUBACK/PUBREC, when the broker sent one.
   */
  constructor(
    message: string,
    readonly reason: "refused" | "queue-full" | "too-large",
    readonly reasonCode?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * The client was disconnected (by `disconnect()`, or for good after the retries)
 * while the call waited.
 */
export class ClosedError extends ClientError {
  override name = "ClosedError";
}

/** A client configuration key is wrong; `key` is its path (`plugins.amqtt.foo.Bar`, `keep_alive`). */
export class ClientConfigError extends ClientError {
  override name = "ClientConfigError";
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(`client config "${key}": ${message}`);
  }
}

/** The caller's `AbortSignal` fired; `cause` is the signal's reason. */
export class AbortError extends ClientError {
  override name = "AbortError";
}

/**
 * A configured plugin could not be imported or created; `connect()` rejects with
 * it, since the configuration would not mean what it says. `plugin` is the name
 * the configuration used.
 */
export class ClientPluginError extends ClientError {
  override name = "ClientPluginError";
  constructor(
    readonly plugin: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`plugin "${plugin}": ${message}`, options);
  }
}
