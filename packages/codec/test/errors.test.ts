import { describe, expect, it } from "vitest";
import {
  Decoder,
  decodePacket,
  MalformedPacketError,
  type MqttError,
  PacketTooLargeError,
  ProtocolError,
  UnsupportedProtocolVersionError,
} from "../src/index.js";

const str = (s: string): number[] => [
  s.length >> 8,
  s.length & 0xff,
  ...Array.from(s, (c) => c.charCodeAt(0)),
];
/** Build a packet from a first byte and a body, with a one-byte remaining length. */
const pkt = (first: number, ...body: number[]) => new Uint8Array([first, body.length, ...body]);
const connect = (level: number, flags: number, ...payload: number[]) =>
  pkt(
    0x10,
    ...str(level === 3 ? "MQIsdp" : "MQTT"),
    level,
    flags,
    0,
    10,
    ...(level === 5 ? [0] : []),
    ...payload,
  );

interface ErrorCase {
  name: string;
  version: 3 | 4 | 5;
  bytes: Uint8Array;
  error: new (...args: never[]) => MqttError;
  reasonCode: number;
  statement?: string;
}

const cases: ErrorCase[] = [
  // Fixed header
  {
    name: "reserved packet type 0",
    version: 4,
    bytes: pkt(0x00),
    error: MalformedPacketError,
    reasonCode: 0x81,
  },
  {
    name: "PINGREQ with flag bits set [MQTT-2.2.2-1]",
    version: 4,
    bytes: pkt(0xc1),
    error: MalformedPacketError,
    reasonCode: 0x81,
    statement: "MQTT-2.2.2-1",
  },
  {
    name: "PUBACK with flag bits set in 5.0 [MQTT-2.1.3-1]",
    version: 5,
    bytes: pkt(0x41, 0, 1),
    error: MalformedPacketError,
    reasonCode: 0x81,
    statement: "MQTT-2.1.3-1",
  },
  {
    name: "PUBREL without flags 0010 [MQTT-3.6.1-1]",
    version: 4,
    bytes: pkt(0x60, 0, 1),
    error: MalformedPacketError,
    reasonCode: 0x81,
    statement: "MQTT-3.6.1-1",
  },
  {
    name: "SUBSCRIBE without flags 0010 [MQTT-3.8.1-1]",
    version: 4,
    bytes: pkt(0x80, 0, 1, ...str("a"), 0),
    error: MalformedPacketError,
    reasonCode: 0x81,
    statement: "MQTT-3.8.1-1",
  },
  {
    name: "UNSUBSCRIBE without flags 0010 [MQTT-3.10.1-1]",
    version: 4,
    bytes: pkt(0xa0, 0, 1, ...str("a")),
    error: MalformedPacketError,
    reasonCode: 0x81,
    statement: "MQTT-3.10.1-1",
  },
  {
    name: "DISCONNECT with flag bits set [MQTT-3.14.1-1]",
    version: 5,
    bytes: pkt(0xe1),
    error: MalformedPacketError,
    reasonCode: 0x81,
    statement: "MQTT-3.14.1-1",
  },
  {
    name: "AUTH with flag bits set [MQTT-3.15.1-1]",
    version: 5,
    bytes: pkt(0xf1),
    error: MalformedPacketError,
    reasonCode: 0x81,
    statement: "MQTT-3.15.1-1",
  },
  { name: "AUTH in 3.1.1", version: 4, bytes: pkt(0xf0), error: MalformedPacketError, reasonCode: 0x81 },
  {
    name: "PUBLISH with QoS 3 [MQTT-3.3.1-4]",
    version: 4,
    bytes: pkt(0x36, ...str("t"), 0, 1),
    error: MalformedPacketError,
    reasonCode: 0x81,
    statement: "MQTT-3.3.1-4",
  },
  {
    name: "PUBLISH QoS 0 with DUP [MQTT-3.3.1-2]",
    version: 4,
    bytes: pkt(0x38, ...str("t")),
    error: MalformedPacketError,
    reasonCode: 0x81,
    statement: "MQTT-3.3.1-2",
  },
  {
    name: "remaining length over four bytes",
    version: 4,
    bytes: new Uint8Array([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]),
    error: MalformedPacketError,
    reasonCode: 0x81,
  },
  {
    name: "5.0 remaining length not minimally encoded [MQTT-1.5.5-1]",
    version: 5,
    bytes: new Uint8Array([0xc0, 0x80, 0x00]),
    error: MalformedPacketError,
    reasonCode: 0x81,
    statement: "MQTT-1.5.5-1",
  },
  {
    name: "5.0 property length not minimally encoded [MQTT-1.5.5-1]",
    version: 5,
    bytes: pkt(0x30, ...str("t"), 0x80, 0x00),
    error: MalformedPacketError,
    reasonCode: 0x81,
    statement: "MQTT-1.5.5-1",
  },
  // Strings
  {
    name: "topic with U+0000 in 3.1.1 [MQTT-1.5.3-2]",
    version: 4,
    bytes: pkt(0x30, 0, 1, 0),
    error: MalformedPacketError,
    reasonCode: 0x81,
    statement: "MQTT-1.5.3-2",
  },
  {
    name: "topic with U+0000 in 5.0 [MQTT-1.5.4-2]",
    version: 5,
    bytes: pkt(0x30, 0, 1, 0, 0),
    error: MalformedPacketError,
    reasonCode: 0x81,
    statement: "MQTT-1.5.4-2",
  },
  {
    name: "topic with an encoded surrogate U+D800 [MQTT-1.5.4-1]",
    version: 5,
    bytes: pkt(0x30, 0, 3, 0xed, 0xa0, 0x80, 0),
    error: MalformedPacketError,
    reasonCode: 0x81,
    statement: "MQTT-1.5.4-1",
  },
  {
    name: "topic with an overlong encoding [MQTT-1.5.3-1]",
    version: 4,
    bytes: pkt(0x30, 0, 2, 0xc0, 0xaf),
    error: MalformedPacketError,
    reasonCode: 0x81,
    statement: "MQTT-1.5.3-1",
  },
  {
    name: "topic with a truncated UTF-8 sequence [MQTT-1.5.3-1]",
    version: 4,
    bytes: pkt(0x30, 0, 1, 0xe2),
    error: MalformedPacketError,
    reasonCode: 0x81,
    statement: "MQTT-1.5.3-1",
  },
  {
    name: "topic with a code point above U+10FFFF [MQTT-1.5.4-1]",
    version: 5,
    bytes: pkt(0x30, 0, 4, 0xf4, 0x90, 0x80, 0x80, 0),
    error: MalformedPacketError,
    reasonCode: 0x81,
    statement: "MQTT-1.5.4-1",
  },
  {
    name: "string length beyond the packet",
    version: 4,
    bytes: pkt(0x30, 0, 9, 0x61),
    error: MalformedPacketError,
    reasonCode: 0x81,
  },
  // CONNECT
  {
    name: "CONNECT with protocol level 6 [MQTT-3.1.2-2]",
    version: 4,
    bytes: connect(6, 2, ...str("c")),
    error: UnsupportedProtocolVersionError,
    reasonCode: 0x84,
    statement: "MQTT-3.1.2-2",
  },
  {
    name: "CONNECT with a foreign protocol name [MQTT-3.1.2-1]",
    version: 4,
    bytes: pkt(0x10, ...str("HTTP"), 4, 2, 0, 0, ...str("c")),
    error: UnsupportedProtocolVersionError,
    reasonCode: 0x84,
    statement: "MQTT-3.1.2-1",
  },
  {
    name: "CONNECT MQIsdp with level 4",
    version: 4,
    bytes: pkt(0x10, ...str("MQIsdp"), 4, 2, 0, 0, ...str("c")),
    error: UnsupportedProtocolVersionError,
    reasonCode: 0x84,
  },
  {
    name: "CONNECT with the reserved flag set [MQTT-3.1.2-3]",
    version: 4,
    bytes: connect(4, 0x03, ...str("c")),
    error: MalformedPacketError,
    reasonCode: 0x81,
    statement: "MQTT-3.1.2-3",
  },
  {
    name: "3.1.1 CONNECT with will QoS 3 [MQTT-3.1.2-14]",
    version: 4,
    bytes: connect(4, 0x1e, ...str("c"), ...str("w"), 0, 0),
    error: MalformedPacketError,
    reasonCode: 0x81,
    statement: "MQTT-3.1.2-14",
  },
  {
    name: "5.0 CONNECT with will QoS 3 [MQTT-3.1.2-12]",
    version: 5,
    bytes: connect(5, 0x1e, ...str("c"), 0, ...str("w"), 0, 0),
    error: MalformedPacketError,
    reasonCode: 0x81,
    statement: "MQTT-3.1.2-12",
  },
  {
    name: "3.1.1 CONNECT with will QoS but no will flag [MQTT-3.1.2-13]",
    version: 4,
    bytes: connect(4, 0x0a, ...str("c")),
    error: MalformedPacketError,
    reasonCode: 0x81,
    statement: "MQTT-3.1.2-13",
  },
  {
    name: "5.0 CONNECT with will QoS but no will flag [MQTT-3.1.2-11]",
    version: 5,
    bytes: connect(5, 0x0a, ...str("c")),
    error: MalformedPacketError,
    reasonCode: 0x81,
    statement: "MQTT-3.1.2-11",
  },
  {
    name: "3.1.1 CONNECT with will retain but no will flag [MQTT-3.1.2-15]",
    version: 4,
    bytes: connect(4, 0x22, ...str("c")),
    error: MalformedPacketError,
    reasonCode: 0x81,
    statement: "MQTT-3.1.2-15",
  },
  {
    name: "5.0 CONNECT with will retain but no will flag [MQTT-3.1.2-13]",
    version: 5,
    bytes: connect(5, 0x22, ...str("c")),
    error: MalformedPacketError,
    reasonCode: 0x81,
    statement: "MQTT-3.1.2-13",
  },
  {
    name: "3.1.1 CONNECT with a password but no user name [MQTT-3.1.2-22]",
    version: 4,
    bytes: connect(4, 0x42, ...str("c"), ...str("p")),
    error: MalformedPacketError,
    reasonCode: 0x81,
    statement: "MQTT-3.1.2-22",
  },
  {
    name: "CONNECT with a wildcard in the will topic [MQTT-4.7.1-1]",
    version: 4,
    bytes: connect(4, 0x06, ...str("c"), ...str("w/#"), 0, 0),
    error: MalformedPacketError,
    reasonCode: 0x81,
    statement: "MQTT-4.7.1-1",
  },
  {
    name: "CONNECT with the user name flag but no user name",
    version: 4,
    bytes: connect(4, 0x82, ...str("c")),
    error: MalformedPacketError,
    reasonCode: 0x81,
  },
  {
    name: "CONNECT with bytes after the password",
    version: 4,
    bytes: connect(4, 0x02, ...str("c"), 7),
    error: MalformedPacketError,
    reasonCode: 0x81,
  },
  {
    name: "5.0 CONNECT with authentication data but no method",
    version: 5,
    bytes: pkt(0x10, ...str("MQTT"), 5, 2, 0, 0, 4, 0x16, 0, 1, 7, ...str("c")),
    error: ProtocolError,
    reasonCode: 0x82,
  },
  // CONNACK
  {
    name: "5.0 CONNACK with reserved flag bits [MQTT-3.2.2-1]",
    version: 5,
    bytes: pkt(0x20, 2, 0, 0),
    error: MalformedPacketError,
    reasonCode: 0x81,
    statement: "MQTT-3.2.2-1",
  },
  {
    name: "3.1.1 CONNACK with session present on a refusal [MQTT-3.2.2-4]",
    version: 4,
    bytes: pkt(0x20, 1, 5),
    error: MalformedPacketError,
    reasonCode: 0x81,
    statement: "MQTT-3.2.2-4",
  },
  {
    name: "5.0 CONNACK with session present on a refusal [MQTT-3.2.2-6]",
    version: 5,
    bytes: pkt(0x20, 1, 0x87, 0),
    error: MalformedPacketError,
    reasonCode: 0x81,
    statement: "MQTT-3.2.2-6",
  },
  {
    name: "3.1.1 CONNACK with return code 6",
    version: 4,
    bytes: pkt(0x20, 0, 6),
    error: MalformedPacketError,
    reasonCode: 0x81,
  },
  {
    name: "5.0 CONNACK with an undefined reason code [MQTT-3.2.2-8]",
    version: 5,
    bytes: pkt(0x20, 0, 0x01, 0),
    error: MalformedPacketError,
    reasonCode: 0x81,
    statement: "MQTT-3.2.2-8",
  },
  // PUBLISH
  {
    name: "PUBLISH topic with + [MQTT-3.3.2-2]",
    version: 4,
    bytes: pkt(0x30, ...str("a/+")),
    error: MalformedPacketError,
    reasonCode: 0x81,
    statement: "MQTT-3.3.2-2",
  },
  {
    name: "PUBLISH topic with # [MQTT-3.3.2-2]",
    version: 5,
    bytes: pkt(0x30, ...str("#"), 0),
    error: MalformedPacketError,
    reasonCode: 0x81,
    statement: "MQTT-3.3.2-2",
  },
  {
    name: "3.1.1 PUBLISH with an empty topic [MQTT-4.7.3-1]",
    version: 4,
    bytes: pkt(0x30, 0, 0),
    error: MalformedPacketError,
    reasonCode: 0x81,
    statement: "MQTT-4.7.3-1",
  },
  {
    name: "5.0 PUBLISH with an empty topic and no alias",
    version: 5,
    bytes: pkt(0x30, 0, 0, 0),
    error: ProtocolError,
    reasonCode: 0x82,
  },
  {
    name: "PUBLISH QoS 1 with packet id 0 [MQTT-2.3.1-1]",
    version: 4,
    bytes: pkt(0x32, ...str("t"), 0, 0),
    error: MalformedPacketError,
    reasonCode: 0x81,
    statement: "MQTT-2.3.1-1",
  },
  {
    name: "5.0 PUBLISH QoS 1 with packet id 0 [MQTT-2.2.1-3]",
    version: 5,
    bytes: pkt(0x32, ...str("t"), 0, 0, 0),
    error: MalformedPacketError,
    reasonCode: 0x81,
    statement: "MQTT-2.2.1-3",
  },
  {
    name: "PUBLISH QoS 1 without a packet id",
    version: 4,
    bytes: pkt(0x32, ...str("t")),
    error: MalformedPacketError,
    reasonCode: 0x81,
  },
  {
    name: "5.0 PUBLISH with topic alias 0 [MQTT-3.3.2-8]",
    version: 5,
    bytes: pkt(0x30, ...str("t"), 3, 0x23, 0, 0),
    error: ProtocolError,
    reasonCode: 0x94,
    statement: "MQTT-3.3.2-8",
  },
  {
    name: "5.0 PUBLISH with subscription identifier 0",
    version: 5,
    bytes: pkt(0x30, ...str("t"), 2, 0x0b, 0),
    error: ProtocolError,
    reasonCode: 0x82,
  },
  {
    name: "5.0 PUBLISH with a wildcard response topic [MQTT-3.3.2-14]",
    version: 5,
    bytes: pkt(0x30, ...str("t"), 6, 0x08, ...str("r/+")),
    error: ProtocolError,
    reasonCode: 0x82,
    statement: "MQTT-3.3.2-14",
  },
  {
    name: "5.0 PUBLISH with the topic alias twice",
    version: 5,
    bytes: pkt(0x30, ...str("t"), 6, 0x23, 0, 1, 0x23, 0, 2),
    error: ProtocolError,
    reasonCode: 0x82,
  },
  {
    name: "5.0 PUBLISH with payload format indicator 2",
    version: 5,
    bytes: pkt(0x30, ...str("t"), 2, 0x01, 2),
    error: ProtocolError,
    reasonCode: 0x82,
  },
  {
    name: "5.0 PUBLISH with a property not allowed in PUBLISH",
    version: 5,
    bytes: pkt(0x30, ...str("t"), 3, 0x21, 0, 1),
    error: MalformedPacketError,
    reasonCode: 0x81,
  },
  {
    name: "5.0 PUBLISH with an unknown property identifier",
    version: 5,
    bytes: pkt(0x30, ...str("t"), 2, 0x7f, 0),
    error: MalformedPacketError,
    reasonCode: 0x81,
  },
  {
    name: "5.0 PUBLISH whose property length exceeds the packet",
    version: 5,
    bytes: pkt(0x30, ...str("t"), 9, 0x01, 1),
    error: MalformedPacketError,
    reasonCode: 0x81,
  },
  // Acknowledgements
  {
    name: "3.1.1 PUBACK with an extra byte",
    version: 4,
    bytes: pkt(0x40, 0, 1, 0),
    error: MalformedPacketError,
    reasonCode: 0x81,
  },
  {
    name: "PUBACK with packet id 0 [MQTT-2.3.1-1]",
    version: 4,
    bytes: pkt(0x40, 0, 0),
    error: MalformedPacketError,
    reasonCode: 0x81,
    statement: "MQTT-2.3.1-1",
  },
  {
    name: "5.0 PUBACK with reason code 0x92 [MQTT-3.4.2-1]",
    version: 5,
    bytes: pkt(0x40, 0, 1, 0x92),
    error: MalformedPacketError,
    reasonCode: 0x81,
    statement: "MQTT-3.4.2-1",
  },
  {
    name: "5.0 PUBREL with reason code 0x10 [MQTT-3.6.2-1]",
    version: 5,
    bytes: pkt(0x62, 0, 1, 0x10),
    error: MalformedPacketError,
    reasonCode: 0x81,
    statement: "MQTT-3.6.2-1",
  },
  {
    name: "5.0 PUBACK with a property not allowed in PUBACK",
    version: 5,
    bytes: pkt(0x40, 0, 1, 0, 2, 0x01, 1),
    error: MalformedPacketError,
    reasonCode: 0x81,
  },
  {
    name: "5.0 PUBACK with the reason string twice",
    version: 5,
    bytes: pkt(0x40, 0, 1, 0, 8, 0x1f, ...str("a"), 0x1f, ...str("b")),
    error: ProtocolError,
    reasonCode: 0x82,
  },
  // SUBSCRIBE / UNSUBSCRIBE
  {
    name: "3.1.1 SUBSCRIBE without a filter [MQTT-3.8.3-3]",
    version: 4,
    bytes: pkt(0x82, 0, 1),
    error: ProtocolError,
    reasonCode: 0x82,
    statement: "MQTT-3.8.3-3",
  },
  {
    name: "5.0 SUBSCRIBE without a filter [MQTT-3.8.3-2]",
    version: 5,
    bytes: pkt(0x82, 0, 1, 0),
    error: ProtocolError,
    reasonCode: 0x82,
    statement: "MQTT-3.8.3-2",
  },
  {
    name: "3.1.1 SUBSCRIBE with reserved option bits [MQTT-3.8.3-4]",
    version: 4,
    bytes: pkt(0x82, 0, 1, ...str("a"), 0x04),
    error: MalformedPacketError,
    reasonCode: 0x81,
    statement: "MQTT-3.8.3-4",
  },
  {
    name: "3.1.1 SUBSCRIBE with QoS 3 [MQTT-3.8.3-4]",
    version: 4,
    bytes: pkt(0x82, 0, 1, ...str("a"), 3),
    error: MalformedPacketError,
    reasonCode: 0x81,
    statement: "MQTT-3.8.3-4",
  },
  {
    name: "5.0 SUBSCRIBE with reserved option bits [MQTT-3.8.3-5]",
    version: 5,
    bytes: pkt(0x82, 0, 1, 0, ...str("a"), 0x40),
    error: MalformedPacketError,
    reasonCode: 0x81,
    statement: "MQTT-3.8.3-5",
  },
  {
    name: "5.0 SUBSCRIBE with retain handling 3",
    version: 5,
    bytes: pkt(0x82, 0, 1, 0, ...str("a"), 0x30),
    error: ProtocolError,
    reasonCode: 0x82,
  },
  {
    name: "5.0 SUBSCRIBE with maximum QoS 3",
    version: 5,
    bytes: pkt(0x82, 0, 1, 0, ...str("a"), 3),
    error: ProtocolError,
    reasonCode: 0x82,
  },
  {
    name: "5.0 SUBSCRIBE with two subscription identifiers",
    version: 5,
    bytes: pkt(0x82, 0, 1, 4, 0x0b, 1, 0x0b, 2, ...str("a"), 0),
    error: ProtocolError,
    reasonCode: 0x82,
  },
  {
    name: "UNSUBSCRIBE without a filter [MQTT-3.10.3-2]",
    version: 4,
    bytes: pkt(0xa2, 0, 1),
    error: ProtocolError,
    reasonCode: 0x82,
    statement: "MQTT-3.10.3-2",
  },
  {
    name: "3.1.1 SUBACK with code 3 [MQTT-3.9.3-2]",
    version: 4,
    bytes: pkt(0x90, 0, 1, 3),
    error: MalformedPacketError,
    reasonCode: 0x81,
    statement: "MQTT-3.9.3-2",
  },
  {
    name: "5.0 UNSUBACK with code 0x01 [MQTT-3.11.3-2]",
    version: 5,
    bytes: pkt(0xb0, 0, 1, 0, 1),
    error: MalformedPacketError,
    reasonCode: 0x81,
    statement: "MQTT-3.11.3-2",
  },
  {
    name: "5.0 CONNACK without a property length [MQTT-2.2.2-1]",
    version: 5,
    bytes: pkt(0x20, 0, 0),
    error: MalformedPacketError,
    reasonCode: 0x81,
    statement: "MQTT-2.2.2-1",
  },
  {
    name: "5.0 UNSUBACK without a reason code [MQTT-3.11.3-1]",
    version: 5,
    bytes: pkt(0xb0, 0, 1, 0),
    error: MalformedPacketError,
    reasonCode: 0x81,
    statement: "MQTT-3.11.3-1",
  },
  // PING, DISCONNECT, AUTH
  {
    name: "PINGREQ with a body",
    version: 4,
    bytes: pkt(0xc0, 0),
    error: MalformedPacketError,
    reasonCode: 0x81,
  },
  {
    name: "3.1.1 DISCONNECT with a body",
    version: 4,
    bytes: pkt(0xe0, 0),
    error: MalformedPacketError,
    reasonCode: 0x81,
  },
  {
    name: "5.0 DISCONNECT with reason code 0x01 [MQTT-3.14.2-1]",
    version: 5,
    bytes: pkt(0xe0, 0x01),
    error: MalformedPacketError,
    reasonCode: 0x81,
    statement: "MQTT-3.14.2-1",
  },
  {
    name: "5.0 AUTH with reason code 0x87 [MQTT-3.15.2-1]",
    version: 5,
    bytes: pkt(0xf0, 0x87),
    error: MalformedPacketError,
    reasonCode: 0x81,
    statement: "MQTT-3.15.2-1",
  },
];

describe("malformed input gives a typed error with its reason code and statement", () => {
  it.each(cases)("$name", ({ version, bytes, error, reasonCode, statement }) => {
    let caught: unknown;
    try {
      decodePacket(bytes, { protocolVersion: version });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(error);
    const e = caught as MqttError;
    expect(e.reasonCode).toBe(reasonCode);
    expect(e.name).toBe(error.name);
    if (statement !== undefined) {
      expect(e.statement).toBe(statement);
      expect(e.message).toContain(`[${statement}]`);
    }
  });
});

describe("the decoder after an error", () => {
  it("returns the packets before a malformed one, then throws", () => {
    const decoder = new Decoder({ protocolVersion: 4 });
    decoder.push(new Uint8Array([0xc0, 0, 0xd0, 0, 0xc1, 0, 0xc0, 0]));
    expect(decoder.next()).toEqual({ type: 12 });
    expect(decoder.next()).toEqual({ type: 13 });
    expect(() => decoder.next()).toThrow(MalformedPacketError);
  });

  it("keeps throwing the same error, since the stream is out of frame", () => {
    const decoder = new Decoder({ protocolVersion: 4 });
    decoder.push(new Uint8Array([0xc1, 0]));
    let first: unknown;
    try {
      decoder.next();
    } catch (err) {
      first = err;
    }
    decoder.push(new Uint8Array([0xc0, 0]));
    expect(() => decoder.next()).toThrow(first as Error);
    expect(decoder.bufferedBytes).toBe(0);
  });
});

describe("maximum packet size", () => {
  it("refuses a packet from its fixed header, before buffering any body byte", () => {
    const decoder = new Decoder({ protocolVersion: 5, maxPacketSize: 1024 });
    // PUBLISH announcing 256 MB - 1 of body: 0xff 0xff 0xff 0x7f.
    decoder.push(new Uint8Array([0x30, 0xff, 0xff, 0xff, 0x7f]));
    let caught: unknown;
    try {
      decoder.next();
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(PacketTooLargeError);
    const e = caught as PacketTooLargeError;
    expect(e.reasonCode).toBe(0x95);
    expect(e.size).toBe(5 + 268_435_455);
    expect(e.limit).toBe(1024);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it("refuses it when the header arrives one byte at a time", () => {
    const decoder = new Decoder({ protocolVersion: 4, maxPacketSize: 100 });
    decoder.push(Uint8Array.of(0x30));
    expect(decoder.next()).toBeUndefined();
    decoder.push(Uint8Array.of(0x80));
    expect(decoder.next()).toBeUndefined();
    decoder.push(Uint8Array.of(0x01)); // remaining length 128
    expect(() => decoder.next()).toThrow(PacketTooLargeError);
  });

  it("accepts a packet of exactly the maximum size", () => {
    const body = new Array(98).fill(0x61);
    const decoder = new Decoder({ protocolVersion: 4, maxPacketSize: 100 });
    decoder.push(new Uint8Array([0x30, 98, 0, 1, 0x74, ...body.slice(3)]));
    expect(decoder.next()?.type).toBe(3);
  });
});

describe("protocol version", () => {
  it("is taken from a decoded CONNECT for the packets that follow", () => {
    const decoder = new Decoder();
    decoder.push(new Uint8Array([0x10, 13, ...str("MQTT"), 5, 2, 0, 0, 0, 0, 0]));
    expect(decoder.next()).toMatchObject({ type: 1, protocolVersion: 5 });
    expect(decoder.protocolVersion).toBe(5);
    // A 5.0 PUBACK with a reason code is now valid.
    decoder.push(new Uint8Array([0x40, 3, 0, 1, 0x10]));
    expect(decoder.next()).toEqual({ type: 4, packetId: 1, reasonCode: 0x10 });
  });
});
