import { describe, expect, it } from "vitest";
import { encode, encode5, encode311, PacketType } from "../src/index.js";

describe("the per-version encoders", () => {
  it("encode311 writes the same bytes as encode at level 4, and at level 3 when asked", () => {
    const sub = {
      type: PacketType.SUBSCRIBE,
      packetId: 3,
      subscriptions: [{ topicFilter: "a/+", qos: 1 as const }],
    };
    expect(Array.from(encode311(sub))).toEqual(Array.from(encode(sub, 4)));
    const connect = {
      type: PacketType.CONNECT,
      protocolVersion: 3 as const,
      clean: true,
      keepAlive: 5,
      clientId: "c",
    };
    expect(Array.from(encode311(connect, 3))).toEqual(Array.from(encode(connect, 3)));
  });

  it("encode5 writes 5.0 packets", () => {
    const ack = { type: PacketType.PUBACK, packetId: 1, reasonCode: 0x10 };
    expect(Array.from(encode5(ack))).toEqual([0x40, 3, 0, 1, 0x10]);
  });
});
