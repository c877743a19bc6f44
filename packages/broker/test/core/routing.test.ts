import { describe, expect, it } from "vitest";
import { collectFor, mqttClient, nextMessages, startBroker } from "./helpers.js";

describe.each([4, 5] as const)("routing with MQTT.js at protocol level %i", (protocolVersion) => {
  it("delivers QoS 0, 1 and 2 at min(published, granted) QoS", async () => {
    const { url } = await startBroker();
    const sub = await mqttClient(url, { protocolVersion });
    const pub = await mqttClient(url, { protocolVersion });
    const granted = await sub.subscribeAsync({ "a/q0": { qos: 0 }, "a/q1": { qos: 1 }, "a/q2": { qos: 2 } });
    expect(granted.map((g) => g.qos)).toEqual([0, 1, 2]);
    const got = nextMessages(sub, 4);
    await pub.publishAsync("a/q2", "two", { qos: 2 });
    await pub.publishAsync("a/q1", "one-at-2", { qos: 2 });
    await pub.publishAsync("a/q2", "one", { qos: 1 });
    await pub.publishAsync("a/q0", "zero", { qos: 1 });
    const messages = await got;
    expect(messages.map(([t, p, pkt]) => [t, p, pkt.qos])).toEqual([
      ["a/q2", "two", 2],
      ["a/q1", "one-at-2", 1],
      ["a/q2", "one", 1],
      ["a/q0", "zero", 0],
    ]);
  });

  it("gives one copy per client for overlapping subscriptions, at the highest granted QoS", async () => {
    const { url } = await startBroker();
    const sub = await mqttClient(url, { protocolVersion });
    const pub = await mqttClient(url, { protocolVersion });
    await sub.subscribeAsync({ "x/#": { qos: 0 }, "x/+": { qos: 1 }, "x/y": { qos: 2 } });
    const first = nextMessages(sub, 1);
    await pub.publishAsync("x/y", "m", { qos: 2 });
    const [topic, , packet] = (await first)[0]!;
    expect([topic, packet.qos]).toEqual(["x/y", 2]);
    expect(await collectFor(sub, 300)).toEqual([]);
  });

  it("keeps retained messages: set, replace, clear with an empty payload, and sends them on subscribe with RETAIN=1", async () => {
    const { url } = await startBroker();
    const pub = await mqttClient(url, { protocolVersion });
    await pub.publishAsync("r/1", "old", { qos: 1, retain: true });
    await pub.publishAsync("r/1", "new", { qos: 1, retain: true });
    await pub.publishAsync("r/2", "gone", { qos: 1, retain: true });
    await pub.publishAsync("r/2", "", { qos: 1, retain: true });
    const sub = await mqttClient(url, { protocolVersion });
    const got = nextMessages(sub, 1);
    await sub.subscribeAsync("r/#", { qos: 1 });
    const [topic, payload, packet] = (await got)[0]!;
    expect([topic, payload, packet.retain, packet.qos]).toEqual(["r/1", "new", true, 1]);
    expect(await collectFor(sub, 200)).toEqual([]);
  });

  it("forwards a retained PUBLISH to existing subscribers with RETAIN=0 [MQTT-3.3.1-9]", async () => {
    const { url } = await startBroker();
    const sub = await mqttClient(url, { protocolVersion });
    const pub = await mqttClient(url, { protocolVersion });
    await sub.subscribeAsync("live/#");
    const got = nextMessages(sub, 1);
    await pub.publishAsync("live/x", "v", { retain: true, qos: 1 });
    const [, , packet] = (await got)[0]!;
    expect(packet.retain).toBe(false);
  });

  it("does not match $ topics with filters starting with a wildcard [MQTT-4.7.2-1]", async () => {
    const { broker, url } = await startBroker();
    const sub = await mqttClient(url, { protocolVersion });
    await sub.subscribeAsync(["#", "+/broker/x", "$SYS/#"]);
    const got = nextMessages(sub, 2);
    broker.publish({ topic: "$SYS/broker/x", payload: "sys" });
    broker.publish({ topic: "normal/topic", payload: "n" });
    const messages = await got;
    expect(messages.map(([t]) => t).sort()).toEqual(["$SYS/broker/x", "normal/topic"]);
  });

  it("refuses a client's PUBLISH to a $ topic, which belongs to the server (5.0: PUBACK 0x87)", async () => {
    const { url } = await startBroker();
    const sub = await mqttClient(url, { protocolVersion });
    const pub = await mqttClient(url, { protocolVersion });
    await sub.subscribeAsync("$SYS/#");
    const sent = pub.publishAsync("$SYS/fake", "x", { qos: 1 });
    if (protocolVersion === 5) await expect(sent).rejects.toMatchObject({ code: 0x87 });
    else await sent; // 3.1.1 has no negative acknowledgement: acked and dropped
    expect(await collectFor(sub, 200)).toEqual([]);
  });

  it("refuses a PUBLISH a plugin denies: PUBACK 0x87 in 5.0, acknowledged and dropped in 3.1.1", async () => {
    const { url } = await startBroker(
      {},
      { plugins: [{ name: "deny-secret", authorizePublish: (_c, m) => m.topic !== "secret" }] },
    );
    const sub = await mqttClient(url, { protocolVersion });
    const pub = await mqttClient(url, { protocolVersion });
    await sub.subscribeAsync("#");
    const denied = pub.publishAsync("secret", "x", { qos: 1 });
    if (protocolVersion === 5) await expect(denied).rejects.toMatchObject({ code: 0x87 });
    else await denied;
    const got = nextMessages(sub, 1);
    await pub.publishAsync("open", "y", { qos: 1 });
    expect((await got).map(([t]) => t)).toEqual(["open"]);
  });

  it("stops delivering after UNSUBSCRIBE", async () => {
    const { url } = await startBroker();
    const sub = await mqttClient(url, { protocolVersion });
    const pub = await mqttClient(url, { protocolVersion });
    await sub.subscribeAsync("u/t");
    await sub.unsubscribeAsync("u/t");
    await pub.publishAsync("u/t", "x", { qos: 1 });
    expect(await collectFor(sub, 200)).toEqual([]);
  });
});
