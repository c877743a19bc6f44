// One message to many subscribers of different shapes, over the memory harness.
import type { ProtocolVersion, QoS } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import type { Broker } from "../../src/index.js";
import { MqttPeer, startMemoryBroker } from "../harness/peer.js";
import { publish, subscribe } from "../harness/steps.js";

async function subscriber(broker: Broker, version: ProtocolVersion, id: string, filter: string, qos: QoS) {
  const { peer } = await MqttPeer.connected(broker, id, {}, { version });
  await subscribe(peer, { [filter]: qos });
  return peer;
}

describe("one message to many subscribers (the PUBLISH encoded once per shape)", () => {
  it("gives each subscriber its own packet id, QoS and protocol level, with the same topic and payload [MQTT-2.2.1-4]", async () => {
    const broker = await startMemoryBroker();
    const a = await subscriber(broker, 4, "a", "fan/#", 1);
    // "a" also subscribes to "early" and gets two messages first (never acknowledged), so its packet ids run ahead.
    await subscribe(a, { early: 1 });
    const { peer: pub } = await MqttPeer.connected(broker, "pub", {}, { version: 4 });
    await publish(pub, "early", "1", { qos: 1 });
    await publish(pub, "early", "2", { qos: 1 });
    await a.until(() => a.publishes().length === 2, "2 PUBLISH packets");
    const b = await subscriber(broker, 4, "b", "fan/#", 1);
    const c = await subscriber(broker, 5, "c", "fan/#", 1);
    const d = await subscriber(broker, 4, "d", "fan/#", 0);
    await publish(pub, "fan/x", "same bytes for all", { qos: 1 });
    const fanned = (peer: MqttPeer) => peer.publishes().find((p) => p.topic === "fan/x");
    for (const peer of [a, b, c, d]) await peer.until(() => fanned(peer) !== undefined, "fan/x");
    const got = [a, b, c, d].map((peer) => fanned(peer)!);
    for (const p of got) expect(new TextDecoder().decode(p.payload)).toBe("same bytes for all");
    expect(got.map((p) => p.qos)).toEqual([1, 1, 1, 0]);
    // "a" had ids 1 and 2 in use before: its copy carries 3, the others 1 (QoS 0 has none).
    expect(got.map((p) => p.packetId)).toEqual([3, 1, 1, undefined]);
  });
});
