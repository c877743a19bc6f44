import { ConnackReturnCode, PacketType, ReasonCode } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import { ClientSession, ServerSession, SessionUsageError } from "../src/index.js";
import { pair } from "../src/testing/index.js";
import { connected, makePair, versions, wire } from "./helpers.js";

describe("CONNECT and CONNACK", () => {
  for (const version of versions) {
    it(`connects a client and a server at protocol level ${version}`, () => {
      const p = connected(version);
      expect(p.client.state).toBe("connected");
      expect(p.server.state).toBe("connected");
      expect(p.packets("client").map((x) => x.type)).toEqual([PacketType.CONNECT]);
      expect(p.packets("server").map((x) => x.type)).toEqual([PacketType.CONNACK]);
      expect(p.events("client", "connected")[0]).toMatchObject({ sessionPresent: false, clientId: "c1" });
      expect(p.events("server", "connected")[0]).toMatchObject({ clientId: "c1" });
    });
  }

  it("closes without CONNACK when the first packet is not CONNECT [MQTT-3.1.0-1]", () => {
    const server = new ServerSession();
    const out = server.received(wire({ type: PacketType.PINGREQ }, 4), 0);
    expect(out.map((a) => a.kind)).toEqual(["protocolError", "close", "disconnected"]);
    expect(out.some((a) => a.kind === "send")).toBe(false);
    expect(server.state).toBe("closed");
  });

  for (const version of [4, 5] as const) {
    it(`treats a second CONNECT as a protocol error at level ${version} [MQTT-3.1.0-2]`, () => {
      const p = connected(version);
      const out = p.inject(
        "server",
        wire(
          { type: PacketType.CONNECT, protocolVersion: version, clean: true, keepAlive: 0, clientId: "c1" },
          version,
        ),
      );
      const error = out.find((a) => a.kind === "protocolError");
      expect(error?.kind === "protocolError" && error.error.statement).toBe("MQTT-3.1.0-2");
      const sent = out.flatMap((a) => (a.kind === "send" ? [a.packet] : []));
      if (version === 5)
        expect(sent).toEqual([{ type: PacketType.DISCONNECT, reasonCode: ReasonCode.PROTOCOL_ERROR }]);
      else expect(sent).toEqual([]);
      expect(out.some((a) => a.kind === "close")).toBe(true);
    });
  }

  it("answers an unknown protocol level with CONNACK 0x01 and closes [MQTT-3.1.2-2]", () => {
    const server = new ServerSession();
    // CONNECT with protocol name MQTT and level 6.
    const connect = new Uint8Array([0x10, 12, 0, 4, 0x4d, 0x51, 0x54, 0x54, 6, 2, 0, 0, 0, 0]);
    const out = server.received(connect, 0);
    const sent = out.find((a) => a.kind === "send");
    expect(sent?.kind === "send" && Array.from(sent.bytes)).toEqual([0x20, 2, 0, 1]);
    expect(out.map((a) => a.kind)).toEqual(["protocolError", "send", "close", "disconnected"]);
  });

  it("refuses a 5.0 client with CONNACK 0x84 when the server accepts only 3.1.1 [MQTT-3.1.2-2]", () => {
    const p = makePair(5, { server: { protocolVersions: [4] } });
    p.onClient((c, now) => c.connect({ clientId: "c1" }, now));
    expect(p.packets("server")).toMatchObject([
      { type: PacketType.CONNACK, reasonCode: ReasonCode.UNSUPPORTED_PROTOCOL_VERSION },
    ]);
    expect(p.events("client", "disconnected")[0]).toMatchObject({ reasonCode: 0x84, initiator: "peer" });
    expect(p.client.state).toBe("closed");
    expect(p.server.state).toBe("closed");
  });

  it("refuses a 3.1.1 client with CONNACK 0x01 when the server accepts only 5.0 [MQTT-3.1.2-2]", () => {
    const p = makePair(4, { server: { protocolVersions: [5] } });
    p.onClient((c, now) => c.connect({ clientId: "c1" }, now));
    expect(p.packets("server")).toMatchObject([
      { type: PacketType.CONNACK, reasonCode: ConnackReturnCode.UNACCEPTABLE_PROTOCOL_VERSION },
    ]);
    expect(p.events("client", "disconnected")[0]).toMatchObject({ reasonCode: 1 });
  });

  it("refuses an empty client id with Clean Session 0 in 3.1.1 with CONNACK 0x02 [MQTT-3.1.3-8]", () => {
    const p = makePair(4);
    p.onClient((c, now) => c.connect({ clientId: "", clean: false }, now));
    expect(p.packets("server")).toMatchObject([
      { type: PacketType.CONNACK, reasonCode: 2, sessionPresent: false },
    ]);
    expect(p.events("server", "connectRequest")).toHaveLength(0);
    expect(p.server.state).toBe("closed");
  });

  it("lets the shell assign a client id for an empty one with Clean Session 1 in 3.1.1", () => {
    const p = makePair(4);
    p.onClient((c, now) => c.connect({ clientId: "", clean: true }, now));
    expect(p.events("server", "connectRequest")[0]?.needsClientId).toBe(true);
    expect(p.server.currentClientId).toBe("auto-1");
    expect(p.client.state).toBe("connected");
  });

  it("returns the assigned client id in CONNACK for an empty 5.0 client id [MQTT-3.2.2-16]", () => {
    const p = makePair(5);
    p.onClient((c, now) => c.connect({ clientId: "", clean: false }, now));
    const connack = p.packets("server")[0];
    expect(connack).toMatchObject({
      type: PacketType.CONNACK,
      properties: { assignedClientIdentifier: "auto-1" },
    });
    expect(p.events("client", "connected")[0]?.clientId).toBe("auto-1");
  });

  it("refuses an empty client id in MQTT 3.1 with CONNACK 0x02", () => {
    const p = makePair(3);
    p.onClient((c, now) => c.connect({ clientId: "" }, now));
    expect(p.packets("server")).toMatchObject([{ type: PacketType.CONNACK, reasonCode: 2 }]);
  });

  it("throws when accept lacks the id a CONNECT with an empty client id needs", () => {
    const p = makePair(5, { pair: { shell: { onConnect: () => "manual" } } });
    p.onClient((c, now) => c.connect({ clientId: "" }, now));
    expect(() => p.server.accept({}, 0)).toThrow(SessionUsageError);
  });

  it("closes on a malformed CONNECT without sending CONNACK [MQTT-3.1.4-1]", () => {
    const server = new ServerSession();
    // Reserved connect flag bit 0 set.
    const connect = new Uint8Array([0x10, 12, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 3, 0, 0, 0, 0]);
    const out = server.received(connect, 0);
    expect(out.map((a) => a.kind)).toEqual(["protocolError", "close", "disconnected"]);
  });

  it("sends no DISCONNECT before CONNACK, even for a 5.0 protocol error [MQTT-3.14.0-1]", () => {
    const p = makePair(5, { pair: { shell: { onConnect: () => "manual" } } });
    p.onClient((c, now) => c.connect({ clientId: "c1" }, now));
    const out = p.inject(
      "server",
      wire({ type: PacketType.CONNECT, protocolVersion: 5, clean: true, keepAlive: 0, clientId: "x" }, 5),
    );
    expect(out.some((a) => a.kind === "send")).toBe(false);
    expect(out.some((a) => a.kind === "close")).toBe(true);
  });

  for (const [version, code] of [
    [4, ConnackReturnCode.NOT_AUTHORIZED],
    [5, ReasonCode.NOT_AUTHORIZED],
  ] as const) {
    it(`reports a CONNACK refusal to the client as disconnected with code ${code} at level ${version}`, () => {
      const p = makePair(version, {
        pair: { shell: { onConnect: (_r, s, now) => s.refuse(ReasonCode.NOT_AUTHORIZED, now) } },
      });
      p.onClient((c, now) => c.connect({ clientId: "c1" }, now));
      expect(p.packets("server")).toMatchObject([
        { type: PacketType.CONNACK, reasonCode: code, sessionPresent: false },
      ]);
      expect(p.events("client", "disconnected")).toMatchObject([{ initiator: "peer", reasonCode: code }]);
      expect(p.events("client", "connected")).toHaveLength(0);
    });
  }

  it("holds packets sent before CONNACK and handles them after accept", () => {
    const client = new ClientSession({ protocolVersion: 4 });
    const server = new ServerSession();
    const connect = client.connect({ clientId: "c1", keepAlive: 0 }, 0);
    const ping = wire({ type: PacketType.PINGREQ }, 4);
    const bytesIn = connect.flatMap((a) => (a.kind === "send" ? [a.bytes] : []));
    expect(server.received(bytesIn[0] as Uint8Array, 0).map((a) => a.kind)).toEqual(["connectRequest"]);
    expect(server.received(ping, 0)).toEqual([]);
    const out = server.accept({}, 0);
    expect(out.flatMap((a) => (a.kind === "send" ? [a.packet.type] : []))).toEqual([
      PacketType.CONNACK,
      PacketType.PINGRESP,
    ]);
  });

  it("bounds the packets held before CONNACK", () => {
    const server = new ServerSession({ maxEarlyPackets: 2 });
    server.received(
      wire({ type: PacketType.CONNECT, protocolVersion: 4, clean: true, keepAlive: 0, clientId: "c" }, 4),
      0,
    );
    const ping = wire({ type: PacketType.PINGREQ }, 4);
    server.received(ping, 0);
    server.received(ping, 0);
    const out = server.received(ping, 0);
    expect(out.map((a) => a.kind)).toEqual(["protocolError", "close", "disconnected"]);
  });

  it("closes a connection that sends no CONNECT before the connect deadline", () => {
    const p = pair(new ClientSession(), new ServerSession({ connectTimeoutMs: 5000 }));
    p.advance(4999);
    expect(p.server.state).toBe("awaitingConnect");
    p.advance(1);
    expect(p.events("server", "close")).toMatchObject([{ reason: "connect-timeout" }]);
  });

  it("closes a handshake the shell or an AUTH exchange leaves unanswered past the deadline", () => {
    const p = pair(new ClientSession(), new ServerSession({ connectTimeoutMs: 5000 }), {
      shell: { onConnect: () => "manual" },
    });
    p.onClient((c, now) => c.connect({ clientId: "c" }, now));
    p.advance(5000);
    expect(p.events("server", "close")).toMatchObject([{ reason: "connect-timeout" }]);
    const ok = pair(new ClientSession(), new ServerSession({ connectTimeoutMs: 5000 }));
    ok.onClient((c, now) => c.connect({ clientId: "c", keepAlive: 0 }, now));
    expect(ok.events("server", "clearTimer")).toEqual([{ kind: "clearTimer", timer: "connect" }]);
    ok.advance(60_000);
    expect(ok.server.state).toBe("connected");
  });

  it("throws on connect called twice and on commands before the connection is up", () => {
    const client = new ClientSession();
    expect(() => client.publish({ topic: "a", payload: new Uint8Array(), qos: 0 }, 0)).toThrow(
      SessionUsageError,
    );
    client.connect({ clientId: "a" }, 0);
    expect(() => client.connect({ clientId: "a" }, 0)).toThrow(SessionUsageError);
    expect(() => client.subscribe([{ topicFilter: "a", qos: 0 }], 0)).toThrow(SessionUsageError);
  });

  it("uses the 5.0 CONNACK session expiry override and the server's limits", () => {
    const p = makePair(5, {
      pair: {
        shell: {
          onConnect: (_r, s, now) =>
            s.accept({ properties: { sessionExpiryInterval: 30, maximumQos: 1 } }, now),
        },
      },
    });
    p.onClient((c, now) => c.connect({ clientId: "c1", properties: { sessionExpiryInterval: 100 } }, now));
    expect(p.client.snapshot().sessionExpiryInterval).toBe(30);
    expect(p.server.snapshot().sessionExpiryInterval).toBe(30);
    expect(() => p.client.publish({ topic: "a", payload: new Uint8Array(), qos: 2 }, 0)).toThrow(
      /MQTT-3.2.2-11/,
    );
  });

  it("leaves Response Information out of CONNACK unless the client asked for it [MQTT-3.1.2-28]", () => {
    const answer = {
      onConnect: (_r: unknown, s: ServerSession, now: number) =>
        s.accept({ properties: { responseInformation: "r/" } }, now),
    };
    const without = makePair(5, { pair: { shell: answer } });
    without.onClient((c, now) => c.connect({ clientId: "c1" }, now));
    expect(without.packets("server")[0]).not.toHaveProperty("properties.responseInformation");
    const withIt = makePair(5, { pair: { shell: answer } });
    withIt.onClient((c, now) =>
      c.connect({ clientId: "c1", properties: { requestResponseInformation: 1 } }, now),
    );
    expect(withIt.packets("server")[0]).toHaveProperty("properties.responseInformation", "r/");
  });
});
