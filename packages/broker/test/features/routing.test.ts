// Routing through the broker, scripted over the memory harness (no socket, no sleeps).
import { ReasonCode } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import { MqttPeer, startMemoryBroker } from "../harness/peer.js";
import {
  expectNothingPending,
  publish,
  receive,
  receiveOne,
  subscribe,
  unsubscribe,
} from "../harness/steps.js";

describe.each([4, 5] as const)("routing at protocol level %i", (version) => {
  const peer = async (broker: Awaited<ReturnType<typeof startMemoryBroker>>, id: string) =>
    (await MqttPeer.connected(broker, id, {}, { version })).peer;

  it("delivers QoS 0, 1 and 2 at min(published, granted) QoS [MQTT-3.8.4-8]", async () => {
    const broker = await startMemoryBroker();
    const sub = await peer(broker, "sub");
    const pub = await peer(broker, "pub");
    expect(await subscribe(sub, { "a/q0": 0, "a/q1": 1, "a/q2": 2 })).toEqual([0, 1, 2]);
    await publish(pub, "a/q2", "two", { qos: 2 });
    await publish(pub, "a/q1", "one-at-2", { qos: 2 });
    await publish(pub, "a/q2", "one", { qos: 1 });
    await publish(pub, "a/q0", "zero", { qos: 1 });
    const messages = await receive(sub, 4);
    expect(messages.map(([t, p, pkt]) => [t, p, pkt.qos])).toEqual([
      ["a/q2", "two", 2],
      ["a/q1", "one-at-2", 1],
      ["a/q2", "one", 1],
      ["a/q0", "zero", 0],
    ]);
  });

  it("gives one copy per client for overlapping subscriptions, at the highest granted QoS [MQTT-3.3.4-2]", async () => {
    const broker = await startMemoryBroker();
    const sub = await peer(broker, "sub");
    const pub = await peer(broker, "pub");
    await subscribe(sub, { "x/#": 0, "x/+": 1, "x/y": 2 });
    await publish(pub, "x/y", "m", { qos: 2 });
    const [topic, , packet] = await receiveOne(sub);
    expect([topic, packet.qos]).toEqual(["x/y", 2]);
    await expectNothingPending(sub);
  });

  it("keeps retained messages: set, replace, clear with an empty payload, and sends them on subscribe with RETAIN=1 [MQTT-3.3.1-5] [MQTT-3.3.1-10]", async () => {
    const broker = await startMemoryBroker();
    const pub = await peer(broker, "pub");
    await publish(pub, "r/1", "old", { qos: 1, retain: true });
    await publish(pub, "r/1", "new", { qos: 1, retain: true });
    await publish(pub, "r/2", "gone", { qos: 1, retain: true });
    await publish(pub, "r/2", "", { qos: 1, retain: true });
    const sub = await peer(broker, "sub");
    await subscribe(sub, { "r/#": 1 });
    const [topic, payload, packet] = await receiveOne(sub);
    expect([topic, payload, packet.retain, packet.qos]).toEqual(["r/1", "new", true, 1]);
    await expectNothingPending(sub);
  });

  it("forwards a retained PUBLISH to existing subscribers with RETAIN=0 [MQTT-3.3.1-9]", async () => {
    const broker = await startMemoryBroker();
    const sub = await peer(broker, "sub");
    const pub = await peer(broker, "pub");
    await subscribe(sub, { "live/#": 0 });
    await publish(pub, "live/x", "v", { retain: true, qos: 1 });
    const [, , packet] = await receiveOne(sub);
    expect(packet.retain).toBe(false);
  });

  it("does not match $ topics with filters starting with a wildcard [MQTT-4.7.2-1]", async () => {
    const broker = await startMemoryBroker();
    const sub = await peer(broker, "sub");
    await subscribe(sub, { "#": 0, "+/broker/x": 0, "$SYS/#": 0 });
    broker.publish({ topic: "$SYS/broker/x", payload: "sys" });
    broker.publish({ topic: "normal/topic", payload: "n" });
    const messages = await receive(sub, 2);
    expect(messages.map(([t]) => t).sort()).toEqual(["$SYS/broker/x", "normal/topic"]);
    await expectNothingPending(sub);
  });

  it("refuses a client's PUBLISH to a $ topic, which belongs to the server (5.0: PUBACK Not Authorized)", async () => {
    const broker = await startMemoryBroker();
    const sub = await peer(broker, "sub");
    const pub = await peer(broker, "pub");
    await subscribe(sub, { "$SYS/#": 0 });
    const code = await publish(pub, "$SYS/fake", "x", { qos: 1 });
    // 3.1.1 has no negative acknowledgement: acknowledged and dropped.
    expect(code).toBe(version === 5 ? ReasonCode.NOT_AUTHORIZED : ReasonCode.SUCCESS);
    await expectNothingPending(sub);
  });

  it("accepts a client's PUBLISH to a $ topic other than $SYS/ and delivers it only to a filter naming it [MQTT-4.7.2-1]", async () => {
    const broker = await startMemoryBroker();
    const wild = await peer(broker, "wild");
    const named = await peer(broker, "named");
    const pub = await peer(broker, "pub");
    await subscribe(wild, { "#": 0, "+/app/x": 0 });
    await subscribe(named, { "$app/#": 0 });
    const code = await publish(pub, "$app/app/x", "x", { qos: 1 });
    expect(code).toBe(ReasonCode.SUCCESS);
    expect((await receive(named, 1)).map(([t]) => t)).toEqual(["$app/app/x"]);
    await expectNothingPending(wild);
  });

  it("refuses a PUBLISH a plugin denies: PUBACK Not Authorized in 5.0, acknowledged and dropped in 3.1.1", async () => {
    const broker = await startMemoryBroker(
      {},
      { plugins: [{ name: "deny-secret", authorizePublish: (_c, m) => m.topic !== "secret" }] },
    );
    const sub = await peer(broker, "sub");
    const pub = await peer(broker, "pub");
    await subscribe(sub, { "#": 0 });
    const code = await publish(pub, "secret", "x", { qos: 1 });
    expect(code).toBe(version === 5 ? ReasonCode.NOT_AUTHORIZED : ReasonCode.SUCCESS);
    await publish(pub, "open", "y", { qos: 1 });
    expect((await receive(sub, 1)).map(([t]) => t)).toEqual(["open"]);
  });

  it("stops delivering after UNSUBSCRIBE [MQTT-3.10.4-2]", async () => {
    const broker = await startMemoryBroker();
    const sub = await peer(broker, "sub");
    const pub = await peer(broker, "pub");
    await subscribe(sub, { "u/t": 0 });
    await unsubscribe(sub, "u/t");
    await publish(pub, "u/t", "x", { qos: 1 });
    await expectNothingPending(sub);
  });
});
