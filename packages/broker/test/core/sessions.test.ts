import { connect as netConnect } from "node:net";
import { describe, expect, it } from "vitest";
import { collectFor, connectWatching, mqttClient, nextMessages, startBroker, until } from "./helpers.js";

describe.each([4, 5] as const)("sessions at protocol level %i", (protocolVersion) => {
  it("publishes the will when the connection drops without DISCONNECT", async () => {
    const { url } = await startBroker();
    const watcher = await mqttClient(url, { protocolVersion });
    await watcher.subscribeAsync("wills/#", { qos: 1 });
    const dying = await mqttClient(url, {
      protocolVersion,
      will: { topic: "wills/a", payload: Buffer.from("gone"), qos: 1, retain: false },
    });
    const got = nextMessages(watcher, 1);
    (dying as unknown as { stream: { destroy(): void } }).stream.destroy();
    const [topic, payload] = (await got)[0]!;
    expect([topic, payload]).toEqual(["wills/a", "gone"]);
  });

  it("does not publish the will after a normal DISCONNECT", async () => {
    const { url } = await startBroker();
    const watcher = await mqttClient(url, { protocolVersion });
    await watcher.subscribeAsync("wills/#");
    const leaving = await mqttClient(url, {
      protocolVersion,
      will: { topic: "wills/b", payload: Buffer.from("x"), qos: 0, retain: false },
    });
    await leaving.endAsync();
    expect(await collectFor(watcher, 300)).toEqual([]);
  });

  it("keeps a persistent session: subscriptions and queued QoS 1 messages survive a disconnect, with session present", async () => {
    const { url } = await startBroker();
    const persistent =
      protocolVersion === 5 ? { clean: false, properties: { sessionExpiryInterval: 60 } } : { clean: false };
    const sub = await mqttClient(url, { protocolVersion, clientId: "keeper", ...persistent });
    await sub.subscribeAsync("q/#", { qos: 1 });
    await sub.endAsync();
    const pub = await mqttClient(url, { protocolVersion });
    for (let i = 0; i < 3; i++) await pub.publishAsync("q/t", `m${i}`, { qos: 1 });
    await pub.publishAsync("q/t", "qos0-dropped", { qos: 0 });
    const { client: again, sessionPresent } = await connectWatching(url, {
      protocolVersion,
      clientId: "keeper",
      ...persistent,
    });
    const got = nextMessages(again, 3);
    again.connect();
    expect(await sessionPresent).toBe(true);
    expect((await got).map(([, p]) => p)).toEqual(["m0", "m1", "m2"]);
    expect(await collectFor(again, 200)).toEqual([]);
  });

  it("a clean session starts empty: session present 0 and no old subscriptions", async () => {
    const { url } = await startBroker();
    const sub = await mqttClient(url, {
      protocolVersion,
      clientId: "cleaner",
      clean: false,
      ...(protocolVersion === 5 ? { properties: { sessionExpiryInterval: 60 } } : {}),
    });
    await sub.subscribeAsync("c/#", { qos: 1 });
    await sub.endAsync();
    const { client: again, sessionPresent } = await connectWatching(url, {
      protocolVersion,
      clientId: "cleaner",
      clean: true,
    });
    again.connect();
    expect(await sessionPresent).toBe(false);
    const pub = await mqttClient(url, { protocolVersion });
    await pub.publishAsync("c/x", "nope", { qos: 1 });
    expect(await collectFor(again, 200)).toEqual([]);
  });

  it("takes over a client id: the old connection is closed", async () => {
    const { broker, url } = await startBroker();
    const first = await mqttClient(url, { protocolVersion, clientId: "same" });
    const closed = new Promise<number | undefined>((resolve) => {
      first.once("disconnect", (p) => resolve((p as { reasonCode?: number }).reasonCode));
      first.once("close", () => resolve(undefined));
    });
    await mqttClient(url, { protocolVersion, clientId: "same" });
    const code = await closed;
    // 5.0 sends DISCONNECT 0x8E Session taken over first [MQTT-3.1.4-3].
    if (protocolVersion === 5) expect(code).toBe(0x8e);
    await until(() => broker.stats().clientsConnected === 1);
  });
});

describe("keep-alive", () => {
  it("closes a client that sends nothing for 1.5 times its keep alive, and publishes its will [MQTT-3.1.2-24]", async () => {
    const { url, port } = await startBroker();
    const watcher = await mqttClient(url);
    await watcher.subscribeAsync("ka/#");
    const socket = netConnect(port, "127.0.0.1");
    socket.resume(); // read (and drop) the CONNACK so the close is seen
    const closed = new Promise<void>((r) => socket.once("close", () => r()));
    // CONNECT 3.1.1, keep alive 1 s, will "ka/w" = "late"
    const str = (s: string) => [0, s.length, ...Buffer.from(s)];
    const body = [...str("MQTT"), 4, 0b0000_0110, 0, 1, ...str("silent"), ...str("ka/w"), ...str("late")];
    socket.write(Buffer.from([0x10, body.length, ...body]));
    const got = nextMessages(watcher, 1, 4000);
    await closed;
    const [topic, payload] = (await got)[0]!;
    expect([topic, payload]).toEqual(["ka/w", "late"]);
  });
});

describe("bounds", () => {
  it("bounds an offline session's queue by count and drops the oldest, reporting each drop", async () => {
    const { broker, url } = await startBroker({ max_queued_messages: 5 });
    const drops: string[] = [];
    broker.on("dropped", (clientId, _topic, reason) => drops.push(`${clientId}:${reason}`));
    const sub = await mqttClient(url, { clientId: "slowpoke", clean: false });
    await sub.subscribeAsync("b/#", { qos: 1 });
    await sub.endAsync();
    const pub = await mqttClient(url);
    for (let i = 0; i < 8; i++) await pub.publishAsync("b/t", `m${i}`, { qos: 1 });
    await until(() => drops.length === 3);
    expect((await broker.store.queueUsage("slowpoke")).count).toBe(5);
    expect(broker.stats().storedMessages).toBe(5);
    const { client: again } = await connectWatching(url, { clientId: "slowpoke", clean: false });
    const got = nextMessages(again, 5);
    again.connect();
    expect((await got).map(([, p]) => p)).toEqual(["m3", "m4", "m5", "m6", "m7"]);
  });

  it("bounds an offline session's queue by bytes", async () => {
    const { broker, url } = await startBroker({ max_queued_bytes: 1000 });
    const sub = await mqttClient(url, { clientId: "bytes", clean: false });
    await sub.subscribeAsync("b/#", { qos: 1 });
    await sub.endAsync();
    const pub = await mqttClient(url);
    for (let i = 0; i < 10; i++) await pub.publishAsync("b/t", Buffer.alloc(300, i), { qos: 1 });
    const usage = await broker.store.queueUsage("bytes");
    expect(usage.bytes).toBeLessThanOrEqual(1000);
    expect(usage.count).toBe(3);
  });
});

describe("MQTT 5 subscription options", () => {
  it("No Local keeps a client's own messages from coming back [MQTT-3.8.3-3]", async () => {
    const { url } = await startBroker();
    const c = await mqttClient(url, { protocolVersion: 5 });
    await c.subscribeAsync("nl/t", { qos: 1, nl: true });
    await c.publishAsync("nl/t", "mine", { qos: 1 });
    expect(await collectFor(c, 200)).toEqual([]);
  });

  it("Retain Handling 2 sends no retained messages; 1 sends them only for a new subscription", async () => {
    const { url } = await startBroker();
    const pub = await mqttClient(url, { protocolVersion: 5 });
    await pub.publishAsync("rh/t", "kept", { qos: 1, retain: true });
    const c = await mqttClient(url, { protocolVersion: 5 });
    await c.subscribeAsync("rh/#", { qos: 1, rh: 2 });
    expect(await collectFor(c, 150)).toEqual([]);
    const d = await mqttClient(url, { protocolVersion: 5 });
    const first = nextMessages(d, 1);
    await d.subscribeAsync("rh/#", { qos: 1, rh: 1 });
    await first;
    await d.subscribeAsync("rh/#", { qos: 1, rh: 1 });
    expect(await collectFor(d, 150)).toEqual([]);
  });

  it("a message matching several subscriptions of one client is sent once with all their identifiers", async () => {
    const { url } = await startBroker();
    const c = await mqttClient(url, { protocolVersion: 5 });
    await c.subscribeAsync("si/#", { qos: 1, properties: { subscriptionIdentifier: 1 } });
    await c.subscribeAsync("si/+", { qos: 1, properties: { subscriptionIdentifier: 2 } });
    const got = nextMessages(c, 1);
    const pub = await mqttClient(url, { protocolVersion: 5 });
    await pub.publishAsync("si/x", "m", { qos: 1 });
    const [, , packet] = (await got)[0]!;
    expect([packet.properties?.subscriptionIdentifier].flat().sort()).toEqual([1, 2]);
    expect(await collectFor(c, 150)).toEqual([]);
  });

  it("shared subscriptions give each message to one member, round robin", async () => {
    const { url } = await startBroker();
    const a = await mqttClient(url, { protocolVersion: 5 });
    const b = await mqttClient(url, { protocolVersion: 5 });
    await a.subscribeAsync("$share/g/sh/#", { qos: 1 });
    await b.subscribeAsync("$share/g/sh/#", { qos: 1 });
    const gotA = collectFor(a, 400);
    const gotB = collectFor(b, 400);
    const pub = await mqttClient(url, { protocolVersion: 5 });
    for (let i = 0; i < 6; i++) await pub.publishAsync("sh/t", `m${i}`, { qos: 1 });
    const [ra, rb] = [await gotA, await gotB];
    expect(ra.length + rb.length).toBe(6);
    expect(ra.length).toBe(3);
    expect(new Set([...ra, ...rb]).size).toBe(6);
  });
});

describe("shared subscription strategies", () => {
  it.each(["random", "sticky", "hash-client-id", "hash-topic"] as const)(
    "%s gives each message to exactly one member of the group",
    async (strategy) => {
      const { url } = await startBroker({ shared_subscription_strategy: strategy });
      const members = await Promise.all([0, 1, 2].map(() => mqttClient(url, { protocolVersion: 5 })));
      for (const m of members) await m.subscribeAsync("$share/g/st/#", { qos: 1 });
      const got = members.map((m) => collectFor(m, 500));
      const pub = await mqttClient(url, { protocolVersion: 5 });
      for (let i = 0; i < 12; i++) await pub.publishAsync(`st/${i % 3}`, `m${i}`, { qos: 1 });
      const all = (await Promise.all(got)).flat();
      expect(all).toHaveLength(12);
      expect(new Set(all).size).toBe(12);
      if (strategy === "sticky" || strategy === "hash-client-id") {
        // One publisher: both keep every message on one member.
        expect((await Promise.all(got)).filter((g) => g.length > 0)).toHaveLength(1);
      }
      if (strategy === "hash-topic") {
        // The same topic always lands on the same member.
        const byTopic = new Map<string, number>();
        (await Promise.all(got)).forEach((messages, member) => {
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
