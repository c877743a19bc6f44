import type {
  ProtocolVersion,
  PubackPacket,
  PubcompPacket,
  PublishPacket,
  PublishProperties,
  PubrecPacket,
  PubrelPacket,
} from "@amqtt/codec";
import type { PacketIdAllocator } from "./packet-ids.js";

/** An application message to send at QoS 1 or 2. */
export interface OutgoingMessage {
  topic: string;
  /** Kept by reference until the flow ends: do not change it after `publish`. */
  payload: Uint8Array;
  qos: 1 | 2;
  retain?: boolean;
  /** 5.0 PUBLISH properties, sent as given (a Topic Alias is the session's business). */
  properties?: PublishProperties;
}

/** What the sender does when a message must wait and the waiting queue is full. */
export type OverflowPolicy = "reject-new" | "drop-oldest";

/** Default bound on messages waiting for an in-flight slot. */
export const DEFAULT_MAX_QUEUED_MESSAGES = 1000;
/** Default bound on the bytes (payload plus topic) of messages waiting for a slot: 16 MiB. */
export const DEFAULT_MAX_QUEUED_BYTES = 16 * 1024 * 1024;
/** Default and largest Receive Maximum (section 3.1.2.11.3 / 3.2.2.3.3). */
export const MAX_RECEIVE_MAXIMUM = 65_535;

/** Options of a {@link QosSender}. */
export interface SenderOptions {
  /** 3 (3.1), 4 (3.1.1) or 5 (5.0): decides reason-code handling and whether timed retry may be used. */
  protocolVersion: ProtocolVersion;
  /**
   * Local cap on unacknowledged QoS 1 and 2 PUBLISH packets, 1..65535 (default 65535).
   * The window of a connection is the smaller of this and the peer's Receive Maximum.
   */
  maxInFlight?: number;
  /** Bound on messages waiting for a slot (default {@link DEFAULT_MAX_QUEUED_MESSAGES}); 0 disables waiting. */
  maxQueuedMessages?: number;
  /** Bound on the bytes of waiting messages (default {@link DEFAULT_MAX_QUEUED_BYTES}). */
  maxQueuedBytes?: number;
  /** What to do when the waiting queue is full (default `"reject-new"`). */
  overflow?: OverflowPolicy;
  /**
   * 3.1 and 3.1.1 only: resend unacknowledged packets within a connection after this
   * many milliseconds (default 0, off). MQTT 5.0 forbids it [MQTT-4.4.0-1].
   */
  retryIntervalMs?: number;
  /** Packet identifiers to draw from; pass the session's allocator so SUBSCRIBE shares the set. */
  packetIds?: PacketIdAllocator;
}

/** The new connection's parameters, given to {@link QosSender.connected}. */
export interface SenderConnectedInput {
  /** Whether the peer kept the session (CONNACK Session Present, or the server's own answer). */
  sessionPresent: boolean;
  /** The peer's Receive Maximum, 1..65535 (default 65535; 3.1.1 has none). */
  receiveMaximum?: number;
}

/** An acknowledgement the sender consumes. */
export type SenderAck = PubackPacket | PubrecPacket | PubcompPacket;

/** The message was taken: it is in flight or waiting. `seq` names it in later actions. */
export interface AcceptedAction {
  kind: "accepted";
  seq: number;
}
/** The message was refused and forgotten (`reject-new` with a full queue, or too large to ever queue). */
export interface RejectedAction {
  kind: "rejected";
  reason: "queue-full" | "too-large";
  message: OutgoingMessage;
}
/** A waiting message was evicted to make room (`drop-oldest`). */
export interface DroppedAction {
  kind: "dropped";
  seq: number;
  reason: "queue-full";
  message: OutgoingMessage;
}
/** Send this packet, in order, on the current connection. */
export interface SendAction {
  kind: "send";
  seq: number;
  packet: PublishPacket | PubrelPacket;
}
/**
 * The flow ended well: PUBACK with a reason code below 0x80 (QoS 1), or any PUBCOMP
 * (QoS 2; a 0x92 PUBCOMP means the receiver already released the id, and it owned
 * the message since PUBREC).
 */
export interface CompletedAction {
  kind: "completed";
  seq: number;
  packetId: number;
  qos: 1 | 2;
  /** Reason code of the final acknowledgement (0 when absent, always 0 in 3.1.1). */
  reasonCode: number;
}
/** 5.0: PUBACK or PUBREC came back with a reason code of 0x80 or more; the flow is over [MQTT-4.4.0-2]. */
export interface FailedAction {
  kind: "failed";
  seq: number;
  packetId: number;
  qos: 1 | 2;
  reasonCode: number;
}
/** An acknowledgement that matches no flow, or a flow in another stage. Nothing changed. */
export interface UnexpectedAckAction {
  kind: "unexpectedAck";
  reason: "unknown-packet-id" | "wrong-stage";
  packet: SenderAck;
}
/** Arm (or re-arm, replacing the previous one) the retry timer; call `timerFired` when it fires. */
export interface SetTimerAction {
  kind: "setTimer";
  timer: "retry";
  delayMs: number;
}
/** Disarm the retry timer. */
export interface ClearTimerAction {
  kind: "clearTimer";
  timer: "retry";
}

/** Everything a {@link QosSender} asks its shell to do or tells its application, in order. */
export type SenderAction =
  | AcceptedAction
  | RejectedAction
  | DroppedAction
  | SendAction
  | CompletedAction
  | FailedAction
  | UnexpectedAckAction
  | SetTimerAction
  | ClearTimerAction;

/** A message that has a packet identifier: its PUBLISH or PUBREL may be on the wire. */
export interface InFlightEntry {
  seq: number;
  message: OutgoingMessage;
  packetId: number;
  /** `publish`: waiting for PUBACK/PUBREC; `pubrel`: PUBREL sent, waiting for PUBCOMP. */
  stage: "publish" | "pubrel";
  /** The PUBLISH went out at least once, so any later copy carries DUP=1 [MQTT-3.3.1-1]. */
  sentBefore: boolean;
  /** Its current packet was sent on this connection (retry and resend bookkeeping). */
  live: boolean;
  /** It takes a slot of this connection's send quota (section 4.9). */
  counted: boolean;
  lastSentAt: number;
  done: boolean;
  /** Its place in the sender's `InFlightTable` (set when added). */
  slot: number;
}

/** A message waiting for an in-flight slot and a packet identifier. */
export interface WaitingEntry {
  seq: number;
  message: OutgoingMessage;
  size: number;
}
