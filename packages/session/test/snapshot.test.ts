import { describe, expect, it } from "vitest";
import { ClientSession, InvalidSessionSnapshotError, ServerSession } from "../src/index.js";
import { pair } from "../src/testing/index.js";
import { bytes, connected } from "./helpers.js";

describe("snapshot and restore", () => {
  it("round-trips a client session through JSON", () => {
    let lossy = false;
    const p = connected(5, {
      connect: { clientId: "c1", keepAlive: 0, clean: false, properties: { sessionExpiryInterval: 120 } },
      pair: { drop: (from) => lossy && from === "server" },
    });
    lossy = true;
    p.onClient((c, now) => c.publish({ topic: "a", payload: bytes("1"), qos: 1 }, now));
    const snap = p.client.snapshot();
    const json = JSON.parse(JSON.stringify(snap));
    expect(json).toEqual(snap);
    const restored = ClientSession.restore(json);
    expect(restored.snapshot()).toEqual(snap);
    expect(snap).toMatchObject({
      version: 1,
      kind: "amqtt-session",
      role: "client",
      clientId: "c1",
      sessionExpiryInterval: 120,
    });
    expect(snap.sender.inFlight).toHaveLength(1);
  });

  it("round-trips a server session with subscriptions and restores them on accept", () => {
    const p = connected(4, { connect: { clientId: "c1", keepAlive: 0, clean: false } });
    p.onClient((c, now) => c.subscribe([{ topicFilter: "a/#", qos: 1 }], now));
    const snap = JSON.parse(JSON.stringify(p.server.snapshot()));
    expect(snap).toMatchObject({
      role: "server",
      sessionExpiryInterval: 0xffff_ffff,
      subscriptions: [{ topicFilter: "a/#", qos: 1 }],
    });
    const again = pair(
      ClientSession.restore(JSON.parse(JSON.stringify(p.client.snapshot())), {}),
      new ServerSession(),
      {
        shell: { onConnect: (_r, s, now) => s.accept({ restore: snap }, now) },
      },
    );
    again.onClient((c, now) => c.connect({ clientId: "c1", keepAlive: 0, clean: false }, now));
    expect(again.events("client", "connected")[0]?.sessionPresent).toBe(true);
    expect([...again.server.subscriptions.keys()]).toEqual(["a/#"]);
    expect([...again.client.subscriptions.keys()]).toEqual(["a/#"]);
  });

  it("forgets restored client state when the server has no session", () => {
    const p = connected(4, { connect: { clientId: "c1", keepAlive: 0, clean: false } });
    p.onClient((c, now) => c.subscribe([{ topicFilter: "a", qos: 1 }], now));
    const again = pair(ClientSession.restore(p.client.snapshot()), new ServerSession());
    again.onClient((c, now) => c.connect({ clientId: "c1", keepAlive: 0, clean: false }, now));
    expect(again.events("client", "connected")[0]?.sessionPresent).toBe(false);
    expect(again.client.subscriptions.size).toBe(0);
  });

  it("refuses snapshots of another version, role or shape", () => {
    const p = connected(5);
    const snap = p.client.snapshot();
    expect(() => ClientSession.restore({ ...snap, version: 2 })).toThrow(InvalidSessionSnapshotError);
    expect(() => ClientSession.restore({ ...snap, role: "server" })).toThrow(InvalidSessionSnapshotError);
    expect(() => ClientSession.restore({ ...snap, subscriptions: [{ topicFilter: 1, qos: 0 }] })).toThrow(
      InvalidSessionSnapshotError,
    );
    expect(() => ClientSession.restore(null)).toThrow(InvalidSessionSnapshotError);
    expect(() => ClientSession.restore({ ...snap, sender: { nope: true } })).toThrow();
  });
});
