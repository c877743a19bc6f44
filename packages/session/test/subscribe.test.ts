import { PacketType, ReasonCode, SUBACK_FAILURE } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import { ServerSession, SessionUsageError } from "../src/index.js";
import { connected, versions, wire } from "./helpers.js";

describe("SUBSCRIBE and UNSUBSCRIBE bookkeeping", () => {
  for (const version of versions) {
    it(`matches SUBACK and UNSUBACK to their requests at level ${version}`, () => {
      const p = connected(version);
      p.onClient((c, now) =>
        c.subscribe(
          [
            { topicFilter: "a/+", qos: 1 },
            { topicFilter: "b/#", qos: 2 },
          ],
          now,
        ),
      );
      expect(p.events("server", "subscribeRequest")[0]?.subscriptions.map((s) => s.topicFilter)).toEqual([
        "a/+",
        "b/#",
      ]);
      expect(p.events("client", "subscribed")).toMatchObject([{ reasonCodes: [1, 2] }]);
      expect([...p.client.subscriptions.keys()]).toEqual(["a/+", "b/#"]);
      expect([...p.server.subscriptions.keys()]).toEqual(["a/+", "b/#"]);
      p.onClient((c, now) => c.unsubscribe(["a/+", "zzz"], now));
      const expected = version === 5 ? [0, ReasonCode.NO_SUBSCRIPTION_EXISTED] : [0, 0];
      expect(p.events("client", "unsubscribed")).toMatchObject([
        { topicFilters: ["a/+", "zzz"], reasonCodes: expected },
      ]);
      expect([...p.client.subscriptions.keys()]).toEqual(["b/#"]);
      expect([...p.server.subscriptions.keys()]).toEqual(["b/#"]);
    });
  }

  it("sends SUBACK codes in the order of the filters, as the shell answered [MQTT-3.9.3-1]", () => {
    const p = connected(5, {
      pair: {
        shell: {
          onSubscribe: (r, s, now) => s.answerSubscribe(r.packetId, [ReasonCode.NOT_AUTHORIZED, 0, 1], now),
        },
      },
    });
    p.onClient((c, now) =>
      c.subscribe(
        [
          { topicFilter: "x", qos: 2 },
          { topicFilter: "y", qos: 0 },
          { topicFilter: "z", qos: 1 },
        ],
        now,
      ),
    );
    expect(p.packets("server").at(-1)).toMatchObject({ type: PacketType.SUBACK, reasonCodes: [0x87, 0, 1] });
    expect([...p.client.subscriptions.keys()]).toEqual(["y", "z"]);
  });

  // A filter that breaks the Topic Filter syntax is a Malformed Packet, refused by
  // the codec's decoder: 5.0 keeps SUBACK 0x8F for a filter that "is correctly
  // formed but is not allowed" (Table 3-8). 3.1.1 closes on it [MQTT-4.8.0-1].
  it("answers a 5.0 SUBSCRIBE with a malformed filter (a/#/b) with DISCONNECT 0x81 [MQTT-4.7.1-1]", () => {
    const p = connected(5);
    const subscribe = wire(
      {
        type: PacketType.SUBSCRIBE,
        packetId: 7,
        subscriptions: [
          { topicFilter: "a/#/b", qos: 0 },
          { topicFilter: "ok", qos: 1 },
        ],
      },
      5,
    );
    const out = p.inject("server", subscribe);
    expect(out.map((a) => a.kind)).toEqual(["protocolError", "send", "close", "disconnected"]);
    expect(p.packets("server").at(-1)).toEqual({
      type: PacketType.DISCONNECT,
      reasonCode: ReasonCode.MALFORMED_PACKET,
    });
    expect(p.events("server", "subscribeRequest")).toEqual([]);
  });

  it("closes a 3.1.1 connection on a SUBSCRIBE with a malformed filter (a/#/b) [MQTT-4.7.1-2]", () => {
    const p = connected(4);
    const out = p.inject(
      "server",
      wire({ type: PacketType.SUBSCRIBE, packetId: 7, subscriptions: [{ topicFilter: "a/#/b", qos: 0 }] }, 4),
    );
    expect(out.map((a) => a.kind)).toContain("close");
    expect(out.some((a) => a.kind === "send")).toBe(false);
    expect(p.events("server", "subscribeRequest")).toEqual([]);
  });

  it("maps a 5.0 failure code the shell gives on a 3.1.1 connection to 0x80", () => {
    const p = connected(4, {
      pair: { shell: { onSubscribe: (r, s, now) => s.answerSubscribe(r.packetId, [0x87], now) } },
    });
    p.onClient((c, now) => c.subscribe([{ topicFilter: "x", qos: 0 }], now));
    expect(p.packets("server").at(-1)).toMatchObject({ type: PacketType.SUBACK, reasonCodes: [0x80] });
  });

  it("treats No Local on a shared subscription as a protocol error [MQTT-3.8.3-4]", () => {
    const p = connected(5);
    const out = p.inject(
      "server",
      wire(
        {
          type: PacketType.SUBSCRIBE,
          packetId: 1,
          subscriptions: [{ topicFilter: "$share/g/a", qos: 0, noLocal: true }],
        },
        5,
      ),
    );
    const error = out.find((a) => a.kind === "protocolError");
    expect(error?.kind === "protocolError" && error.error.statement).toBe("MQTT-3.8.3-4");
    expect(p.packets("server").at(-1)).toEqual({
      type: PacketType.DISCONNECT,
      reasonCode: ReasonCode.PROTOCOL_ERROR,
    });
  });

  it("reads $share as an ordinary filter on 3.1.1", () => {
    const p = connected(4);
    p.onClient((c, now) => c.subscribe([{ topicFilter: "$share/g/a", qos: 0 }], now));
    expect(p.events("client", "subscribed")).toMatchObject([{ reasonCodes: [0] }]);
  });

  it("throws on answers for unknown requests or with the wrong number of codes", () => {
    const p = connected(5, { pair: { shell: { onSubscribe: () => "manual" } } });
    p.onClient((c, now) => c.subscribe([{ topicFilter: "x", qos: 0 }], now));
    const id = p.events("server", "subscribeRequest")[0]?.packetId as number;
    expect(() => p.server.answerSubscribe(id, [0, 0], 0)).toThrow(SessionUsageError);
    expect(() => p.server.answerSubscribe(id + 1, [0], 0)).toThrow(SessionUsageError);
  });

  it("bounds the client's pending requests", () => {
    const p = connected(5, {
      client: { maxPendingRequests: 2 },
      pair: { shell: { onSubscribe: () => "manual" } },
    });
    p.onClient((c, now) => c.subscribe([{ topicFilter: "a", qos: 0 }], now));
    p.onClient((c, now) => c.subscribe([{ topicFilter: "b", qos: 0 }], now));
    expect(() => p.client.subscribe([{ topicFilter: "c", qos: 0 }], 0)).toThrow(SessionUsageError);
  });

  it("bounds the server's unanswered requests with DISCONNECT 0x97", () => {
    const p = connected(5, {
      server: { maxPendingRequests: 1 },
      pair: { shell: { onSubscribe: () => "manual" } },
    });
    p.onClient((c, now) => c.subscribe([{ topicFilter: "a", qos: 0 }], now));
    p.onClient((c, now) => c.subscribe([{ topicFilter: "b", qos: 0 }], now));
    expect(p.packets("server").at(-1)).toEqual({
      type: PacketType.DISCONNECT,
      reasonCode: ReasonCode.QUOTA_EXCEEDED,
    });
  });

  it("throws on an invalid filter given to subscribe", () => {
    const p = connected(5);
    expect(() => p.client.subscribe([{ topicFilter: "a/#/b", qos: 0 }], 0)).toThrow(SessionUsageError);
    expect(() => p.client.subscribe([], 0)).toThrow(SessionUsageError);
  });

  it("reports a SUBACK for no pending request as ignored", () => {
    const p = connected(4);
    const out = p.inject("client", wire({ type: PacketType.SUBACK, packetId: 99, reasonCodes: [0] }, 4));
    expect(out).toMatchObject([{ kind: "ignoredPacket", reason: "unknown-packet-id" }]);
  });

  it("treats a SUBACK with the wrong number of codes as a protocol error", () => {
    const p = connected(5, { pair: { shell: { onSubscribe: () => "manual" } } });
    p.onClient((c, now) => c.subscribe([{ topicFilter: "a", qos: 0 }], now));
    const id = p.events("server", "subscribeRequest")[0]?.packetId as number;
    const out = p.inject("client", wire({ type: PacketType.SUBACK, packetId: id, reasonCodes: [0, 0] }, 5));
    expect(out.map((a) => a.kind)).toContain("protocolError");
  });

  it("keeps the server's granted QoS and subscription identifier", () => {
    const server = new ServerSession();
    expect(server.subscriptions.size).toBe(0);
    const p = connected(5);
    p.onClient((c, now) => c.subscribe([{ topicFilter: "a", qos: 2 }], now, { subscriptionIdentifier: 5 }));
    expect(p.server.subscriptions.get("a")).toMatchObject({ qos: 2, subscriptionIdentifier: 5 });
    expect(p.client.subscriptions.get("a")).toMatchObject({ qos: 2, subscriptionIdentifier: 5 });
  });
});

describe("trackSubscriptions: false (the shell keeps the granted set)", () => {
  it("grants in SUBACK but holds no copy: subscriptions and snapshot().subscriptions stay empty", () => {
    const p = connected(5, { server: { trackSubscriptions: false } });
    p.onClient((c, now) => c.subscribe([{ topicFilter: "a/+", qos: 1 }], now));
    expect(p.packets("server").at(-1)).toMatchObject({ type: PacketType.SUBACK, reasonCodes: [1] });
    expect([...p.client.subscriptions.keys()]).toEqual(["a/+"]);
    expect(p.server.subscriptions.size).toBe(0);
    expect(p.server.snapshot().subscriptions).toEqual([]);
  });

  it("answers the same SUBACK as a tracking machine, 3.1.1 failures as SUBACK_FAILURE (0x80) [MQTT-3.9.3-1]", () => {
    const run = (track: boolean) => {
      const p = connected(4, {
        server: { trackSubscriptions: track },
        pair: {
          shell: {
            onSubscribe: (r, s, now) => s.answerSubscribe(r.packetId, [ReasonCode.QUOTA_EXCEEDED, 1], now),
          },
        },
      });
      p.onClient((c, now) =>
        c.subscribe(
          [
            { topicFilter: "x", qos: 1 },
            { topicFilter: "y", qos: 1 },
          ],
          now,
        ),
      );
      return p.packets("server").at(-1);
    };
    expect(run(false)).toEqual(run(true));
    expect(run(false)).toMatchObject({ reasonCodes: [SUBACK_FAILURE, 1] });
  });

  it("reports the current Session Expiry Interval without a snapshot", () => {
    const p = connected(4, { server: { trackSubscriptions: false } });
    expect(p.server.currentSessionExpiryInterval).toBe(0);
    const q = connected(4, { connect: { clientId: "c2", keepAlive: 0, clean: false } });
    expect(q.server.currentSessionExpiryInterval).toBe(0xffff_ffff);
    expect(q.server.currentSessionExpiryInterval).toBe(q.server.snapshot().sessionExpiryInterval);
  });
});
