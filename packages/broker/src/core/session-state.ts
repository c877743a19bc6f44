import type { ProtocolVersion, Will } from "@amqtt/codec";
import type { SessionSnapshot } from "@amqtt/session";
import type { ClientInfo } from "../plugins/types.js";
import type { ClientConnection } from "./client-connection.js";
import type { Delivery, DeliveryTarget, SubscriptionEntry } from "./delivery-target.js";
import { FilterMap } from "./filter-map.js";
import { type OfflineMessage, withRemainingExpiry } from "./messages.js";
import { SharedDeliveryLog } from "./shared-handover.js";
import { type Clock, type LongTimer, longTimeout } from "./timers.js";

/** Session Expiry Interval meaning "never" (5.0 section 3.1.2.11.2), also used for 3.1.1 persistent sessions. */
export const NEVER_EXPIRES = 0xffffffff;

/** A connection of the broker: its session record is a {@link SessionState}. */
export type BrokerConnection = ClientConnection<SessionState>;

/** What a local session needs to deliver: shared by every session of a broker. */
export interface LocalDelivery {
  readonly counters: { publishSent: number };
  /** aMQTT's `queue_qos0_messages`: whether an offline session queues QoS 0 messages. */
  readonly queueQos0Messages: boolean;
  /** Append to the session's offline queue (in the store). */
  enqueue(state: SessionState, message: OfflineMessage): void;
  /**
   * While set, every connection handed a QoS 1/2 copy live is added here (a
   * cluster node routing another node's envelope saves those sessions before it
   * acknowledges the envelope); unset otherwise, so local routing pays nothing.
   */
  liveDeliveries?: Set<BrokerConnection> | undefined;
}

/**
 * The broker's record of one client id: alive while connected, and after that
 * for as long as its session expiry allows. Holds the offline queue and, while
 * offline, the snapshot of the protocol state (subscriptions, in-flight QoS).
 * As a router target it delivers to its connection, or into its offline queue.
 */
// Bits of `SessionState.#flags`.
const STORED = 1;
const DRAINING = 2;
const MADE_FOR_CLIENT = 4;

/** A session's long timers and delayed will, made when one is first set (an idle clean session has none). */
interface Later {
  expiryTimer: LongTimer | undefined;
  willTimer: LongTimer | undefined;
  /** A will waiting for its Will Delay Interval, when it is due (wall clock), and how to publish it. */
  will: { will: Will; publishAt: number; publish: () => void } | undefined;
}

export class SessionState implements DeliveryTarget {
  /** The connection using this session, when online. */
  connection: BrokerConnection | undefined;
  /** Protocol state while offline, to restore on the next CONNECT. */
  snapshot: SessionSnapshot | undefined;
  /** Filters this session subscribed to (also in the broker's tree); no hash table for a single one. */
  readonly filters = new FilterMap<SubscriptionEntry>();
  /** Messages in its offline queue (in the store), as far as the broker counted. */
  queued = 0;
  /** Bytes of its offline queue (`storedMessageSize`), as far as the broker counted (for metrics). */
  queuedBytes = 0;
  /** Enqueue calls issued so far; the queue drain compares it to know the store is empty. */
  enqueues = 0;
  /** The `STORED`, `DRAINING` and `MADE_FOR_CLIENT` bits: one field instead of three (issue 19). */
  #flags = 0;
  /** Seconds the session outlives its connection; 0 ends it at disconnect. */
  expiryInterval = 0;
  /** Recent deliveries through shared subscriptions, created on the first one. */
  sharedLog: SharedDeliveryLog | undefined;
  /** Last known client facts (for plugins on offline delivery checks). */
  info: ClientInfo;
  protocolVersion: ProtocolVersion;
  /** Timers and the delayed will, once one is set: one field instead of three. */
  #later: Later | undefined = undefined;

  constructor(
    readonly clientId: string,
    info: ClientInfo,
    private readonly local: LocalDelivery,
  ) {
    this.info = info;
    this.protocolVersion = info.protocolVersion;
  }

  get online(): boolean {
    return this.connection !== undefined;
  }

  /**
   * True once the store may hold something of this session (a record, a queued
   * message): only then does its end cost a store delete (for a clean session,
   * that was a committed, synced transaction per connection).
   */
  get stored(): boolean {
    return (this.#flags & STORED) !== 0;
  }
  set stored(value: boolean) {
    this.#flags = value ? this.#flags | STORED : this.#flags & ~STORED;
  }

  /** True while queued messages are being sent after a reconnect: new ones queue behind them. */
  get draining(): boolean {
    return (this.#flags & DRAINING) !== 0;
  }
  set draining(value: boolean) {
    this.#flags = value ? this.#flags | DRAINING : this.#flags & ~DRAINING;
  }

  /**
   * True for a session made for a client id that never connected (the plugin
   * context's `addSubscription`): its first CONNECT resumes it at any protocol level.
   */
  get madeForClient(): boolean {
    return (this.#flags & MADE_FOR_CLIENT) !== 0;
  }
  set madeForClient(value: boolean) {
    this.#flags = value ? this.#flags | MADE_FOR_CLIENT : this.#flags & ~MADE_FOR_CLIENT;
  }

  /** The timers and delayed will, made on first use. */
  #laterMade(): Later {
    this.#later ??= { expiryTimer: undefined, willTimer: undefined, will: undefined };
    return this.#later;
  }

  /** The client, for delivery checks (`authorizeReceive`). */
  get client(): ClientInfo {
    return this.info;
  }

  /** A delayed will and when it is due (wall clock), kept for the stored session. */
  get delayedWill(): { will: Will; publishAt: number } | undefined {
    return this.#later?.will;
  }

  /** End the session after `ms` of `clock` (its expiry), unless the client comes back first. */
  expireIn(clock: Clock, ms: number, end: () => void): void {
    const later = this.#laterMade();
    later.expiryTimer?.cancel();
    later.expiryTimer = longTimeout(clock, end, ms);
  }

  /**
   * Hold `will` until `publishAt` (wall clock, in `ms` of `clock`): `publish`
   * runs then, or when the session ends first; a reconnect cancels it.
   */
  delayWill(clock: Clock, will: Will, publishAt: number, ms: number, publish: () => void): void {
    const later = this.#laterMade();
    later.willTimer?.cancel();
    const entry = { will, publishAt, publish };
    later.will = entry;
    later.willTimer = longTimeout(clock, () => this.releaseWill(entry), ms);
  }

  /** Publish the delayed will now, if one waits (the session ends). */
  publishPendingWill(): void {
    const will = this.#later?.will;
    if (will !== undefined) this.releaseWill(will);
  }

  private releaseWill(entry: { publish: () => void }): void {
    const later = this.#later;
    if (later === undefined || later.will !== entry) return;
    later.will = undefined;
    later.willTimer?.cancel();
    later.willTimer = undefined;
    entry.publish();
  }

  /** Cancel the expiry timer and any delayed will (the client is back, or the broker stops). */
  clearTimers(): void {
    const later = this.#later;
    if (later === undefined) return;
    later.expiryTimer?.cancel();
    later.willTimer?.cancel();
    this.#later = undefined;
  }

  /** One copy for this session: to its connection now, or into its offline queue. */
  deliver(d: Delivery): void {
    const message = d.message;
    if (d.group !== undefined && message.qos > 0 && d.qos > 0) {
      this.sharedLog ??= new SharedDeliveryLog();
      this.sharedLog.record({
        topic: message.topic,
        payload: message.payload,
        shareName: d.group.shareName,
        filter: d.group.filter,
      });
    }
    let properties = message.properties;
    if (d.subscriptionIds !== undefined && this.protocolVersion === 5)
      properties = { ...properties, subscriptionIdentifiers: d.subscriptionIds };
    const conn = this.connection;
    if (conn !== undefined && !this.draining) {
      const p = withRemainingExpiry(properties, d.expiresAt, d.t);
      if (p === null) return;
      this.local.counters.publishSent++;
      // The routed message itself when this copy is the same (QoS, RETAIN, properties): no new object.
      if (d.qos === message.qos && d.retain === message.retain && p === message.properties)
        conn.deliverMessage(message, d.shared);
      else conn.deliver(message.topic, message.payload, d.qos, d.retain, p, d.shared);
      if (d.qos > 0) this.local.liveDeliveries?.add(conn);
      const publisher = d.publisher;
      if (publisher !== undefined) {
        if (conn.outputBacklogged) publisher.pauseForOutput(conn);
        else if (d.qos > 0 && conn.congested) publisher.pauseFor(conn);
      }
      return;
    }
    // Offline sessions queue QoS 0 only when configured; a session sending its queue takes everything, in order.
    if (d.qos === 0 && !this.local.queueQos0Messages && conn === undefined) return;
    this.local.enqueue(this, {
      topic: message.topic,
      payload: message.payload,
      qos: d.qos,
      retain: d.retain,
      properties,
      expiresAt: d.expiresAt,
    });
  }
}
