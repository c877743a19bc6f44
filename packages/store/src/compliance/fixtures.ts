import type { QueuedRecord, RetainedRecord, SessionRecord } from "../index.js";

/** UTF-8 bytes of `text`. */
export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** `n` bytes counting up from `start` (mod 256), so a shifted copy shows. */
export function pattern(n: number, start = 0): Uint8Array {
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i++) bytes[i] = (start + i) & 0xff;
  return bytes;
}

/**
 * `value` with every `Uint8Array` subclass (e.g. `Buffer`) turned into a plain
 * `Uint8Array` and `undefined` fields left out, so deep equality compares data only.
 */
export function plain<T>(value: T): T {
  if (value instanceof Uint8Array) return new Uint8Array(value) as T;
  if (Array.isArray(value)) return value.map(plain) as T;
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) if (v !== undefined) out[key] = plain(v);
    return out as T;
  }
  return value;
}

/** A session with every field set, bytes included. */
export function fullSession(clientId = "client-1"): SessionRecord {
  return {
    version: 1,
    clientId,
    protocolVersion: 5,
    username: "alice",
    sessionExpiryInterval: 3600,
    expiresAt: 1_700_000_360_000,
    will: {
      topic: "status/client-1",
      payload: pattern(300, 200),
      qos: 2,
      retain: true,
      properties: {
        willDelayInterval: 30,
        messageExpiryInterval: 120,
        payloadFormatIndicator: 1,
        contentType: "text/plain",
        responseTopic: "replies/1",
        correlationData: pattern(16, 250),
        userProperties: [
          ["a", "1"],
          ["a", "2"],
          ["ü", "∞"],
        ],
      },
      publishAt: 1_700_000_030_000,
    },
    subscriptions: [
      {
        topicFilter: "a/+/c",
        qos: 2,
        noLocal: true,
        retainAsPublished: true,
        retainHandling: 2,
        subscriptionIdentifier: 268_435_455,
      },
      { topicFilter: "#", qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0 },
      {
        topicFilter: "$share/g/x/#",
        qos: 1,
        noLocal: false,
        retainAsPublished: false,
        retainHandling: 1,
        subscriptionIdentifier: 1,
      },
    ],
    outgoing: {
      version: 1,
      kind: "qos-sender",
      nextSeq: 4,
      inFlight: [
        {
          seq: 1,
          packetId: 65_535,
          stage: "pubrel",
          sentBefore: true,
          message: { topic: "x/1", payload: { $base64: "AAEC/w==" }, qos: 2, retain: false },
        },
        {
          seq: 2,
          packetId: 7,
          stage: "publish",
          sentBefore: false,
          message: {
            topic: "x/2",
            payload: { $base64: "" },
            qos: 1,
            retain: true,
            properties: { correlationData: { $base64: "3q2+7w==" }, userProperties: [["k", "v"]] },
          },
        },
      ],
      waiting: [{ seq: 3, message: { topic: "x/3", payload: { $base64: "aGk=" }, qos: 1, retain: false } }],
    },
    incoming: { version: 1, kind: "qos-receiver", awaitingRelease: [1, 300, 65_535] },
  };
}

/** The smallest valid session: no will, no subscriptions, nothing in flight. */
export function bareSession(clientId: string, expiresAt?: number): SessionRecord {
  const record: SessionRecord = {
    version: 1,
    clientId,
    protocolVersion: 4,
    sessionExpiryInterval: 0xffff_ffff,
    subscriptions: [],
    outgoing: { version: 1, kind: "qos-sender", nextSeq: 1, inFlight: [], waiting: [] },
    incoming: { version: 1, kind: "qos-receiver", awaitingRelease: [] },
  };
  if (expiresAt !== undefined) record.expiresAt = expiresAt;
  return record;
}

/**
 * A queued message on a one-character topic, so its size for the bounds is
 * `1 + payloadBytes` (see `storedMessageSize` in `@amqtt/store`).
 */
export function queued(tag: number, payloadBytes = 3, expiresAt?: number): QueuedRecord {
  const message: QueuedRecord = {
    topic: "q",
    payload: pattern(payloadBytes, tag),
    qos: 1,
    retain: false,
    enqueuedAt: 1_700_000_000_000 + tag,
  };
  if (expiresAt !== undefined) message.expiresAt = expiresAt;
  return message;
}

/** A retained message whose size for the bounds is the topic's bytes plus `payloadBytes`. */
export function retained(topic: string, payloadBytes = 4, expiresAt?: number): RetainedRecord {
  const message: RetainedRecord = {
    topic,
    payload: pattern(payloadBytes, topic.length),
    qos: 1,
    retain: true,
    storedAt: 1_700_000_000_000,
  };
  if (expiresAt !== undefined) message.expiresAt = expiresAt;
  return message;
}

/** A retained clear: empty payload. */
export function clearOf(topic: string): RetainedRecord {
  return { topic, payload: new Uint8Array(0), qos: 0, retain: true, storedAt: 1_700_000_000_000 };
}
