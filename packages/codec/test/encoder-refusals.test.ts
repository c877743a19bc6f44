import { describe, expect, it } from "vitest";
import { encode, InvalidPacketError, PacketType, ReasonCode } from "../src/index.js";
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
