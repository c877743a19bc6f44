import { redact } from "./redact.js";

/**
 * The state of one bridge as the admin listener reads it. `@amqtt/admin` does
 * not depend on `@amqtt/bridge` (the package graph keeps operations and
 * bridges apart): any object with this shape will do, and `@amqtt/bridge`'s
 * `BridgeStatus` has it.
 */
export interface BridgeStatusView {
  name: string;
  connected: boolean;
  /** The remote address connected to (or tried next), without credentials. */
  address: string;
  /** Outbound messages waiting for the remote (in flight included). */
  queued: number;
  /** Bytes of the queued outbound messages. */
  queuedBytes: number;
  /** Outbound messages sent and not yet acknowledged by the remote. */
  inflight: number;
  /** Outbound messages refused by the queue's bounds. */
  dropped: number;
  /** Messages carried from the remote to this broker. */
  messagesIn: number;
  /** Messages carried to the remote. */
  messagesOut: number;
  /** The last connection or protocol error, if any. */
  lastError: string | undefined;
  /** Successful connections to the remote since start. */
  connects: number;
}

/**
 * Where the admin listener reads bridge state: `@amqtt/bridge`'s `Bridges`
 * (its `status()`), passed as `startAdmin(broker, { bridges })`.
 */
export interface BridgeStatusSource {
  /** The state of every bridge, read at each request and scrape. */
  status(): readonly BridgeStatusView[];
}

/**
 * A bridge as `GET /api/v1/bridges` shows it: only the documented fields,
 * `lastError` null when none, and any URL password in the address or the
 * error masked (the bridge keeps credentials out of both; a source need not).
 */
export function bridgeView(s: BridgeStatusView) {
  return {
    name: s.name,
    connected: s.connected,
    address: redact(s.address) as string,
    queued: s.queued,
    queuedBytes: s.queuedBytes,
    inflight: s.inflight,
    dropped: s.dropped,
    messagesIn: s.messagesIn,
    messagesOut: s.messagesOut,
    lastError: s.lastError === undefined ? null : (redact(s.lastError) as string),
    connects: s.connects,
  };
}
