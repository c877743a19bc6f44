// The store cleanup schedule: expired messages and sessions leave the store, over the memory harness.
import { QosReceiver, QosSender } from "@amqtt/qos";
import { describe, expect, it } from "vitest";
import { MemoryStore } from "../../src/index.js";
import { MqttPeer, startMemoryBroker } from "../harness/peer.js";
import { publish, receiveOne, subscribe } from "../harness/steps.js";
import { until, untilAsync } from "../harness/wait.js";

describe("the store cleanup schedule", () => {
  it("removes expired queued and retained messages from the store, so storage does not grow with them", async () => {
    const store = new MemoryStore();
    const broker = await startMemoryBroker({}, { store, storeCleanupIntervalMs: 100 });
    const { peer: sub } = await MqttPeer.connected(broker, "away", {
      clean: false,
      properties: { sessionExpiryInterval: 600 },
    });
    await subscribe(sub, { "exp/#": 1 });
    await sub.disconnect();
    const { peer: pub } = await MqttPeer.connected(broker, "pub");
    const short = { qos: 1 as const, properties: { messageExpiryInterval: 1 } };
    await publish(pub, "exp/q", "soon gone", short);
    await publish(pub, "exp/r", "retained, soon gone", { ...short, retain: true });
    await publish(pub, "exp/keep", "no expiry", { qos: 1 });
    expect((await store.queueUsage("away")).count).toBe(3);
    expect((await store.retainedUsage()).count).toBeGreaterThanOrEqual(1);
    // After the 1 s expiry, cleanup passes remove them without anyone asking. The queued and
    // the retained copy expire a few ms apart, so one pass may take only the first: wait for both.
    await until(
      () => broker.stats().storedMessages === 1 && broker.retained.get("exp/r") === undefined,
      10_000,
    );
    await untilAsync(async () => (await store.getRetained("exp/r")) === undefined, 10_000);
    expect((await store.queueUsage("away")).count).toBe(1);
    expect(await store.getRetained("exp/r")).toBeUndefined();
    expect(broker.retained.get("exp/r")).toBeUndefined();
  });

  it("deletes a stored session past its expiry that this broker never restored, and publishes its delayed will", async () => {
    const store = new MemoryStore();
    await store.open();
    const broker = await startMemoryBroker(
      {},
      { store: Object.assign(store, { open: async () => {} }), storeCleanupIntervalMs: 100 },
    );
    const { peer: watcher } = await MqttPeer.connected(broker, "watcher", {}, { version: 4 });
    await subscribe(watcher, { "wills/#": 0 });
    // A record written by another broker instance over the same storage, already expired.
    await store.saveSession({
      version: 1,
      clientId: "elsewhere",
      protocolVersion: 5,
      sessionExpiryInterval: 1,
      expiresAt: Date.now() - 1000,
      will: {
        topic: "wills/elsewhere",
        payload: new TextEncoder().encode("gone"),
        qos: 0,
        retain: false,
        publishAt: Date.now() - 500,
      },
      subscriptions: [],
      outgoing: new QosSender({ protocolVersion: 5 }).snapshot(),
      incoming: new QosReceiver({ protocolVersion: 5 }).snapshot(),
    });
    const [topic, payload] = await receiveOne(watcher);
    expect(`${topic}=${payload}`).toBe("wills/elsewhere=gone");
    expect(await store.loadSession("elsewhere")).toBeUndefined();
  });
});
