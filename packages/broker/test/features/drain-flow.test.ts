// Sending a long offline queue to a reconnected session, over the memory harness.
import { PacketType } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import { MqttPeer, startMemoryBroker } from "../harness/peer.js";
import { sendPublish, subscribe } from "../harness/steps.js";
import { until } from "../harness/wait.js";

// Generous bounds: 2500 QoS 1 publishes take seconds on a loaded CI machine.
const BIG_WAIT_MS = 30_000;

describe("sending a long offline queue to a reconnected session", () => {
  it("hands over at most two batches of 1000 unacknowledged messages; the rest waits in the store until the client acknowledges", async () => {
    const broker = await startMemoryBroker({ max_queued_messages: 5000 });
    const { peer: first } = await MqttPeer.connected(broker, "slow", { clean: false }, { version: 4 });
    await subscribe(first, { "q/#": 1 });
    first.drop();
    await until(() => broker.sessions.get("slow")?.online === false);
    const { peer: pub } = await MqttPeer.connected(broker, "pub", {}, { version: 4 });
    for (let i = 0; i < 2500; i++) sendPublish(pub, "q/t", String(i), { qos: 1 });
    await pub.until(
      () => pub.received.filter((p) => p.type === PacketType.PUBACK).length === 2500,
      "2500 PUBACKs",
      BIG_WAIT_MS,
    );
    await until(() => broker.stats().storedMessages === 2500, BIG_WAIT_MS);

    const { peer: back } = await MqttPeer.connected(broker, "slow", { clean: false }, { version: 4 });
    // Two batches of 1000 go to the session (its in-flight window on the wire, the rest in its
    // queue); 500 stay in the store while nothing is acknowledged.
    await until(() => broker.stats().storedMessages === 500, BIG_WAIT_MS);
    await new Promise((r) => setTimeout(r, 100));
    expect(broker.stats().storedMessages).toBe(500);
    // Acknowledging everything lets the rest follow, in order.
    const payloads: number[] = [];
    while (payloads.length < 2500) {
      const publish = await back.expect("publish", BIG_WAIT_MS);
      payloads.push(Number(new TextDecoder().decode(publish.payload)));
      back.send({ type: PacketType.PUBACK, packetId: publish.packetId! });
    }
    expect(payloads).toEqual([...Array(2500).keys()]);
  }, 90_000);
});
