import { describe, expect, it } from "vitest";
import { ClientSession, ServerSession, type SessionAction } from "../src/index.js";
import { pair } from "../src/testing/index.js";

describe("README examples", () => {
  it("runs the hand-wired example", () => {
    const client = new ClientSession({ protocolVersion: 5 });
    const server = new ServerSession();
    const deliver = (actions: SessionAction[], to: ClientSession | ServerSession, now: number) =>
      actions.flatMap((a) => (a.kind === "send" ? to.received(a.bytes, now) : []));
    const asked = deliver(client.connect({ clientId: "sensor-1", keepAlive: 30 }, 0), server, 0);
    expect(asked).toMatchObject([{ kind: "connectRequest", needsClientId: false }]);
    const accepted = server.accept({}, 0);
    expect(accepted).toContainEqual({ kind: "setTimer", timer: "keepAlive", ms: 45_000 });
    expect(deliver(accepted, client, 0)).toContainEqual(
      expect.objectContaining({ kind: "connected", keepAlive: 30 }),
    );
    const published = client.publish(
      { topic: "room/1/temp", payload: new TextEncoder().encode("21.5"), qos: 1 },
      5,
    );
    const atServer = deliver(published, server, 5);
    expect(atServer).toContainEqual(
      expect.objectContaining({ kind: "message", topic: "room/1/temp", qos: 1 }),
    );
    expect(deliver(atServer, client, 5)).toEqual([
      { kind: "acked", seq: 1, packetId: 1, qos: 1, reasonCode: 0 },
    ]);
  });

  it("runs the pair() example", () => {
    const p = pair(new ClientSession({ protocolVersion: 5 }), new ServerSession(), { chunkSize: 1 });
    p.onClient((c, now) => c.connect({ clientId: "a", keepAlive: 10 }, now));
    p.advance(10_000);
    expect(p.events("client", "pong")).toEqual([{ kind: "pong" }]);
  });

  it("runs the answerPublishes example", () => {
    const client = new ClientSession({ protocolVersion: 5 });
    const server = new ServerSession({ answerPublishes: true });
    const deliver = (actions: SessionAction[], to: ClientSession | ServerSession, now: number) =>
      actions.flatMap((a) => (a.kind === "send" ? to.received(a.bytes, now) : []));
    deliver(client.connect({ clientId: "c", keepAlive: 0 }, 0), server, 0);
    deliver(server.accept({}, 0), client, 0);
    const payload = new TextEncoder().encode("x");
    const asked = [
      ...deliver(client.publish({ topic: "secret", payload, qos: 1 }, 1), server, 1),
      ...deliver(client.publish({ topic: "ok", payload, qos: 1 }, 1), server, 1),
    ];
    expect(asked).toMatchObject([
      { kind: "publishRequest", requestId: 1, topic: "secret", qos: 1, packetId: 1 },
      { kind: "publishRequest", requestId: 2, topic: "ok", qos: 1, packetId: 2 },
    ]);
    expect(server.answerPublish(2, 0x00, 2)).toEqual([]);
    const out = server.answerPublish(1, 0x87, 2, { reasonString: "not allowed" });
    expect(out.map((a) => (a.kind === "send" ? a.packet : a.kind))).toEqual([
      { type: 4, packetId: 1, reasonCode: 0x87, properties: { reasonString: "not allowed" } },
      "message",
      { type: 4, packetId: 2 },
    ]);
  });
});
