// The broker through its store across a restart, over the memory harness.
import { describe, expect, it } from "vitest";
import { type Broker, MemoryStore } from "../../src/index.js";
import { MqttPeer, startMemoryBroker } from "../harness/peer.js";
import {
  expectNothingPending,
  publish,
  receive,
  receiveAll,
  receiveOne,
  subscribe,
} from "../harness/steps.js";
import { until } from "../harness/wait.js";

/** A memory store that survives the broker's stop, standing in for a persistent one. */
class KeptStore extends MemoryStore {
  override async close(): Promise<void> {
    await this.flush();
  }
}

const peer4 = async (broker: Broker, id: string, fields = {}) =>
  (await MqttPeer.connected(broker, id, fields, { version: 4 })).peer;

describe("the broker through its store", () => {
  it("restores persistent sessions, their queued messages and retained messages after a restart", async () => {
    const store = new KeptStore();
    const first = await startMemoryBroker({}, { store });
    const sub = await peer4(first, "durable", { clean: false });
    await subscribe(sub, { "d/#": 1 });
    await sub.disconnect();
    const pub = await peer4(first, "pub");
    await publish(pub, "d/queued", "while away", { qos: 1 });
    await publish(pub, "d/kept", "retained", { qos: 1, retain: true });
    // Both match the offline subscription "d/#": two messages wait in its queue.
    await until(() => first.stats().storedMessages === 2);
    await pub.disconnect();
    await first.stop();

    const second = await startMemoryBroker({}, { store });
    const { peer: client, connack } = await MqttPeer.connected(
      second,
      "durable",
      { clean: false },
      { version: 4 },
    );
    expect(connack.sessionPresent).toBe(true);
    // Both queued messages come back from the store.
    expect((await receive(client, 2)).map(([t, p]) => `${t}=${p}`).sort()).toEqual([
      "d/kept=retained",
      "d/queued=while away",
    ]);
    const fresh = await peer4(second, "fresh");
    await subscribe(fresh, { "d/kept": 0 });
    expect((await receiveOne(fresh))[2].retain).toBe(true);
    // The subscription itself came back: a new message reaches the client.
    await publish(fresh, "d/live", "after restart", { qos: 1 });
    expect((await receiveOne(client)).slice(0, 2)).toEqual(["d/live", "after restart"]);
    expect(await receiveAll(client)).toEqual([]);
  });

  it("forgets a clean session at disconnect: nothing is stored for it", async () => {
    const store = new KeptStore();
    const broker = await startMemoryBroker({}, { store });
    const c = await peer4(broker, "passing", { clean: true });
    await subscribe(c, { "x/#": 0 });
    await c.disconnect();
    await until(() => !broker.sessions.has("passing"));
    expect(await store.listSessions()).toEqual([]);
  });
});

describe("stopping and starting the same broker", () => {
  it("starts again clean with its own memory store: no stale subscriptions or retained messages", async () => {
    const broker = await startMemoryBroker();
    const sub = await peer4(broker, "old", { clean: false });
    await subscribe(sub, { "s/#": 1 });
    await sub.disconnect();
    const pub = await peer4(broker, "pub");
    await publish(pub, "s/r", "kept", { qos: 1, retain: true });
    await pub.disconnect();
    await broker.stop();
    await broker.start();
    expect(broker.sessions.size).toBe(0);
    expect(broker.retained.size).toBe(0);
    expect(broker.stats().subscriptionsCount).toBe(0);
    const fresh = await peer4(broker, "fresh");
    await subscribe(fresh, { "s/#": 0 });
    await expectNothingPending(fresh);
  });
});
