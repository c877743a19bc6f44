// Acknowledgements that wait for a persistent store, and connected sessions in
// the store, over the memory harness (a gated store stands in for a slow disk).
import { PacketType } from "@amqtt/codec";
import { describe, expect, it, vi } from "vitest";
import { type Broker, MemoryStore, type SessionRecord } from "../../src/index.js";
import { MqttPeer, startMemoryBroker } from "../harness/peer.js";
import { sendPublish, subscribe } from "../harness/steps.js";
import { until, untilAsync } from "../harness/wait.js";

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

/** The packet ids of the PUBACKs a peer received so far, in arrival order. */
function pubacksOf(peer: MqttPeer): number[] {
  return peer.received.flatMap((p) => (p.type === PacketType.PUBACK ? [p.packetId] : []));
}

async function offlineSubscriber(broker: Broker, clientId: string, filter: string): Promise<void> {
  const { peer } = await MqttPeer.connected(broker, clientId, { clean: false }, { version: 4 });
  await subscribe(peer, { [filter]: 1 });
  await peer.disconnect();
}

/** The session record of `clientId` once the store holds it with its one subscription (saved asynchronously). */
function savedWithOneSubscription(store: MemoryStore, clientId: string): Promise<SessionRecord> {
  return vi.waitFor(
    async () => {
      const saved = await store.loadSession(clientId);
      expect(saved?.subscriptions).toHaveLength(1);
      return saved!;
    },
    { timeout: 10_000 },
  );
}

const peer4 = async (broker: Broker, id: string) =>
  (await MqttPeer.connected(broker, id, {}, { version: 4 })).peer;
const live5 = (expiry: number) => ({ clean: false, properties: { sessionExpiryInterval: expiry } });

describe("acknowledgements wait for a persistent store (durability)", () => {
  it("sends PUBACK for a message queued for an offline session only after the store's flush", async () => {
    const store = new GatedStore();
    const broker = await startMemoryBroker({}, { store });
    store.open_();
    await offlineSubscriber(broker, "away", "durable/#");
    store.fail(new Error("unused")); // a fresh closed gate for the publish below
    const pub = await peer4(broker, "pub");
    const flushesBefore = store.flushCalls;
    const id = sendPublish(pub, "durable/a", "kept", { qos: 1 });
    await until(() => store.flushCalls > flushesBefore);
    // The message is in the queue, but the disk has not said "synced": no PUBACK yet.
    expect((await store.queueUsage("away")).count).toBe(1);
    expect(pubacksOf(pub)).toEqual([]);
    store.open_();
    expect((await pub.expect("puback")).packetId).toBe(id);
    expect(pubacksOf(pub)).toHaveLength(1);
    expect(broker.stats().storedMessages).toBe(1);
  });

  it("keeps PUBACKs in PUBLISH order when a later message needs no flush [MQTT-4.6.0-2]", async () => {
    const store = new GatedStore();
    const broker = await startMemoryBroker({}, { store });
    store.open_();
    await offlineSubscriber(broker, "away", "stored/#");
    store.fail(new Error("unused"));
    const pub = await peer4(broker, "pub");
    const first = sendPublish(pub, "stored/1", "to disk", { qos: 1 });
    await until(() => store.flushCalls > 0);
    // Nobody's queue takes this one, so it needs no flush; its PUBACK still may not overtake the first.
    const second = sendPublish(pub, "nobody/listens", "x", { qos: 1 });
    const third = sendPublish(pub, "stored/2", "to disk too", { qos: 1 });
    await new Promise((r) => setTimeout(r, 50));
    expect(pubacksOf(pub)).toEqual([]);
    store.open_();
    for (let i = 0; i < 3; i++) await pub.expect("puback");
    const acks = pubacksOf(pub);
    expect(acks).toEqual([first, second, third]);
    expect(acks).toEqual([...acks].sort((a, b) => a - b));
    expect(acks).toHaveLength(3);
  });

  it("sends no PUBACK when the store cannot make the message durable, and closes the publisher", async () => {
    const store = new GatedStore();
    const warnings: string[] = [];
    const broker = await startMemoryBroker({}, { store });
    broker.on("warning", (message) => warnings.push(message));
    store.open_();
    await offlineSubscriber(broker, "away", "fragile/#");
    store.fail(new Error("unused"));
    const pub = await peer4(broker, "pub");
    sendPublish(pub, "fragile/x", "lost?", { qos: 1 });
    await until(() => store.flushCalls > 0);
    store.fail(new Error("disk full"));
    // Closed with nothing unread: no PUBACK came.
    await pub.expectClosed();
    expect(pubacksOf(pub)).toEqual([]);
    expect(warnings.some((w) => w.includes("durable"))).toBe(true);
    store.open_();
  });

  it("publishDurably() resolves after an asynchronous onPublish plugin answered and the store flushed what its routing queued", async () => {
    const store = new GatedStore();
    let release!: () => void;
    const answered = new Promise<void>((resolve) => {
      release = resolve;
    });
    let calls = 0;
    const broker = await startMemoryBroker(
      {},
      {
        store,
        plugins: [
          {
            name: "slow",
            onPublish: async (_client, message) => {
              if (message.topic.startsWith("held/")) {
                calls++;
                await answered;
              }
              return message;
            },
          },
        ],
      },
    );
    store.open_();
    await offlineSubscriber(broker, "away", "held/#");
    store.fail(new Error("unused"));
    let held = false;
    const durable = broker.publishDurably({ topic: "held/a", payload: "x", qos: 1 }).then(() => {
      held = true;
    });
    await until(() => calls === 1);
    await new Promise((r) => setTimeout(r, 20));
    // The plugin has not answered: nothing routed, nothing flushed.
    expect(held).toBe(false);
    expect((await store.queueUsage("away")).count).toBe(0);
    const flushesBefore = store.flushCalls;
    release();
    await until(() => store.flushCalls > flushesBefore);
    expect((await store.queueUsage("away")).count).toBe(1);
    expect(held).toBe(false);
    store.open_();
    await durable;
    expect(held).toBe(true);
  });

  it("publishDurably() rejects when the store cannot make the message durable", async () => {
    const store = new GatedStore();
    const broker = await startMemoryBroker({}, { store });
    store.open_();
    await offlineSubscriber(broker, "away", "fragile/#");
    store.fail(new Error("unused"));
    const durable = broker.publishDurably({ topic: "fragile/a", payload: "x", qos: 1 });
    await until(() => store.flushCalls > 0);
    store.fail(new Error("disk full"));
    await expect(durable).rejects.toThrow("disk full");
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
    const broker = await startMemoryBroker({}, { store });
    await offlineSubscriber(broker, "away", "mem/#");
    const pub = await peer4(broker, "pub");
    sendPublish(pub, "mem/a", "x", { qos: 1 });
    await pub.expect("puback");
    expect(flushes).toBe(0);
  });
});

describe("connected sessions in a persistent store", () => {
  it("saves a connected persistent session with its subscriptions and no deadline", async () => {
    const store = new GatedStore();
    store.open_();
    const broker = await startMemoryBroker({}, { store });
    const { peer: c } = await MqttPeer.connected(broker, "live", live5(60));
    await subscribe(c, { "live/#": 1 });
    const record = await savedWithOneSubscription(store, "live");
    expect(record?.subscriptions.map((s) => s.topicFilter)).toEqual(["live/#"]);
    expect(record?.sessionExpiryInterval).toBe(60);
    // Still connected: the expiry has not started.
    expect(record?.expiresAt).toBeUndefined();
  });

  it("restores a session saved while connected (a crash) and starts its expiry at the restore", async () => {
    const store = new GatedStore();
    store.open_();
    const first = await startMemoryBroker({}, { store });
    const { peer: c } = await MqttPeer.connected(first, "crashed", live5(1));
    await subscribe(c, { "c/#": 1 });
    // What the disk held at the moment of a crash: the live record.
    const live = await savedWithOneSubscription(store, "crashed");
    const afterCrash = new MemoryStore();
    await afterCrash.open();
    await afterCrash.saveSession(live);
    const reopened = Object.assign(afterCrash, { open: async () => {} });
    const broker = await startMemoryBroker({}, { store: reopened });
    expect(broker.sessions.get("crashed")?.filters.has("c/#")).toBe(true);
    // Session Expiry Interval 1 s, counted from the restore: the session then ends.
    await until(() => !broker.sessions.has("crashed"), 10_000);
  });

  it("keeps nothing of connected sessions in the memory store", async () => {
    const store = new MemoryStore();
    const broker = await startMemoryBroker({}, { store });
    const { peer: c } = await MqttPeer.connected(broker, "mem-live", { clean: false }, { version: 4 });
    await subscribe(c, { "m/#": 1 });
    expect(await store.listSessions()).toEqual([]);
  });
});

describe("QoS 2 to a subscriber whose session a persistent store keeps", () => {
  /** A connected 5.0 subscriber with a stored session and a QoS 2 subscription, and a publisher. */
  async function qos2Pair(store: MemoryStore) {
    const broker = await startMemoryBroker({}, { store });
    const { peer: sub } = await MqttPeer.connected(broker, "q2-sub", live5(600));
    await subscribe(sub, { "q2/#": 2 });
    const pub = await peer4(broker, "q2-pub");
    sendPublish(pub, "q2/x", "once", { qos: 2 });
    const delivered = await sub.expect("publish");
    return { broker, sub, packetId: delivered.packetId! };
  }

  /** The stage the stored session gives the outgoing flow of `packetId` (`undefined`: none). */
  async function storedStage(store: MemoryStore, packetId: number): Promise<string | undefined> {
    const record = await store.loadSession("q2-sub");
    return record?.outgoing.inFlight.find((f) => f.packetId === packetId)?.stage;
  }

  it("sends the PUBREL only once the store holds the flow at stage pubrel, so a restore never resends the PUBLISH [MQTT-4.3.3-1] [MQTT-4.3.3-4]", async () => {
    const store = new GatedStore();
    store.open_();
    const { sub, packetId } = await qos2Pair(store);
    store.fail(new Error("unused")); // a closed gate: the next flushes wait
    sub.send({ type: PacketType.PUBREC, packetId });
    await untilAsync(async () => (await storedStage(store, packetId)) === "pubrel");
    await new Promise((r) => setTimeout(r, 50));
    // Saved, not yet durable: no PUBREL yet.
    expect(sub.received.some((p) => p.type === PacketType.PUBREL)).toBe(false);
    store.open_();
    expect((await sub.expect("pubrel")).packetId).toBe(packetId);
  });

  it("sends no PUBREL when the store cannot save the flow, and closes the subscriber", async () => {
    const store = new GatedStore();
    store.open_();
    const { broker, sub, packetId } = await qos2Pair(store);
    const warnings: string[] = [];
    broker.on("warning", (message) => warnings.push(message));
    store.fail(new Error("unused"));
    const flushesBefore = store.flushCalls;
    sub.send({ type: PacketType.PUBREC, packetId });
    await until(() => store.flushCalls > flushesBefore);
    store.fail(new Error("disk full"));
    await sub.expectClosed();
    expect(sub.received.some((p) => p.type === PacketType.PUBREL)).toBe(false);
    expect(warnings.some((w) => w.includes("PUBREC"))).toBe(true);
    store.open_();
  });

  it("sends the PUBREL at once with the memory store (nothing outlives the process)", async () => {
    const store = new MemoryStore();
    const { sub, packetId } = await qos2Pair(store);
    sub.send({ type: PacketType.PUBREC, packetId });
    expect((await sub.expect("pubrel")).packetId).toBe(packetId);
    expect(await store.listSessions()).toEqual([]);
  });
});
