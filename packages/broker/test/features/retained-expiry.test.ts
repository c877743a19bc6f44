// retained_message_expiry: the longest the broker keeps a client's retained message, in virtual time.
import { describe, expect, it } from "vitest";
import { ConfigError, MemoryStore, resolveBrokerConfig } from "../../src/index.js";
import { ManualClock } from "../harness/manual-clock.js";
import { MqttPeer, startMemoryBroker } from "../harness/peer.js";
import { expectNothingPending, publish, receiveOne, subscribe } from "../harness/steps.js";
import { untilAsync } from "../harness/wait.js";

const payload = new TextEncoder().encode("stored");

describe("retained_message_expiry", () => {
  it("keeps a retained message for at most that many seconds, then neither new subscribers nor the store have it; a shorter Message Expiry Interval still wins", async () => {
    const clock = new ManualClock();
    const store = new MemoryStore();
    const broker = await startMemoryBroker(
      { retained_message_expiry: 60 },
      { clock, store, storeCleanupIntervalMs: 10_000 },
    );
    const { peer: pub } = await MqttPeer.connected(broker, "pub");
    expect(await publish(pub, "r/long", "kept 60 s", { qos: 1, retain: true })).toBe(0);
    expect(
      await publish(pub, "r/short", "kept 20 s", {
        qos: 1,
        retain: true,
        properties: { messageExpiryInterval: 20 },
      }),
    ).toBe(0);

    clock.advance(30_000);
    const { peer: early } = await MqttPeer.connected(broker, "early");
    await subscribe(early, { "r/#": 1 });
    const [topic, text, packet] = await receiveOne(early);
    expect([topic, text]).toEqual(["r/long", "kept 60 s"]);
    // The broker's own keep time is not a Message Expiry Interval: the subscriber is not told one.
    expect(packet.properties?.messageExpiryInterval).toBeUndefined();
    await expectNothingPending(early);

    clock.advance(31_000);
    const { peer: late } = await MqttPeer.connected(broker, "late");
    await subscribe(late, { "r/#": 1 });
    await expectNothingPending(late);
    // The cleanup pass (every 10 s on the broker's clock) clears the store's copy too.
    clock.advance(10_000);
    await untilAsync(async () => (await store.getRetained("r/long")) === undefined);
    expect(broker.retained.get("r/long")).toBeUndefined();
  });

  it("without it (the default), a retained message stays however long it waits", async () => {
    const clock = new ManualClock();
    const broker = await startMemoryBroker({}, { clock, storeCleanupIntervalMs: 10_000 });
    const { peer: pub } = await MqttPeer.connected(broker, "pub");
    await publish(pub, "r/forever", "still here", { qos: 1, retain: true });
    clock.advance(10 * 24 * 3600 * 1000);
    const { peer: sub } = await MqttPeer.connected(broker, "sub");
    await subscribe(sub, { "r/#": 1 });
    const [topic, text] = await receiveOne(sub);
    expect([topic, text]).toEqual(["r/forever", "still here"]);
  });

  it("counts from when the message was stored, across a restart: a stored message older than the bound is dropped at start", async () => {
    const store = new MemoryStore();
    await store.open();
    const base = { payload, qos: 1 as const, retain: true };
    await store.setRetained({ ...base, topic: "r/old", storedAt: Date.now() - 120_000 });
    await store.setRetained({ ...base, topic: "r/new", storedAt: Date.now() - 10_000 });
    const broker = await startMemoryBroker(
      { retained_message_expiry: 60 },
      { store: Object.assign(store, { open: async () => {} }) },
    );
    expect(broker.retained.get("r/old")).toBeUndefined();
    expect(await store.getRetained("r/old")).toBeUndefined();
    expect(broker.retained.get("r/new")?.retainedUntil).toBeDefined();
    const { peer: sub } = await MqttPeer.connected(broker, "sub");
    await subscribe(sub, { "r/#": 1 });
    const [topic] = await receiveOne(sub);
    expect(topic).toBe("r/new");
    await expectNothingPending(sub);
  });

  it("is validated: a negative value is a ConfigError naming the key", () => {
    expect(() => resolveBrokerConfig({ retained_message_expiry: -1 })).toThrow(ConfigError);
    try {
      resolveBrokerConfig({ retained_message_expiry: -1 });
    } catch (error) {
      expect((error as ConfigError).issues.map((i) => i.path)).toEqual(["retained_message_expiry"]);
    }
    expect(resolveBrokerConfig({ retained_message_expiry: 3600 }).limits.retainedMessageExpiry).toBe(3600);
    expect(resolveBrokerConfig({}).limits.retainedMessageExpiry).toBe(0);
  });
});
