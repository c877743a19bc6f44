import { createHash } from "node:crypto";
import type { MessageProperties } from "@amqtt/message";
import {
  fromTaggedJson,
  type QueueEntry,
  type RetainedRecord,
  type StoredMessage,
  toTaggedJson,
} from "@amqtt/store";
import type { Row } from "./connection.js";

/** The row key of a client id or a topic: its SHA-256 digest (any length fits an index). @internal */
export function keyOf(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/** A copy of `bytes` as the drivers bind them: the write runs later, and the caller may reuse its buffer. @internal */
export function bytesParam(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes);
}

/** The columns every stored message has, in statement order: topic, payload, qos, retain, properties, expires_at. @internal */
export function messageParams(message: StoredMessage): unknown[] {
  return [
    message.topic,
    bytesParam(message.payload),
    message.qos,
    message.retain,
    message.properties === undefined ? null : toTaggedJson(message.properties),
    message.expiresAt ?? null,
  ];
}

function messageOf(row: Row): StoredMessage {
  const message: StoredMessage = {
    topic: String(row.topic),
    // Returned bytes are plain Uint8Arrays (the driver's Buffer is a view of a shared pool).
    payload: new Uint8Array(row.payload as Uint8Array),
    qos: Number(row.qos) as StoredMessage["qos"],
    // PostgreSQL BOOLEAN is true/false, MySQL's is 0/1.
    retain: row.retain === true || Number(row.retain) === 1,
  };
  if (row.properties !== null && row.properties !== undefined) {
    message.properties = fromTaggedJson<MessageProperties>(String(row.properties));
  }
  if (row.expires_at !== null && row.expires_at !== undefined) message.expiresAt = Number(row.expires_at);
  return message;
}

/** @internal */
export function queueEntryOf(row: Row): QueueEntry {
  return { ...messageOf(row), enqueuedAt: Number(row.enqueued_at), seq: Number(row.seq) };
}

/** @internal */
export function retainedOf(row: Row): RetainedRecord {
  return { ...messageOf(row), storedAt: Number(row.stored_at) };
}
