import { PacketType, type ProtocolVersion, type PublishPacket } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import { RawClient } from "../robustness/raw-client.js";
import { mqttClient, startBroker, until } from "./helpers.js";

const publishes = (raw: RawClient) =>
  raw.packets.filter((p): p is PublishPacket => p.type === PacketType.PUBLISH);

async function subscriber(port: number, version: ProtocolVersion, id: string, filter: string, qos: 0 | 1) {
  const raw = await RawClient.connected(port, version, id);
  raw.send(
    { type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: filter, qos }] },
    version,
  );
  await raw.next(PacketType.SUBACK);
  return raw;
}

describe("one message to many subscribers (the PUBLISH encoded once per shape)", () => {
  it("gives each subscriber its own packet id, QoS and protocol level, with the same topic and payload", async () => {
    const { url, port } = await startBroker();
    const a = await subscriber(port, 4, "a", "fan/#", 1);
    // "a" also subscribes to "early" and gets two messages first, so its packet ids run ahead.
    a.send({ type: PacketType.SUBSCRIBE, packetId: 2, subscriptions: [{ topicFilter: "early", qos: 1 }] }, 4);
    await until(() => a.packets.filter((p) => p.type === PacketType.SUBACK).length === 2);
    const pub = await mqttClient(url);
    await pub.publishAsync("early", "1", { qos: 1 });
    await pub.publishAsync("early", "2", { qos: 1 });
    await until(() => publishes(a).length === 2);
    const b = await subscriber(port, 4, "b", "fan/#", 1);
    const c = await subscriber(port, 5, "c", "fan/#", 1);
    const d = await subscriber(port, 4, "d", "fan/#", 0);
    await pub.publishAsync("fan/x", "same bytes for all", { qos: 1 });
    for (const raw of [a, b, c, d]) await until(() => publishes(raw).some((p) => p.topic === "fan/x"));
    const got = [a, b, c, d].map((raw) => publishes(raw).find((p) => p.topic === "fan/x")!);
    for (const p of got) expect(new TextDecoder().decode(p.payload)).toBe("same bytes for all");
    expect(got.map((p) => p.qos)).toEqual([1, 1, 1, 0]);
    // "a" had ids 1 and 2 in use before: its copy carries 3, the others 1 (QoS 0 has none).
    expect(got.map((p) => p.packetId)).toEqual([3, 1, 1, undefined]);
  });
});
