import type { ProtocolVersion, QoS, WillProperties } from "@amqtt/codec";
import type { MessageProperties } from "@amqtt/message";
import type { ReceiverSnapshot, SenderSnapshot } from "@amqtt/qos";

/** The {@link SessionRecord} format version this package writes and reads. */
export const SESSION_RECORD_VERSION = 1;

/**
 * A subscription kept with a session, every option spelled out (3.1.1
 * subscriptions carry the 5.0 defaults: `noLocal` false, `retainAsPublished`
 * false, `retainHandling` 0), so a store can keep it in plain columns.
 */
export interface StoredSubscription {
  topicFilter: string;
  /** The granted (maximum) QoS. */
  qos: QoS;
  noLocal: boolean;
  retainAsPublished: boolean;
  /** 0 send retained on subscribe, 1 only for a new subscription, 2 never. */
  retainHandling: 0 | 1 | 2;
  /** 5.0 Subscription Identifier, 1..268,435,455. */
  subscriptionIdentifier?: number;
}

/** The will of a session, kept until it is published or discarded. */
export interface StoredWill {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  /** 5.0 will properties, `willDelayInterval` (seconds) included. */
  properties?: WillProperties;
  /**
   * Wall-clock time (ms since the Unix epoch) at which a delayed will is due,
   * set when the connection ends; absent while the client is connected.
   */
  publishAt?: number;
}

/**
 * A persistent session: what the broker needs to restore it after a restart.
 * Plain data, JSON-able except `Uint8Array` bytes; the QoS snapshots are
 * already JSON (bytes as `{ $base64 }`) and are opaque to stores.
 */
export interface SessionRecord {
  version: typeof SESSION_RECORD_VERSION;
  clientId: string;
  /** 3 (3.1), 4 (3.1.1) or 5 (5.0). */
  protocolVersion: ProtocolVersion;
  /** The user name the client authenticated with; ACL checks on delivery need it. */
  username?: string;
  /**
   * Seconds the session outlives its connection. 3.1.1 Clean Session 0 is
   * 0xFFFFFFFF (never expires) unless the broker's configuration says otherwise.
   */
  sessionExpiryInterval: number;
  /**
   * Wall-clock time (ms since the Unix epoch) after which the session is expired,
   * set when the connection ends. Absent while connected or when it never expires.
   * A broker restoring sessions after a crash sets it for every session it restores.
   */
  expiresAt?: number;
  will?: StoredWill;
  subscriptions: StoredSubscription[];
  /** Outgoing QoS 1/2 messages in flight or waiting for a slot (`QosSender.snapshot()`). */
  outgoing: SenderSnapshot;
  /** Incoming QoS 2 packet ids waiting for PUBREL (`QosReceiver.snapshot()`). */
  incoming: ReceiverSnapshot;
}

/** An application message as stores keep it (offline queues and retained messages). */
export interface StoredMessage {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  /** 5.0 PUBLISH properties (no topic alias). */
  properties?: MessageProperties;
  /**
   * Wall-clock deadline (ms since the Unix epoch) from the Message Expiry
   * Interval; absent when the message never expires. The broker recomputes the
   * remaining interval on delivery.
   */
  expiresAt?: number;
}

/** A message waiting in a client's offline queue. */
export interface QueuedRecord extends StoredMessage {
  /** Wall-clock time (ms since the Unix epoch) the message was queued. */
  enqueuedAt: number;
}

/** A queued message as read back, with the position the store gave it. */
export interface QueueEntry extends QueuedRecord {
  /**
   * Positive integer, strictly increasing in enqueue order for a client and
   * never reused by the same storage, across reopen included. Stores may use
   * one counter for all clients.
   */
  seq: number;
}

/** A retained message. */
export interface RetainedRecord extends StoredMessage {
  /** Wall-clock time (ms since the Unix epoch) the message was retained. */
  storedAt: number;
}

/** What {@link BrokerStore.enqueue} did. */
export interface EnqueueResult {
  /** The new message is in the queue. */
  accepted: boolean;
  /** Oldest messages removed to make room (policy `drop-oldest`); the broker counts them as lost. */
  dropped: number;
}

/** What {@link BrokerStore.setRetained} did. */
export interface RetainResult {
  /** The message replaced or cleared the topic's retained message. */
  stored: boolean;
  /** Which bound refused it, when `stored` is false. */
  refusedBy?: "count" | "bytes";
}

/** Count and bytes of a queue or of the retained messages. */
export interface StoreUsage {
  count: number;
  /** Sum of {@link storedMessageSize} over the messages. */
  bytes: number;
}

/** What a full offline queue does with a new message. */
export type QueueOverflowPolicy = "drop-oldest" | "refuse-new";

/**
 * Bounds every store enforces in storage, not only in memory. Each is a positive
 * integer or `Infinity` (only where the broker's configuration asks for no limit).
 */
export interface StoreLimits {
  /** Messages per client queue. Default 1000. */
  maxQueuedMessages: number;
  /** Bytes per client queue ({@link storedMessageSize}). Default 16 MiB. */
  maxQueuedBytes: number;
  /**
   * A full queue either drops its oldest messages until the new one fits
   * (`drop-oldest`, the default: a reconnecting client gets the newest data) or
   * refuses the new message (`refuse-new`). Either way the result says so. A
   * message larger than `maxQueuedBytes` by itself is always refused.
   */
  queueOverflow: QueueOverflowPolicy;
  /** Retained messages in the whole store. Default 100,000. A new topic beyond it is refused. */
  maxRetainedMessages: number;
  /** Bytes of retained messages in the whole store. Default 256 MiB. A message that would pass it is refused. */
  maxRetainedBytes: number;
}

/**
 * Options that every store batching its writes into transactions takes
 * (`@amqtt/store-sqlite`, `@amqtt/store-sql`), spelled and defaulted alike.
 */
export interface BatchingStoreOptions {
  /** Bounds; each one left out takes its `DEFAULT_STORE_LIMITS` value. */
  limits?: Partial<StoreLimits>;
  /** Writes after which a batch commits early, before the calls behind it are done. Default 10,000. */
  maxBatchWrites?: number;
  /** Clients whose queue counters are kept in memory, at most (the rest is read back on use). Default 10,000. */
  usageCacheClients?: number;
}

/**
 * The storage the broker uses: persistent sessions, offline queues, retained
 * messages. Every method is async so SQLite, Redis or any other backend can
 * implement it; the broker never depends on a particular one. Run
 * `@amqtt/store/compliance` against an implementation to check it.
 *
 * ## Ordering and visibility
 * - Calls take effect in call order, whether or not the caller awaits each one
 *   (a `setRetained` followed without awaiting by a `getRetained` sees the new
 *   value; two `enqueue`s keep their order).
 * - A write's promise resolves once the change is visible to later reads of this
 *   instance. That does not mean durable; see {@link BrokerStore.flush}.
 * - Records go in and come out as copies: mutating an argument or a result later
 *   never changes the stored data. Returned bytes are `Uint8Array`s (a subclass
 *   such as `Buffer` is allowed).
 *
 * ## Durability
 * - `flush()` resolves once every write called before it is durable: for a
 *   persistent store, it survives a crash of the process (SIGKILL) and a restart.
 *   It rejects when that cannot be guaranteed.
 * - After a crash a persistent store holds a prefix of the writes in call order:
 *   a write is never kept while an earlier one is lost. So "peek the queue, save
 *   the session with the messages in flight, ack the queue" never loses a message.
 * - The broker sends PUBACK (QoS 1) or PUBREC (QoS 2) for a message it stored
 *   (queued for an offline session, retained) only after a `flush()` called after
 *   that write has resolved. One flush covers every earlier write, so stores
 *   should batch (group commit) instead of syncing per write.
 * - A store whose `persistent` is false (the memory store) keeps nothing across
 *   instances; its `flush()` resolves once earlier writes are applied.
 *
 * ## Lifecycle
 * `open()` once, then use, then `close()` (which flushes). Methods called before
 * `open()` or after `close()` reject with a `StoreClosedError`. A closed instance
 * is not reopened: a new instance over the same storage is.
 *
 * ## Time
 * Deadlines and `now` arguments are wall-clock milliseconds since the Unix epoch,
 * since they must survive restarts (a monotonic clock does not).
 */
export interface BrokerStore {
  /** True when data survives `close()` and a new instance over the same storage (and a crash, after `flush()`). */
  readonly persistent: boolean;
  /**
   * Optional. True when several broker processes may use the same storage at
   * once (a database or Redis server), so every node of a cluster sees every
   * persistent session and its offline queue. Absent or false: the storage is
   * this process's own (memory, a SQLite file).
   */
  readonly shared?: boolean;
  /** The bounds this store enforces. */
  readonly limits: StoreLimits;

  // --- lifecycle ---

  /** Connect to or load the storage. Rejects on storage it cannot read (wrong format or version). */
  open(): Promise<void>;
  /** Flush, then release the storage. Calling it again resolves. */
  close(): Promise<void>;
  /** Resolve once every write called before this call is durable (see the interface docs). */
  flush(): Promise<void>;

  // --- sessions ---

  /** Insert or replace the session of `record.clientId`. */
  saveSession(record: SessionRecord): Promise<void>;
  /** The session of `clientId`, or `undefined`. */
  loadSession(clientId: string): Promise<SessionRecord | undefined>;
  /** Delete the session of `clientId` and its offline queue; nothing happens when there is none. */
  deleteSession(clientId: string): Promise<void>;
  /** Every session, in no particular order (for restoring them at start). */
  listSessions(): Promise<SessionRecord[]>;
  /**
   * Delete every session whose `expiresAt` is at or before `now`, with its
   * offline queue, and return the deleted records (their wills may be due).
   */
  deleteExpiredSessions(now: number): Promise<SessionRecord[]>;

  // --- offline queues ---

  /**
   * Append `message` to the queue of `clientId`, within `limits.maxQueuedMessages`
   * and `limits.maxQueuedBytes` by `limits.queueOverflow`.
   */
  enqueue(clientId: string, message: QueuedRecord): Promise<EnqueueResult>;
  /** Up to `max` messages from the front of the queue, oldest first, without removing them. */
  peekQueue(clientId: string, max: number): Promise<QueueEntry[]>;
  /** Remove every queued message of `clientId` whose `seq` is at most `throughSeq`; returns how many. */
  ackQueue(clientId: string, throughSeq: number): Promise<number>;
  /** Count and bytes of the queue of `clientId` (zero for none). */
  queueUsage(clientId: string): Promise<StoreUsage>;
  /** Empty the queue of `clientId`. */
  clearQueue(clientId: string): Promise<void>;
  /** Remove queued messages (of every client) whose `expiresAt` is at or before `now`; returns how many. */
  dropExpiredQueued(now: number): Promise<number>;

  // --- retained messages ---

  /**
   * Retain `message` for its topic, replacing the previous one; an empty payload
   * clears the topic instead (a zero-byte retained message is never stored), and
   * a clear is never refused.
   * Bounded by `limits.maxRetainedMessages` and `limits.maxRetainedBytes`.
   */
  setRetained(message: RetainedRecord): Promise<RetainResult>;
  /** The retained message of a topic name, or `undefined`. */
  getRetained(topic: string): Promise<RetainedRecord | undefined>;
  /**
   * Retained messages whose topic matches `filter` (section 4.7: `+`, `#`, and a
   * leading wildcard never matches a `$` topic [MQTT-4.7.2-1]), in no particular order. `filter`
   * is a valid non-shared filter.
   */
  matchRetained(filter: string): Promise<RetainedRecord[]>;
  /** Every retained message, `$` topics included (for building the broker's index at start). */
  listRetained(): Promise<RetainedRecord[]>;
  /** Count and bytes of the retained messages. */
  retainedUsage(): Promise<StoreUsage>;
  /** Remove retained messages whose `expiresAt` is at or before `now`; returns how many. */
  dropExpiredRetained(now: number): Promise<number>;

  // --- fencing (optional: stores shared by several broker nodes) ---

  /**
   * Optional. Claim the session of `clientId` for this instance at `epoch` (the
   * cluster's ownership epoch, growing with every claim): the store keeps the
   * highest epoch it was given for the session, and from this call on every
   * write of this instance to that session (`saveSession`, `deleteSession`,
   * `ackQueue`, `clearQueue`) carries `epoch` and is refused with a
   * `StaleEpochError` once another instance fenced a higher one. `enqueue` is
   * never fenced: any node may queue a message for a session. Rejects with a
   * `StaleEpochError` when the store already holds a higher epoch. A store for
   * one broker process need not implement it; the broker calls it only when present.
   */
  fence?(clientId: string, epoch: number): Promise<void>;
}
