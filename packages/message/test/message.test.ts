import {
  decodePacket,
  encode,
  PacketType,
  ProtocolVersion,
  type PublishPacket,
  ReasonCode,
} from "@amqtt/codec";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ApplicationMessage,
  IncomingApplicationMessage,
  type MessageProperties,
  OutgoingApplicationMessage,
  PayloadFormatInvalidError,
} from "../src/index.js";

const bytes = (text: string) => new TextEncoder().encode(text);

const fullProperties: MessageProperties = {
  payloadFormatIndicator: 1,
  messageExpiryInterval: 3600,
  contentType: "application/json",
  responseTopic: "replies/client-1",
  correlationData: new Uint8Array([1, 2, 3]),
  userProperties: [
    ["k", "v1"],
    ["k", "v2"],
  ],
  subscriptionIdentifiers: [7, 42],
};

/** Encodes and decodes a packet, as it would cross the wire. */
function overTheWire(packet: PublishPacket, version: ProtocolVersion): PublishPacket {
  const decoded = decodePacket(encode(packet, version), { protocolVersion: version });
  if (decoded.type !== PacketType.PUBLISH) throw new Error("not a PUBLISH");
  return decoded;
}

describe("ApplicationMessage", () => {
  it("holds the constructor arguments under aMQTT's names, and no flow packets yet", () => {
    const data = bytes("hello");
    const m = new ApplicationMessage(7, "a/b", 1, data, true);
    expect(m.packetId).toBe(7);
    expect(m.topic).toBe("a/b");
    expect(m.qos).toBe(1);
    expect(m.data).toBe(data);
    expect(m.retain).toBe(true);
    expect(m.properties).toEqual({});
    expect(m.publishPacket).toBeUndefined();
    expect(m.pubackPacket).toBeUndefined();
    expect(m.pubrecPacket).toBeUndefined();
    expect(m.pubrelPacket).toBeUndefined();
    expect(m.pubcompPacket).toBeUndefined();
  });

  it("lets the flow packets be recorded", () => {
    const m = new ApplicationMessage(3, "a", 2, bytes("x"), false);
    m.pubrecPacket = { type: PacketType.PUBREC, packetId: 3 };
    m.pubrelPacket = { type: PacketType.PUBREL, packetId: 3 };
    m.pubcompPacket = { type: PacketType.PUBCOMP, packetId: 3 };
    expect(m.pubrecPacket.packetId).toBe(3);
    expect(m.pubcompPacket.type).toBe(PacketType.PUBCOMP);
    const q1 = new ApplicationMessage(4, "a", 1, bytes("x"), false);
    q1.pubackPacket = {
      type: PacketType.PUBACK,
      packetId: 4,
      reasonCode: ReasonCode.NO_MATCHING_SUBSCRIBERS,
    };
    expect(q1.pubackPacket.reasonCode).toBe(0x10);
  });

  it("throws on API misuse: QoS 3, a packet id outside 1..65535, data that is not bytes", () => {
    expect(() => new ApplicationMessage(1, "a", 3 as 0, bytes(""), false)).toThrow(RangeError);
    expect(() => new ApplicationMessage(0, "a", 1, bytes(""), false)).toThrow(RangeError);
    expect(() => new ApplicationMessage(65_536, "a", 1, bytes(""), false)).toThrow(RangeError);
    expect(() => new ApplicationMessage(1.5, "a", 1, bytes(""), false)).toThrow(RangeError);
    expect(() => new ApplicationMessage(1, "a", 1, "text" as unknown as Uint8Array, false)).toThrow(
      TypeError,
    );
  });

  it("builds its PUBLISH packet", () => {
    const m = new ApplicationMessage(9, "a/b", 2, bytes("x"), true);
    expect(m.buildPublishPacket()).toEqual({
      type: PacketType.PUBLISH,
      topic: "a/b",
      payload: bytes("x"),
      qos: 2,
      retain: true,
      dup: false,
      packetId: 9,
    });
    expect(m.buildPublishPacket(true).dup).toBe(true);
  });

  it("never sets DUP on a QoS 0 PUBLISH [MQTT-3.3.1-2]", () => {
    const m = new ApplicationMessage(undefined, "a", 0, bytes("x"), false);
    expect(m.buildPublishPacket(true).dup).toBe(false);
  });

  it("leaves the packet id out of a QoS 0 PUBLISH [MQTT-2.2.1-2] (3.1.1 [MQTT-2.3.1-5])", () => {
    const m = new ApplicationMessage(5, "a", 0, bytes("x"), false);
    expect(m.buildPublishPacket()).not.toHaveProperty("packetId");
  });

  it("refuses to build a QoS 1 or 2 PUBLISH without a packet id", () => {
    expect(() => new ApplicationMessage(undefined, "a", 1, bytes("x"), false).buildPublishPacket()).toThrow(
      RangeError,
    );
  });

  it("puts the MQTT 5 properties in the PUBLISH only when there are some", () => {
    expect(
      new ApplicationMessage(undefined, "a", 0, bytes(""), false).buildPublishPacket(),
    ).not.toHaveProperty("properties");
    const m = new ApplicationMessage(undefined, "a", 0, bytes(""), false, { contentType: "text/plain" });
    expect(m.buildPublishPacket().properties).toEqual({ contentType: "text/plain" });
  });
});

describe("payload format indicator", () => {
  it("accepts any payload when the indicator is absent or 0", () => {
    const invalid = new Uint8Array([0xff, 0xfe]);
    expect(new ApplicationMessage(undefined, "a", 0, invalid, false).isPayloadFormatValid()).toBe(true);
    expect(
      new ApplicationMessage(undefined, "a", 0, invalid, false, {
        payloadFormatIndicator: 0,
      }).isPayloadFormatValid(),
    ).toBe(true);
  });

  it("checks that a payload marked UTF-8 is well-formed UTF-8", () => {
    const utf8 = { payloadFormatIndicator: 1 as const };
    expect(
      new ApplicationMessage(undefined, "a", 0, bytes("héllo 😀"), false, utf8).isPayloadFormatValid(),
    ).toBe(true);
    for (const bad of [[0xff], [0xc3], [0xed, 0xa0, 0x80], [0xc0, 0x80]]) {
      expect(
        new ApplicationMessage(undefined, "a", 0, new Uint8Array(bad), false, utf8).isPayloadFormatValid(),
      ).toBe(false);
    }
  });

  it("rejects a PUBLISH marked UTF-8 with a bad payload when asked to check, with reason code 0x99", () => {
    const packet: PublishPacket = {
      type: PacketType.PUBLISH,
      topic: "a",
      payload: new Uint8Array([0xff]),
      qos: 0,
      retain: false,
      dup: false,
      properties: { payloadFormatIndicator: 1 },
    };
    expect(() => IncomingApplicationMessage.fromPublishPacket(packet)).not.toThrow();
    let error: unknown;
    try {
      IncomingApplicationMessage.fromPublishPacket(packet, { checkPayloadFormat: true });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PayloadFormatInvalidError);
    expect((error as PayloadFormatInvalidError).reasonCode).toBe(ReasonCode.PAYLOAD_FORMAT_INVALID);
    expect((error as PayloadFormatInvalidError).name).toBe("PayloadFormatInvalidError");
  });
});

describe("incoming and outgoing messages", () => {
  it("are ApplicationMessages that say which way they travel", () => {
    const incoming = new IncomingApplicationMessage(1, "a", 1, bytes("x"), false);
    const outgoing = new OutgoingApplicationMessage(1, "a", 1, bytes("x"), false);
    expect(incoming).toBeInstanceOf(ApplicationMessage);
    expect(outgoing).toBeInstanceOf(ApplicationMessage);
    expect(incoming.direction).toBe("incoming");
    expect(outgoing.direction).toBe("outgoing");
  });

  it("are made by fromPublishPacket of their own class, which records the PUBLISH", () => {
    const packet: PublishPacket = {
      type: PacketType.PUBLISH,
      topic: "a/b",
      payload: bytes("x"),
      qos: 1,
      retain: false,
      dup: true,
      packetId: 12,
    };
    const m = IncomingApplicationMessage.fromPublishPacket(packet);
    expect(m).toBeInstanceOf(IncomingApplicationMessage);
    expect(m.direction).toBe("incoming");
    expect(m.publishPacket).toBe(packet);
    expect(m.packetId).toBe(12);
    expect(OutgoingApplicationMessage.fromPublishPacket(packet)).toBeInstanceOf(OutgoingApplicationMessage);
    expect(ApplicationMessage.fromPublishPacket(packet)).toBeInstanceOf(ApplicationMessage);
  });

  it("drop the Topic Alias, which belongs to the connection and not to the message", () => {
    const packet: PublishPacket = {
      type: PacketType.PUBLISH,
      topic: "a/b",
      payload: bytes("x"),
      qos: 0,
      retain: false,
      dup: false,
      properties: { topicAlias: 3, contentType: "t" },
    };
    expect(IncomingApplicationMessage.fromPublishPacket(packet).properties).toEqual({ contentType: "t" });
  });
});

describe("round trip through the wire", () => {
  it("keeps every message field over MQTT 3.1.1, which carries no properties", () => {
    const sent = new OutgoingApplicationMessage(300, "a/b", 1, bytes("payload"), true, fullProperties);
    const wire = overTheWire(sent.buildPublishPacket(true), ProtocolVersion.V3_1_1);
    const received = IncomingApplicationMessage.fromPublishPacket(wire);
    expect(received.topic).toBe("a/b");
    expect(received.qos).toBe(1);
    expect(received.packetId).toBe(300);
    expect(received.retain).toBe(true);
    expect(received.data).toEqual(bytes("payload"));
    expect(received.properties).toEqual({});
    expect(received.publishPacket?.dup).toBe(true);
  });

  it("keeps every message field and property over MQTT 5.0", () => {
    const sent = new OutgoingApplicationMessage(1, "a/b", 2, bytes("{}"), false, fullProperties);
    const received = IncomingApplicationMessage.fromPublishPacket(
      overTheWire(sent.buildPublishPacket(), ProtocolVersion.V5),
      { checkPayloadFormat: true },
    );
    expect(received.topic).toBe("a/b");
    expect(received.qos).toBe(2);
    expect(received.packetId).toBe(1);
    expect(received.retain).toBe(false);
    expect(received.data).toEqual(bytes("{}"));
    expect(received.properties).toEqual(fullProperties);
  });

  it("keeps random messages intact over 3.1.1 and 5.0", () => {
    const messageArb = fc.record({
      topic: fc.stringMatching(/^[a-z0-9/$ ]{1,20}$/),
      qos: fc.constantFrom<0 | 1 | 2>(0, 1, 2),
      packetId: fc.integer({ min: 1, max: 65_535 }),
      data: fc.uint8Array({ maxLength: 64 }),
      retain: fc.boolean(),
      dup: fc.boolean(),
      expiry: fc.option(fc.integer({ min: 0, max: 2 ** 32 - 1 }), { nil: undefined }),
      user: fc.array(fc.tuple(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 })), { maxLength: 3 }),
      version: fc.constantFrom(ProtocolVersion.V3_1_1, ProtocolVersion.V5),
    });
    fc.assert(
      fc.property(messageArb, (m) => {
        const properties: MessageProperties = {};
        if (m.expiry !== undefined) properties.messageExpiryInterval = m.expiry;
        if (m.user.length > 0) properties.userProperties = m.user;
        const packetId = m.qos > 0 ? m.packetId : undefined;
        const sent = new OutgoingApplicationMessage(packetId, m.topic, m.qos, m.data, m.retain, properties);
        const wire = overTheWire(sent.buildPublishPacket(m.dup), m.version);
        const received = IncomingApplicationMessage.fromPublishPacket(wire);
        expect(received.topic).toBe(m.topic);
        expect(received.qos).toBe(m.qos);
        expect(received.packetId).toBe(packetId);
        expect(received.retain).toBe(m.retain);
        expect(received.data).toEqual(m.data);
        expect(received.publishPacket?.dup).toBe(m.dup && m.qos > 0);
        expect(received.properties).toEqual(m.version === ProtocolVersion.V5 ? properties : {});
        // Building again gives back the decoded packet's fields.
        const rebuilt = received.buildPublishPacket(wire.dup);
        expect({ ...rebuilt, properties: rebuilt.properties ?? {} }).toEqual({
          ...wire,
          properties: wire.properties ?? {},
        });
      }),
      { numRuns: 300 },
    );
  });
});
