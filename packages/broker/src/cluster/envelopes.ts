import type { PublishProperties, QoS } from "@amqtt/codec";
import {
  fromTaggedJson,
  type QueuedRecord,
  type SessionRecord,
  type StoredWill,
  toTaggedJson,
} from "@amqtt/store";

// What broker nodes send each other through the cluster bus. Two channels:
// `deliver` (application messages, the hot path: a small binary frame) and
// `control` (session take-over, hand-over and wills: tagged JSON, rare).

/** The channel of application messages. */
export const DELIVER_CHANNEL = "deliver";
/** The channel of session take-over, hand-over and will bookkeeping. */
export const CONTROL_CHANNEL = "control";

/** An envelope body this node cannot read (another version, or damaged). */
export class EnvelopeFormatError extends Error {
  override name = "EnvelopeFormatError";
}

/** A message routed to another node, as it left the publisher's node. */
export interface RemoteMessage {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  properties: PublishProperties | undefined;
  /** The publishing client (for No Local and receive checks), `undefined` for the broker itself. */
  publisher: { clientId: string; username: string | undefined; protocolVersion: 3 | 4 | 5 } | undefined;
}

/** What the receiving node does with a routed message. */
export interface DeliverScope {
  /**
   * The node it was sent to. Another node can read it too: the adopter of a
   * dead node takes over what that node never acknowledged, and delivers only
   * its shared groups' messages (another member gets them).
   */
  to: string;
  /** Deliver to the ordinary (not shared) subscriptions matching the topic. */
  ordinary: boolean;
  /** Shared groups (`shareName\u0000filter`) whose one member this node picks. */
  groups: readonly string[];
  /**
   * Relayed by the adopter of the dead node `to`: a message that node never read,
   * for the sessions the receiver took from it (and nobody else); relayed no further.
   */
  relayed?: boolean;
}

const VERSION = 1;
/** The first byte of an envelope carrying several deliver frames. */
const BATCH = 2;
const ORDINARY = 1;
const RETAIN = 2;
const RELAYED = 4;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The part of a deliver envelope that is the same for every receiving node:
 * encoded once per message, then framed per node by {@link frameDelivery}.
 */
export function encodeMessage(m: RemoteMessage): Uint8Array {
  const header = encoder.encode(
    toTaggedJson({
      t: m.topic,
      q: m.qos,
      p: m.properties,
      c: m.publisher?.clientId,
      u: m.publisher?.username,
      v: m.publisher?.protocolVersion,
    }),
  );
  const out = new Uint8Array(4 + header.length + m.payload.length);
  new DataView(out.buffer).setUint32(0, header.length);
  out.set(header, 4);
  out.set(m.payload, 4 + header.length);
  return out;
}

/** One node's envelope: version, flags, its address and shared groups, then the shared message bytes. */
export function frameDelivery(message: Uint8Array, retain: boolean, scope: DeliverScope): Uint8Array {
  const routing = encoder.encode(JSON.stringify([scope.to, ...scope.groups]));
  const out = new Uint8Array(6 + routing.length + message.length);
  const view = new DataView(out.buffer);
  out[0] = VERSION;
  out[1] = (scope.ordinary ? ORDINARY : 0) | (retain ? RETAIN : 0) | (scope.relayed === true ? RELAYED : 0);
  view.setUint32(2, routing.length);
  out.set(routing, 6);
  out.set(message, 6 + routing.length);
  return out;
}

/**
 * The adopter's copy of a dead node's deliver frame for another node: the same
 * message, for the sessions that node took from `deadNode` only (not retained:
 * every node got the retained copy when it was published).
 */
export function relayFrame(frame: Uint8Array, deadNode: string): Uint8Array {
  if (frame.length < 6 || frame[0] !== VERSION)
    throw new EnvelopeFormatError(`not a deliver envelope of version ${VERSION}`);
  const routingLength = new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(2);
  return frameDelivery(frame.subarray(6 + routingLength), false, {
    to: deadNode,
    ordinary: true,
    groups: [],
    relayed: true,
  });
}

/** Several deliver frames in one envelope: `BATCH`, count, then each frame with its length. */
export function encodeBatch(frames: readonly Uint8Array[]): Uint8Array {
  let size = 5;
  for (const f of frames) size += 4 + f.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out[0] = BATCH;
  view.setUint32(1, frames.length);
  let at = 5;
  for (const f of frames) {
    view.setUint32(at, f.length);
    out.set(f, at + 4);
    at += 4 + f.length;
  }
  return out;
}

/** The deliver frames of an envelope: one, or the frames of a batch. Throws {@link EnvelopeFormatError}. */
export function deliverFrames(body: Uint8Array): Uint8Array[] {
  if (body[0] !== BATCH) return [body];
  if (body.length < 5) throw new EnvelopeFormatError("batch envelope cut short");
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const count = view.getUint32(1);
  const frames: Uint8Array[] = [];
  let at = 5;
  for (let i = 0; i < count; i++) {
    if (at + 4 > body.length) throw new EnvelopeFormatError("batch envelope cut short");
    const length = view.getUint32(at);
    if (at + 4 + length > body.length) throw new EnvelopeFormatError("batch envelope cut short");
    frames.push(body.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return frames;
}

/** Read a deliver envelope. Throws {@link EnvelopeFormatError} on one it cannot read. */
export function decodeDelivery(body: Uint8Array): { message: RemoteMessage; scope: DeliverScope } {
  if (body.length < 10 || body[0] !== VERSION)
    throw new EnvelopeFormatError(`not a deliver envelope of version ${VERSION}`);
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const flags = body[1]!;
  const at = 6 + view.getUint32(2);
  if (at + 4 > body.length) throw new EnvelopeFormatError("deliver envelope cut short");
  const routing = JSON.parse(decoder.decode(body.subarray(6, at))) as unknown;
  if (!Array.isArray(routing) || routing.length === 0 || !routing.every((r) => typeof r === "string"))
    throw new EnvelopeFormatError("deliver envelope without its address");
  const [to, ...groups] = routing as string[];
  const headerLength = view.getUint32(at);
  const payloadAt = at + 4 + headerLength;
  if (payloadAt > body.length) throw new EnvelopeFormatError("deliver envelope cut short");
  const h = fromTaggedJson<{
    t: string;
    q: QoS;
    p?: PublishProperties;
    c?: string;
    u?: string;
    v?: 3 | 4 | 5;
  }>(decoder.decode(body.subarray(at + 4, payloadAt)));
  return {
    message: {
      topic: h.t,
      payload: body.slice(payloadAt),
      qos: h.q,
      retain: (flags & RETAIN) !== 0,
      properties: h.p,
      publisher: h.c === undefined ? undefined : { clientId: h.c, username: h.u, protocolVersion: h.v ?? 4 },
    },
    scope: {
      to: to!,
      ordinary: (flags & ORDINARY) !== 0,
      groups,
      ...((flags & RELAYED) !== 0 ? { relayed: true } : {}),
    },
  };
}

/** A retained message as a joining node receives it. */
export interface SyncedRetained {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  properties?: PublishProperties;
}

/** A session as it moves from its old node to the new one. */
export interface HandedOverSession {
  record: SessionRecord;
  /** Its offline queue, oldest first. */
  queued: QueuedRecord[];
}

/** The control messages between nodes. */
export type ControlMessage =
  /**
   * New owner to old owner (`to`): give up `clientId` (the new claim has `epoch`).
   * `to` names the node asked, since a dead node's unread inbox goes to the node
   * that adopts it (absent from nodes that did not send it yet: the receiver).
   */
  | { type: "take-over"; clientId: string; epoch: number; requestId: string; to?: string }
  /** Old owner to new owner: the session (or none, when it ended with its connection). */
  | { type: "hand-over"; clientId: string; requestId: string; session: HandedOverSession | undefined }
  /** Owner to every node: the will of `clientId` to publish if the owner dies (`will` absent: none any more). */
  | { type: "will"; clientId: string; will: StoredWill | undefined }
  /** A node stopping gracefully: its clients' wills are not published (a broker shutdown publishes none). */
  | { type: "leaving" }
  /** A node that joins asks one other node for the cluster's retained messages. */
  | { type: "retained-request" }
  /** Part of the answer (`last`: the answer is complete). */
  | { type: "retained"; messages: SyncedRetained[]; last: boolean };

/** Encode a control message. */
export function encodeControl(message: ControlMessage): Uint8Array {
  return encoder.encode(toTaggedJson(message));
}

/** Decode a control message. Throws {@link EnvelopeFormatError} on one it cannot read. */
export function decodeControl(body: Uint8Array): ControlMessage {
  let value: ControlMessage;
  try {
    value = fromTaggedJson<ControlMessage>(decoder.decode(body));
  } catch (error) {
    throw new EnvelopeFormatError("control envelope is not JSON", { cause: error });
  }
  if (value === null || typeof value !== "object" || typeof value.type !== "string")
    throw new EnvelopeFormatError("control envelope without a type");
  return value;
}
