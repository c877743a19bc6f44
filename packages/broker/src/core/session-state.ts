import type { ProtocolVersion, QoS } from "@amqtt/codec";
import type { SessionSnapshot } from "@amqtt/session";
import type { ClientInfo } from "../plugins/types.js";
import type { ClientConnection } from "./client-connection.js";
import type { SharedDeliveryLog } from "./shared-handover.js";

/** Session Expiry Interval meaning "never" (5.0 section 3.1.2.11.2), also used for 3.1.1 persistent sessions. */
export const NEVER_EXPIRES = 0xffffffff;

/** What the subscription tree stores for one client's subscription. */
export interface SubscriptionEntry {
  qos: QoS;
  noLocal: boolean;
  retainAsPublished: boolean;
  /** 5.0 Retain Handling, kept for the stored session. */
  retainHandling: 0 | 1 | 2;
  /** 5.0 Subscription Identifier, if the SUBSCRIBE had one. */
  subscriptionIdentifier: number | undefined;
  /** The session it belongs to (saves a registry lookup on the hot path). */
  state: SessionState;
}

/**
 * The broker's record of one client id: alive while connected, and after that
 * for as long as its session expiry allows. Holds the offline queue and, while
 * offline, the snapshot of the protocol state (subscriptions, in-flight QoS).
 */
export class SessionState {
  /** The connection using this session, when online. */
  connection: ClientConnection | undefined;
  /** Protocol state while offline, to restore on the next CONNECT. */
  snapshot: SessionSnapshot | undefined;
  /** Filters this session subscribed to (also in the broker's tree). */
  readonly filters = new Map<string, SubscriptionEntry>();
  /** Messages in its offline queue (in the store), as far as the broker counted. */
  queued = 0;
  /** Enqueue calls issued so far; the queue drain compares it to know the store is empty. */
  enqueues = 0;
  /** True while queued messages are being sent after a reconnect: new ones queue behind them. */
  draining = false;
  /** A delayed will and when it is due (wall clock), kept for the stored session. */
  delayedWill: { will: import("@amqtt/codec").Will; publishAt: number } | undefined;
  /** Seconds the session outlives its connection; 0 ends it at disconnect. */
  expiryInterval = 0;
  expiryTimer: { current: ReturnType<typeof setTimeout> } | undefined;
  willTimer: { current: ReturnType<typeof setTimeout> } | undefined;
  /** A will waiting for its Will Delay Interval; published early if the session ends first. */
  pendingWill: (() => void) | undefined;
  /** Recent deliveries through shared subscriptions, created on the first one. */
  sharedLog: SharedDeliveryLog | undefined;
  /** Last known client facts (for plugins on offline delivery checks). */
  info: ClientInfo;
  protocolVersion: ProtocolVersion;

  constructor(
    readonly clientId: string,
    info: ClientInfo,
  ) {
    this.info = info;
    this.protocolVersion = info.protocolVersion;
  }

  get online(): boolean {
    return this.connection !== undefined;
  }

  /** Cancel the expiry timer and any delayed will (the client is back, or the broker stops). */
  clearTimers(): void {
    if (this.expiryTimer !== undefined) clearTimeout(this.expiryTimer.current);
    if (this.willTimer !== undefined) clearTimeout(this.willTimer.current);
    this.expiryTimer = undefined;
    this.willTimer = undefined;
    this.pendingWill = undefined;
    this.delayedWill = undefined;
  }
}
