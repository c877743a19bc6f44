import { PacketType, ReasonCode } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import { type PublishRequestAction, SessionUsageError } from "../src/index.js";
import type { Pair } from "../src/testing/index.js";
import { bytes, connected, versions } from "./helpers.js";

/** A connected pair whose client asks its shell about every PUBLISH it receives. */
const asking = (version: 3 | 4 | 5): Pair => connected(version, { client: { answerPublishes: true } });
const requests = (p: Pair): PublishRequestAction[] => p.events("client", "publishRequest");
/** Packets the client sent after its CONNECT. */
const sentByClient = (p: Pair) => p.packets("client").slice(1);

describe("client answerPublishes: the acknowledgement waits for the shell", () => {
  for (const version of versions) {
    for (const qos of [1, 2] as const) {
      it(`holds the ${qos === 1 ? "PUBACK" : "PUBREC"} of a QoS ${qos} PUBLISH at level ${version} until answerPublish`, () => {
        const p = asking(version);
        p.onServer((s, now) => s.deliver({ topic: "a/b", payload: bytes("hi"), qos }, now));
        const [request] = requests(p);
        expect(request).toMatchObject({ requestId: 1, topic: "a/b", qos });
        expect(sentByClient(p)).toEqual([]);
        expect(p.client.pendingPublishes).toBe(1);

        p.onClient((c, now) => c.answerPublish(1, 0, now));
        const expected = qos === 1 ? [PacketType.PUBACK] : [PacketType.PUBREC, PacketType.PUBCOMP];
        expect(sentByClient(p).map((x) => x.type)).toEqual(expected);
        expect(p.events("client", "message")).toMatchObject([{ topic: "a/b", qos }]);
        expect(p.client.pendingPublishes).toBe(0);
      });
    }
  }

  it("sends acknowledgements in arrival order even when answered out of order [MQTT-4.6.0-2]", () => {
    const p = asking(5);
    p.onServer((s, now) => s.deliver({ topic: "t/1", payload: bytes("1"), qos: 1 }, now));
    p.onServer((s, now) => s.deliver({ topic: "t/2", payload: bytes("2"), qos: 1 }, now));
    const [first, second] = requests(p);
    p.onClient((c, now) => c.answerPublish(second?.requestId ?? 0, 0, now));
    expect(sentByClient(p)).toEqual([]);
    p.onClient((c, now) => c.answerPublish(first?.requestId ?? 0, 0, now));
    expect(sentByClient(p).map((x) => (x as { packetId?: number }).packetId)).toEqual([
      first?.packetId,
      second?.packetId,
    ]);
  });

  it("makes a request void once the connection ended: no PUBACK, the server resends on the next one", () => {
    const p = asking(4);
    p.onServer((s, now) => s.deliver({ topic: "t", payload: bytes("1"), qos: 1 }, now));
    p.onClient((c, now) => c.closed(now));
    expect(p.client.answerPublish(1, 0, p.now)).toEqual([]);
  });

  it("refuses answerPublish without the option and an unknown reason code", () => {
    const plain = connected(5);
    expect(() => plain.client.answerPublish(1, 0, plain.now)).toThrow(SessionUsageError);
    const p = asking(5);
    p.onServer((s, now) => s.deliver({ topic: "t", payload: bytes("1"), qos: 1 }, now));
    expect(() => p.client.answerPublish(1, ReasonCode.SERVER_BUSY, p.now)).toThrow(SessionUsageError);
  });
});
