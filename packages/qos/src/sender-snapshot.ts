import type { PublishProperties } from "@amqtt/codec";
import { InvalidSnapshotError } from "./errors.js";
import { fromPlain, type Plain, type PlainBytes, toPlain } from "./plain.js";
import type { InFlightEntry, OutgoingMessage, WaitingEntry } from "./sender-types.js";
import { expectArray, expectInt, expectObject, expectVersion } from "./snapshot-checks.js";

/** The sender snapshot format version this package writes and reads. */
export const SENDER_SNAPSHOT_VERSION = 1;

/** An {@link OutgoingMessage} as JSON-able data: bytes as `{ $base64 }`. */
export interface PlainMessage {
  topic: string;
  payload: PlainBytes;
  qos: 1 | 2;
  retain: boolean;
  /** PUBLISH properties, Uint8Array values (correlation data) as `{ $base64 }`. */
  properties?: Plain;
}

/**
 * A sender's session state, version 1. Plain JSON: `JSON.parse(JSON.stringify(s))`
 * restores to the same state.
 */
export interface SenderSnapshot {
  version: 1;
  kind: "qos-sender";
  /** The `seq` the next accepted message gets. */
  nextSeq: number;
  /** Messages with a packet identifier, in send order (which is resend order). */
  inFlight: {
    seq: number;
    packetId: number;
    /** `publish`: waiting for PUBACK/PUBREC; `pubrel`: waiting for PUBCOMP. */
    stage: "publish" | "pubrel";
    /** The PUBLISH was sent at least once (its next copy has DUP=1). */
    sentBefore: boolean;
    message: PlainMessage;
  }[];
  /** Messages waiting for a slot, oldest first. */
  waiting: { seq: number; message: PlainMessage }[];
  /**
   * Where the packet id allocator continues (optional; older snapshots lack it).
   * Restoring it keeps ids reused as late as possible across a restart, so a
   * stale acknowledgement is less likely to meet a new flow with its id.
   */
  nextPacketId?: number;
}

/** Restored sender state, checked. @internal */
export interface RestoredSender {
  nextSeq: number;
  nextPacketId: number | undefined;
  inFlight: Pick<InFlightEntry, "seq" | "packetId" | "stage" | "sentBefore" | "message">[];
  waiting: { seq: number; message: OutgoingMessage }[];
}

/** @internal */
export function snapshotSender(
  nextSeq: number,
  inFlight: Iterable<InFlightEntry>,
  waiting: Iterable<WaitingEntry>,
  nextPacketId?: number,
): SenderSnapshot {
  return {
    version: SENDER_SNAPSHOT_VERSION,
    kind: "qos-sender",
    nextSeq,
    ...(nextPacketId === undefined ? {} : { nextPacketId }),
    inFlight: [...inFlight].map((e) => ({
      seq: e.seq,
      packetId: e.packetId,
      stage: e.stage,
      sentBefore: e.sentBefore,
      message: plainMessage(e.message),
    })),
    waiting: [...waiting].map((w) => ({ seq: w.seq, message: plainMessage(w.message) })),
  };
}

function plainMessage(message: OutgoingMessage): PlainMessage {
  const plain: PlainMessage = {
    topic: message.topic,
    payload: toPlain(message.payload) as PlainBytes,
    qos: message.qos,
    retain: message.retain ?? false,
  };
  if (message.properties !== undefined) plain.properties = toPlain(message.properties);
  return plain;
}

/** Check the version, then every field. @internal */
export function restoreSender(snapshot: unknown): RestoredSender {
  const root = expectVersion(snapshot, "qos-sender", SENDER_SNAPSHOT_VERSION);
  const nextSeq = expectInt(root.nextSeq, "nextSeq", 1);
  const seen = new Set<number>();
  const seqOf = (value: unknown, where: string): number => {
    const seq = expectInt(value, `${where}.seq`, 1);
    if (seq >= nextSeq) throw new InvalidSnapshotError(`${where}.seq ${seq} is not below nextSeq ${nextSeq}`);
    if (seen.has(seq)) throw new InvalidSnapshotError(`${where}.seq ${seq} appears twice`);
    seen.add(seq);
    return seq;
  };
  const inFlight = expectArray(root.inFlight, "inFlight").map((raw, i) => {
    const where = `inFlight[${i}]`;
    const item = expectObject(raw, where);
    const message = restoreMessage(item.message, `${where}.message`);
    const stage = item.stage;
    if (stage !== "publish" && stage !== "pubrel") {
      throw new InvalidSnapshotError(`${where}.stage is not publish or pubrel`);
    }
    if (stage === "pubrel" && message.qos !== 2)
      throw new InvalidSnapshotError(`${where} is in stage pubrel but QoS 1`);
    if (typeof item.sentBefore !== "boolean")
      throw new InvalidSnapshotError(`${where}.sentBefore must be a boolean`);
    const entry: RestoredSender["inFlight"][number] = {
      seq: seqOf(item.seq, where),
      packetId: expectInt(item.packetId, `${where}.packetId`, 1, 65_535),
      stage,
      sentBefore: item.sentBefore,
      message,
    };
    return entry;
  });
  const waiting = expectArray(root.waiting, "waiting").map((raw, i) => {
    const item = expectObject(raw, `waiting[${i}]`);
    return {
      seq: seqOf(item.seq, `waiting[${i}]`),
      message: restoreMessage(item.message, `waiting[${i}].message`),
    };
  });
  const nextPacketId =
    root.nextPacketId === undefined ? undefined : expectInt(root.nextPacketId, "nextPacketId", 1, 65_535);
  return { nextSeq, nextPacketId, inFlight, waiting };
}

function restoreMessage(value: unknown, where: string): OutgoingMessage {
  const plain = expectObject(value, where);
  if (typeof plain.topic !== "string") throw new InvalidSnapshotError(`${where}.topic must be a string`);
  if (plain.qos !== 1 && plain.qos !== 2) throw new InvalidSnapshotError(`${where}.qos must be 1 or 2`);
  if (typeof plain.retain !== "boolean") throw new InvalidSnapshotError(`${where}.retain must be a boolean`);
  const payload = fromPlain(plain.payload);
  if (!(payload instanceof Uint8Array))
    throw new InvalidSnapshotError(`${where}.payload must be { $base64 }`);
  const message: OutgoingMessage = { topic: plain.topic, payload, qos: plain.qos, retain: plain.retain };
  if (plain.properties !== undefined) {
    message.properties = expectObject(
      fromPlain(plain.properties),
      `${where}.properties`,
    ) as PublishProperties;
  }
  return message;
}
