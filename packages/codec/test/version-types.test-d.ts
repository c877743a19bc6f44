// biome-ignore-all format: each @ts-expect-error must stay right above its one-line call
import { describe, expectTypeOf, it } from "vitest";
import { encode5, encode311, type Packet311, PacketType } from "../src/index.js";

const payload = new Uint8Array();

describe("what differs by version is visible in the types", () => {
  it("a 3.1.1 packet cannot carry 5.0 fields", () => {
    // @ts-expect-error properties do not exist in 3.1.1
    encode311({ type: PacketType.PUBLISH, topic: "t", payload, qos: 0, retain: false, dup: false, properties: { contentType: "x" } });
    // @ts-expect-error reason codes on acknowledgements are 5.0 only
    encode311({ type: PacketType.PUBACK, packetId: 1, reasonCode: 0x10 });
    // @ts-expect-error AUTH exists only in 5.0
    encode311({ type: PacketType.AUTH });
    // @ts-expect-error subscription options are 5.0 only
    encode311({ type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: "a", qos: 0, noLocal: true }] });
    expectTypeOf<Extract<Packet311, { type: 4 }>>().not.toHaveProperty("reasonCode");
  });

  it("the same fields are fine for 5.0", () => {
    expectTypeOf(encode5({ type: PacketType.PUBACK, packetId: 1, reasonCode: 0x10 })).toEqualTypeOf<Uint8Array>();
    expectTypeOf(encode5({ type: PacketType.AUTH })).toEqualTypeOf<Uint8Array>();
    expectTypeOf(encode311({ type: PacketType.PUBACK, packetId: 1 })).toEqualTypeOf<Uint8Array>();
  });
});
