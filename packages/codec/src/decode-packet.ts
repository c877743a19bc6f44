import { ConnackReturnCode, PacketType, type ProtocolVersion, type QoS } from "./constants.js";
import { MalformedPacketError, ProtocolError, UnsupportedProtocolVersionError } from "./errors.js";
import type {
  AuthPacket,
  ConnackPacket,
  ConnectPacket,
  DisconnectPacket,
  Packet,
  PublishPacket,
  SubackPacket,
  SubscribePacket,
  Subscription,
  UnsubackPacket,
  UnsubscribePacket,
  Will,
} from "./packets.js";
import { readProperties, WILL_CONTEXT } from "./properties.js";
import { Reader } from "./reader.js";
import { allowedReasonCodes } from "./reason-codes.js";
import { checkTopicFilterSyntax } from "./topic-filter.js";

/** Packet types whose flag rule has its own statement id (same in 3.1.1 and 5.0). */
const flagStatements: Record<number, string> = {
  [PacketType.PUBREL]: "MQTT-3.6.1-1",
  [PacketType.SUBSCRIBE]: "MQTT-3.8.1-1",
  [PacketType.UNSUBSCRIBE]: "MQTT-3.10.1-1",
  [PacketType.DISCONNECT]: "MQTT-3.14.1-1",
  [PacketType.AUTH]: "MQTT-3.15.1-1",
};

/** Statement id by version: `ids[0]` for 3.1/3.1.1, `ids[1]` for 5.0. */
function sid(v5: boolean, v311: string, v50: string): string {
  return v5 ? v50 : v311;
}

/**
 * Check the fixed header flags of `type` ([MQTT-2.2.2-1] in 3.1.1, [MQTT-2.1.3-1]
 * in 5.0): PUBREL, SUBSCRIBE and UNSUBSCRIBE carry 0b0010, PUBLISH its own
 * flags, every other packet 0.
 * @internal
 */
export function checkFlags(type: number, flags: number, version: ProtocolVersion): void {
  const v5 = version === 5;
  if (type === PacketType.PUBLISH) {
    const qos = (flags >> 1) & 3;
    if (qos === 3) throw new MalformedPacketError("PUBLISH with QoS 3", { statement: "MQTT-3.3.1-4" });
    if (qos === 0 && (flags & 8) !== 0)
      throw new MalformedPacketError("PUBLISH with DUP set at QoS 0", { statement: "MQTT-3.3.1-2" });
    return;
  }
  const expected =
    type === PacketType.PUBREL || type === PacketType.SUBSCRIBE || type === PacketType.UNSUBSCRIBE ? 2 : 0;
  if (flags !== expected) {
    const statement = flagStatements[type] ?? (v5 ? "MQTT-2.1.3-1" : "MQTT-2.2.2-1");
    throw new MalformedPacketError(
      `reserved flags 0b${flags.toString(2).padStart(4, "0")} in packet type ${type}`,
      {
        statement,
      },
    );
  }
}

/**
 * Decode one packet body `buf[start..end)` whose fixed header byte is `first`.
 * `version` is the protocol level of the connection (ignored for CONNECT, which
 * carries its own). The returned packet may hold views into `buf`.
 * @internal
 */
export function decodeBody(
  first: number,
  buf: Uint8Array,
  start: number,
  end: number,
  version: ProtocolVersion,
): Packet {
  const type = first >> 4;
  if (type === 0) throw new MalformedPacketError("reserved packet type 0");
  if (type === PacketType.AUTH && version !== 5)
    throw new MalformedPacketError("AUTH exists only in MQTT 5.0");
  checkFlags(type, first & 0x0f, version);
  const r = new Reader(buf, start, end, version === 5);
  let packet: Packet;
  switch (type) {
    case PacketType.CONNECT:
      packet = decodeConnect(r);
      break;
    case PacketType.CONNACK:
      packet = decodeConnack(r, version);
      break;
    case PacketType.PUBLISH:
      return decodePublish(r, first, version);
    case PacketType.PUBACK:
    case PacketType.PUBREC:
    case PacketType.PUBREL:
    case PacketType.PUBCOMP:
      packet = decodeAck(r, type, version);
      break;
    case PacketType.SUBSCRIBE:
      packet = decodeSubscribe(r, version);
      break;
    case PacketType.SUBACK:
      packet = decodeSuback(r, version);
      break;
    case PacketType.UNSUBSCRIBE:
      packet = decodeUnsubscribe(r, version);
      break;
    case PacketType.UNSUBACK:
      packet = decodeUnsuback(r, version);
      break;
    case PacketType.PINGREQ:
    case PacketType.PINGRESP:
      packet = { type } as Packet;
      break;
    case PacketType.DISCONNECT:
      packet = decodeDisconnect(r, version);
      break;
    default:
      packet = decodeAuth(r);
  }
  if (r.pos !== r.end)
    throw new MalformedPacketError(`${r.end - r.pos} unexpected bytes at the end of the packet`);
  return packet;
}

function packetId(r: Reader): number {
  const id = r.u16("packet identifier");
  if (id === 0)
    throw new MalformedPacketError("packet identifier 0", {
      statement: sid(r.v5, "MQTT-2.3.1-1", "MQTT-2.2.1-3"),
    });
  return id;
}

function decodeConnect(outer: Reader): ConnectPacket {
  let r = outer;
  const protocolName = r.utf8("protocol name");
  const written = r.u8("protocol level");
  // Mosquitto's bridge bit: 0x83 / 0x84 is 3.1 / 3.1.1 from a bridge (not for 5.0).
  const bridge = (written & 0x80) !== 0 && (written & 0x7f) !== 5;
  const level = bridge ? written & 0x7f : written;
  const supported =
    (protocolName === "MQTT" && (level === 4 || level === 5)) || (protocolName === "MQIsdp" && level === 3);
  if (!supported) {
    throw new UnsupportedProtocolVersionError(protocolName, written, {
      statement: protocolName === "MQTT" || protocolName === "MQIsdp" ? "MQTT-3.1.2-2" : "MQTT-3.1.2-1",
    });
  }
  const version = level as ProtocolVersion;
  const v5 = version === 5;
  // The header was read with the connection's assumed level; the rest uses the CONNECT's own.
  const body = new Reader(r.buf, r.pos, r.end, v5);
  r.pos = r.end;
  r = body;
  const flags = r.u8("connect flags");
  if ((flags & 1) !== 0)
    throw new MalformedPacketError("reserved connect flag is set", { statement: "MQTT-3.1.2-3" });
  const willFlag = (flags & 0x04) !== 0;
  const willQos = (flags >> 3) & 3;
  const willRetain = (flags & 0x20) !== 0;
  const hasPassword = (flags & 0x40) !== 0;
  const hasUsername = (flags & 0x80) !== 0;
  if (willQos === 3)
    throw new MalformedPacketError("will QoS 3", { statement: sid(v5, "MQTT-3.1.2-14", "MQTT-3.1.2-12") });
  if (!willFlag && willQos !== 0)
    throw new MalformedPacketError("will QoS set without the will flag", {
      statement: sid(v5, "MQTT-3.1.2-13", "MQTT-3.1.2-11"),
    });
  if (!willFlag && willRetain)
    throw new MalformedPacketError("will retain set without the will flag", {
      statement: sid(v5, "MQTT-3.1.2-15", "MQTT-3.1.2-13"),
    });
  if (version !== 5 && hasPassword && !hasUsername)
    throw new MalformedPacketError("password flag set without the user name flag", {
      statement: "MQTT-3.1.2-22",
    });
  const keepAlive = r.u16("keep alive");
  const packet: ConnectPacket = {
    type: PacketType.CONNECT,
    protocolName: protocolName as "MQTT" | "MQIsdp",
    protocolVersion: version,
    clean: (flags & 0x02) !== 0,
    keepAlive,
    clientId: "",
  };
  if (bridge) packet.bridge = true;
  if (v5) {
    const props = readProperties(r, PacketType.CONNECT);
    if (props !== undefined) {
      // 5.0 section 3.1.2.11.10: Authentication Data without a method is a Protocol Error (no id).
      if (props.authenticationData !== undefined && props.authenticationMethod === undefined)
        throw new ProtocolError("authentication data without an authentication method");
      packet.properties = props;
    }
  }
  packet.clientId = r.utf8("client identifier");
  if (willFlag) {
    const willProps = v5 ? readProperties(r, WILL_CONTEXT) : undefined;
    const will: Will = {
      topic: r.utf8("will topic"),
      payload: r.binary("will payload"),
      qos: willQos as QoS,
      retain: willRetain,
    };
    if (will.topic.includes("+") || will.topic.includes("#"))
      throw new MalformedPacketError("will topic contains a wildcard", {
        statement: sid(v5, "MQTT-4.7.1-1", "MQTT-4.7.0-1"),
      });
    if (will.topic.length === 0)
      throw new MalformedPacketError("empty will topic", { statement: "MQTT-4.7.3-1" });
    if (willProps !== undefined) will.properties = willProps;
    packet.will = will;
  }
  if (hasUsername) packet.username = r.utf8("user name");
  if (hasPassword) packet.password = r.binary("password");
  if (r.pos !== r.end)
    throw new MalformedPacketError(`${r.end - r.pos} unexpected bytes at the end of CONNECT`);
  return packet;
}

function decodeConnack(r: Reader, version: ProtocolVersion): ConnackPacket {
  const ackFlags = r.u8("connect acknowledge flags");
  if (version !== 3 && (ackFlags & 0xfe) !== 0)
    // 5.0 [MQTT-3.2.2-1]; 3.1.1 section 3.2.2.1 says the same without an id.
    throw new MalformedPacketError("reserved connect acknowledge flags are set", {
      statement: version === 5 ? "MQTT-3.2.2-1" : undefined,
    });
  const reasonCode = r.u8("connect reason code");
  const sessionPresent = version !== 3 && (ackFlags & 1) === 1;
  if (version === 5) {
    if (!allowedReasonCodes[PacketType.CONNACK]!.has(reasonCode))
      throw new MalformedPacketError(`CONNACK reason code 0x${reasonCode.toString(16)} is not defined`, {
        statement: "MQTT-3.2.2-8",
      });
  } else if (reasonCode > ConnackReturnCode.NOT_AUTHORIZED) {
    throw new MalformedPacketError(`CONNACK return code ${reasonCode} is reserved`);
  }
  if (sessionPresent && reasonCode !== 0)
    throw new MalformedPacketError("session present set on a refused connection", {
      statement: version === 5 ? "MQTT-3.2.2-6" : "MQTT-3.2.2-4",
    });
  const packet: ConnackPacket = { type: PacketType.CONNACK, sessionPresent, reasonCode };
  if (version === 5) {
    // No omission rule exists for CONNACK: the property length must be there [MQTT-2.2.2-1].
    if (r.remaining === 0)
      throw new MalformedPacketError("5.0 CONNACK without a property length", { statement: "MQTT-2.2.2-1" });
    const props = readProperties(r, PacketType.CONNACK);
    if (props !== undefined) packet.properties = props;
  }
  return packet;
}

function decodePublish(r: Reader, first: number, version: ProtocolVersion): PublishPacket {
  const qos = ((first >> 1) & 3) as QoS;
  const topic = r.topic("topic name");
  for (let i = 0; i < topic.length; i++) {
    const c = topic.charCodeAt(i);
    if (c === 0x2b || c === 0x23)
      throw new MalformedPacketError("PUBLISH topic name contains a wildcard", { statement: "MQTT-3.3.2-2" });
  }
  const packet: PublishPacket = {
    type: PacketType.PUBLISH,
    topic,
    payload: EMPTY,
    qos,
    retain: (first & 1) !== 0,
    dup: (first & 8) !== 0,
  };
  if (qos > 0) packet.packetId = packetId(r);
  if (version === 5) {
    const props = readProperties(r, PacketType.PUBLISH);
    if (props !== undefined) packet.properties = props;
    // 5.0 section 3.3.2.1 (no statement id): an empty topic needs a topic alias.
    if (topic.length === 0 && props?.topicAlias === undefined)
      throw new ProtocolError("empty topic name without a topic alias");
  } else if (topic.length === 0) {
    throw new MalformedPacketError("empty topic name", { statement: "MQTT-4.7.3-1" });
  }
  packet.payload = r.rest();
  return packet;
}

const EMPTY = new Uint8Array(0);

function decodeAck(r: Reader, type: 4 | 5 | 6 | 7, version: ProtocolVersion): Packet {
  const packet = { type, packetId: packetId(r) } as Extract<Packet, { type: 4 | 5 | 6 | 7 }>;
  if (version === 5 && r.remaining > 0) {
    const code = r.u8("reason code");
    if (!allowedReasonCodes[type]!.has(code))
      throw new MalformedPacketError(
        `reason code 0x${code.toString(16)} is not defined for packet type ${type}`,
        {
          statement: `MQTT-3.${type}.2-1`,
        },
      );
    packet.reasonCode = code;
    if (r.remaining > 0) {
      const props = readProperties(r, type);
      if (props !== undefined) packet.properties = props;
    }
  }
  return packet;
}

function decodeSubscribe(r: Reader, version: ProtocolVersion): SubscribePacket {
  const packet: SubscribePacket = { type: PacketType.SUBSCRIBE, packetId: packetId(r), subscriptions: [] };
  if (version === 5) {
    const props = readProperties(r, PacketType.SUBSCRIBE);
    if (props !== undefined) packet.properties = props;
  }
  if (r.remaining === 0)
    throw new ProtocolError("SUBSCRIBE without a topic filter", {
      statement: version === 5 ? "MQTT-3.8.3-2" : "MQTT-3.8.3-3",
    });
  while (r.remaining > 0) {
    const topicFilter = r.utf8("topic filter");
    checkTopicFilterSyntax(topicFilter, version === 5);
    const options = r.u8("subscription options");
    const qos = options & 3;
    const sub: Subscription = { topicFilter, qos: qos as QoS };
    if (version === 5) {
      if ((options & 0xc0) !== 0)
        throw new MalformedPacketError("reserved subscription option bits are set", {
          statement: "MQTT-3.8.3-5",
        });
      // 5.0 section 3.8.3.1 (no statement id): QoS 3 and Retain Handling 3 are Protocol Errors.
      if (qos === 3) throw new ProtocolError("subscription with maximum QoS 3");
      const retainHandling = (options >> 4) & 3;
      if (retainHandling === 3) throw new ProtocolError("retain handling 3 is reserved");
      sub.noLocal = (options & 4) !== 0;
      if (sub.noLocal && topicFilter.startsWith("$share/"))
        throw new ProtocolError(`No Local on the shared subscription ${topicFilter}`, {
          statement: "MQTT-3.8.3-4",
        });
      sub.retainAsPublished = (options & 8) !== 0;
      sub.retainHandling = retainHandling as 0 | 1 | 2;
    } else if ((options & 0xfc) !== 0 || qos === 3) {
      // The 3.1.1 text prints this id as "MQTT-3-8.3-4"; normalised here.
      throw new MalformedPacketError("reserved requested QoS bits are set or QoS is 3", {
        statement: "MQTT-3.8.3-4",
      });
    }
    packet.subscriptions.push(sub);
  }
  return packet;
}

function decodeSuback(r: Reader, version: ProtocolVersion): SubackPacket {
  const packet: SubackPacket = { type: PacketType.SUBACK, packetId: packetId(r), reasonCodes: [] };
  if (version === 5) {
    const props = readProperties(r, PacketType.SUBACK);
    if (props !== undefined) packet.properties = props;
  }
  const allowed = allowedReasonCodes[PacketType.SUBACK]!;
  while (r.remaining > 0) {
    const code = r.u8("SUBACK reason code");
    if (version === 5 ? !allowed.has(code) : code > 2 && code !== 0x80)
      throw new MalformedPacketError(`SUBACK code 0x${code.toString(16)} is not defined`, {
        statement: "MQTT-3.9.3-2",
      });
    packet.reasonCodes.push(code);
  }
  if (packet.reasonCodes.length === 0) throw new MalformedPacketError("SUBACK without a return code");
  return packet;
}

function decodeUnsubscribe(r: Reader, version: ProtocolVersion): UnsubscribePacket {
  const packet: UnsubscribePacket = { type: PacketType.UNSUBSCRIBE, packetId: packetId(r), topicFilters: [] };
  if (version === 5) {
    const props = readProperties(r, PacketType.UNSUBSCRIBE);
    if (props !== undefined) packet.properties = props;
  }
  if (r.remaining === 0)
    throw new ProtocolError("UNSUBSCRIBE without a topic filter", { statement: "MQTT-3.10.3-2" });
  while (r.remaining > 0) {
    const topicFilter = r.utf8("topic filter");
    checkTopicFilterSyntax(topicFilter, version === 5);
    packet.topicFilters.push(topicFilter);
  }
  return packet;
}

function decodeUnsuback(r: Reader, version: ProtocolVersion): UnsubackPacket {
  const packet: UnsubackPacket = { type: PacketType.UNSUBACK, packetId: packetId(r) };
  if (version === 5) {
    const props = readProperties(r, PacketType.UNSUBACK);
    if (props !== undefined) packet.properties = props;
    const allowed = allowedReasonCodes[PacketType.UNSUBACK]!;
    const codes: number[] = [];
    while (r.remaining > 0) {
      const code = r.u8("UNSUBACK reason code");
      if (!allowed.has(code))
        throw new MalformedPacketError(`UNSUBACK code 0x${code.toString(16)} is not defined`, {
          statement: "MQTT-3.11.3-2",
        });
      codes.push(code);
    }
    // One reason code per filter of the UNSUBSCRIBE, which has at least one [MQTT-3.11.3-1].
    if (codes.length === 0)
      throw new MalformedPacketError("5.0 UNSUBACK without a reason code", { statement: "MQTT-3.11.3-1" });
    packet.reasonCodes = codes;
  }
  return packet;
}

function decodeDisconnect(r: Reader, version: ProtocolVersion): DisconnectPacket {
  const packet: DisconnectPacket = { type: PacketType.DISCONNECT };
  if (version === 5 && r.remaining > 0) {
    const code = r.u8("reason code");
    if (!allowedReasonCodes[PacketType.DISCONNECT]!.has(code))
      throw new MalformedPacketError(`DISCONNECT reason code 0x${code.toString(16)} is not defined`, {
        statement: "MQTT-3.14.2-1",
      });
    packet.reasonCode = code;
    if (r.remaining > 0) {
      const props = readProperties(r, PacketType.DISCONNECT);
      if (props !== undefined) packet.properties = props;
    }
  }
  return packet;
}

function decodeAuth(r: Reader): AuthPacket {
  const packet: AuthPacket = { type: PacketType.AUTH };
  if (r.remaining > 0) {
    const code = r.u8("reason code");
    if (!allowedReasonCodes[PacketType.AUTH]!.has(code))
      throw new MalformedPacketError(`AUTH reason code 0x${code.toString(16)} is not defined`, {
        statement: "MQTT-3.15.2-1",
      });
    packet.reasonCode = code;
    if (r.remaining > 0) {
      const props = readProperties(r, PacketType.AUTH);
      if (props !== undefined) packet.properties = props;
    }
    // 5.0 section 3.15.2.2.2 (no statement id): "It is a Protocol Error to omit the
    // Authentication Method". Only the abbreviated AUTH of section 3.15.2.1
    // (Remaining Length 0: Success, no properties) goes without one.
    if (packet.properties?.authenticationMethod === undefined)
      throw new ProtocolError("AUTH without an Authentication Method");
  }
  return packet;
}
