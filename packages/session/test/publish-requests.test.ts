import { type Packet, PacketType, type ProtocolVersion, type PublishPacket, ReasonCode } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import { ClientSession, type PublishRequestAction, ServerSession, SessionUsageError } from "../src/index.js";
import { type Pair, pair } from "../src/testing/index.js";
import { bytes, connected, versions, wire } from "./helpers.js";

type Options = NonNullable<Parameters<typeof connected>[1]>;

/** A connected pair whose server asks about every PUBLISH and leaves the answers to the test. */
function asking(version: ProtocolVersion, options: Options = {}): Pair {
  return connected(version, {
    ...options,
    server: { answerPublishes: true, ...options.server },
    pair: { shell: { onPublish: () => "manual" }, ...options.pair },
  });
}

const publish = (packetId: number | undefined, qos: 0 | 1 | 2, extra: Partial<PublishPacket> = {}) =>
  ({
    type: PacketType.PUBLISH,
    topic: `t/${packetId ?? 0}`,
    payload: bytes(`m${packetId ?? 0}`),
    qos,
    retain: false,
    dup: false,
    ...(packetId === undefined ? {} : { packetId }),
    ...extra,
  }) as PublishPacket;

const requests = (p: Pair): PublishRequestAction[] => p.events("server", "publishRequest");
const answer = (p: Pair, requestId: number, code: number, properties?: { reasonString?: string }) =>
  p.onServer((s, now) => s.answerPublish(requestId, code, now, properties));
/** Packets the server sent after CONNACK. */
const sent = (p: Pair): Packet[] => p.packets("server").slice(1);

describe("answerPublishes: the shell decides each incoming PUBLISH", () => {
  for (const version of versions) {
    for (const qos of [0, 1, 2] as const) {
      it(`asks before acknowledging or delivering a QoS ${qos} PUBLISH at level ${version}, then does both on 0x00`, () => {
        const p = asking(version);
        p.onClient((c, now) => c.publish({ topic: "a/b", payload: bytes("hi"), qos }, now));
        const [request] = requests(p);
        expect(request).toMatchObject({ requestId: 1, topic: "a/b", qos, retain: false, dup: false });
        expect(request?.payload).toEqual(bytes("hi"));
        if (qos > 0) expect(request?.packetId).toBe(1);
        expect(sent(p)).toEqual([]);
        expect(p.events("server", "message")).toEqual([]);

        answer(p, 1, 0);
        expect(p.events("server", "message")).toMatchObject([{ topic: "a/b", qos }]);
        const expected = [[], [PacketType.PUBACK], [PacketType.PUBREC, PacketType.PUBCOMP]][qos];
        expect(sent(p).map((x) => x.type)).toEqual(expected);
        if (qos > 0) expect(p.events("client", "acked")).toMatchObject([{ qos, reasonCode: 0 }]);
        expect(p.server.pendingPublishes).toBe(0);
      });
    }

    it(`asks first and then delivers once with the default pair() shell at level ${version}`, () => {
      const p = connected(version, { server: { answerPublishes: true } });
      p.onClient((c, now) => c.publish({ topic: "x", payload: bytes("1"), qos: 2 }, now));
      const kinds = p.actions.server
        .map((a) => a.kind)
        .filter((k) => k === "publishRequest" || k === "message");
      expect(kinds).toEqual(["publishRequest", "message"]);
      expect(p.events("client", "acked")).toMatchObject([{ qos: 2, reasonCode: 0 }]);
    });
  }

  it("answers 0x10 No matching subscribers in the PUBACK and still delivers (5.0)", () => {
    const p = asking(5);
    p.onClient((c, now) => c.publish({ topic: "a", payload: bytes("1"), qos: 1 }, now));
    answer(p, 1, ReasonCode.NO_MATCHING_SUBSCRIBERS);
    expect(sent(p)).toEqual([{ type: PacketType.PUBACK, packetId: 1, reasonCode: 0x10 }]);
    expect(p.events("server", "message")).toHaveLength(1);
  });

  it("refuses a QoS 1 PUBLISH with PUBACK 0x87 and no message (5.0)", () => {
    const p = asking(5);
    p.onClient((c, now) => c.publish({ topic: "secret", payload: bytes("1"), qos: 1 }, now));
    answer(p, 1, ReasonCode.NOT_AUTHORIZED, { reasonString: "acl" });
    expect(sent(p)).toEqual([
      { type: PacketType.PUBACK, packetId: 1, reasonCode: 0x87, properties: { reasonString: "acl" } },
    ]);
    expect(p.events("server", "message")).toEqual([]);
    expect(p.events("client", "acked")).toMatchObject([{ packetId: 1, qos: 1, reasonCode: 0x87 }]);
  });

  it("leaves the Reason String off the ack when the client asked for no problem information [MQTT-3.1.2-29]", () => {
    const p = asking(5, {
      connect: { clientId: "c1", keepAlive: 0, properties: { requestProblemInformation: 0 } },
    });
    p.onClient((c, now) => c.publish({ topic: "secret", payload: bytes("1"), qos: 1 }, now));
    answer(p, 1, ReasonCode.NOT_AUTHORIZED, { reasonString: "acl" });
    const [puback] = sent(p);
    expect(puback).toMatchObject({ type: PacketType.PUBACK, packetId: 1, reasonCode: 0x87 });
    expect(puback?.type === PacketType.PUBACK && puback.properties?.reasonString).toBeFalsy();
  });

  it("refuses a QoS 2 PUBLISH with PUBREC 0x87: no PUBREL follows and the id is free again [MQTT-4.3.3-9]", () => {
    const p = asking(5);
    p.onClient((c, now) => c.publish({ topic: "secret", payload: bytes("1"), qos: 2 }, now));
    answer(p, 1, ReasonCode.TOPIC_NAME_INVALID);
    expect(sent(p)).toEqual([{ type: PacketType.PUBREC, packetId: 1, reasonCode: 0x90 }]);
    expect(p.packets("client").filter((x) => x.type === PacketType.PUBREL)).toEqual([]);
    expect(p.events("client", "acked")).toMatchObject([{ qos: 2, reasonCode: 0x90 }]);
    expect(p.server.snapshot().receiver.awaitingRelease).toEqual([]);
    // The same id again is a new message, hence a new request.
    p.inject("server", wire(publish(1, 2), 5));
    expect(requests(p).map((r) => r.requestId)).toEqual([1, 2]);
    expect(p.events("server", "message")).toEqual([]);
  });

  for (const version of [3, 4] as const) {
    it(`acknowledges a refused PUBLISH normally and drops it at level ${version} (no negative ack)`, () => {
      const p = asking(version);
      p.onClient((c, now) => c.publish({ topic: "q1", payload: bytes("1"), qos: 1 }, now));
      p.onClient((c, now) => c.publish({ topic: "q2", payload: bytes("2"), qos: 2 }, now));
      answer(p, 1, ReasonCode.NOT_AUTHORIZED, { reasonString: "ignored in 3.1.1" });
      answer(p, 2, ReasonCode.QUOTA_EXCEEDED);
      expect(sent(p)).toEqual([
        { type: PacketType.PUBACK, packetId: 1 },
        { type: PacketType.PUBREC, packetId: 2 },
        { type: PacketType.PUBCOMP, packetId: 2 },
      ]);
      expect(p.events("server", "message")).toEqual([]);
      expect(p.events("client", "acked")).toMatchObject([{ reasonCode: 0 }, { reasonCode: 0 }]);
    });
  }

  for (const version of versions) {
    it(`asks about QoS 0 too and delivers it only on an accepting answer at level ${version}`, () => {
      const p = asking(version);
      p.onClient((c, now) => c.publish({ topic: "a", payload: bytes("0"), qos: 0 }, now));
      p.onClient((c, now) => c.publish({ topic: "b", payload: bytes("1"), qos: 0 }, now));
      expect(requests(p)).toMatchObject([
        { requestId: 1, topic: "a" },
        { requestId: 2, topic: "b" },
      ]);
      expect(requests(p)[0]?.packetId).toBeUndefined();
      answer(p, 1, ReasonCode.PAYLOAD_FORMAT_INVALID);
      answer(p, 2, 0);
      expect(p.events("server", "message")).toMatchObject([{ topic: "b" }]);
      expect(sent(p)).toEqual([]);
    });
  }

  it("sends PUBACKs and PUBRECs in arrival order whatever the order of the answers [MQTT-4.6.0-2] [MQTT-4.6.0-3]", () => {
    const p = asking(5);
    for (const qos of [1, 2, 0, 1, 2] as const)
      p.onClient((c, now) => c.publish({ topic: `q${qos}`, payload: bytes("x"), qos }, now));
    expect(requests(p).map((r) => r.packetId)).toEqual([1, 2, undefined, 3, 4]);
    expect(answer(p, 5, 0)).toEqual([]);
    expect(answer(p, 2, ReasonCode.NOT_AUTHORIZED)).toEqual([]);
    expect(answer(p, 4, 0)).toEqual([]);
    expect(answer(p, 3, 0)).toEqual([]);
    expect(sent(p)).toEqual([]);
    expect(p.server.pendingPublishes).toBe(5);
    answer(p, 1, 0);
    expect(sent(p).filter((x) => x.type !== PacketType.PUBCOMP)).toEqual([
      { type: PacketType.PUBACK, packetId: 1 },
      { type: PacketType.PUBREC, packetId: 2, reasonCode: 0x87 },
      { type: PacketType.PUBACK, packetId: 3 },
      { type: PacketType.PUBREC, packetId: 4 },
    ]);
    // Messages keep the arrival order too (Ordered Topic, [MQTT-4.6.0-6]).
    expect(p.events("server", "message").map((m) => [m.topic, m.packetId])).toEqual([
      ["q1", 1],
      ["q0", undefined],
      ["q1", 3],
      ["q2", 4],
    ]);
    expect(p.server.pendingPublishes).toBe(0);
  });

  it("counts pending requests against our Receive Maximum and disconnects with 0x93 past it", () => {
    const p = asking(5, { server: { receiveMaximum: 2 } });
    p.inject("server", wire(publish(1, 1), 5));
    p.inject("server", wire(publish(2, 2), 5));
    p.inject("server", wire(publish(undefined, 0), 5)); // QoS 0 is not counted
    expect(p.server.state).toBe("connected");
    answer(p, 1, 0); // the PUBACK frees one slot; the QoS 2 request still holds one
    p.inject("server", wire(publish(3, 1), 5));
    expect(p.server.state).toBe("connected");
    p.inject("server", wire(publish(4, 1), 5));
    expect(p.packets("server").at(-1)).toEqual({
      type: PacketType.DISCONNECT,
      reasonCode: ReasonCode.RECEIVE_MAXIMUM_EXCEEDED,
    });
    expect(p.server.state).toBe("closed");
  });

  it("counts answered QoS 2 messages awaiting PUBREL together with pending requests", () => {
    const p = asking(5, { server: { receiveMaximum: 2 }, pair: { drop: (from) => from === "server" } });
    p.inject("server", wire(publish(1, 2), 5));
    answer(p, 1, 0); // PUBREC lost: id 1 stays unacknowledged until PUBREL
    p.inject("server", wire(publish(2, 1), 5));
    p.inject("server", wire(publish(3, 1), 5));
    expect(p.events("server", "protocolError")).toMatchObject([{ error: { reasonCode: 0x93 } }]);
  });

  it("bounds the PUBLISH packets waiting for an answer with maxPendingPublishes (0x97)", () => {
    const p = asking(5, { server: { maxPendingPublishes: 2 } });
    p.inject("server", wire(publish(undefined, 0), 5));
    p.inject("server", wire(publish(undefined, 0), 5));
    expect(p.server.pendingPublishes).toBe(2);
    p.inject("server", wire(publish(undefined, 0), 5));
    expect(requests(p)).toHaveLength(2);
    expect(p.packets("server").at(-1)).toEqual({
      type: PacketType.DISCONNECT,
      reasonCode: ReasonCode.QUOTA_EXCEEDED,
    });
    expect(p.server.state).toBe("closed");
  });

  for (const version of versions) {
    it(`makes one request of a QoS 2 PUBLISH resent with DUP while its request is pending at level ${version}`, () => {
      const p = asking(version);
      p.inject("server", wire(publish(9, 2), version));
      const out = p.inject("server", wire(publish(9, 2, { dup: true }), version));
      expect(out).toMatchObject([{ kind: "ignoredPacket" }]);
      expect(requests(p)).toHaveLength(1);
      answer(p, 1, 0);
      expect(p.events("server", "message")).toHaveLength(1);
      expect(sent(p)).toEqual([{ type: PacketType.PUBREC, packetId: 9, ...(version === 5 ? {} : {}) }]);
      // Resent again after its PUBREC: PUBREC again, no request, no second message [MQTT-4.3.3-10].
      p.inject("server", wire(publish(9, 2, { dup: true }), version));
      expect(requests(p)).toHaveLength(1);
      expect(p.events("server", "message")).toHaveLength(1);
      expect(sent(p).map((x) => x.type)).toEqual([PacketType.PUBREC, PacketType.PUBREC]);
    });
  }

  it("makes one request of a QoS 1 PUBLISH resent with DUP before its PUBACK went out", () => {
    const p = asking(4);
    p.inject("server", wire(publish(3, 1), 4));
    p.inject("server", wire(publish(3, 1, { dup: true }), 4));
    expect(requests(p)).toHaveLength(1);
    answer(p, 1, 0);
    expect(sent(p)).toEqual([{ type: PacketType.PUBACK, packetId: 3 }]);
    expect(p.events("server", "message")).toHaveLength(1);
  });

  it("holds the PUBREC of a resent, already received QoS 2 PUBLISH behind an earlier pending request", () => {
    const p = asking(5);
    p.inject("server", wire(publish(1, 2), 5));
    answer(p, 1, 0);
    p.inject("server", wire(publish(2, 1), 5));
    p.inject("server", wire(publish(1, 2, { dup: true }), 5));
    expect(requests(p)).toHaveLength(2);
    expect(sent(p)).toEqual([{ type: PacketType.PUBREC, packetId: 1 }]);
    answer(p, 2, 0);
    expect(sent(p)).toEqual([
      { type: PacketType.PUBREC, packetId: 1 },
      { type: PacketType.PUBACK, packetId: 2 },
      { type: PacketType.PUBREC, packetId: 1 },
    ]);
    expect(p.events("server", "message")).toHaveLength(2);
  });

  it("still delivers a QoS 0 PUBLISH that was pending when a DISCONNECT right behind it ended the connection", () => {
    const p = asking(4, { connect: { clientId: "c1", keepAlive: 0 } });
    p.onClient((c, now) => [
      ...c.publish({ topic: "fire-and-forget", payload: bytes("x"), qos: 0 }, now),
      ...c.disconnect(now),
    ]);
    expect(p.server.state).toBe("closed");
    const [request] = requests(p);
    expect(p.server.answerPublish(request!.requestId, 0, p.now)).toMatchObject([
      { kind: "message", topic: "fire-and-forget", qos: 0 },
    ]);
    // Answered once only; a refused one yields nothing.
    expect(p.server.answerPublish(request!.requestId, 0, p.now)).toEqual([]);
  });

  it("drops pending requests when the connection closes; the client resends after reconnect and it is delivered once", () => {
    const connect = { clientId: "c1", keepAlive: 0, clean: false, properties: { sessionExpiryInterval: 60 } };
    const p = asking(5, { connect });
    p.onClient((c, now) => c.publish({ topic: "keep", payload: bytes("1"), qos: 2 }, now));
    expect(requests(p)).toHaveLength(1);
    const serverSnap = JSON.parse(JSON.stringify(p.server.snapshot()));
    // A pending, unanswered QoS 2 request is not received as far as the session goes.
    expect(serverSnap.receiver.awaitingRelease).toEqual([]);
    p.onClient((c, now) => c.disconnect(now, { reasonCode: 0x04 }));
    expect(p.server.state).toBe("closed");
    expect(p.server.pendingPublishes).toBe(0);
    expect(p.server.answerPublish(1, 0, p.now)).toEqual([]);
    expect(p.events("server", "message")).toEqual([]);

    const again = pair(
      ClientSession.restore(JSON.parse(JSON.stringify(p.client.snapshot()))),
      new ServerSession({ answerPublishes: true }),
      { shell: { onConnect: (_r, s, now) => s.accept({ restore: serverSnap }, now) } },
    );
    again.onClient((c, now) => c.connect({ ...connect, clean: false }, now));
    expect(again.events("server", "publishRequest")).toMatchObject([{ topic: "keep", dup: true }]);
    expect(again.events("server", "message")).toHaveLength(1);
    expect(again.events("client", "acked")).toMatchObject([{ qos: 2, reasonCode: 0 }]);
  });

  it("keeps an answered QoS 2 message in the snapshot and does not ask again for its resend after restore", () => {
    const p = asking(4, {
      connect: { clientId: "c1", keepAlive: 0, clean: false },
      pair: { drop: (from) => from === "server" },
    });
    p.inject("server", wire(publish(7, 2), 4));
    expect(p.server.snapshot().receiver.awaitingRelease).toEqual([]);
    answer(p, 1, 0);
    const snap = JSON.parse(JSON.stringify(p.server.snapshot()));
    expect(snap.receiver.awaitingRelease).toEqual([7]);
    expect(p.events("server", "message")).toHaveLength(1);

    const server = new ServerSession({ answerPublishes: true });
    const again = pair(new ClientSession({ protocolVersion: 4 }), server, {
      shell: { onConnect: (_r, s, now) => s.accept({ restore: snap }, now), onPublish: () => "manual" },
    });
    again.onClient((c, now) => c.connect({ clientId: "c1", keepAlive: 0, clean: false }, now));
    again.inject("server", wire(publish(7, 2, { dup: true }), 4));
    expect(again.events("server", "publishRequest")).toEqual([]);
    expect(again.events("server", "message")).toEqual([]);
    expect(again.packets("server").slice(1)).toEqual([{ type: PacketType.PUBREC, packetId: 7 }]);
    again.inject("server", wire({ type: PacketType.PUBREL, packetId: 7 }, 4));
    expect(server.snapshot().receiver.awaitingRelease).toEqual([]);
  });

  it("throws on misuse: no option, unknown or answered request, a code no PUBACK carries", () => {
    const plain = connected(5);
    expect(() => plain.server.answerPublish(1, 0, 0)).toThrow(SessionUsageError);
    const p = asking(5);
    p.inject("server", wire(publish(1, 1), 5));
    expect(() => p.server.answerPublish(2, 0, 0)).toThrow(SessionUsageError);
    expect(() => p.server.answerPublish(1, 0x05, 0)).toThrow(SessionUsageError);
    expect(() => p.server.answerPublish(1, ReasonCode.RECEIVE_MAXIMUM_EXCEEDED, 0)).toThrow(
      SessionUsageError,
    );
    p.inject("server", wire(publish(2, 1), 5));
    answer(p, 2, 0); // held behind request 1
    expect(() => p.server.answerPublish(2, 0, 0)).toThrow(SessionUsageError);
    answer(p, 1, 0);
    expect(() => p.server.answerPublish(1, 0, 0)).toThrow(SessionUsageError);
    expect(sent(p).map((x) => x.type)).toEqual([PacketType.PUBACK, PacketType.PUBACK]);
  });

  it("leaves the default behaviour alone: no publishRequest without the option", () => {
    const p = connected(5);
    p.onClient((c, now) => c.publish({ topic: "a", payload: bytes("1"), qos: 1 }, now));
    expect(requests(p)).toEqual([]);
    expect(p.events("server", "message")).toHaveLength(1);
  });
});
