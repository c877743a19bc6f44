import type { MessageProperties } from "@amqtt/message";
import type { QueueEntry, RetainedRecord, StoredMessage } from "@amqtt/store";
import { fromTaggedJson, storedMessageSize, toTaggedJson } from "@amqtt/store";

// One stored message in Redis is a binary string:
//   [<seq>|]<size>|<expiresAt or empty>|<metaLength>|<meta JSON><payload bytes>
// The Lua scripts read the ASCII head (seq, size for the bounds, expiry for the
// indexes); the rest is the message: the metadata as tagged JSON, then the
// payload as raw bytes (no base64 for the part that can be large).

interface Meta {
  topic: string;
  qos: StoredMessage["qos"];
  retain: boolean;
  properties?: MessageProperties;
  expiresAt?: number;
  /** enqueuedAt or storedAt. */
  at: number;
}

/** An encoded entry, its size for the bounds and its expiry. @internal */
export interface EncodedEntry {
  body: Buffer;
  size: number;
  /** `expiresAt` as a string, or `""`. */
  expiry: string;
}

/** Encode a message for a queue or the retained hash (the queue's seq is added by the script). @internal */
export function encodeEntry(message: StoredMessage, at: number): EncodedEntry {
  const meta: Meta = { topic: message.topic, qos: message.qos, retain: message.retain, at };
  if (message.properties !== undefined) meta.properties = message.properties;
  if (message.expiresAt !== undefined) meta.expiresAt = message.expiresAt;
  const metaBytes = Buffer.from(toTaggedJson(meta), "utf8");
  const size = storedMessageSize(message);
  const expiry = message.expiresAt === undefined ? "" : String(message.expiresAt);
  const head = Buffer.from(`${size}|${expiry}|${metaBytes.byteLength}|`, "latin1");
  const payload = message.payload;
  const body = Buffer.concat([
    head,
    metaBytes,
    Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength),
  ]);
  return { body, size, expiry };
}

const BAR = 0x7c; // "|"

/** Read an ASCII integer ending at the next "|" from `offset`; returns [value, next offset]. */
function field(buffer: Buffer, offset: number): [string, number] {
  const end = buffer.indexOf(BAR, offset);
  if (end < 0) throw new Error("a stored entry has no field separator");
  return [buffer.toString("latin1", offset, end), end + 1];
}

function decode(buffer: Buffer, offset: number): { meta: Meta; payload: Uint8Array } {
  let at = offset;
  [, at] = field(buffer, at); // size
  [, at] = field(buffer, at); // expiry
  const [metaLength, metaStart] = field(buffer, at);
  const metaEnd = metaStart + Number(metaLength);
  const meta = fromTaggedJson<Meta>(buffer.toString("utf8", metaStart, metaEnd));
  // A copy: the caller owns the result, the reply buffer is ioredis'.
  return { meta, payload: new Uint8Array(buffer.subarray(metaEnd)) };
}

function messageOf(meta: Meta, payload: Uint8Array): StoredMessage {
  const message: StoredMessage = { topic: meta.topic, payload, qos: meta.qos, retain: meta.retain };
  if (meta.properties !== undefined) message.properties = meta.properties;
  if (meta.expiresAt !== undefined) message.expiresAt = meta.expiresAt;
  return message;
}

/** A queue member (`<seq>|<entry>`) as a {@link QueueEntry}. @internal */
export function decodeQueueEntry(member: Buffer): QueueEntry {
  const [seq, at] = field(member, 0);
  const { meta, payload } = decode(member, at);
  return { ...messageOf(meta, payload), enqueuedAt: meta.at, seq: Number(seq) };
}

/** A retained hash value as a {@link RetainedRecord}. @internal */
export function decodeRetained(value: Buffer): RetainedRecord {
  const { meta, payload } = decode(value, 0);
  return { ...messageOf(meta, payload), storedAt: meta.at };
}
