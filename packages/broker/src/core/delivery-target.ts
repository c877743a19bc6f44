import type { QoS } from "@amqtt/codec";
import type { SharedPublish } from "@amqtt/session";
import type { ClientInfo, PluginMessage } from "../plugins/types.js";
import type { ClientConnection } from "./client-connection.js";

/**
 * Where the router hands one copy of a message: a local session (online now,
 * or its offline queue), later a remote node of a cluster. The router matches,
 * aggregates and authorizes; the target delivers, and the router never knows
 * which kind it holds.
 */
export interface DeliveryTarget {
  /** The client the target delivers to, for `authorizeReceive`; `undefined` when the target checks itself (a remote node). */
  readonly client: ClientInfo | undefined;
  /** Whether a shared subscription group should prefer this member (online members first, 5.0 section 4.8.2). */
  readonly online: boolean;
  /** Deliver one copy. Synchronous: what it starts asynchronously (a store write) it reports itself. */
  deliver(delivery: Delivery): void;
}

/** One copy of a routed message for one target. */
export interface Delivery {
  readonly message: PluginMessage;
  /** The QoS of this copy: min(published, granted). */
  readonly qos: QoS;
  /** The RETAIN flag of this copy (cleared unless Retain As Published). */
  readonly retain: boolean;
  /** Subscription Identifiers of the matching subscriptions (5.0), if any. */
  readonly subscriptionIds: number[] | undefined;
  /** Monotonic deadline of the message (Message Expiry Interval), if any. */
  readonly expiresAt: number | undefined;
  /** When the message was routed (monotonic ms). */
  readonly t: number;
  /** Shared encoding of the PUBLISH across the copies of one message (encode once, send many). */
  readonly shared: SharedPublish | undefined;
  /** The shared subscription group it came through, if any (remembered for a hand-over). */
  readonly group: { shareName: string; filter: string } | undefined;
  /** The local connection whose PUBLISH is routed, to pause while a subscriber is congested (backpressure). */
  readonly publisher: ClientConnection | undefined;
}

/** What the subscription tree stores for one subscription. */
export interface SubscriptionEntry {
  qos: QoS;
  noLocal: boolean;
  retainAsPublished: boolean;
  /** 5.0 Retain Handling, kept for the stored session. */
  retainHandling: 0 | 1 | 2;
  /** 5.0 Subscription Identifier, if the SUBSCRIBE had one. */
  subscriptionIdentifier: number | undefined;
  /** Who gets the matching messages (saves a registry lookup on the hot path). */
  target: DeliveryTarget;
}
