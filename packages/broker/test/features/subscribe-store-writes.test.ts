// What a SUBSCRIBE costs the store: a session that ends with its connection is
// never written (nor snapshotted), with the real SQLite store under a counting spy.
import { PacketType } from "@amqtt/codec";
import { ServerSession } from "@amqtt/session";
import { afterEach, describe, expect, it, vi } from "vitest";
import { countedSqliteStore } from "../harness/counted-store.js";
import { MqttPeer, startMemoryBroker } from "../harness/peer.js";

afterEach(() => vi.restoreAllMocks());

/** Ten SUBSCRIBEs of ten filters each, then one UNSUBSCRIBE, each answered. */
async function churnSubscriptions(peer: MqttPeer): Promise<void> {
  for (let i = 0; i < 10; i++) {
    peer.send({
      type: PacketType.SUBSCRIBE,
      packetId: i + 1,
      subscriptions: Array.from({ length: 10 }, (_, k) => ({ topicFilter: `w/${i}/${k}`, qos: 1 as const })),
    });
    await peer.expect("suback");
  }
  peer.send({ type: PacketType.UNSUBSCRIBE, packetId: 99, topicFilters: ["w/0/0"] });
  await peer.expect("unsuback");
}

describe("SUBSCRIBE and the store", () => {
  for (const version of [4, 5] as const) {
    it(`a session that is not persisted (level ${version}, ${version === 5 ? "Session Expiry 0" : "Clean Session 1"}) is neither written to SQLite nor snapshotted per SUBSCRIBE`, async () => {
      const { store, calls } = countedSqliteStore();
      const broker = await startMemoryBroker({}, { store });
      const { peer } = await MqttPeer.connected(broker, `not-kept-${version}`, { clean: true }, { version });
      const snapshots = vi.spyOn(ServerSession.prototype, "snapshot");
      const before = new Map(calls);
      await churnSubscriptions(peer);
      await store.flush();
      expect(calls.get("saveSession") ?? 0).toBe(before.get("saveSession") ?? 0);
      expect(snapshots).not.toHaveBeenCalled();
      expect(await store.loadSession(`not-kept-${version}`)).toBeUndefined();
    });
  }

  it("a persistent session is written on each subscription change (the spy sees writes that happen)", async () => {
    const { store, calls } = countedSqliteStore();
    const broker = await startMemoryBroker({}, { store });
    const { peer } = await MqttPeer.connected(broker, "kept", { clean: false }, { version: 4 });
    const before = calls.get("saveSession") ?? 0;
    await churnSubscriptions(peer);
    await store.flush();
    expect((calls.get("saveSession") ?? 0) - before).toBe(11);
    expect((await store.loadSession("kept"))?.subscriptions).toHaveLength(99);
  });
});
