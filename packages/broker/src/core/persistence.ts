import type { Will } from "@amqtt/codec";
import type { SessionSnapshot } from "@amqtt/session";
import type {
  BrokerStore,
  SessionRecord,
  StoredMessage,
  StoredSubscription,
  StoreLimits,
} from "@amqtt/store";
import { MemoryStore } from "@amqtt/store";
import type { BrokerLimits } from "../config/resolve.js";
import type { OfflineMessage } from "./messages.js";
import { NEVER_EXPIRES, type SessionState } from "./session-state.js";
import type { Clock } from "./timers.js";

// The broker keeps its hot state in memory (subscription trie, retained trie,
// live sessions) and writes through to a `BrokerStore`, from which it restores
// sessions and retained messages at start. Offline queues live only in the store.
// Stores speak wall-clock milliseconds; the broker's clock is monotonic.

/**
 * The store bounds a broker configuration asks for (`max_queued_messages`,
 * `max_queued_bytes`, 0 meaning no bound; `max_retained_messages`,
 * `max_retained_bytes`). Give them to any store you pass in.
 */
export function storeLimitsOf(limits: BrokerLimits): Partial<StoreLimits> {
  const unbounded = Number.MAX_SAFE_INTEGER;
  return {
    maxQueuedMessages: limits.maxQueuedMessages || unbounded,
    maxQueuedBytes: limits.maxQueuedBytes || unbounded,
    maxRetainedMessages: limits.maxRetainedMessages,
    maxRetainedBytes: limits.maxRetainedBytes,
  };
}

/** A memory store with the broker's bounds. */
export function defaultStore(limits: BrokerLimits): BrokerStore {
  return new MemoryStore({ limits: storeLimitsOf(limits) });
}

/** Monotonic deadline on `clock` to wall clock. */
export function toWall(clock: Clock, monotonic: number | undefined): number | undefined {
  return monotonic === undefined ? undefined : Date.now() + (monotonic - clock.now());
}

/** Wall-clock deadline to monotonic on `clock`. */
export function toMonotonic(clock: Clock, wall: number | undefined): number | undefined {
  return wall === undefined ? undefined : clock.now() + (wall - Date.now());
}

/** The record of a session that outlives its connection (`live`: still connected, so no deadline yet). */
export function sessionRecord(
  state: SessionState,
  snapshot: SessionSnapshot,
  expiry: number,
  will: { will: Will; publishAt: number } | undefined,
  live = false,
): SessionRecord {
  const subscriptions: StoredSubscription[] = [];
  for (const [topicFilter, e] of state.filters) {
    const s: StoredSubscription = {
      topicFilter,
      qos: e.qos,
      noLocal: e.noLocal,
      retainAsPublished: e.retainAsPublished,
      retainHandling: e.retainHandling,
    };
    if (e.subscriptionIdentifier !== undefined) s.subscriptionIdentifier = e.subscriptionIdentifier;
    subscriptions.push(s);
  }
  const record: SessionRecord = {
    version: 1,
    clientId: state.clientId,
    protocolVersion: state.protocolVersion,
    sessionExpiryInterval: expiry,
    subscriptions,
    outgoing: snapshot.sender,
    incoming: snapshot.receiver,
  };
  if (state.info.username !== undefined) record.username = state.info.username;
  if (expiry !== NEVER_EXPIRES && !live) record.expiresAt = Date.now() + expiry * 1000;
  if (will !== undefined) {
    const w = will.will;
    record.will = {
      topic: w.topic,
      payload: w.payload,
      qos: w.qos,
      retain: w.retain,
      publishAt: will.publishAt,
    };
    if (w.properties !== undefined) record.will.properties = w.properties;
  }
  return record;
}

/** The session machine's snapshot rebuilt from a stored record. */
export function snapshotOf(record: SessionRecord): SessionSnapshot {
  return {
    version: 1,
    kind: "amqtt-session",
    role: "server",
    protocolVersion: record.protocolVersion,
    clientId: record.clientId,
    sessionExpiryInterval: record.sessionExpiryInterval,
    subscriptions: record.subscriptions.map((s) => {
      const sub: SessionSnapshot["subscriptions"][number] = {
        topicFilter: s.topicFilter,
        qos: s.qos,
        noLocal: s.noLocal,
        retainAsPublished: s.retainAsPublished,
        retainHandling: s.retainHandling,
      };
      if (s.subscriptionIdentifier !== undefined) sub.subscriptionIdentifier = s.subscriptionIdentifier;
      return sub;
    }),
    sender: record.outgoing,
    receiver: record.incoming,
  };
}

/** The store's form of a message: wall-clock expiry, no undefined fields. */
export function storedMessage(m: OfflineMessage, clock: Clock): StoredMessage {
  const out: StoredMessage = { topic: m.topic, payload: m.payload, qos: m.qos, retain: m.retain };
  if (m.properties !== undefined) out.properties = m.properties;
  const wall = toWall(clock, m.expiresAt);
  if (wall !== undefined) out.expiresAt = wall;
  return out;
}
