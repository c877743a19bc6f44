import { describe, expect, it } from "vitest";
import { MemoryStore } from "../../src/index.js";
import { mqttClient, startBroker, until } from "./helpers.js";

describe("the store cleanup schedule", () => {
  it("removes expired queued and retained messages from the store, so storage does not grow with them", async () => {
    const store = new MemoryStore();
    const { url, broker } = await startBroker({}, { store, storeCleanupIntervalMs: 100 });
    const sub = await mqttClient(url, {
      clientId: "away",
      clean: false,
      protocolVersion: 5,
      properties: { sessionExpiryInterval: 600 },
    });
    await sub.subscribeAsync("exp/#", { qos: 1 });
    await sub.endAsync();
    const pub = await mqttClient(url, { protocolVersion: 5 });
    const short = { qos: 1 as const, properties: { messageExpiryInterval: 1 } };
    await pub.publishAsync("exp/q", "soon gone", short);
    await pub.publishAsync("exp/r", "retained, soon gone", { ...short, retain: true });
    await pub.publishAsync("exp/keep", "no expiry", { qos: 1 });
    expect((await store.queueUsage("away")).count).toBe(3);
    expect((await store.retainedUsage()).count).toBeGreaterThanOrEqual(1);
    // After the 1 s expiry, the next cleanup pass removes them without anyone asking.
    await until(() => broker.stats().storedMessages === 1, 4000);
    expect((await store.queueUsage("away")).count).toBe(1);
    expect(await store.getRetained("exp/r")).toBeUndefined();
    expect(broker.retained.get("exp/r")).toBeUndefined();
  });

  it("deletes a stored session past its expiry that this broker never restored, and publishes its delayed will", async () => {
    const store = new MemoryStore();
    await store.open();
    const { url } = await startBroker(
      {},
      { store: Object.assign(store, { open: async () => {} }), storeCleanupIntervalMs: 100 },
    );
    const watcher = await mqttClient(url);
    const will = new Promise<string>((resolve) => watcher.on("message", (t, p) => resolve(`${t}=${p}`)));
    await watcher.subscribeAsync("wills/#");
    // A record written by another broker instance over the same storage, already expired.
    const { QosReceiver, QosSender } = await import("@amqtt/qos");
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
    expect(await will).toBe("wills/elsewhere=gone");
    expect(await store.loadSession("elsewhere")).toBeUndefined();
  });
});
