import { describe, expect, it } from "vitest";
import { decodePacket, encode, PacketType, UnsupportedProtocolVersionError } from "../src/index.js";

const str = (s: string) => [0, s.length, ...new TextEncoder().encode(s)];
/** CONNECT with protocol `name` and `level`, clean session, keep alive 60, client id "b". */
const connect = (name: string, level: number) => {
  const body = [...str(name), level, 0x02, 0, 60, ...str("b")];
  return Uint8Array.from([0x10, body.length, ...body]);
};

describe("Mosquitto's bridge bit (protocol level | 0x80, not in the standard)", () => {
  it("reads 0x84 as a 3.1.1 CONNECT from a bridge, and 0x83 as 3.1", () => {
    expect(decodePacket(connect("MQTT", 0x84), { protocolVersion: 4 })).toMatchObject({
      type: PacketType.CONNECT,
      protocolVersion: 4,
      bridge: true,
      clientId: "b",
    });
    expect(decodePacket(connect("MQIsdp", 0x83), { protocolVersion: 3 })).toMatchObject({
      protocolVersion: 3,
      bridge: true,
    });
    expect(decodePacket(connect("MQTT", 4), { protocolVersion: 4 })).not.toHaveProperty("bridge");
  });

  it("is not a 5.0 thing: 0x85 is an unsupported level [MQTT-3.1.2-2]", () => {
    expect(() => decodePacket(connect("MQTT", 0x85), { protocolVersion: 4 })).toThrow(
      UnsupportedProtocolVersionError,
    );
    expect(() => decodePacket(connect("MQTT", 0x86), { protocolVersion: 4 })).toThrow(
      UnsupportedProtocolVersionError,
    );
  });

  it("is written back by encode and round-trips", () => {
    const packet = decodePacket(connect("MQTT", 0x84), { protocolVersion: 4 });
    expect([...encode(packet, 4)]).toEqual([...connect("MQTT", 0x84)]);
  });
});
