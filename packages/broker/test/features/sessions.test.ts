// Sessions, wills, keep alive, offline queue bounds and 5.0 subscription options,
// scripted over the memory harness (no socket).
import { type ProtocolVersion, ReasonCode } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import type { Broker } from "../../src/index.js";
import { disconnected } from "../harness/events.js";
import { MqttPeer, startMemoryBroker } from "../harness/peer.js";
import { publish, receive, receiveAll, receiveOne, settled, subscribe } from "../harness/steps.js";
import { until } from "../harness/wait.js";

const text = new TextEncoder();
const will = (topic: string, payload: string, qos: 0 | 1) => ({
  will: { topic, payload: text.encode(payload), qos, retain: false },
});

describe.each([4, 5] as const)("sessions at protocol level %i", (version: ProtocolVersion) => {
  const connected = async (broker: Broker, id: string, fields = {}) =>
    MqttPeer.connected(broker, id, fields, { version });
  const peer = async (broker: Broker, id: string, fields = {}) => (await connected(broker, id, fields)).peer;
  const persistent =
    version === 5 ? { clean: false, properties: { sessionExpiryInterval: 60 } } : { clean: false };

  it("publishes the will when the connection drops without DISCONNECT [MQTT-3.1.2-8]", async () => {
    const broker = await startMemoryBroker();
    const watcher = await peer(broker, "watcher");
    await subscribe(watcher, { "wills/#": 1 });
    const dying = await peer(broker, "dying", will("wills/a", "gone", 1));
    dying.drop();
    const [topic, payload] = await receiveOne(watcher);
    expect([topic, payload]).toEqual(["wills/a", "gone"]);
  });

  it("does not publish the will after a normal DISCONNECT [MQTT-3.1.2-10]", async () => {
    const broker = await startMemoryBroker();
    const watcher = await peer(broker, "watcher");
    await subscribe(watcher, { "wills/#": 0 });
    const leaving = await peer(broker, "leaving", will("wills/b", "x", 0));
    const gone = disconnected(broker, "leaving");
    await leaving.disconnect();
    await gone;
    expect(await receiveAll(watcher)).toEqual([]);
  });

  it("keeps a persistent session: subscriptions and queued QoS 1 messages survive a disconnect, with session present [MQTT-3.1.2-4]", async () => {
    const broker = await startMemoryBroker();
    const sub = await peer(broker, "keeper", persistent);
    await subscribe(sub, { "q/#": 1 });
    await sub.disconnect();
    const pub = await peer(broker, "pub");
    for (let i = 0; i < 3; i++) await publish(pub, "q/t", `m${i}`, { qos: 1 });
    await publish(pub, "q/t", "qos0-dropped", { qos: 0 });
    await settled(pub);
    const { peer: again, connack } = await connected(broker, "keeper", persistent);
    expect(connack.sessionPresent).toBe(true);
    expect((await receive(again, 3)).map(([, p]) => p)).toEqual(["m0", "m1", "m2"]);
    expect(await receiveAll(again)).toEqual([]);
  });

  it("a clean session starts empty: session present 0 and no old subscriptions", async () => {
    const broker = await startMemoryBroker();
    const sub = await peer(broker, "cleaner", persistent);
    await subscribe(sub, { "c/#": 1 });
    await sub.disconnect();
    const { peer: again, connack } = await connected(broker, "cleaner", { clean: true });
    expect(connack.sessionPresent).toBe(false);
    const pub = await peer(broker, "pub");
    await publish(pub, "c/x", "nope", { qos: 1 });
    expect(await receiveAll(again)).toEqual([]);
  });

  it("takes over a client id: the old connection is closed [MQTT-3.1.4-3]", async () => {
    const broker = await startMemoryBroker();
    const first = await peer(broker, "same");
    await peer(broker, "same");
    // 5.0 sends DISCONNECT 0x8E Session taken over first.
    if (version === 5)
      expect((await first.expect("disconnect")).reasonCode).toBe(ReasonCode.SESSION_TAKEN_OVER);
    await first.expectClosed();
    await until(() => broker.stats().clientsConnected === 1);
  });
});

describe("keep-alive", () => {
  it("closes a client that sends nothing for 1.5 times its keep alive, and publishes its will [MQTT-3.1.2-24]", async () => {
    const broker = await startMemoryBroker();
    const watcher = (await MqttPeer.connected(broker, "watcher", {}, { version: 4 })).peer;
    await subscribe(watcher, { "ka/#": 0 });
    // 3.1.1, keep alive 1 s, will "ka/w" = "late", and then silence.
    const silent = MqttPeer.open(broker, { version: 4 });
    silent.connect("silent", { keepAlive: 1, ...will("ka/w", "late", 0) });
    await silent.expect("connack");
    await silent.expectClosed();
    const [topic, payload] = await receiveOne(watcher);
    expect([topic, payload]).toEqual(["ka/w", "late"]);
  });
});

describe("bounds", () => {
  it("bounds an offline session's queue by count and drops the oldest, reporting each drop", async () => {
    const broker = await startMemoryBroker({ max_queued_messages: 5 });
    const drops: string[] = [];
    broker.on("dropped", (clientId, _topic, reason) => drops.push(`${clientId}:${reason}`));
    const sub = (await MqttPeer.connected(broker, "slowpoke", { clean: false }, { version: 4 })).peer;
    await subscribe(sub, { "b/#": 1 });
    await sub.disconnect();
    const pub = (await MqttPeer.connected(broker, "pub", {}, { version: 4 })).peer;
    for (let i = 0; i < 8; i++) await publish(pub, "b/t", `m${i}`, { qos: 1 });
    await until(() => drops.length === 3);
    expect((await broker.store.queueUsage("slowpoke")).count).toBe(5);
    expect(broker.stats().storedMessages).toBe(5);
    const again = (await MqttPeer.connected(broker, "slowpoke", { clean: false }, { version: 4 })).peer;
    expect((await receive(again, 5)).map(([, p]) => p)).toEqual(["m3", "m4", "m5", "m6", "m7"]);
  });

  it("bounds an offline session's queue by bytes", async () => {
    const broker = await startMemoryBroker({ max_queued_bytes: 1000 });
    const sub = (await MqttPeer.connected(broker, "bytes", { clean: false }, { version: 4 })).peer;
    await subscribe(sub, { "b/#": 1 });
    await sub.disconnect();
    const pub = (await MqttPeer.connected(broker, "pub", {}, { version: 4 })).peer;
    for (let i = 0; i < 10; i++) await publish(pub, "b/t", new Uint8Array(300).fill(i), { qos: 1 });
    const usage = await broker.store.queueUsage("bytes");
    expect(usage.bytes).toBeLessThanOrEqual(1000);
    expect(usage.count).toBe(3);
  });
});

describe("MQTT 5 subscription options", () => {
  const peer5 = async (broker: Broker, id: string) => (await MqttPeer.connected(broker, id)).peer;

  it("No Local keeps a client's own messages from coming back [MQTT-3.8.3-3]", async () => {
    const broker = await startMemoryBroker();
    const c = await peer5(broker, "c");
    await subscribe(c, { "nl/t": { qos: 1, noLocal: true } });
    // The PUBACK must come next: a PUBLISH of our own message first fails the step.
    await publish(c, "nl/t", "mine", { qos: 1 });
    expect(await receiveAll(c)).toEqual([]);
  });

  it("Retain Handling 2 sends no retained messages; 1 sends them only for a new subscription [MQTT-3.3.1-10] [MQTT-3.3.1-11]", async () => {
    const broker = await startMemoryBroker();
    const pub = await peer5(broker, "pub");
    await publish(pub, "rh/t", "kept", { qos: 1, retain: true });
    const c = await peer5(broker, "c");
    await subscribe(c, { "rh/#": { qos: 1, retainHandling: 2 } });
    expect(await receiveAll(c)).toEqual([]);
    const d = await peer5(broker, "d");
    await subscribe(d, { "rh/#": { qos: 1, retainHandling: 1 } });
    const [topic, payload, packet] = await receiveOne(d);
    expect([topic, payload, packet.retain]).toEqual(["rh/t", "kept", true]);
    await subscribe(d, { "rh/#": { qos: 1, retainHandling: 1 } });
    expect(await receiveAll(d)).toEqual([]);
  });

  it("a message matching several subscriptions of one client is sent once with all their identifiers [MQTT-3.3.4-4]", async () => {
    const broker = await startMemoryBroker();
    const c = await peer5(broker, "c");
    await subscribe(c, { "si/#": 1 }, { subscriptionIdentifier: 1 });
    await subscribe(c, { "si/+": 1 }, { subscriptionIdentifier: 2 });
    const pub = await peer5(broker, "pub");
    await publish(pub, "si/x", "m", { qos: 1 });
    const [, , packet] = await receiveOne(c);
    expect([...(packet.properties?.subscriptionIdentifiers ?? [])].sort()).toEqual([1, 2]);
    expect(await receiveAll(c)).toEqual([]);
  });

  it("shared subscriptions give each message to one member, round robin (5.0 section 4.8.2)", async () => {
    const broker = await startMemoryBroker();
    const a = await peer5(broker, "a");
    const b = await peer5(broker, "b");
    await subscribe(a, { "$share/g/sh/#": 1 });
    await subscribe(b, { "$share/g/sh/#": 1 });
    const pub = await peer5(broker, "pub");
    for (let i = 0; i < 6; i++) await publish(pub, "sh/t", `m${i}`, { qos: 1 });
    const [ra, rb] = [await receiveAll(a), await receiveAll(b)];
    expect(ra.length + rb.length).toBe(6);
    expect(ra.length).toBe(3);
    expect(new Set([...ra, ...rb].map(([, p]) => p)).size).toBe(6);
  });
});

describe("shared subscription strategies", () => {
  it.each(["random", "sticky", "hash-client-id", "hash-topic"] as const)(
    "%s gives each message to exactly one member of the group (5.0 section 4.8.2)",
    async (strategy) => {
      const broker = await startMemoryBroker({ shared_subscription_strategy: strategy });
      const members: MqttPeer[] = [];
      for (const id of ["m0", "m1", "m2"]) members.push((await MqttPeer.connected(broker, id)).peer);
      for (const m of members) await subscribe(m, { "$share/g/st/#": 1 });
      const pub = (await MqttPeer.connected(broker, "pub")).peer;
      for (let i = 0; i < 12; i++) await publish(pub, `st/${i % 3}`, `m${i}`, { qos: 1 });
      const got: string[][] = [];
      for (const m of members) got.push((await receiveAll(m)).map(([t, p]) => `${t}:${p}`));
      const all = got.flat();
      expect(all).toHaveLength(12);
      expect(new Set(all).size).toBe(12);
      if (strategy === "sticky" || strategy === "hash-client-id") {
        // One publisher: both keep every message on one member.
        expect(got.filter((g) => g.length > 0)).toHaveLength(1);
      }
      if (strategy === "hash-topic") {
        // The same topic always lands on the same member.
        const byTopic = new Map<string, number>();
        got.forEach((messages, member) => {
          for (const m of messages) {
            const topic = m.split(":")[0]!;
            expect(byTopic.get(topic) ?? member).toBe(member);
            byTopic.set(topic, member);
          }
        });
      }
    },
  );
});
