import { PacketType, ReasonCode } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import { type ClientSession, SessionUsageError } from "../src/index.js";
import { connected, makePair, wire } from "./helpers.js";

describe("DISCONNECT and protocol errors", () => {
  it("passes a 5.0 client DISCONNECT reason code and Session Expiry to the server", () => {
    const p = connected(5, {
      connect: { clientId: "c1", keepAlive: 0, properties: { sessionExpiryInterval: 10 } },
    });
    p.onClient((c, now) =>
      c.disconnect(now, { reasonCode: ReasonCode.DISCONNECT_WITH_WILL_MESSAGE, sessionExpiryInterval: 99 }),
    );
    expect(p.events("server", "disconnected")).toMatchObject([
      { initiator: "peer", reasonCode: 4, sessionExpiryInterval: 99 },
    ]);
    expect(p.events("client", "disconnected")).toMatchObject([{ initiator: "local", reasonCode: 4 }]);
  });

  it("treats a non-zero Session Expiry in DISCONNECT after a CONNECT with 0 as a protocol error", () => {
    const p = connected(5);
    const out = p.inject(
      "server",
      wire({ type: PacketType.DISCONNECT, reasonCode: 0, properties: { sessionExpiryInterval: 5 } }, 5),
    );
    expect(out.map((a) => a.kind)).toEqual(["protocolError", "send", "close", "disconnected"]);
    expect(p.packets("server").at(-1)).toEqual({
      type: PacketType.DISCONNECT,
      reasonCode: ReasonCode.PROTOCOL_ERROR,
    });
    expect(() => makeConnectedClient().disconnect(0, { sessionExpiryInterval: 5 })).toThrow(
      SessionUsageError,
    );
  });

  it("publishes the will unless the client disconnected normally", () => {
    const will = {
      topic: "w",
      payload: new Uint8Array([1]),
      qos: 0 as const,
      retain: false,
      properties: { willDelayInterval: 30 },
    };
    const normal = connected(5, { connect: { clientId: "c1", keepAlive: 0, will } });
    normal.onClient((c, now) => c.disconnect(now));
    expect(normal.events("server", "disconnected")[0]).toMatchObject({
      publishWill: false,
      will: { properties: { willDelayInterval: 30 } },
    });
    const lost = connected(5, { connect: { clientId: "c1", keepAlive: 0, will } });
    lost.onServer((s, now) => s.closed(now));
    expect(lost.events("server", "disconnected")[0]).toMatchObject({
      publishWill: true,
      initiator: "transport",
    });
    const withWill = connected(4, { connect: { clientId: "c1", keepAlive: 0, will } });
    withWill.onClient((c, now) => c.disconnect(now));
    expect(withWill.events("server", "disconnected")[0]?.publishWill).toBe(false);
  });

  it("sends a server DISCONNECT with its reason code to a 5.0 client", () => {
    const p = connected(5);
    p.onServer((s, now) =>
      s.disconnect(now, { reasonCode: ReasonCode.SERVER_SHUTTING_DOWN, serverReference: "other" }),
    );
    expect(p.events("client", "disconnected")).toMatchObject([
      { initiator: "peer", reasonCode: 0x8b, serverReference: "other" },
    ]);
  });

  it("just closes a 3.1.1 connection when the server disconnects", () => {
    const p = connected(4);
    const out = p.onServer((s, now) => s.disconnect(now, { reasonCode: ReasonCode.SERVER_SHUTTING_DOWN }));
    expect(out.some((a) => a.kind === "send")).toBe(false);
    expect(p.events("client", "disconnected")).toMatchObject([{ initiator: "transport" }]);
  });

  for (const [name, packet, code] of [
    [
      "a malformed packet (PUBREL with wrong flags) [MQTT-3.6.1-1]",
      new Uint8Array([0x60, 2, 0, 1]),
      ReasonCode.MALFORMED_PACKET,
    ],
    [
      "a CONNACK sent to a server",
      wire({ type: PacketType.CONNACK, sessionPresent: false, reasonCode: 0 }, 5),
      ReasonCode.PROTOCOL_ERROR,
    ],
    [
      "an AUTH without an Authentication Method in CONNECT [MQTT-4.12.0-6]",
      wire({ type: PacketType.AUTH, reasonCode: 0x19, properties: { authenticationMethod: "x" } }, 5),
      ReasonCode.PROTOCOL_ERROR,
    ],
  ] as const) {
    it(`answers ${name} with DISCONNECT 0x${code.toString(16)} in 5.0`, () => {
      const p = connected(5);
      const out = p.inject("server", packet);
      expect(out.map((a) => a.kind)).toEqual(["protocolError", "send", "close", "disconnected"]);
      expect(p.packets("server").at(-1)).toEqual({ type: PacketType.DISCONNECT, reasonCode: code });
    });
  }

  it("just closes on a protocol error in 3.1.1", () => {
    const p = connected(4);
    const out = p.inject("server", new Uint8Array([0x60, 2, 0, 1]));
    expect(out.map((a) => a.kind)).toEqual(["protocolError", "close", "disconnected"]);
  });

  it("client answers a server protocol error with DISCONNECT in 5.0", () => {
    const p = connected(5);
    const out = p.inject("client", wire({ type: PacketType.PINGREQ }, 5));
    expect(out.map((a) => a.kind)).toEqual(["protocolError", "send", "close", "disconnected"]);
  });

  it("client closes when the server sends something before CONNACK", () => {
    const p = makePair(4, { pair: { shell: { onConnect: () => "manual" } } });
    p.onClient((c, now) => c.connect({ clientId: "c" }, now));
    const out = p.inject("client", wire({ type: PacketType.PINGRESP }, 4));
    expect(out.map((a) => a.kind)).toEqual(["protocolError", "close", "disconnected"]);
  });

  it("ignores every input after the end and reports disconnected once", () => {
    const p = connected(5);
    p.onClient((c, now) => c.disconnect(now));
    expect(p.client.received(wire({ type: PacketType.PINGRESP }, 5), 0)).toEqual([]);
    expect(p.client.closed(0)).toEqual([]);
    expect(p.client.timerFired("keepAlive", 0)).toEqual([]);
    expect(p.events("client", "disconnected")).toHaveLength(1);
    expect(p.events("server", "disconnected")).toHaveLength(1);
  });

  it("never throws on random bytes from the peer", () => {
    let seed = 7;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (let round = 0; round < 300; round++) {
      const p = connected(((round % 3) + 3) as 3 | 4 | 5);
      const junk = new Uint8Array(1 + (rand() % 40)).map(() => rand() & 0xff);
      expect(() => p.inject(round % 2 === 0 ? "server" : "client", junk)).not.toThrow();
    }
  });

  it("disconnects with 0x9B on a PUBLISH above the announced Maximum QoS and 0x9A on an unsupported retain", () => {
    const accept = {
      onConnect: (_r: unknown, s: import("../src/index.js").ServerSession, now: number) =>
        s.accept({ properties: { maximumQos: 1, retainAvailable: 0 } }, now),
    };
    const qos = connected(5, { pair: { shell: accept } });
    qos.inject(
      "server",
      wire(
        {
          type: PacketType.PUBLISH,
          topic: "t",
          payload: new Uint8Array(),
          qos: 2,
          retain: false,
          dup: false,
          packetId: 1,
        },
        5,
      ),
    );
    expect(qos.packets("server").at(-1)).toEqual({
      type: PacketType.DISCONNECT,
      reasonCode: ReasonCode.QOS_NOT_SUPPORTED,
    });
    const retain = connected(5, { pair: { shell: accept } });
    retain.inject(
      "server",
      wire(
        { type: PacketType.PUBLISH, topic: "t", payload: new Uint8Array(), qos: 0, retain: true, dup: false },
        5,
      ),
    );
    expect(retain.packets("server").at(-1)).toEqual({
      type: PacketType.DISCONNECT,
      reasonCode: ReasonCode.RETAIN_NOT_SUPPORTED,
    });
  });
});

function makeConnectedClient(): ClientSession {
  const p = connected(5);
  return p.client;
}
