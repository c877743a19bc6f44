import { encode, PacketType, type PublishPacket, type PublishProperties, type QoS } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import { MAX_SHARED_SHAPES, type SendAction, type SessionAction, SharedPublish } from "../src/index.js";
import { bytes, connected, versions } from "./helpers.js";

function sends(actions: SessionAction[]): SendAction[] {
  return actions.filter((a): a is SendAction => a.kind === "send");
}

describe("one encoding per shape for a message sent to many clients", () => {
  for (const version of versions) {
    for (const qos of [0, 1, 2] as const) {
      it(`gives every QoS ${qos} copy at level ${version} the bytes of its own encode, from one template`, () => {
        const shared = new SharedPublish("news/today", bytes("hello"));
        const out: SendAction[] = [];
        for (let i = 0; i < 3; i++) {
          // No outbound Topic Aliases for these clients (their copies would differ per client).
          const p = connected(version, {
            client: { topicAliasMaximum: 0 },
            connect: { clientId: `c${i}`, keepAlive: 0 },
          });
          // Different packet ids per client: some ids are used up first on two of them.
          for (let k = 0; k < i; k++)
            p.onServer((s, now) => s.deliver({ topic: "warm", payload: bytes("x"), qos: 1 }, now));
          const t = p.now;
          out.push(
            ...sends(
              p.server.deliver(
                { topic: shared.topic, payload: shared.payload, qos, retain: true },
                t,
                shared,
              ),
            ),
          );
        }
        expect(out).toHaveLength(3);
        for (const send of out) {
          const packet = send.packet as PublishPacket;
          expect(packet.type).toBe(PacketType.PUBLISH);
          expect(send.bytes).toEqual(encode(packet, version));
        }
        if (qos > 0) expect(new Set(out.map((s) => (s.packet as PublishPacket).packetId)).size).toBe(3);
        expect(shared.shapeCount).toBe(1);
      });
    }
  }

  it("encodes for itself a client that uses outbound Topic Aliases (5.0), whose bytes differ per client", () => {
    const shared = new SharedPublish("t/alias", bytes("p"));
    const p = connected(5, { client: { topicAliasMaximum: 10 } });
    const [send] = sends(
      p.server.deliver({ topic: "t/alias", payload: shared.payload, qos: 0 }, p.now, shared),
    );
    expect(send?.packet).toMatchObject({ properties: { topicAlias: 1 } });
    expect(send?.bytes).toEqual(encode(send?.packet as PublishPacket, 5));
    expect(shared.shapeCount).toBe(0);
  });

  it(`keeps at most ${MAX_SHARED_SHAPES} shapes, and copies past the bound are still right`, () => {
    const shared = new SharedPublish("t", bytes("p"));
    const p = connected(5, { client: { topicAliasMaximum: 0 } });
    for (let i = 0; i < MAX_SHARED_SHAPES + 3; i++) {
      const properties: PublishProperties = { userProperties: [["n", `${i}`]] };
      const qos: QoS = 0;
      const [send] = sends(
        p.server.deliver({ topic: "t", payload: shared.payload, qos, properties }, p.now, shared),
      );
      expect(send?.bytes).toEqual(encode(send?.packet as PublishPacket, 5));
    }
    expect(shared.shapeCount).toBe(MAX_SHARED_SHAPES);
    expect(shared.template(5, 1, false, undefined)).toBeUndefined();
  });
});
