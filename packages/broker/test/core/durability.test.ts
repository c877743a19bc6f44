import type { MqttClient, Packet } from "mqtt";
import { describe, expect, it, vi } from "vitest";
import { MemoryStore } from "../../src/index.js";
import { mqttClient, startBroker, until } from "./helpers.js";

/**
 * A memory store that says it is persistent and whose `flush()` waits until the
 * test opens the gate (or fails it): stands in for a disk that is slow to sync.
 */
class GatedStore extends MemoryStore {
  override readonly persistent = true;
  flushCalls = 0;
  private gate = newGate();

  override async flush(): Promise<void> {
    this.flushCalls++;
    await super.flush();
    await this.gate.promise;
  }

  /** Let every waiting and later flush resolve. */
  open_(): void {
    this.gate.resolve();
  }

  /** Make every waiting flush reject, then start a new closed gate. */
  fail(error: Error): void {
    const failed = this.gate;
    this.gate = newGate();
    failed.reject(error);
  }

  override async close(): Promise<void> {
    this.open_();
    await super.close();
  }
}

/** A promise with its settle functions (Node 20 has no `Promise.withResolvers`). */
function newGate(): { promise: Promise<void>; resolve: () => void; reject: (error: Error) => void } {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {}); // a failed gate nobody waits on is not an unhandled rejection
  return { promise, resolve, reject };
}

/** The message ids of the PUBACKs a client receives, in arrival order. */
function pubacksOf(client: MqttClient): number[] {
  const ids: number[] = [];
  client.on("packetreceive", (packet: Packet) => {
    if (packet.cmd === "puback") ids.push(packet.messageId!);
  });
  return ids;
}

async function offlineSubscriber(url: string, clientId: string, filter: string): Promise<void> {
  const sub = await mqttClient(url, { clientId, clean: false });
  await sub.subscribeAsync(filter, { qos: 1 });
  await sub.endAsync();
}

describe("acknowledgements wait for a persistent store (durability)", () => {
  it("sends PUBACK for a message queued for an offline session only after the store's flush", async () => {
    const store = new GatedStore();
    const { url, broker } = await startBroker({}, { store });
    store.open_();
    await offlineSubscriber(url, "away", "durable/#");
    store.fail(new Error("unused")); // a fresh closed gate for the publish below
    const pub = await mqttClient(url);
    const acks = pubacksOf(pub);
    const flushesBefore = store.flushCalls;
    const published = pub.publishAsync("durable/a", "kept", { qos: 1 });
    await until(() => store.flushCalls > flushesBefore);
    // The message is in the queue, but the disk has not said "synced": no PUBACK yet.
    expect((await store.queueUsage("away")).count).toBe(1);
    expect(acks).toEqual([]);
    store.open_();
    await published;
    expect(acks).toHaveLength(1);
    expect(broker.stats().storedMessages).toBe(1);
  });

  it("keeps PUBACKs in PUBLISH order when a later message needs no flush [MQTT-4.6.0-2]", async () => {
    const store = new GatedStore();
    const { url } = await startBroker({}, { store });
    store.open_();
    await offlineSubscriber(url, "away", "stored/#");
    store.fail(new Error("unused"));
    const pub = await mqttClient(url);
    const acks = pubacksOf(pub);
    const first = pub.publishAsync("stored/1", "to disk", { qos: 1 });
    await until(() => store.flushCalls > 0);
    // Nobody's queue takes this one, so it needs no flush; its PUBACK still may not overtake the first.
    const second = pub.publishAsync("nobody/listens", "x", { qos: 1 });
    const third = pub.publishAsync("stored/2", "to disk too", { qos: 1 });
    await new Promise((r) => setTimeout(r, 50));
    expect(acks).toEqual([]);
    store.open_();
    await Promise.all([first, second, third]);
    const sorted = [...acks].sort((a, b) => a - b);
    expect(acks).toEqual(sorted);
    expect(acks).toHaveLength(3);
  });

  it("sends no PUBACK when the store cannot make the message durable, and closes the publisher", async () => {
    const store = new GatedStore();
    const warnings: string[] = [];
    const { url, broker } = await startBroker({}, { store });
    broker.on("warning", (message) => warnings.push(message));
    store.open_();
    await offlineSubscriber(url, "away", "fragile/#");
    store.fail(new Error("unused"));
    const pub = await mqttClient(url);
    const acks = pubacksOf(pub);
    const closed = new Promise<void>((resolve) => pub.once("close", () => resolve()));
    void pub.publishAsync("fragile/x", "lost?", { qos: 1 }).catch(() => {});
    await until(() => store.flushCalls > 0);
    store.fail(new Error("disk full"));
    await closed;
    expect(acks).toEqual([]);
    expect(warnings.some((w) => w.includes("durable"))).toBe(true);
    store.open_();
  });

  it("acknowledges at once with the memory store (nothing to wait for)", async () => {
    const store = new MemoryStore();
    let flushes = 0;
    const flush = store.flush.bind(store);
    store.flush = () => {
      flushes++;
      return flush();
    };
    const { url } = await startBroker({}, { store });
    await offlineSubscriber(url, "away", "mem/#");
    const pub = await mqttClient(url);
    await pub.publishAsync("mem/a", "x", { qos: 1 });
    expect(flushes).toBe(0);
  });
});

describe("connected sessions in a persistent store", () => {
  it("saves a connected persistent session with its subscriptions and no deadline", async () => {
    const store = new GatedStore();
    store.open_();
    const { url } = await startBroker({}, { store });
    const c = await mqttClient(url, {
      clientId: "live",
      clean: false,
      protocolVersion: 5,
      properties: { sessionExpiryInterval: 60 },
    });
    await c.subscribeAsync("live/#", { qos: 1 });
    const record = await vi.waitFor(async () => {
      const saved = await store.loadSession("live");
      expect(saved?.subscriptions).toHaveLength(1);
      return saved;
    });
    expect(record?.subscriptions.map((s) => s.topicFilter)).toEqual(["live/#"]);
    expect(record?.sessionExpiryInterval).toBe(60);
    // Still connected: the expiry has not started.
    expect(record?.expiresAt).toBeUndefined();
  });

  it("restores a session saved while connected (a crash) and starts its expiry at the restore", async () => {
    const store = new GatedStore();
    store.open_();
    const first = await startBroker({}, { store });
    const c = await mqttClient(first.url, {
      clientId: "crashed",
      clean: false,
      protocolVersion: 5,
      properties: { sessionExpiryInterval: 1 },
    });
    await c.subscribeAsync("c/#", { qos: 1 });
    // What the disk held at the moment of a crash: the live record.
    const live = await vi.waitFor(async () => {
      const saved = await store.loadSession("crashed");
      expect(saved?.subscriptions).toHaveLength(1);
      return saved!;
    });
    const afterCrash = new MemoryStore();
    await afterCrash.open();
    await afterCrash.saveSession(live);
    const reopened = Object.assign(afterCrash, { open: async () => {} });
    const { broker } = await startBroker({}, { store: reopened });
    expect(broker.sessions.get("crashed")?.filters.has("c/#")).toBe(true);
    // Session Expiry Interval 1 s, counted from the restore: the session then ends.
    await until(() => !broker.sessions.has("crashed"), 4000);
  });

  it("keeps nothing of connected sessions in the memory store", async () => {
    const store = new MemoryStore();
    const { url } = await startBroker({}, { store });
    const c = await mqttClient(url, { clientId: "mem-live", clean: false });
    await c.subscribeAsync("m/#", { qos: 1 });
    expect(await store.listSessions()).toEqual([]);
  });
});
