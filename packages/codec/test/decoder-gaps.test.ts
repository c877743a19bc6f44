// Decoder gaps of issue 14: MUSTs about topic filters, shared subscriptions and
// AUTH that the decoder used to accept. Rows in the style of errors.test.ts.
import { describe, expect, it } from "vitest";
import {
  decodePacket,
  MalformedPacketError,
  type MqttError,
  PacketType,
  ProtocolError,
  ReasonCode,
} from "../src/index.js";

const str = (s: string): number[] => {
  const b = Array.from(Buffer.from(s, "utf8"));
  return [b.length >> 8, b.length & 0xff, ...b];
};
const pkt = (first: number, ...body: number[]) => new Uint8Array([first, body.length, ...body]);
/** SUBSCRIBE, packet id 1, one filter with `options`. */
const subscribe = (version: 4 | 5, filter: string, options = 0) =>
  pkt(0x82, 0, 1, ...(version === 5 ? [0] : []), ...str(filter), options);
const unsubscribe = (version: 4 | 5, filter: string) =>
  pkt(0xa2, 0, 1, ...(version === 5 ? [0] : []), ...str(filter));

interface GapCase {
  name: string;
  version: 4 | 5;
  bytes: Uint8Array;
  error: new (...args: never[]) => MqttError;
  reasonCode: number;
  statement?: string;
}

const malformed = (name: string, version: 4 | 5, bytes: Uint8Array, statement: string): GapCase => ({
  name,
  version,
  bytes,
  error: MalformedPacketError,
  reasonCode: ReasonCode.MALFORMED_PACKET,
  statement,
});

const cases: GapCase[] = [
  malformed("a 3.1.1 SUBSCRIBE to a/#/b [MQTT-4.7.1-2]", 4, subscribe(4, "a/#/b"), "MQTT-4.7.1-2"),
  malformed("a 3.1.1 SUBSCRIBE to a# [MQTT-4.7.1-2]", 4, subscribe(4, "a#"), "MQTT-4.7.1-2"),
  malformed("a 3.1.1 SUBSCRIBE to a+/b [MQTT-4.7.1-3]", 4, subscribe(4, "a+/b"), "MQTT-4.7.1-3"),
  malformed("a 3.1.1 SUBSCRIBE to an empty filter [MQTT-4.7.3-1]", 4, subscribe(4, ""), "MQTT-4.7.3-1"),
  malformed(
    "a 5.0 SUBSCRIBE to sport/tennis# [MQTT-4.7.1-1]",
    5,
    subscribe(5, "sport/tennis#"),
    "MQTT-4.7.1-1",
  ),
  malformed("a 5.0 SUBSCRIBE to #/a [MQTT-4.7.1-1]", 5, subscribe(5, "#/a"), "MQTT-4.7.1-1"),
  malformed("a 5.0 SUBSCRIBE to sport+ [MQTT-4.7.1-2]", 5, subscribe(5, "sport+"), "MQTT-4.7.1-2"),
  malformed(
    "a 5.0 SUBSCRIBE to a non-ASCII level with + after it [MQTT-4.7.1-2]",
    5,
    subscribe(5, "é+"),
    "MQTT-4.7.1-2",
  ),
  malformed("a 3.1.1 UNSUBSCRIBE from a/#/b [MQTT-4.7.1-2]", 4, unsubscribe(4, "a/#/b"), "MQTT-4.7.1-2"),
  malformed("a 5.0 UNSUBSCRIBE from a+ [MQTT-4.7.1-2]", 5, unsubscribe(5, "a+"), "MQTT-4.7.1-2"),
  malformed("a 5.0 UNSUBSCRIBE from an empty filter [MQTT-4.7.3-1]", 5, unsubscribe(5, ""), "MQTT-4.7.3-1"),
  malformed(
    "a 5.0 shared subscription with an empty ShareName [MQTT-4.8.2-1]",
    5,
    subscribe(5, "$share//t"),
    "MQTT-4.8.2-1",
  ),
  malformed(
    "a 5.0 shared subscription with only an empty ShareName [MQTT-4.8.2-1]",
    5,
    subscribe(5, "$share/"),
    "MQTT-4.8.2-1",
  ),
  malformed(
    "a 5.0 shared subscription with + in the ShareName [MQTT-4.8.2-2]",
    5,
    subscribe(5, "$share/a+b/t"),
    "MQTT-4.8.2-2",
  ),
  malformed(
    "a 5.0 shared subscription with # in the ShareName [MQTT-4.8.2-2]",
    5,
    subscribe(5, "$share/a#/t"),
    "MQTT-4.8.2-2",
  ),
  malformed(
    "a 5.0 shared subscription without a filter [MQTT-4.8.2-2]",
    5,
    subscribe(5, "$share/g"),
    "MQTT-4.8.2-2",
  ),
  malformed(
    "a 5.0 shared subscription with / and no filter [MQTT-4.8.2-2]",
    5,
    subscribe(5, "$share/g/"),
    "MQTT-4.8.2-2",
  ),
  malformed(
    "a 5.0 shared subscription with a bad filter [MQTT-4.7.1-1]",
    5,
    subscribe(5, "$share/g/a/#/b"),
    "MQTT-4.7.1-1",
  ),
  malformed(
    "a 5.0 UNSUBSCRIBE from a shared filter without a ShareName [MQTT-4.8.2-1]",
    5,
    unsubscribe(5, "$share//t"),
    "MQTT-4.8.2-1",
  ),
  {
    name: "No Local on a 5.0 shared subscription [MQTT-3.8.3-4]",
    version: 5,
    bytes: subscribe(5, "$share/g/t", 0b0000_0100),
    error: ProtocolError,
    reasonCode: ReasonCode.PROTOCOL_ERROR,
    statement: "MQTT-3.8.3-4",
  },
  {
    name: "a 5.0 AUTH with a reason code and no properties (section 3.15.2.2.2)",
    version: 5,
    bytes: pkt(0xf0, 0x18),
    error: ProtocolError,
    reasonCode: ReasonCode.PROTOCOL_ERROR,
  },
  {
    name: "a 5.0 AUTH with properties but no Authentication Method (section 3.15.2.2.2)",
    version: 5,
    bytes: pkt(0xf0, 0x18, 3, 0x16, 0, 0), // Authentication Data only
    error: ProtocolError,
    reasonCode: ReasonCode.PROTOCOL_ERROR,
  },
];

describe("the decoder enforces topic-filter, shared-subscription and AUTH rules", () => {
  it.each(cases)("refuses $name", ({ version, bytes, error, reasonCode, statement }) => {
    let thrown: unknown;
    try {
      decodePacket(bytes, { protocolVersion: version });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(error);
    expect((thrown as MqttError).reasonCode).toBe(reasonCode);
    expect((thrown as MqttError).statement).toBe(statement);
  });
});

describe("the decoder still accepts the valid forms", () => {
  it.each([
    [4, "#"],
    [4, "+"],
    [4, "a/+/b/#"],
    [4, "+/+"],
    [4, "/"],
    [4, "$share//t"], // 3.1.1 has no shared subscriptions: an ordinary filter
    [5, "$share/g/#"],
    [5, "$share/g/+/x"],
    [5, "$shared/a"],
    [5, "a/b/"],
  ] as const)("reads a level-%i SUBSCRIBE to %s", (version, filter) => {
    expect(decodePacket(subscribe(version, filter), { protocolVersion: version })).toMatchObject({
      type: PacketType.SUBSCRIBE,
      subscriptions: [{ topicFilter: filter }],
    });
  });

  it("reads No Local on a non-shared 5.0 subscription", () => {
    expect(decodePacket(subscribe(5, "t", 0b100), { protocolVersion: 5 })).toMatchObject({
      subscriptions: [{ topicFilter: "t", noLocal: true }],
    });
  });

  it("reads the abbreviated 5.0 AUTH of section 3.15.2.1 (Remaining Length 0)", () => {
    expect(decodePacket(Uint8Array.of(0xf0, 0), { protocolVersion: 5 })).toEqual({ type: PacketType.AUTH });
  });

  it("reads a 5.0 AUTH that carries its Authentication Method", () => {
    const bytes = pkt(0xf0, 0x18, 8, 0x15, ...str("SCRAM"));
    expect(decodePacket(bytes, { protocolVersion: 5 })).toMatchObject({
      reasonCode: 0x18,
      properties: { authenticationMethod: "SCRAM" },
    });
  });
});
