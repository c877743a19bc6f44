import { MAX_VARIABLE_BYTE_INTEGER, PacketType, packetTypeNames } from "./constants.js";
import { InvalidPacketError, MalformedPacketError, ProtocolError } from "./errors.js";
import type { Reader } from "./reader.js";
import { utf8Length, writeUtf8 } from "./utf8.js";

/** A 5.0 user property: a name/value pair; order is kept and names may repeat. */
export type UserProperty = [name: string, value: string];

/** Every MQTT 5.0 property (section 2.2.2.2) by its camelCase name. */
export interface Properties {
  /** 0x01, PUBLISH and will: 0 unspecified bytes, 1 UTF-8 text. */
  payloadFormatIndicator?: 0 | 1;
  /** 0x02, PUBLISH and will: lifetime in seconds. */
  messageExpiryInterval?: number;
  /** 0x03, PUBLISH and will: MIME type of the payload. */
  contentType?: string;
  /** 0x08, PUBLISH and will: topic for a response. */
  responseTopic?: string;
  /** 0x09, PUBLISH and will: correlation data of a request. */
  correlationData?: Uint8Array;
  /** 0x0B in SUBSCRIBE: the identifier of the subscription (1..268,435,455). */
  subscriptionIdentifier?: number;
  /** 0x0B in PUBLISH: identifiers of every matching subscription. */
  subscriptionIdentifiers?: number[];
  /** 0x11, CONNECT, CONNACK, DISCONNECT: seconds the session outlives the connection. */
  sessionExpiryInterval?: number;
  /** 0x12, CONNACK: client id chosen by the server. */
  assignedClientIdentifier?: string;
  /** 0x13, CONNACK: keep alive the client must use. */
  serverKeepAlive?: number;
  /** 0x15, CONNECT, CONNACK, AUTH: enhanced authentication method. */
  authenticationMethod?: string;
  /** 0x16, CONNECT, CONNACK, AUTH: authentication data. */
  authenticationData?: Uint8Array;
  /** 0x17, CONNECT: 0 or 1. */
  requestProblemInformation?: 0 | 1;
  /** 0x18, will: seconds to wait before publishing the will. */
  willDelayInterval?: number;
  /** 0x19, CONNECT: 0 or 1. */
  requestResponseInformation?: 0 | 1;
  /** 0x1A, CONNACK: basis for response topics. */
  responseInformation?: string;
  /** 0x1C, CONNACK, DISCONNECT: another server to use. */
  serverReference?: string;
  /** 0x1F, acknowledgements, DISCONNECT, AUTH: human readable diagnostic. */
  reasonString?: string;
  /** 0x21, CONNECT, CONNACK: in-flight QoS 1/2 limit (1..65535). */
  receiveMaximum?: number;
  /** 0x22, CONNECT, CONNACK: highest topic alias accepted. */
  topicAliasMaximum?: number;
  /** 0x23, PUBLISH: topic alias (1..65535). */
  topicAlias?: number;
  /** 0x24, CONNACK: 0 or 1 (absent means 2). */
  maximumQos?: 0 | 1;
  /** 0x25, CONNACK: 0 or 1. */
  retainAvailable?: 0 | 1;
  /** 0x26, most packets: user properties in order. */
  userProperties?: UserProperty[];
  /** 0x27, CONNECT, CONNACK: largest packet accepted (1..2^32-1). */
  maximumPacketSize?: number;
  /** 0x28, CONNACK: 0 or 1. */
  wildcardSubscriptionAvailable?: 0 | 1;
  /** 0x29, CONNACK: 0 or 1. */
  subscriptionIdentifiersAvailable?: 0 | 1;
  /** 0x2A, CONNACK: 0 or 1. */
  sharedSubscriptionAvailable?: 0 | 1;
}

/** Properties allowed in CONNECT. */
export type ConnectProperties = Pick<
  Properties,
  | "sessionExpiryInterval"
  | "authenticationMethod"
  | "authenticationData"
  | "requestProblemInformation"
  | "requestResponseInformation"
  | "receiveMaximum"
  | "topicAliasMaximum"
  | "userProperties"
  | "maximumPacketSize"
>;
/** Properties allowed in CONNACK. */
export type ConnackProperties = Pick<
  Properties,
  | "sessionExpiryInterval"
  | "assignedClientIdentifier"
  | "serverKeepAlive"
  | "authenticationMethod"
  | "authenticationData"
  | "responseInformation"
  | "serverReference"
  | "reasonString"
  | "receiveMaximum"
  | "topicAliasMaximum"
  | "maximumQos"
  | "retainAvailable"
  | "userProperties"
  | "maximumPacketSize"
  | "wildcardSubscriptionAvailable"
  | "subscriptionIdentifiersAvailable"
  | "sharedSubscriptionAvailable"
>;
/** Properties allowed in PUBLISH. */
export type PublishProperties = Pick<
  Properties,
  | "payloadFormatIndicator"
  | "messageExpiryInterval"
  | "contentType"
  | "responseTopic"
  | "correlationData"
  | "subscriptionIdentifiers"
  | "topicAlias"
  | "userProperties"
>;
/** Properties allowed in the will of a CONNECT. */
export type WillProperties = Pick<
  Properties,
  | "payloadFormatIndicator"
  | "messageExpiryInterval"
  | "contentType"
  | "responseTopic"
  | "correlationData"
  | "willDelayInterval"
  | "userProperties"
>;
/** Properties allowed in PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK and UNSUBACK. */
export type AckProperties = Pick<Properties, "reasonString" | "userProperties">;
/** Properties allowed in SUBSCRIBE. */
export type SubscribeProperties = Pick<Properties, "subscriptionIdentifier" | "userProperties">;
/** Properties allowed in UNSUBSCRIBE. */
export type UnsubscribeProperties = Pick<Properties, "userProperties">;
/** Properties allowed in DISCONNECT. */
export type DisconnectProperties = Pick<
  Properties,
  "sessionExpiryInterval" | "serverReference" | "reasonString" | "userProperties"
>;
/** Properties allowed in AUTH. */
export type AuthProperties = Pick<
  Properties,
  "authenticationMethod" | "authenticationData" | "reasonString" | "userProperties"
>;

/** Where a property list sits: a packet type, or the will inside CONNECT. */
export type PropertyContext = PacketType | typeof WILL_CONTEXT;
/** Context value for the will properties of CONNECT (type 0 is reserved, so free). */
export const WILL_CONTEXT = 0;

const enum Kind {
  Byte,
  TwoByte,
  FourByte,
  VarInt,
  String,
  Binary,
  Pair,
}

interface PropertyInfo {
  id: number;
  name: keyof Properties;
  kind: Kind;
  /** Bit set of contexts (1 << context) where the property may appear. */
  where: number;
  /** Smallest allowed value for integer properties, checked on decode and encode. */
  min?: number;
  /** Largest allowed value for byte properties. */
  max?: number;
}

const W = 1 << WILL_CONTEXT;
const P = (t: PacketType) => 1 << t;
const ACKS = P(4) | P(5) | P(6) | P(7) | P(9) | P(11);

const table: PropertyInfo[] = [
  { id: 0x01, name: "payloadFormatIndicator", kind: Kind.Byte, where: P(3) | W, max: 1 },
  { id: 0x02, name: "messageExpiryInterval", kind: Kind.FourByte, where: P(3) | W },
  { id: 0x03, name: "contentType", kind: Kind.String, where: P(3) | W },
  { id: 0x08, name: "responseTopic", kind: Kind.String, where: P(3) | W },
  { id: 0x09, name: "correlationData", kind: Kind.Binary, where: P(3) | W },
  { id: 0x0b, name: "subscriptionIdentifier", kind: Kind.VarInt, where: P(3) | P(8), min: 1 },
  { id: 0x11, name: "sessionExpiryInterval", kind: Kind.FourByte, where: P(1) | P(2) | P(14) },
  { id: 0x12, name: "assignedClientIdentifier", kind: Kind.String, where: P(2) },
  { id: 0x13, name: "serverKeepAlive", kind: Kind.TwoByte, where: P(2) },
  { id: 0x15, name: "authenticationMethod", kind: Kind.String, where: P(1) | P(2) | P(15) },
  { id: 0x16, name: "authenticationData", kind: Kind.Binary, where: P(1) | P(2) | P(15) },
  { id: 0x17, name: "requestProblemInformation", kind: Kind.Byte, where: P(1), max: 1 },
  { id: 0x18, name: "willDelayInterval", kind: Kind.FourByte, where: W },
  { id: 0x19, name: "requestResponseInformation", kind: Kind.Byte, where: P(1), max: 1 },
  { id: 0x1a, name: "responseInformation", kind: Kind.String, where: P(2) },
  { id: 0x1c, name: "serverReference", kind: Kind.String, where: P(2) | P(14) },
  { id: 0x1f, name: "reasonString", kind: Kind.String, where: P(2) | ACKS | P(14) | P(15) },
  { id: 0x21, name: "receiveMaximum", kind: Kind.TwoByte, where: P(1) | P(2), min: 1 },
  { id: 0x22, name: "topicAliasMaximum", kind: Kind.TwoByte, where: P(1) | P(2) },
  { id: 0x23, name: "topicAlias", kind: Kind.TwoByte, where: P(3), min: 1 },
  { id: 0x24, name: "maximumQos", kind: Kind.Byte, where: P(2), max: 1 },
  { id: 0x25, name: "retainAvailable", kind: Kind.Byte, where: P(2), max: 1 },
  {
    id: 0x26,
    name: "userProperties",
    kind: Kind.Pair,
    where: P(1) | P(2) | P(3) | W | ACKS | P(8) | P(10) | P(14) | P(15),
  },
  { id: 0x27, name: "maximumPacketSize", kind: Kind.FourByte, where: P(1) | P(2), min: 1 },
  { id: 0x28, name: "wildcardSubscriptionAvailable", kind: Kind.Byte, where: P(2), max: 1 },
  { id: 0x29, name: "subscriptionIdentifiersAvailable", kind: Kind.Byte, where: P(2), max: 1 },
  { id: 0x2a, name: "sharedSubscriptionAvailable", kind: Kind.Byte, where: P(2), max: 1 },
];

const byId: (PropertyInfo | undefined)[] = [];
const byName = new Map<string, PropertyInfo>();
for (const info of table) {
  byId[info.id] = info;
  byName.set(info.name, info);
}
byName.set("subscriptionIdentifiers", byId[0x0b]!);

function contextName(ctx: number): string {
  return ctx === WILL_CONTEXT ? "will properties" : (packetTypeNames[ctx] ?? "?");
}

/**
 * Read a property list (length, then properties) for `context`. Returns
 * `undefined` for an empty list. A property not allowed in the context, an
 * unknown identifier is a Malformed Packet (5.0 section 2.2.2.2); a property
 * given twice where only one is allowed, or a value out of its range, is a
 * Protocol Error (the per-property sections; the spec gives these no ids).
 * @internal
 */
export function readProperties(r: Reader, context: PropertyContext): Properties | undefined {
  const length = r.varInt("property length");
  if (length === 0) return undefined;
  if (length > r.remaining) throw new MalformedPacketError(`property length ${length} exceeds the packet`);
  const end = r.pos + length;
  const outerEnd = r.end;
  r.end = end;
  const props: Record<string, unknown> = {};
  let seen = 0n;
  while (r.pos < end) {
    const id = r.varInt("property identifier");
    const info = byId[id];
    if (info === undefined)
      throw new MalformedPacketError(`unknown property identifier 0x${id.toString(16)}`);
    if ((info.where & (1 << context)) === 0)
      throw new MalformedPacketError(`property ${info.name} is not allowed in ${contextName(context)}`);
    const value = readValue(r, info);
    if (info.kind === Kind.Pair) {
      const list = (props.userProperties as UserProperty[] | undefined) ?? [];
      list.push(value as UserProperty);
      props.userProperties = list;
      continue;
    }
    // Receive Maximum, Maximum Packet Size and Subscription Identifier 0 are Protocol
    // Errors (5.0 sections 3.1.2.11.3, 3.1.2.11.4, 3.8.2.1.2; no ids); a Topic Alias 0
    // breaks [MQTT-3.3.2-8] and is answered with 0x94 Topic Alias invalid (section 3.3.4).
    if (info.min !== undefined && (value as number) < info.min) {
      throw info.id === 0x23
        ? new ProtocolError("topic alias 0", { statement: "MQTT-3.3.2-8", reasonCode: 0x94 })
        : new ProtocolError(`property ${info.name} must not be ${value}`);
    }
    // Byte flags other than 0 or 1 are Protocol Errors (sections 3.1.2.11.6-7, 3.2.2.3.x; no ids).
    if (info.max !== undefined && (value as number) > info.max)
      throw new ProtocolError(`property ${info.name} must be 0 or 1, got ${value}`);
    if (info.id === 0x08 && /[+#]/.test(value as string))
      throw new ProtocolError("response topic contains a wildcard", { statement: "MQTT-3.3.2-14" });
    if (info.id === 0x0b && context === PacketType.PUBLISH) {
      // PUBLISH may carry one subscription identifier per matching subscription.
      const list = (props.subscriptionIdentifiers as number[] | undefined) ?? [];
      list.push(value as number);
      props.subscriptionIdentifiers = list;
      continue;
    }
    const bit = 1n << BigInt(id);
    if ((seen & bit) !== 0n) throw new ProtocolError(`property ${info.name} appears more than once`);
    seen |= bit;
    props[info.name] = value;
  }
  r.end = outerEnd;
  if (r.pos !== end) throw new MalformedPacketError("property list overruns its length");
  return props as Properties;
}

function readValue(r: Reader, info: PropertyInfo): unknown {
  switch (info.kind) {
    case Kind.Byte:
      return r.u8(info.name);
    case Kind.TwoByte:
      return r.u16(info.name);
    case Kind.FourByte:
      return r.u32(info.name);
    case Kind.VarInt:
      return r.varInt(info.name);
    case Kind.String:
      return r.utf8(info.name);
    case Kind.Binary:
      return r.binary(info.name);
    case Kind.Pair:
      return [r.utf8("user property name"), r.utf8("user property value")];
  }
}

/**
 * Encoded size of the property list for `context`, length prefix included.
 * Throws `InvalidPacketError` for a property not allowed there or a value out
 * of range.
 * @internal
 */
export function propertiesSize(props: Properties | undefined, context: PropertyContext): number {
  const body = propertiesBodySize(props, context);
  return varIntSize(body) + body;
}

/** Size of the properties without their length prefix. @internal */
export function propertiesBodySize(props: Properties | undefined, context: PropertyContext): number {
  if (props === undefined) return 0;
  let size = 0;
  for (const key in props) {
    const value = (props as Record<string, unknown>)[key];
    if (value === undefined) continue;
    const info = byName.get(key);
    if (info === undefined) throw new InvalidPacketError(`unknown property ${key}`);
    if ((info.where & (1 << context)) === 0)
      throw new InvalidPacketError(`property ${key} is not allowed in ${contextName(context)}`);
    if (info.kind === Kind.Pair) {
      if (!Array.isArray(value))
        throw new InvalidPacketError("userProperties must be an array of [name, value]");
      for (const pair of value as UserProperty[]) {
        if (!Array.isArray(pair) || pair.length !== 2)
          throw new InvalidPacketError("a user property must be a [name, value] pair");
        // Both are UTF-8 Strings (5.0 section 1.5.7): at most 65,535 bytes each.
        size +=
          1 +
          2 +
          checkedStringLength(pair[0], "user property name") +
          2 +
          checkedStringLength(pair[1], "user property value");
      }
    } else if (key === "subscriptionIdentifiers") {
      if (context !== PacketType.PUBLISH)
        throw new InvalidPacketError("subscriptionIdentifiers belongs to PUBLISH");
      for (const id of value as number[])
        size += 1 + varIntSize(checkInt(info, id, 1, MAX_VARIABLE_BYTE_INTEGER));
    } else {
      if (key === "subscriptionIdentifier" && context === PacketType.PUBLISH)
        throw new InvalidPacketError("PUBLISH carries subscriptionIdentifiers (a list)");
      size += 1 + valueSize(info, value);
    }
  }
  return size;
}

function checkInt(info: PropertyInfo, value: unknown, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max)
    throw new InvalidPacketError(
      `property ${info.name} must be an integer in ${min}..${max}, got ${String(value)}`,
    );
  return value;
}

function valueSize(info: PropertyInfo, value: unknown): number {
  const min = info.min ?? 0;
  switch (info.kind) {
    case Kind.Byte:
      checkInt(info, value, min, info.max ?? 0xff);
      return 1;
    case Kind.TwoByte:
      checkInt(info, value, min, 0xffff);
      return 2;
    case Kind.FourByte:
      checkInt(info, value, min, 0xffffffff);
      return 4;
    case Kind.VarInt:
      return varIntSize(checkInt(info, value, min, MAX_VARIABLE_BYTE_INTEGER));
    case Kind.String:
      if (info.id === 0x08 && /[+#]/.test(value as string))
        throw new InvalidPacketError("responseTopic must not contain wildcards", {
          statement: "MQTT-3.3.2-14",
        });
      return 2 + checkedStringLength(value as string, info.name);
    case Kind.Binary:
      if (!(value instanceof Uint8Array))
        throw new InvalidPacketError(`property ${info.name} must be a Uint8Array`);
      if (value.length > 0xffff)
        throw new InvalidPacketError(`property ${info.name} is longer than 65,535 bytes`);
      return 2 + value.length;
    case Kind.Pair:
      return 0;
  }
}

/** UTF-8 length of a string field, checked against the 65,535-byte limit. @internal */
export function checkedStringLength(value: string, what: string): number {
  if (typeof value !== "string") throw new InvalidPacketError(`${what} must be a string`);
  const n = utf8Length(value);
  if (n > 0xffff) throw new InvalidPacketError(`${what} is longer than 65,535 bytes`);
  return n;
}

/** Bytes needed for `value` as a Variable Byte Integer. @internal */
export function varIntSize(value: number): number {
  return value < 128 ? 1 : value < 16_384 ? 2 : value < 2_097_152 ? 3 : 4;
}

/** Write a Variable Byte Integer; returns the new position. @internal */
export function writeVarInt(buf: Uint8Array, pos: number, value: number): number {
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    buf[pos++] = byte;
  } while (value > 0);
  return pos;
}

/** Write a two-byte length and the UTF-8 bytes of `str`; returns the new position. @internal */
export function writeString(buf: Uint8Array, pos: number, str: string): number {
  const end = writeUtf8(buf, pos + 2, str);
  const len = end - pos - 2;
  buf[pos] = len >> 8;
  buf[pos + 1] = len & 0xff;
  return end;
}

/** Write a two-byte length and `bytes`; returns the new position. @internal */
export function writeBinary(buf: Uint8Array, pos: number, bytes: Uint8Array): number {
  buf[pos] = bytes.length >> 8;
  buf[pos + 1] = bytes.length & 0xff;
  buf.set(bytes, pos + 2);
  return pos + 2 + bytes.length;
}

/**
 * Write the property list (length prefix + properties), already validated and
 * measured by `propertiesBodySize` as `bodySize`. Returns the new position.
 * @internal
 */
export function writeProperties(
  buf: Uint8Array,
  pos: number,
  props: Properties | undefined,
  bodySize: number,
): number {
  pos = writeVarInt(buf, pos, bodySize);
  if (props === undefined) return pos;
  for (const key in props) {
    const value = (props as Record<string, unknown>)[key];
    if (value === undefined) continue;
    const info = byName.get(key)!;
    if (info.kind === Kind.Pair) {
      for (const pair of value as UserProperty[]) {
        buf[pos++] = info.id;
        pos = writeString(buf, pos, pair[0]);
        pos = writeString(buf, pos, pair[1]);
      }
    } else if (key === "subscriptionIdentifiers") {
      for (const id of value as number[]) {
        buf[pos++] = info.id;
        pos = writeVarInt(buf, pos, id);
      }
    } else {
      buf[pos++] = info.id;
      pos = writeValue(buf, pos, info, value);
    }
  }
  return pos;
}

function writeValue(buf: Uint8Array, pos: number, info: PropertyInfo, value: unknown): number {
  switch (info.kind) {
    case Kind.Byte:
      buf[pos] = value as number;
      return pos + 1;
    case Kind.TwoByte:
      buf[pos] = (value as number) >> 8;
      buf[pos + 1] = (value as number) & 0xff;
      return pos + 2;
    case Kind.FourByte: {
      const v = value as number;
      buf[pos] = v >>> 24;
      buf[pos + 1] = (v >>> 16) & 0xff;
      buf[pos + 2] = (v >>> 8) & 0xff;
      buf[pos + 3] = v & 0xff;
      return pos + 4;
    }
    case Kind.VarInt:
      return writeVarInt(buf, pos, value as number);
    case Kind.String:
      return writeString(buf, pos, value as string);
    case Kind.Binary:
      return writeBinary(buf, pos, value as Uint8Array);
    case Kind.Pair:
      return pos;
  }
}
