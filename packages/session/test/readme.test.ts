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
});
