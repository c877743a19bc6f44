import { PacketType, type PublishPacket, ReasonCode } from "@amqtt/codec";
import { InvalidTopicNameError } from "@amqtt/message";
import { describe, expect, it } from "vitest";
import { ClientSession, ServerSession, SessionUsageError } from "../src/index.js";
import { pair } from "../src/testing/index.js";
import { bytes, connected, versions, wire } from "./helpers.js";

const types = (list: { type: number }[]) => list.map((p) => p.type);

describe("PUBLISH flows", () => {
  for (const version of versions) {
    for (const qos of [0, 1, 2] as const) {
      it(`delivers a QoS ${qos} message from client to server at level ${version}`, () => {
        const p = connected(version);
        p.onClient((c, now) => c.publish({ topic: "a/b", payload: bytes("hi"), qos }, now));
        expect(p.events("server", "message")).toMatchObject([{ topic: "a/b", qos, payload: bytes("hi") }]);
        const expected = [[], [PacketType.PUBACK], [PacketType.PUBREC, PacketType.PUBCOMP]][qos];
        expect(types(p.packets("server")).slice(1)).toEqual(expected);
        if (qos === 0) expect(p.events("client", "published")).toHaveLength(1);
        else expect(p.events("client", "acked")).toMatchObject([{ qos, reasonCode: 0 }]);
      });

      it(`delivers a QoS ${qos} message from server to client at level ${version}`, () => {
        const p = connected(version);
        p.onServer((s, now) => s.deliver({ topic: "x", payload: bytes("yo"), qos, retain: true }, now));
        expect(p.events("client", "message")).toMatchObject([{ topic: "x", qos, retain: true }]);
        if (qos > 0) expect(p.events("server", "acked")).toHaveLength(1);
      });
    }
  }

  it("delivers a QoS 2 message once when its PUBLISH is resent before PUBREL", () => {
    const p = connected(4, { pair: { shell: {} } });
    const publish: PublishPacket = {
      type: PacketType.PUBLISH,
      topic: "t",
      payload: bytes("1"),
      qos: 2,
      retain: false,
      dup: false,
      packetId: 9,
    };
    p.inject("server", wire(publish, 4));
    p.inject("server", wire({ ...publish, dup: true }, 4));
    expect(p.events("server", "message")).toHaveLength(1);
  });

  it("enforces our Receive Maximum with DISCONNECT 0x93", () => {
    const p = connected(5, { server: { receiveMaximum: 2 } });
    for (let id = 1; id <= 3; id++) {
      p.inject(
        "server",
        wire(
          {
            type: PacketType.PUBLISH,
            topic: "t",
            payload: bytes("x"),
            qos: 2,
            retain: false,
            dup: false,
            packetId: id,
          },
          5,
        ),
      );
    }
    expect(p.events("server", "message")).toHaveLength(2);
    expect(p.packets("server").at(-1)).toEqual({
      type: PacketType.DISCONNECT,
      reasonCode: ReasonCode.RECEIVE_MAXIMUM_EXCEEDED,
    });
    expect(p.server.state).toBe("closed");
  });

  it("advertises our Receive Maximum and limits the peer's window to it", () => {
    const p = connected(5, {
      client: { receiveMaximum: 2 },
      pair: { drop: (from, packet) => from === "client" && packet.type === PacketType.PUBACK },
    });
    expect(p.packets("client")[0]).toMatchObject({ properties: { receiveMaximum: 2 } });
    for (let i = 0; i < 5; i++)
      p.onServer((s, now) => s.deliver({ topic: "t", payload: bytes(`${i}`), qos: 1 }, now));
    // The server keeps at most 2 unacknowledged PUBLISH packets in flight (section 4.9).
    expect(p.packets("server").filter((x) => x.type === PacketType.PUBLISH)).toHaveLength(2);
    expect(p.events("server", "publishAccepted")).toHaveLength(5);
  });

  it("treats a Subscription Identifier in a client PUBLISH as a protocol error [MQTT-3.3.4-6]", () => {
    const p = connected(5);
    const out = p.inject(
      "server",
      wire(
        {
          type: PacketType.PUBLISH,
          topic: "t",
          payload: bytes(""),
          qos: 0,
          retain: false,
          dup: false,
          properties: { subscriptionIdentifiers: [3] },
        },
        5,
      ),
    );
    const error = out.find((a) => a.kind === "protocolError");
    expect(error?.kind === "protocolError" && error.error.statement).toBe("MQTT-3.3.4-6");
    expect(() =>
      p.client.publish(
        { topic: "t", payload: bytes(""), qos: 0, properties: { subscriptionIdentifiers: [1] } },
        0,
      ),
    ).toThrow(SessionUsageError);
  });

  it("throws on QoS 3, an invalid topic and a hand-made Topic Alias", () => {
    const p = connected(5);
    expect(() => p.client.publish({ topic: "t", payload: bytes(""), qos: 3 as 0 }, 0)).toThrow(
      SessionUsageError,
    );
    expect(() => p.client.publish({ topic: "a/+", payload: bytes(""), qos: 0 }, 0)).toThrow(
      InvalidTopicNameError,
    );
    expect(() =>
      p.client.publish({ topic: "t", payload: bytes(""), qos: 0, properties: { topicAlias: 1 } }, 0),
    ).toThrow(SessionUsageError);
    expect(() => p.server.deliver({ topic: "#", payload: bytes(""), qos: 0 }, 0)).toThrow(
      InvalidTopicNameError,
    );
  });

  it("throws on retain when the server says Retain Available 0 [MQTT-3.2.2-14]", () => {
    const p = connected(5, {
      pair: { shell: { onConnect: (_r, s, now) => s.accept({ properties: { retainAvailable: 0 } }, now) } },
    });
    expect(() => p.client.publish({ topic: "t", payload: bytes(""), qos: 0, retain: true }, 0)).toThrow(
      /MQTT-3.2.2-14/,
    );
  });

  it("reports a failing PUBACK reason code as the end of the flow", () => {
    const p = connected(5);
    p.onClient((c, now) => c.publish({ topic: "t", payload: bytes(""), qos: 1 }, now));
    expect(p.events("client", "acked")).toHaveLength(1);
    const out = p.inject("client", wire({ type: PacketType.PUBACK, packetId: 42, reasonCode: 0x80 }, 5));
    expect(out).toMatchObject([{ kind: "ignoredPacket" }]);
  });

  for (const version of [4, 5] as const) {
    it(`resends unacknowledged messages with DUP on a reconnect from a snapshot at level ${version}`, () => {
      const client = new ClientSession({ protocolVersion: version });
      const server = new ServerSession();
      let lossy = false;
      const p = pair(client, server, {
        drop: (_from, packet) => lossy && packet.type !== PacketType.PUBLISH,
      });
      p.onClient((c, now) =>
        c.connect(
          {
            clientId: "c1",
            keepAlive: 0,
            clean: false,
            ...(version === 5 ? { properties: { sessionExpiryInterval: 60 } } : {}),
          },
          now,
        ),
      );
      lossy = true;
      p.onClient((c, now) => c.publish({ topic: "q1", payload: bytes("1"), qos: 1 }, now));
      p.onClient((c, now) => c.publish({ topic: "q2", payload: bytes("2"), qos: 2 }, now));
      p.onServer((s, now) => s.deliver({ topic: "down", payload: bytes("3"), qos: 1 }, now));
      expect(p.events("client", "acked")).toHaveLength(0);
      const clientState = JSON.parse(JSON.stringify(p.client.snapshot()));
      const serverState = JSON.parse(JSON.stringify(p.server.snapshot()));
      p.onClient((_c, now) => p.client.closed(now));

      const again = pair(ClientSession.restore(clientState), new ServerSession(), {
        shell: { onConnect: (_r, s, now) => s.accept({ restore: serverState, sessionPresent: true }, now) },
      });
      again.onClient((c, now) =>
        c.connect(
          {
            clientId: "c1",
            keepAlive: 0,
            clean: false,
            ...(version === 5 ? { properties: { sessionExpiryInterval: 60 } } : {}),
          },
          now,
        ),
      );
      const resent = again.packets("client").filter((x): x is PublishPacket => x.type === PacketType.PUBLISH);
      expect(resent.map((x) => [x.topic, x.dup])).toEqual([
        ["q1", true],
        ["q2", true],
      ]);
      expect(again.events("client", "acked")).toHaveLength(2);
      const down = again.packets("server").filter((x): x is PublishPacket => x.type === PacketType.PUBLISH);
      expect(down.map((x) => [x.topic, x.dup])).toEqual([["down", true]]);
      // Delivered once per connection; QoS 1 may repeat after a reconnect (at least once).
      expect(again.events("client", "message").map((m) => m.topic)).toEqual(["down"]);
      // The QoS 2 message reached the server's application once, on the first connection.
      expect(p.events("server", "message").map((m) => m.topic)).toEqual(["q1", "q2"]);
      expect(again.events("server", "message").map((m) => m.topic)).toEqual(["q1"]);
    });
  }

  it("limits the client's window to the server's Receive Maximum from CONNACK", () => {
    const p = connected(5, {
      server: { receiveMaximum: 1 },
      pair: { drop: (from, packet) => from === "server" && packet.type === PacketType.PUBACK },
    });
    for (let i = 0; i < 3; i++)
      p.onClient((c, now) => c.publish({ topic: "t", payload: bytes(`${i}`), qos: 1 }, now));
    expect(p.packets("client").filter((x) => x.type === PacketType.PUBLISH)).toHaveLength(1);
  });

  it("bounds the queue of messages waiting for the window and reports the refused ones", () => {
    const p = connected(5, {
      client: { maxQueuedMessages: 2 },
      server: { receiveMaximum: 1 },
      pair: { drop: (from, packet) => from === "server" && packet.type === PacketType.PUBACK },
    });
    for (let i = 0; i < 5; i++)
      p.onClient((c, now) => c.publish({ topic: "t", payload: bytes(`${i}`), qos: 1 }, now));
    expect(p.events("client", "publishAccepted")).toHaveLength(3);
    expect(p.events("client", "publishDropped")).toMatchObject([
      { reason: "queue-full" },
      { reason: "queue-full" },
    ]);
  });

  it("disconnects a server that exceeds the client's Receive Maximum with 0x93", () => {
    const p = connected(5, { client: { receiveMaximum: 1 } });
    for (let id = 1; id <= 2; id++) {
      p.inject(
        "client",
        wire(
          {
            type: PacketType.PUBLISH,
            topic: "t",
            payload: bytes("x"),
            qos: 2,
            retain: false,
            dup: false,
            packetId: id,
          },
          5,
        ),
      );
    }
    expect(p.packets("client").at(-1)).toEqual({
      type: PacketType.DISCONNECT,
      reasonCode: ReasonCode.RECEIVE_MAXIMUM_EXCEEDED,
    });
  });
});
