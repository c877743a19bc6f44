import { allocUnsafe } from "./alloc.js";
import { MAX_REMAINING_LENGTH, PacketType, type ProtocolVersion } from "./constants.js";
import { InvalidPacketError } from "./errors.js";
import type {
  AuthPacket,
  ConnackPacket,
  ConnectPacket,
  DisconnectPacket,
  Packet,
  Packet5,
  Packet311,
  PublishPacket,
  SubackPacket,
  SubscribePacket,
  UnsubackPacket,
  UnsubscribePacket,
} from "./packets.js";
import {
  checkedStringLength,
  type Properties,
  type PropertyContext,
  propertiesBodySize,
  varIntSize,
  WILL_CONTEXT,
  writeBinary,
  writeProperties,
  writeString,
  writeVarInt,
} from "./properties.js";
import { allowedReasonCodes } from "./reason-codes.js";
import { writeUtf8 } from "./utf8.js";

// Every encoder measures first, allocates once, then writes. Validation happens
// while measuring, so a bad packet throws before anything is allocated.

/**
 * Encode `packet` for a connection at protocol level `version` (3, 4 or 5) into
 * one new `Uint8Array`. Throws `InvalidPacketError` for a packet that cannot be
 * put on the wire (QoS 3, a missing packet id, wildcards in a PUBLISH topic, a
 * string over 65,535 bytes, a property not allowed in that packet, ...).
 * 5.0-only fields are ignored at levels 3 and 4.
 */
export function encode(packet: Packet, version: ProtocolVersion): Uint8Array {
  switch (packet.type) {
    case PacketType.CONNECT:
      return encodeConnect(packet);
    case PacketType.CONNACK:
      return encodeConnack(packet, version);
    case PacketType.PUBLISH:
      return encodePublish(packet, version);
    case PacketType.PUBACK:
    case PacketType.PUBREC:
    case PacketType.PUBREL:
    case PacketType.PUBCOMP:
      return encodeAck(packet.type, packet.packetId, packet.reasonCode, packet.properties, version);
    case PacketType.SUBSCRIBE:
      return encodeSubscribe(packet, version);
    case PacketType.SUBACK:
      return encodeSuback(packet, version);
    case PacketType.UNSUBSCRIBE:
      return encodeUnsubscribe(packet, version);
    case PacketType.UNSUBACK:
      return encodeUnsuback(packet, version);
    case PacketType.PINGREQ:
      return new Uint8Array([0xc0, 0]);
    case PacketType.PINGRESP:
      return new Uint8Array([0xd0, 0]);
    case PacketType.DISCONNECT:
      return encodeDisconnect(packet, version);
    case PacketType.AUTH:
      return encodeAuth(packet, version);
    default:
      throw new InvalidPacketError(`unknown packet type ${(packet as { type: unknown }).type}`);
  }
}

/**
 * `encode` for a 3.1 or 3.1.1 connection, typed so that a 5.0-only field
 * (properties, an acknowledgement's reason code, subscription options, AUTH) is
 * a compile error instead of being silently left out.
 */
export function encode311(packet: Packet311, version: 3 | 4 = 4): Uint8Array {
  return encode(packet as Packet, version);
}

/** `encode` for a 5.0 connection. */
export function encode5(packet: Packet5): Uint8Array {
  return encode(packet, 5);
}

/** Allocate a packet of `remaining` body bytes and write its fixed header; returns [buf, pos]. */
function allocate(first: number, remaining: number): [Uint8Array, number] {
  if (remaining > MAX_REMAINING_LENGTH)
    throw new InvalidPacketError(`packet body of ${remaining} bytes is too large`);
  const buf = allocUnsafe(1 + varIntSize(remaining) + remaining);
  buf[0] = first;
  return [buf, writeVarInt(buf, 1, remaining)];
}

/** A 4-byte packet (3.1.1 acknowledgements), from the slab. */
function fourBytes(a: number, b: number, c: number, d: number): Uint8Array {
  const buf = allocUnsafe(4);
  buf[0] = a;
  buf[1] = b;
  buf[2] = c;
  buf[3] = d;
  return buf;
}

function checkPacketId(id: number | undefined): number {
  if (typeof id !== "number" || !Number.isInteger(id) || id < 1 || id > 0xffff)
    throw new InvalidPacketError(`packet identifier must be 1..65535, got ${String(id)}`, {
      statement: "MQTT-2.3.1-1",
    });
  return id;
}

function checkQos(qos: unknown, what: string): number {
  if (qos !== 0 && qos !== 1 && qos !== 2)
    throw new InvalidPacketError(`${what} must be 0, 1 or 2, got ${String(qos)}`);
  return qos;
}

function checkBinary(value: Uint8Array, what: string): number {
  if (!(value instanceof Uint8Array)) throw new InvalidPacketError(`${what} must be a Uint8Array`);
  if (value.length > 0xffff) throw new InvalidPacketError(`${what} is longer than 65,535 bytes`);
  return value.length;
}

/** Checks `topic` is a string with no wildcard [MQTT-3.3.2-2]; returns its UTF-8 length (at most 65,535). */
function checkTopicName(topic: string, what: string): number {
  const length = checkedStringLength(topic, what);
  for (let i = 0; i < topic.length; i++) {
    const c = topic.charCodeAt(i);
    if (c === 0x2b || c === 0x23)
      throw new InvalidPacketError(`${what} must not contain wildcards`, { statement: "MQTT-3.3.2-2" });
  }
  return length;
}

function propsSize(props: Properties | undefined, context: PropertyContext): [number, number] {
  const body = propertiesBodySize(props, context);
  return [body, varIntSize(body) + body];
}

function encodeConnect(p: ConnectPacket): Uint8Array {
  const version = p.protocolVersion;
  if (version !== 3 && version !== 4 && version !== 5)
    throw new InvalidPacketError(`unsupported protocol version ${String(version)}`);
  const name = version === 3 ? "MQIsdp" : "MQTT";
  if (!Number.isInteger(p.keepAlive) || p.keepAlive < 0 || p.keepAlive > 0xffff)
    throw new InvalidPacketError("keepAlive must be 0..65535");
  let size = 2 + name.length + 1 + 1 + 2;
  let propBody = 0;
  if (version === 5) {
    // 5.0 section 3.1.2.11.10 (no id): Authentication Data needs an Authentication Method.
    if (p.properties?.authenticationData !== undefined && p.properties.authenticationMethod === undefined)
      throw new InvalidPacketError("authenticationData needs an authenticationMethod");
    const [body, total] = propsSize(p.properties, PacketType.CONNECT);
    propBody = body;
    size += total;
  }
  size += 2 + checkedStringLength(p.clientId, "client identifier");
  let willBody = 0;
  const will = p.will;
  if (will !== undefined) {
    checkQos(will.qos, "will QoS");
    const willTopicLength = checkTopicName(will.topic, "will topic");
    if (willTopicLength === 0)
      throw new InvalidPacketError("will topic must not be empty", { statement: "MQTT-4.7.3-1" });
    if (version === 5) {
      const [body, total] = propsSize(will.properties, WILL_CONTEXT);
      willBody = body;
      size += total;
    }
    size += 2 + willTopicLength + 2 + checkBinary(will.payload, "will payload");
  }
  if (p.username !== undefined) size += 2 + checkedStringLength(p.username, "user name");
  if (p.password !== undefined) {
    if (version !== 5 && p.username === undefined)
      throw new InvalidPacketError("a password needs a user name before MQTT 5.0", {
        statement: "MQTT-3.1.2-22",
      });
    size += 2 + checkBinary(p.password, "password");
  }
  let flags = p.clean ? 0x02 : 0;
  if (will !== undefined) flags |= 0x04 | (will.qos << 3) | (will.retain ? 0x20 : 0);
  if (p.password !== undefined) flags |= 0x40;
  if (p.username !== undefined) flags |= 0x80;
  let [buf, pos] = allocate(0x10, size);
  pos = writeString(buf, pos, name);
  // Mosquitto's bridge bit on 3.1/3.1.1 (see ConnectPacket.bridge).
  buf[pos++] = p.bridge === true && version !== 5 ? version | 0x80 : version;
  buf[pos++] = flags;
  buf[pos++] = p.keepAlive >> 8;
  buf[pos++] = p.keepAlive & 0xff;
  if (version === 5) pos = writeProperties(buf, pos, p.properties, propBody);
  pos = writeString(buf, pos, p.clientId);
  if (will !== undefined) {
    if (version === 5) pos = writeProperties(buf, pos, will.properties, willBody);
    pos = writeString(buf, pos, will.topic);
    pos = writeBinary(buf, pos, will.payload);
  }
  if (p.username !== undefined) pos = writeString(buf, pos, p.username);
  if (p.password !== undefined) writeBinary(buf, pos, p.password);
  return buf;
}

function encodeConnack(p: ConnackPacket, version: ProtocolVersion): Uint8Array {
  const code = p.reasonCode;
  if (version === 5 ? !allowedReasonCodes[PacketType.CONNACK]!.has(code) : !(code >= 0 && code <= 5))
    throw new InvalidPacketError(`CONNACK code ${String(code)} is not defined for this version`);
  if (p.sessionPresent && code !== 0)
    throw new InvalidPacketError("session present must be 0 on a refused connection", {
      statement: version === 5 ? "MQTT-3.2.2-6" : "MQTT-3.2.2-4",
    });
  let size = 2;
  let propBody = 0;
  if (version === 5) {
    const [body, total] = propsSize(p.properties, PacketType.CONNACK);
    propBody = body;
    size += total;
  }
  let [buf, pos] = allocate(0x20, size);
  buf[pos++] = p.sessionPresent && version !== 3 ? 1 : 0;
  buf[pos++] = code;
  if (version === 5) writeProperties(buf, pos, p.properties, propBody);
  return buf;
}

/** Measured shape of a PUBLISH, shared by `encode` and `PublishTemplate`. */
/** `withPacketId` false: a template's, whose packet id is patched in later (not checked here). */
function publishLayout(
  p: PublishPacket,
  version: ProtocolVersion,
  withPacketId = true,
): { size: number; propBody: number; first: number } {
  const qos = checkQos(p.qos, "PUBLISH QoS");
  if (qos > 0 && withPacketId) checkPacketId(p.packetId);
  const topicLength = checkTopicName(p.topic, "PUBLISH topic");
  if (!(p.payload instanceof Uint8Array))
    throw new InvalidPacketError("PUBLISH payload must be a Uint8Array");
  if (p.dup && qos === 0)
    throw new InvalidPacketError("DUP must be 0 for QoS 0", { statement: "MQTT-3.3.1-2" });
  let size = 2 + topicLength + (qos > 0 ? 2 : 0) + p.payload.length;
  let propBody = 0;
  if (version === 5) {
    const [body, total] = propsSize(p.properties, PacketType.PUBLISH);
    propBody = body;
    size += total;
    if (topicLength === 0 && p.properties?.topicAlias === undefined)
      throw new InvalidPacketError("an empty topic needs a topic alias", { statement: "MQTT-3.3.2-1" });
  } else if (topicLength === 0) {
    throw new InvalidPacketError("PUBLISH topic must not be empty", { statement: "MQTT-4.7.3-1" });
  }
  const first = 0x30 | (p.dup ? 8 : 0) | (qos << 1) | (p.retain ? 1 : 0);
  return { size, propBody, first };
}

function writePublish(
  p: PublishPacket,
  version: ProtocolVersion,
  layout: { size: number; propBody: number; first: number },
  packetId: number,
): [Uint8Array, number] {
  let [buf, pos] = allocate(layout.first, layout.size);
  pos = writeString(buf, pos, p.topic);
  let idOffset = -1;
  if (p.qos > 0) {
    idOffset = pos;
    buf[pos++] = packetId >> 8;
    buf[pos++] = packetId & 0xff;
  }
  if (version === 5) pos = writeProperties(buf, pos, p.properties, layout.propBody);
  buf.set(p.payload, pos);
  return [buf, idOffset];
}

function encodePublish(p: PublishPacket, version: ProtocolVersion): Uint8Array {
  if (version !== 5 || p.properties === undefined) return encodePlainPublish(p, version);
  const layout = publishLayout(p, version);
  return writePublish(p, version, layout, p.packetId ?? 0)[0];
}

/**
 * The hot path: a PUBLISH without properties, measured and written in one
 * function with no intermediate objects. Same checks as `publishLayout`.
 */
function encodePlainPublish(p: PublishPacket, version: ProtocolVersion): Uint8Array {
  // Each field is loaded once: after a broker has passed PUBLISH objects of many
  // shapes, every load here is a megamorphic lookup, so fewer loads, less cost.
  const qos = p.qos;
  const dup = p.dup;
  const retain = p.retain;
  const topic = p.topic;
  const payload = p.payload;
  const packetId = qos > 0 ? p.packetId : 0;
  if (qos !== 0 && qos !== 1 && qos !== 2) checkQos(qos, "PUBLISH QoS");
  if (qos > 0) checkPacketId(packetId);
  else if (dup) throw new InvalidPacketError("DUP must be 0 for QoS 0", { statement: "MQTT-3.3.1-2" });
  if (typeof topic !== "string") throw new InvalidPacketError("PUBLISH topic must be a string");
  if (!(payload instanceof Uint8Array)) throw new InvalidPacketError("PUBLISH payload must be a Uint8Array");
  // Topic length and wildcard check in one pass; ASCII is the common case. On the
  // first non-ASCII character the full check takes over, wildcards included.
  let topicLength = 0;
  const n = topic.length;
  for (let i = 0; i < n; i++) {
    const c = topic.charCodeAt(i);
    if (c >= 0x80 || c === 0) {
      topicLength = -1;
      break;
    }
    if (c === 0x2b || c === 0x23)
      throw new InvalidPacketError("PUBLISH topic must not contain wildcards", { statement: "MQTT-3.3.2-2" });
    topicLength++;
  }
  if (topicLength < 0) topicLength = checkTopicName(topic, "PUBLISH topic");
  else if (topicLength > 0xffff) throw new InvalidPacketError("PUBLISH topic is longer than 65,535 bytes");
  if (topicLength === 0) {
    if (version === 5) throw new InvalidPacketError("an empty topic needs a topic alias");
    throw new InvalidPacketError("PUBLISH topic must not be empty", { statement: "MQTT-4.7.3-1" });
  }
  const remaining = 2 + topicLength + (qos > 0 ? 2 : 0) + (version === 5 ? 1 : 0) + payload.length;
  if (remaining > MAX_REMAINING_LENGTH)
    throw new InvalidPacketError(`packet body of ${remaining} bytes is too large`);
  const buf = allocUnsafe(1 + varIntSize(remaining) + remaining);
  buf[0] = 0x30 | (dup ? 8 : 0) | (qos << 1) | (retain ? 1 : 0);
  let pos = writeVarInt(buf, 1, remaining);
  buf[pos++] = topicLength >> 8;
  buf[pos++] = topicLength & 0xff;
  if (topicLength === n) {
    for (let i = 0; i < n; i++) buf[pos++] = topic.charCodeAt(i);
  } else {
    pos = writeUtf8(buf, pos, topic);
  }
  if (qos > 0) {
    buf[pos++] = packetId! >> 8;
    buf[pos++] = packetId! & 0xff;
  }
  if (version === 5) buf[pos++] = 0; // property length 0 [MQTT-2.2.2-1]
  buf.set(payload, pos);
  return buf;
}

/**
 * A PUBLISH encoded once and shared by many receivers: a broker forwarding one
 * message to N subscribers of the same shape (version, QoS, retain) encodes it
 * once and patches only the packet id (and DUP) per copy.
 */
export class PublishTemplate {
  /** The encoded packet with packet id 0 (QoS 1/2) or the final bytes (QoS 0). */
  readonly bytes: Uint8Array;
  /** Offset of the two packet id bytes, or -1 at QoS 0. */
  readonly packetIdOffset: number;

  /** Encode `packet` (its `packetId` is ignored) for `version`. */
  constructor(packet: PublishPacket, version: ProtocolVersion) {
    // No copy with a placeholder id (`{ ...packet, packetId: 1 }`): a spread followed
    // by a new key takes V8's slow path on Node 20, about 0.5 us per routed message.
    const layout = publishLayout(packet, version, false);
    const [buf, idOffset] = writePublish(packet, version, layout, 0);
    this.bytes = buf;
    this.packetIdOffset = idOffset;
  }

  /**
   * The bytes for one receiver. At QoS 0 this is the shared `bytes` itself (do
   * not mutate it); at QoS 1/2 a copy with `packetId` (and DUP when `dup`) set.
   */
  forPacketId(packetId: number, dup = false): Uint8Array {
    if (this.packetIdOffset < 0) return this.bytes;
    checkPacketId(packetId);
    const copy = this.bytes.slice();
    copy[this.packetIdOffset] = packetId >> 8;
    copy[this.packetIdOffset + 1] = packetId & 0xff;
    if (dup) copy[0]! |= 0x08;
    return copy;
  }
}

function encodeAck(
  type: 4 | 5 | 6 | 7,
  packetId: number,
  reasonCode: number | undefined,
  props: Properties | undefined,
  version: ProtocolVersion,
): Uint8Array {
  checkPacketId(packetId);
  const first = (type << 4) | (type === PacketType.PUBREL ? 2 : 0);
  const code = reasonCode ?? 0;
  if (version !== 5) {
    return fourBytes(first, 2, packetId >> 8, packetId & 0xff);
  }
  if (!allowedReasonCodes[type]!.has(code))
    throw new InvalidPacketError(`reason code 0x${code.toString(16)} is not defined for packet type ${type}`);
  const propBody = propertiesBodySize(props, type);
  // 5.0 sections 3.4.2.1 and on: the reason code may be left out when it is 0x00
  // and there are no properties; the property length when there are none.
  const size = propBody === 0 ? (code === 0 ? 2 : 3) : 3 + varIntSize(propBody) + propBody;
  let [buf, pos] = allocate(first, size);
  buf[pos++] = packetId >> 8;
  buf[pos++] = packetId & 0xff;
  if (size > 2) buf[pos++] = code;
  if (propBody > 0) writeProperties(buf, pos, props, propBody);
  return buf;
}

function encodeSubscribe(p: SubscribePacket, version: ProtocolVersion): Uint8Array {
  checkPacketId(p.packetId);
  if (!Array.isArray(p.subscriptions) || p.subscriptions.length === 0)
    throw new InvalidPacketError("SUBSCRIBE needs at least one topic filter", {
      statement: version === 5 ? "MQTT-3.8.3-2" : "MQTT-3.8.3-3",
    });
  let size = 2;
  let propBody = 0;
  if (version === 5) {
    const [body, total] = propsSize(p.properties, PacketType.SUBSCRIBE);
    propBody = body;
    size += total;
  }
  for (const s of p.subscriptions) {
    checkQos(s.qos, "subscription QoS");
    if (
      s.retainHandling !== undefined &&
      s.retainHandling !== 0 &&
      s.retainHandling !== 1 &&
      s.retainHandling !== 2
    )
      throw new InvalidPacketError("retainHandling must be 0, 1 or 2");
    size += 2 + checkedStringLength(s.topicFilter, "topic filter") + 1;
  }
  let [buf, pos] = allocate(0x82, size);
  buf[pos++] = p.packetId >> 8;
  buf[pos++] = p.packetId & 0xff;
  if (version === 5) pos = writeProperties(buf, pos, p.properties, propBody);
  for (const s of p.subscriptions) {
    pos = writeString(buf, pos, s.topicFilter);
    let options = s.qos;
    if (version === 5) {
      if (s.noLocal) options |= 0x04;
      if (s.retainAsPublished) options |= 0x08;
      options |= (s.retainHandling ?? 0) << 4;
    }
    buf[pos++] = options;
  }
  return buf;
}

function encodeSuback(p: SubackPacket, version: ProtocolVersion): Uint8Array {
  checkPacketId(p.packetId);
  if (p.reasonCodes.length === 0) throw new InvalidPacketError("SUBACK needs at least one reason code");
  const allowed = allowedReasonCodes[PacketType.SUBACK]!;
  for (const c of p.reasonCodes) {
    if (version === 5 ? !allowed.has(c) : !(c === 0 || c === 1 || c === 2 || c === 0x80))
      throw new InvalidPacketError(`SUBACK code ${String(c)} is not defined for this version`);
  }
  let size = 2 + p.reasonCodes.length;
  let propBody = 0;
  if (version === 5) {
    const [body, total] = propsSize(p.properties, PacketType.SUBACK);
    propBody = body;
    size += total;
  }
  let [buf, pos] = allocate(0x90, size);
  buf[pos++] = p.packetId >> 8;
  buf[pos++] = p.packetId & 0xff;
  if (version === 5) pos = writeProperties(buf, pos, p.properties, propBody);
  buf.set(p.reasonCodes, pos);
  return buf;
}

function encodeUnsubscribe(p: UnsubscribePacket, version: ProtocolVersion): Uint8Array {
  checkPacketId(p.packetId);
  if (!Array.isArray(p.topicFilters) || p.topicFilters.length === 0)
    throw new InvalidPacketError("UNSUBSCRIBE needs at least one topic filter", {
      statement: "MQTT-3.10.3-2",
    });
  let size = 2;
  let propBody = 0;
  if (version === 5) {
    const [body, total] = propsSize(p.properties, PacketType.UNSUBSCRIBE);
    propBody = body;
    size += total;
  }
  for (const f of p.topicFilters) size += 2 + checkedStringLength(f, "topic filter");
  let [buf, pos] = allocate(0xa2, size);
  buf[pos++] = p.packetId >> 8;
  buf[pos++] = p.packetId & 0xff;
  if (version === 5) pos = writeProperties(buf, pos, p.properties, propBody);
  for (const f of p.topicFilters) pos = writeString(buf, pos, f);
  return buf;
}

function encodeUnsuback(p: UnsubackPacket, version: ProtocolVersion): Uint8Array {
  checkPacketId(p.packetId);
  if (version !== 5) return fourBytes(0xb0, 2, p.packetId >> 8, p.packetId & 0xff);
  const codes = p.reasonCodes ?? [];
  if (codes.length === 0)
    throw new InvalidPacketError("a 5.0 UNSUBACK needs one reason code per filter", {
      statement: "MQTT-3.11.3-1",
    });
  const allowed = allowedReasonCodes[PacketType.UNSUBACK]!;
  for (const c of codes) {
    if (!allowed.has(c)) throw new InvalidPacketError(`UNSUBACK code ${String(c)} is not defined`);
  }
  const [propBody, propTotal] = propsSize(p.properties, PacketType.UNSUBACK);
  let [buf, pos] = allocate(0xb0, 2 + propTotal + codes.length);
  buf[pos++] = p.packetId >> 8;
  buf[pos++] = p.packetId & 0xff;
  pos = writeProperties(buf, pos, p.properties, propBody);
  buf.set(codes, pos);
  return buf;
}

/** DISCONNECT and AUTH share the 5.0 layout: optional reason code, optional properties. */
function encodeReasonAndProperties(
  first: number,
  type: 14 | 15,
  reasonCode: number | undefined,
  props: Properties | undefined,
): Uint8Array {
  const code = reasonCode ?? 0;
  if (!allowedReasonCodes[type]!.has(code))
    throw new InvalidPacketError(`reason code 0x${code.toString(16)} is not defined for packet type ${type}`);
  const propBody = propertiesBodySize(props, type);
  // The reason code and property length may be left out for 0x00 with no properties
  // (5.0 sections 3.14.2.1 and 3.15.2.1).
  const size = propBody === 0 ? (code === 0 ? 0 : 1) : 1 + varIntSize(propBody) + propBody;
  let [buf, pos] = allocate(first, size);
  if (size > 0) buf[pos++] = code;
  if (propBody > 0) writeProperties(buf, pos, props, propBody);
  return buf;
}

function encodeDisconnect(p: DisconnectPacket, version: ProtocolVersion): Uint8Array {
  if (version !== 5) return new Uint8Array([0xe0, 0]);
  return encodeReasonAndProperties(0xe0, PacketType.DISCONNECT, p.reasonCode, p.properties);
}

function encodeAuth(p: AuthPacket, version: ProtocolVersion): Uint8Array {
  if (version !== 5) throw new InvalidPacketError("AUTH exists only in MQTT 5.0");
  return encodeReasonAndProperties(0xf0, PacketType.AUTH, p.reasonCode, p.properties);
}
