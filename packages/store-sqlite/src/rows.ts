import type { MessageProperties } from "@amqtt/message";
import type { QueuedRecord, QueueEntry, RetainedRecord, StoredMessage } from "@amqtt/store";
import { fromTaggedJson } from "@amqtt/store";

/** A `queue` or `retained` row as better-sqlite3 returns it. @internal */
export interface MessageRow {
  topic: string;
  payload: Uint8Array;
  qos: number;
  retain: number;
  properties: string | null;
  expires_at: number | null;
}

/** A `queue` row. @internal */
export interface QueueRow extends MessageRow {
  seq: number;
  enqueued_at: number;
}

/** A `retained` row. @internal */
export interface RetainedRow extends MessageRow {
  stored_at: number;
}

function messageOf(row: MessageRow): StoredMessage {
  const message: StoredMessage = {
    topic: row.topic,
    payload: row.payload,
    qos: row.qos as StoredMessage["qos"],
    retain: row.retain !== 0,
  };
  if (row.properties !== null) message.properties = fromTaggedJson<MessageProperties>(row.properties);
  if (row.expires_at !== null) message.expiresAt = row.expires_at;
  return message;
}

/** @internal */
export function queueEntryOf(row: QueueRow): QueueEntry {
  const entry = messageOf(row) as QueuedRecord as QueueEntry;
  entry.enqueuedAt = row.enqueued_at;
  entry.seq = row.seq;
  return entry;
}

/** @internal */
export function retainedOf(row: RetainedRow): RetainedRecord {
  const record = messageOf(row) as RetainedRecord;
  record.storedAt = row.stored_at;
  return record;
}
