// Fixture table: each packet with its bytes annotated field by field.
import { type Packet, PacketType, type ProtocolVersion } from "../src/index.js";

/** One fixture: a packet, the protocol level, and its exact encoding. */
export interface Fixture {
  name: string;
  version: ProtocolVersion;
  packet: Packet;
  bytes: number[];
}

const str = (s: string): number[] => [
  s.length >> 8,
  s.length & 0xff,
  ...Array.from(s, (c) => c.charCodeAt(0)),
];
const u8 = (...b: number[]) => new Uint8Array(b);

export const fixtures: Fixture[] = [
  {
    name: "MQTT 3.1 CONNECT (MQIsdp, level 3) with user name and password",
    version: 3,
    packet: {
      type: PacketType.CONNECT,
      protocolName: "MQIsdp",
      protocolVersion: 3,
      clean: true,
      keepAlive: 30,
      clientId: "c1",
      username: "u",
      password: u8(0x70),
    },
    bytes: [
      0x10,
      22, // CONNECT, remaining length
      ...str("MQIsdp"), // protocol name
      3, // protocol level
      0b1100_0010, // user name, password, clean session
      0,
      30, // keep alive
      ...str("c1"), // client id
      ...str("u"), // user name
      0,
      1,
      0x70, // password
    ],
  },
  {
    name: "MQTT 3.1.1 CONNECT with a will (QoS 1, retain)",
    version: 4,
    packet: {
      type: PacketType.CONNECT,
      protocolName: "MQTT",
      protocolVersion: 4,
      clean: false,
      keepAlive: 60,
      clientId: "dev",
      will: { topic: "w/t", payload: u8(1, 2), qos: 1, retain: true },
    },
    bytes: [
      0x10,
      24, // CONNECT
      ...str("MQTT"),
      4, // protocol name, level
      0b0010_1100, // will retain, will QoS 1, will flag
      0,
      60, // keep alive
      ...str("dev"), // client id
      ...str("w/t"), // will topic
      0,
      2,
      1,
      2, // will message
    ],
  },
  {
    name: "MQTT 3.1.1 CONNECT with an empty client id",
    version: 4,
    packet: {
      type: PacketType.CONNECT,
      protocolName: "MQTT",
      protocolVersion: 4,
      clean: true,
      keepAlive: 0,
      clientId: "",
    },
    bytes: [0x10, 12, ...str("MQTT"), 4, 0b0000_0010, 0, 0, 0, 0],
  },
  {
    name: "MQTT 5.0 CONNECT with properties, a will with properties, and a password without user name",
    version: 5,
    packet: {
      type: PacketType.CONNECT,
      protocolName: "MQTT",
      protocolVersion: 5,
      clean: true,
      keepAlive: 10,
      clientId: "a",
      properties: { sessionExpiryInterval: 3600, receiveMaximum: 20, userProperties: [["k", "v"]] },
      will: { topic: "t", payload: u8(9), qos: 2, retain: false, properties: { willDelayInterval: 5 } },
      password: u8(0x61, 0x62),
    },
    bytes: [
      0x10,
      45, // CONNECT
      ...str("MQTT"),
      5, // protocol name, level
      0b0101_0110, // password, will QoS 2, will flag, clean start
      0,
      10, // keep alive
      15, // property length
      0x11,
      0,
      0,
      0x0e,
      0x10, // session expiry interval 3600
      0x21,
      0,
      20, // receive maximum 20
      0x26,
      ...str("k"),
      ...str("v"), // user property
      ...str("a"), // client id
      5,
      0x18,
      0,
      0,
      0,
      5, // will properties: will delay interval 5
      ...str("t"), // will topic
      0,
      1,
      9, // will payload
      0,
      2,
      0x61,
      0x62, // password
    ],
  },
  {
    name: "MQTT 3.1.1 CONNACK accepted with session present",
    version: 4,
    packet: { type: PacketType.CONNACK, sessionPresent: true, reasonCode: 0 },
    bytes: [0x20, 2, 1, 0],
  },
  {
    name: "MQTT 3.1.1 CONNACK refused: bad user name or password",
    version: 4,
    packet: { type: PacketType.CONNACK, sessionPresent: false, reasonCode: 4 },
    bytes: [0x20, 2, 0, 4],
  },
  {
    name: "MQTT 5.0 CONNACK with server properties",
    version: 5,
    packet: {
      type: PacketType.CONNACK,
      sessionPresent: false,
      reasonCode: 0,
      properties: {
        assignedClientIdentifier: "x",
        topicAliasMaximum: 10,
        maximumQos: 1,
        sharedSubscriptionAvailable: 0,
      },
    },
    bytes: [
      0x20,
      14, // CONNACK
      0,
      0, // flags, reason code
      11, // property length
      0x12,
      ...str("x"), // assigned client identifier
      0x22,
      0,
      10, // topic alias maximum
      0x24,
      1, // maximum QoS 1
      0x2a,
      0, // shared subscription available 0
    ],
  },
  {
    name: "MQTT 5.0 CONNACK refused with 0x87 Not authorized and no properties",
    version: 5,
    packet: { type: PacketType.CONNACK, sessionPresent: false, reasonCode: 0x87 },
    bytes: [0x20, 3, 0, 0x87, 0],
  },
  {
    name: "MQTT 3.1.1 PUBLISH QoS 0",
    version: 4,
    packet: {
      type: PacketType.PUBLISH,
      topic: "a/b",
      payload: u8(0x68, 0x69),
      qos: 0,
      retain: false,
      dup: false,
    },
    bytes: [0x30, 7, ...str("a/b"), 0x68, 0x69],
  },
  {
    name: "MQTT 3.1.1 PUBLISH QoS 1 retained duplicate",
    version: 4,
    packet: {
      type: PacketType.PUBLISH,
      topic: "t",
      payload: u8(),
      qos: 1,
      retain: true,
      dup: true,
      packetId: 258,
    },
    bytes: [0x3b, 5, ...str("t"), 1, 2],
  },
  {
    name: "MQTT 3.1.1 PUBLISH QoS 2 with a multi-byte UTF-8 topic",
    version: 4,
    packet: {
      type: PacketType.PUBLISH,
      topic: "é/€/😀",
      payload: u8(7),
      qos: 2,
      retain: false,
      dup: false,
      packetId: 1,
    },
    bytes: [0x34, 16, 0, 11, 0xc3, 0xa9, 0x2f, 0xe2, 0x82, 0xac, 0x2f, 0xf0, 0x9f, 0x98, 0x80, 0, 1, 7],
  },
  {
    name: "MQTT 5.0 PUBLISH with an alias, empty topic and several subscription identifiers",
    version: 5,
    packet: {
      type: PacketType.PUBLISH,
      topic: "",
      payload: u8(1),
      qos: 1,
      retain: false,
      dup: false,
      packetId: 7,
      properties: { topicAlias: 3, subscriptionIdentifiers: [1, 200] },
    },
    bytes: [
      0x32,
      14, // PUBLISH QoS 1
      0,
      0, // empty topic
      0,
      7, // packet id
      8, // property length
      0x23,
      0,
      3, // topic alias 3
      0x0b,
      1, // subscription identifier 1
      0x0b,
      0xc8,
      0x01, // subscription identifier 200 (two-byte varint)
      1, // payload
    ],
  },
  {
    name: "MQTT 5.0 PUBLISH with request/response properties",
    version: 5,
    packet: {
      type: PacketType.PUBLISH,
      topic: "r",
      payload: u8(),
      qos: 0,
      retain: false,
      dup: false,
      properties: {
        payloadFormatIndicator: 1,
        messageExpiryInterval: 60,
        contentType: "j",
        responseTopic: "rt",
        correlationData: u8(0xaa),
      },
    },
    bytes: [
      0x30,
      24, // PUBLISH QoS 0
      ...str("r"), // topic
      20, // property length
      0x01,
      1, // payload format indicator
      0x02,
      0,
      0,
      0,
      60, // message expiry interval
      0x03,
      ...str("j"), // content type
      0x08,
      ...str("rt"), // response topic
      0x09,
      0,
      1,
      0xaa, // correlation data
    ],
  },
  {
    name: "MQTT 3.1.1 PUBACK",
    version: 4,
    packet: { type: PacketType.PUBACK, packetId: 1 },
    bytes: [0x40, 2, 0, 1],
  },
  {
    name: "MQTT 3.1.1 PUBREC",
    version: 4,
    packet: { type: PacketType.PUBREC, packetId: 2 },
    bytes: [0x50, 2, 0, 2],
  },
  {
    name: "MQTT 3.1.1 PUBREL (flags 0010)",
    version: 4,
    packet: { type: PacketType.PUBREL, packetId: 3 },
    bytes: [0x62, 2, 0, 3],
  },
  {
    name: "MQTT 3.1.1 PUBCOMP",
    version: 4,
    packet: { type: PacketType.PUBCOMP, packetId: 4 },
    bytes: [0x70, 2, 0, 4],
  },
  {
    name: "MQTT 5.0 PUBACK success in the short form",
    version: 5,
    packet: { type: PacketType.PUBACK, packetId: 9 },
    bytes: [0x40, 2, 0, 9],
  },
  {
    name: "MQTT 5.0 PUBREC with 0x10 No matching subscribers, no properties",
    version: 5,
    packet: { type: PacketType.PUBREC, packetId: 9, reasonCode: 0x10 },
    bytes: [0x50, 3, 0, 9, 0x10],
  },
  {
    name: "MQTT 5.0 PUBACK with a reason string",
    version: 5,
    packet: { type: PacketType.PUBACK, packetId: 1, reasonCode: 0x87, properties: { reasonString: "no" } },
    bytes: [0x40, 9, 0, 1, 0x87, 5, 0x1f, ...str("no")],
  },
  {
    name: "MQTT 5.0 PUBCOMP with 0x92 Packet Identifier not found",
    version: 5,
    packet: { type: PacketType.PUBCOMP, packetId: 5, reasonCode: 0x92 },
    bytes: [0x70, 3, 0, 5, 0x92],
  },
  {
    name: "MQTT 3.1.1 SUBSCRIBE with two filters",
    version: 4,
    packet: {
      type: PacketType.SUBSCRIBE,
      packetId: 10,
      subscriptions: [
        { topicFilter: "a/+", qos: 1 },
        { topicFilter: "#", qos: 2 },
      ],
    },
    bytes: [0x82, 12, 0, 10, ...str("a/+"), 1, ...str("#"), 2],
  },
  {
    name: "MQTT 5.0 SUBSCRIBE with options and a subscription identifier",
    version: 5,
    packet: {
      type: PacketType.SUBSCRIBE,
      packetId: 11,
      properties: { subscriptionIdentifier: 42 },
      subscriptions: [
        { topicFilter: "s", qos: 1, noLocal: true, retainAsPublished: true, retainHandling: 2 },
      ],
    },
    bytes: [
      0x82,
      9, // SUBSCRIBE
      0,
      11, // packet id
      2,
      0x0b,
      42, // properties: subscription identifier 42
      ...str("s"), // filter
      0b0010_1101, // retain handling 2, retain as published, no local, QoS 1
    ],
  },
  {
    name: "MQTT 3.1.1 SUBACK with a failure",
    version: 4,
    packet: { type: PacketType.SUBACK, packetId: 10, reasonCodes: [1, 0x80] },
    bytes: [0x90, 4, 0, 10, 1, 0x80],
  },
  {
    name: "MQTT 5.0 SUBACK with 0x87 and 0xA2",
    version: 5,
    packet: { type: PacketType.SUBACK, packetId: 12, reasonCodes: [0x87, 0xa2] },
    bytes: [0x90, 5, 0, 12, 0, 0x87, 0xa2],
  },
  {
    name: "MQTT 3.1.1 UNSUBSCRIBE",
    version: 4,
    packet: { type: PacketType.UNSUBSCRIBE, packetId: 13, topicFilters: ["a", "b/#"] },
    bytes: [0xa2, 10, 0, 13, ...str("a"), ...str("b/#")],
  },
  {
    name: "MQTT 5.0 UNSUBSCRIBE with a user property",
    version: 5,
    packet: {
      type: PacketType.UNSUBSCRIBE,
      packetId: 14,
      topicFilters: ["x"],
      properties: { userProperties: [["a", "b"]] },
    },
    bytes: [0xa2, 13, 0, 14, 7, 0x26, ...str("a"), ...str("b"), ...str("x")],
  },
  {
    name: "MQTT 3.1.1 UNSUBACK",
    version: 4,
    packet: { type: PacketType.UNSUBACK, packetId: 15 },
    bytes: [0xb0, 2, 0, 15],
  },
  {
    name: "MQTT 5.0 UNSUBACK with reason codes",
    version: 5,
    packet: { type: PacketType.UNSUBACK, packetId: 16, reasonCodes: [0, 0x11] },
    bytes: [0xb0, 5, 0, 16, 0, 0, 0x11],
  },
  { name: "PINGREQ", version: 4, packet: { type: PacketType.PINGREQ }, bytes: [0xc0, 0] },
  { name: "PINGRESP", version: 5, packet: { type: PacketType.PINGRESP }, bytes: [0xd0, 0] },
  { name: "MQTT 3.1.1 DISCONNECT", version: 4, packet: { type: PacketType.DISCONNECT }, bytes: [0xe0, 0] },
  {
    name: "MQTT 5.0 DISCONNECT normal in the short form",
    version: 5,
    packet: { type: PacketType.DISCONNECT },
    bytes: [0xe0, 0],
  },
  {
    name: "MQTT 5.0 DISCONNECT 0x8E Session taken over with a server reference",
    version: 5,
    packet: { type: PacketType.DISCONNECT, reasonCode: 0x8e, properties: { serverReference: "h" } },
    bytes: [0xe0, 6, 0x8e, 4, 0x1c, ...str("h")],
  },
  {
    name: "MQTT 5.0 DISCONNECT with a session expiry override",
    version: 5,
    packet: { type: PacketType.DISCONNECT, reasonCode: 0x04, properties: { sessionExpiryInterval: 0 } },
    bytes: [0xe0, 7, 0x04, 5, 0x11, 0, 0, 0, 0],
  },
  {
    name: "MQTT 5.0 AUTH success in the short form",
    version: 5,
    packet: { type: PacketType.AUTH },
    bytes: [0xf0, 0],
  },
  {
    name: "MQTT 5.0 AUTH continue with method and data",
    version: 5,
    packet: {
      type: PacketType.AUTH,
      reasonCode: 0x18,
      properties: { authenticationMethod: "SCRAM-SHA-256", authenticationData: u8(1, 2, 3) },
    },
    bytes: [0xf0, 24, 0x18, 22, 0x15, ...str("SCRAM-SHA-256"), 0x16, 0, 3, 1, 2, 3],
  },
];
