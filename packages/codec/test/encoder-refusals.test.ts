import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encode, InvalidPacketError, type Packet, PacketType, ReasonCode } from "../src/index.js";
import { refusals } from "./encoder-refusals.js";

describe("the encoder refuses what it cannot put on the wire", () => {
  it.each(refusals)("throws InvalidPacketError for $name", ({ packet, version, statement, message }) => {
    let thrown: unknown;
    try {
      encode(packet, version);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(InvalidPacketError);
    const err = thrown as InvalidPacketError;
    expect(err.name).toBe("InvalidPacketError");
    expect(err.reasonCode).toBe(ReasonCode.MALFORMED_PACKET);
    expect(err.statement).toBe(statement);
    expect(err.message).toContain(message);
  });

  it("still writes an ASCII topic of exactly 65,535 bytes with a correct length prefix", () => {
    const topic = "a".repeat(65_535);
    const bytes = encode(
      { type: PacketType.PUBLISH, topic, payload: new Uint8Array(0), qos: 0, retain: false, dup: false },
      4,
    );
    // Remaining length 65,537 takes three bytes; the topic length follows it.
    expect([bytes[4], bytes[5]]).toEqual([0xff, 0xff]);
  });
});

describe("encoder refusals, as properties", () => {
  const anyTopic = fc.string({ unit: "grapheme", minLength: 1, maxLength: 20 });

  it("refuses every PUBLISH topic with + or # wherever it stands [MQTT-3.3.2-2]", () => {
    fc.assert(
      fc.property(
        anyTopic,
        anyTopic,
        fc.constantFrom("+", "#"),
        fc.constantFrom(4, 5),
        (a, b, w, version) => {
          const topic = `${a}${w}${b}`.replaceAll("\u0000", "x");
          const p = {
            type: PacketType.PUBLISH,
            topic,
            payload: new Uint8Array(0),
            qos: 0,
            retain: false,
            dup: false,
          } as const;
          expect(() => encode(p, version as 4 | 5)).toThrow(InvalidPacketError);
        },
      ),
      { numRuns: 300, seed: 3 },
    );
  });

  it("refuses every user property name or value that is not a string", () => {
    const notString = fc.oneof(
      fc.constant(null),
      fc.constant(undefined),
      fc.integer(),
      fc.boolean(),
      fc.object(),
    );
    fc.assert(
      fc.property(notString, fc.boolean(), (bad, inName) => {
        const pair = inName ? [bad, "v"] : ["k", bad];
        const p = {
          type: PacketType.PUBLISH,
          topic: "t",
          payload: new Uint8Array(0),
          qos: 0,
          retain: false,
          dup: false,
          properties: { userProperties: [pair] },
        } as unknown as Packet;
        expect(() => encode(p, 5)).toThrow(InvalidPacketError);
      }),
      { numRuns: 200, seed: 4 },
    );
  });

  it("writes a length prefix equal to the topic's UTF-8 length for every topic it accepts", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", minLength: 1, maxLength: 40 }), (raw) => {
        const topic = raw.replaceAll("+", "x").replaceAll("#", "x").replaceAll("\u0000", "x");
        const bytes = encode(
          { type: PacketType.PUBLISH, topic, payload: new Uint8Array(0), qos: 0, retain: false, dup: false },
          4,
        );
        let at = 1; // skip the first byte and the remaining length
        while (bytes[at]! & 0x80) at++;
        at++;
        expect((bytes[at]! << 8) | bytes[at + 1]!).toBe(Buffer.byteLength(topic, "utf8"));
      }),
      { numRuns: 300, seed: 5 },
    );
  });
});
