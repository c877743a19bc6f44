// Take-over churn keeps nothing: after K take-overs of one client id the broker's
// structures hold one session's worth, and the store sees one write per take-over.
import { PacketType, ReasonCode } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import type { BrokerCore } from "../../src/broker/core.js";
import type { Broker } from "../../src/broker.js";
import { type Clock, systemClock, type TimerHandle } from "../../src/core/timers.js";
import { countedSqliteStore } from "../harness/counted-store.js";
import { MqttPeer, startMemoryBroker } from "../harness/peer.js";
import { subscribe } from "../harness/steps.js";

/** The system clock, counting the timers armed and not yet fired or cleared. */
class CountingClock implements Clock {
  readonly live = new Set<TimerHandle>();
  now(): number {
    return systemClock.now();
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const handle: TimerHandle = systemClock.setTimeout(() => {
      this.live.delete(handle);
      fn();
    }, ms);
    this.live.add(handle);
    return handle;
  }
  clearTimeout(handle: TimerHandle): void {
    this.live.delete(handle);
    systemClock.clearTimeout(handle);
  }
}

/** The broker's machinery (private to the facade), to count what it holds. */
const coreOf = (broker: Broker): BrokerCore => (broker as unknown as { core: BrokerCore }).core;

const CONNECT = {
  clean: false,
  keepAlive: 60,
  properties: { sessionExpiryInterval: 300 },
  will: {
    topic: "churn/will",
    payload: new Uint8Array([1]),
    qos: 1 as const,
    retain: false,
    properties: { willDelayInterval: 60 },
  },
};

/** Connect `id` again, taking over `previous` (which must see DISCONNECT 0x8E and the close [MQTT-3.1.4-3]). */
async function takeOver(broker: Broker, id: string, previous: MqttPeer | undefined): Promise<MqttPeer> {
  const { peer } = await MqttPeer.connected(broker, id, CONNECT);
  if (previous !== undefined) {
    expect((await previous.expect("disconnect")).reasonCode).toBe(ReasonCode.SESSION_TAKEN_OVER);
    await previous.expectClosed();
  }
  return peer;
}

describe("take-over churn", () => {
  it("after K take-overs the registry, connections, timer wheel, clock timers and tree hold one client's worth [MQTT-3.1.4-3]", async () => {
    const clock = new CountingClock();
    const broker = await startMemoryBroker({}, { clock });
    const core = coreOf(broker);
    let peer = await takeOver(broker, "churn", undefined);
    await subscribe(peer, { "churn/a": 1, "churn/+": 1 });
    const timersAfterOne = clock.live.size;
    for (let k = 0; k < 40; k++) {
      peer = await takeOver(broker, "churn", peer);
      expect(core.registry.sessions.size).toBe(1);
      expect(core.connections.size).toBe(1);
      // One wheel entry: the keep alive of the live connection; none for the replaced ones.
      expect(core.wheel.size).toBe(1);
      // The session (resumed, Clean Start 0) keeps its two subscriptions, never more.
      expect(core.tree.size).toBe(2);
      // Root, the exact slot of churn/a, and the trie levels churn and + of churn/+.
      expect(core.tree.nodeCount).toBe(4);
      // No expiry timer, no will-delay timer of a replaced connection is left armed.
      expect(clock.live.size).toBeLessThanOrEqual(timersAfterOne);
    }
  });

  it("a resumed take-over writes the session once (the replaced connection's offline save is skipped)", async () => {
    const { store, calls } = countedSqliteStore();
    const broker = await startMemoryBroker({}, { store });
    let peer = await takeOver(broker, "churn-writes", undefined);
    await store.flush();
    const before = calls.get("saveSession") ?? 0;
    const K = 10;
    for (let k = 0; k < K; k++) peer = await takeOver(broker, "churn-writes", peer);
    await store.flush();
    expect((calls.get("saveSession") ?? 0) - before).toBe(K);
    // What is stored is the live session, resumable after a crash.
    expect((await store.loadSession("churn-writes"))?.sessionExpiryInterval).toBe(300);
  });

  it("a clean session that was never written costs the store no delete when it ends", async () => {
    const { store, calls } = countedSqliteStore();
    const broker = await startMemoryBroker({}, { store });
    let previous: MqttPeer | undefined;
    for (let k = 0; k < 10; k++) {
      const { peer } = await MqttPeer.connected(broker, "clean-churn", { clean: true });
      if (previous !== undefined) {
        expect((await previous.expect("disconnect")).reasonCode).toBe(ReasonCode.SESSION_TAKEN_OVER);
        await previous.expectClosed();
      }
      previous = peer;
    }
    previous?.send({ type: PacketType.DISCONNECT });
    await previous?.expectClosed();
    await store.flush();
    expect(calls.get("deleteSession") ?? 0).toBe(0);
    expect(calls.get("saveSession") ?? 0).toBe(0);
  });
});
