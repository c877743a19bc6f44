import { PacketType, type PublishPacket } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import { SharedDeliveryLog } from "../../src/core/shared-handover.js";
import { RawClient } from "../robustness/raw-client.js";
import { collectFor, mqttClient, nextMessages, startBroker, until } from "./helpers.js";

/** A 5.0 raw member of `$share/g/job/#` that reads PUBLISH packets and never acknowledges them. */
async function silentMember(port: number, clientId: string, clean = true): Promise<RawClient> {
  const raw = await RawClient.connected(port, 5, clientId, clean);
  raw.send(
    {
      type: PacketType.SUBSCRIBE,
      packetId: 1,
      subscriptions: [{ topicFilter: "$share/g/job/#", qos: 1 }],
    },
    5,
  );
  await raw.next(PacketType.SUBACK);
  return raw;
}

function publishesOf(raw: RawClient): PublishPacket[] {
  return raw.packets.filter((p): p is PublishPacket => p.type === PacketType.PUBLISH);
}

describe("shared subscriptions: a leaving member's unacknowledged messages (5.0 section 4.8.2)", () => {
  it("go to another member of the group when the member's session ends", async () => {
    const { url, port } = await startBroker({ shared_subscription_strategy: "round-robin" });
    const silent = await silentMember(port, "silent");
    const other = await mqttClient(url, { protocolVersion: 5, clientId: "other" });
    await other.subscribeAsync("$share/g/job/#", { qos: 1 });
    const pub = await mqttClient(url, { protocolVersion: 5 });
    const gotByOther = collectFor(other, 600);
    for (let i = 0; i < 6; i++) await pub.publishAsync("job/x", `m${i}`, { qos: 1 });
    await until(() => publishesOf(silent).length === 3);
    const unacked = publishesOf(silent).map((p) => new TextDecoder().decode(p.payload));
    // The silent member's connection drops (Session Expiry 0: its session ends with it).
    silent.socket.destroy();
    const received = await gotByOther;
    // Every message reached the remaining member once: its own three and the silent one's three.
    expect(received.sort()).toEqual([0, 1, 2, 3, 4, 5].map((i) => `job/x:m${i}`));
    expect(received.filter((r) => unacked.includes(r.split(":")[1]!))).toHaveLength(3);
  });

  it("do not go elsewhere while the member's session lives on (the member gets them again on reconnect)", async () => {
    const { url, port } = await startBroker({ shared_subscription_strategy: "round-robin" });
    const raw = await RawClient.connected(port, 4, "keeps", false);
    raw.send(
      { type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: "$share/g/job/#", qos: 1 }] },
      4,
    );
    await raw.next(PacketType.SUBACK);
    const other = await mqttClient(url, { protocolVersion: 5, clientId: "other2" });
    await other.subscribeAsync("$share/g/job/#", { qos: 1 });
    const pub = await mqttClient(url, { protocolVersion: 5 });
    const gotByOther = collectFor(other, 400);
    for (let i = 0; i < 4; i++) await pub.publishAsync("job/y", `n${i}`, { qos: 1 });
    await until(() => publishesOf(raw).length === 2);
    raw.socket.destroy();
    expect((await gotByOther).length).toBe(2);
    // Back with the same persistent session: the two unacknowledged messages come again, DUP set.
    const back = await RawClient.connected(port, 4, "keeps", false);
    await until(() => publishesOf(back).length === 2);
    expect(publishesOf(back).every((p) => p.dup)).toBe(true);
  });

  it("are counted as dropped when no other member is left", async () => {
    const { url, port, broker } = await startBroker();
    const dropped: string[] = [];
    broker.on("dropped", (_client, topic, reason) => dropped.push(`${topic}:${reason}`));
    const silent = await silentMember(port, "alone");
    const pub = await mqttClient(url, { protocolVersion: 5 });
    await pub.publishAsync("job/z", "only", { qos: 1 });
    await until(() => publishesOf(silent).length === 1);
    silent.socket.destroy();
    await until(() => dropped.length === 1);
    expect(dropped[0]).toContain("shared subscription");
    const late = await mqttClient(url, { protocolVersion: 5 });
    const none = nextMessages(late, 1, 200).catch(() => "none");
    expect(await none).toBe("none");
  });
});

describe("the shared delivery log", () => {
  const sender = (payloads: string[]) => ({
    version: 1 as const,
    kind: "qos-sender" as const,
    nextSeq: payloads.length + 1,
    inFlight: payloads.map((p, i) => ({
      seq: i + 1,
      packetId: i + 1,
      stage: "publish" as const,
      sentBefore: true,
      message: { topic: "t", payload: { $base64: btoa(p) }, qos: 1 as const, retain: false },
    })),
    waiting: [],
  });

  it("matches each logged delivery to one unacknowledged message only", () => {
    const log = new SharedDeliveryLog();
    const payload = new TextEncoder().encode("same");
    log.record({ topic: "t", payload, shareName: "g", filter: "t" });
    // Two identical unacknowledged messages, one of which came through the group.
    expect(log.unacknowledged(sender(["same", "same"]))).toHaveLength(1);
  });

  it("is bounded by count: the oldest deliveries are forgotten", () => {
    const log = new SharedDeliveryLog();
    for (let i = 0; i < 5000; i++)
      log.record({ topic: "t", payload: new Uint8Array(1), shareName: "g", filter: "t" });
    expect(log.size).toBe(1024);
  });

  it("is bounded by payload bytes", () => {
    const log = new SharedDeliveryLog();
    for (let i = 0; i < 10; i++)
      log.record({ topic: "t", payload: new Uint8Array(1024 * 1024), shareName: "g", filter: "t" });
    expect(log.size).toBe(4);
  });
});
