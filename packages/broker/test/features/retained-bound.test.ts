import { ReasonCode } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import { capturingLogger } from "../harness/logger.js";
import { MqttPeer, startMemoryBroker } from "../harness/peer.js";
import { expectNothingPending, publish, receive, receiveOne, subscribe } from "../harness/steps.js";

const BOUND = 10;

/** A broker with `$SYS/broker/version` retained (the sys plugin publishes it at start) and a small retained bound. */
async function boundedBroker(config: Record<string, unknown> = {}) {
  const log = capturingLogger();
  const broker = await startMemoryBroker(
    { plugins: { "anonymous-auth": {}, sys: { sys_interval: 0 } }, max_retained_messages: BOUND, ...config },
    { logger: log.logger },
  );
  expect(broker.retained.get("$SYS/broker/version")).toBeDefined();
  return { broker, lines: log.lines };
}

async function fill(peer: MqttPeer, n: number, qos: 0 | 1 = 1): Promise<void> {
  for (let i = 0; i < n; i++) expect(await publish(peer, `r/${i}`, `m${i}`, { qos, retain: true })).toBe(0);
}

describe("the retained bound (max_retained_messages) [MQTT-3.3.1-5]", () => {
  it("5.0: the broker's $SYS/ messages take no client slot, and the 11th QoS 1 retained message of 10 gets PUBACK 0x97 Quota exceeded, is not delivered, logged and counted", async () => {
    const { broker, lines } = await boundedBroker();
    const { peer: sub } = await MqttPeer.connected(broker, "sub");
    await subscribe(sub, { "r/#": 1 });
    const { peer: pub } = await MqttPeer.connected(broker, "pub");
    await fill(pub, BOUND);
    await receive(sub, BOUND);
    expect(await publish(pub, "r/over", "x", { qos: 1, retain: true })).toBe(ReasonCode.QUOTA_EXCEEDED);
    await expectNothingPending(sub); // refused: not delivered either
    expect(broker.retained.get("r/over")).toBeUndefined();
    expect(broker.stats().retainedRefused).toBe(1);
    expect(lines.filter((l) => l.message === "retained message refused")).toMatchObject([
      { fields: { clientId: "pub", topic: "r/over", answer: "0x97 Quota exceeded" } },
    ]);
  });

  it("5.0: QoS 2 over the bound gets PUBREC 0x97; replacing and clearing a topic within the bound still work", async () => {
    const { broker } = await boundedBroker();
    const { peer: pub } = await MqttPeer.connected(broker, "pub");
    await fill(pub, BOUND);
    expect(await publish(pub, "r/over", "x", { qos: 2, retain: true })).toBe(ReasonCode.QUOTA_EXCEEDED);
    expect(await publish(pub, "r/3", "again", { qos: 1, retain: true })).toBe(ReasonCode.SUCCESS);
    expect(await publish(pub, "r/4", "", { qos: 1, retain: true })).toBe(ReasonCode.SUCCESS);
    expect(await publish(pub, "r/over", "x", { qos: 2, retain: true })).toBe(ReasonCode.SUCCESS);
    expect(broker.retained.get("r/over")).toBeDefined();
    expect(broker.retained.clientCount).toBe(BOUND);
  });

  it("3.1.1: over the bound a QoS 1 retained message is acknowledged (no negative PUBACK exists), delivered to current subscribers, not retained, logged and counted", async () => {
    const { broker, lines } = await boundedBroker();
    const stored: string[] = [];
    broker.on("retainedMessage", (_client, message) => stored.push(message.topic));
    const { peer: sub } = await MqttPeer.connected(broker, "sub", {}, { version: 4 });
    await subscribe(sub, { "r/#": 1 });
    const { peer: pub } = await MqttPeer.connected(broker, "pub", {}, { version: 4 });
    await fill(pub, BOUND);
    await receive(sub, BOUND);
    expect(await publish(pub, "r/over", "x", { qos: 1, retain: true })).toBe(ReasonCode.SUCCESS);
    const [topic] = await receiveOne(sub);
    expect(topic).toBe("r/over");
    expect(broker.retained.get("r/over")).toBeUndefined();
    expect(stored).toHaveLength(BOUND); // the event says "stored": not for r/over
    expect(stored).not.toContain("r/over");
    expect(broker.stats().retainedRefused).toBe(1);
    expect(lines.find((l) => l.message === "retained message refused")?.fields).toMatchObject({
      topic: "r/over",
      answer: "acknowledged, delivered, not retained",
    });
  });

  it("5.0 QoS 0: over the bound the message is delivered, not retained, and counted", async () => {
    const { broker } = await boundedBroker();
    const { peer: sub } = await MqttPeer.connected(broker, "sub");
    await subscribe(sub, { "r/#": 0 });
    const { peer: pub } = await MqttPeer.connected(broker, "pub");
    await fill(pub, BOUND);
    await receive(sub, BOUND);
    await publish(pub, "r/over", "x", { qos: 0, retain: true });
    expect((await receiveOne(sub))[0]).toBe("r/over");
    expect(broker.retained.get("r/over")).toBeUndefined();
    expect(broker.stats().retainedRefused).toBe(1);
  });

  it("max_retained_bytes bounds the bytes (topic and payload as the stores count them): 0x97 past it", async () => {
    const { broker } = await boundedBroker({ max_retained_messages: 1000, max_retained_bytes: 20 });
    const { peer: pub } = await MqttPeer.connected(broker, "pub");
    expect(await publish(pub, "b/1", "1234567", { qos: 1, retain: true })).toBe(0); // 10 bytes
    expect(await publish(pub, "b/2", "1234567", { qos: 1, retain: true })).toBe(0); // 20
    expect(await publish(pub, "b/3", "1", { qos: 1, retain: true })).toBe(ReasonCode.QUOTA_EXCEEDED);
    expect(await publish(pub, "b/2", "12345678", { qos: 1, retain: true })).toBe(ReasonCode.QUOTA_EXCEEDED);
    expect(broker.stats().retainedRefused).toBe(2);
  });

  it("the log of refusals is rate-limited while every refusal is counted", async () => {
    const { broker, lines } = await boundedBroker({ max_retained_messages: 1 });
    const { peer: pub } = await MqttPeer.connected(broker, "pub");
    await fill(pub, 1);
    for (let i = 0; i < 50; i++)
      expect(await publish(pub, `x/${i}`, "x", { qos: 1, retain: true })).toBe(ReasonCode.QUOTA_EXCEEDED);
    expect(broker.stats().retainedRefused).toBe(50);
    const logged = lines.filter((l) => l.message === "retained message refused").length;
    expect(logged).toBeGreaterThan(0);
    expect(logged).toBeLessThan(50);
  });
});
