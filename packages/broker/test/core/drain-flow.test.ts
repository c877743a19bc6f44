import { PacketType, type PublishPacket } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import { RawClient } from "../robustness/raw-client.js";
import { mqttClient, startBroker, until } from "./helpers.js";

const publishes = (raw: RawClient) =>
  raw.packets.filter((p): p is PublishPacket => p.type === PacketType.PUBLISH);

describe("sending a long offline queue to a reconnected session", () => {
  it("hands over at most two batches of 1000 unacknowledged messages; the rest waits in the store until the client acknowledges", async () => {
    const { url, port, broker } = await startBroker({ max_queued_messages: 5000 });
    const first = await RawClient.connected(port, 4, "slow", false);
    first.send(
      { type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: "q/#", qos: 1 }] },
      4,
    );
    await first.next(PacketType.SUBACK);
    first.socket.destroy();
    await until(() => broker.sessions.get("slow")?.online === false);
    const pub = await mqttClient(url);
    for (let i = 0; i < 2500; i++) pub.publish("q/t", String(i), { qos: 1 });
    // Generous bounds: 2500 QoS 1 publishes take seconds on a loaded CI machine.
    await until(() => broker.stats().storedMessages === 2500, 30_000);

    const back = await RawClient.connected(port, 4, "slow", false);
    // Two batches of 1000 go to the session; 500 stay in the store while nothing is acknowledged.
    await until(() => broker.stats().storedMessages === 500, 30_000);
    await new Promise((r) => setTimeout(r, 100));
    expect(broker.stats().storedMessages).toBe(500);
    // Acknowledging everything lets the rest follow, in order.
    const acked = new Set<number>();
    const ackAll = () => {
      for (const p of publishes(back))
        if (p.packetId !== undefined && !acked.has(p.packetId)) {
          acked.add(p.packetId);
          back.send({ type: PacketType.PUBACK, packetId: p.packetId, reasonCode: 0 }, 4);
        }
    };
    await until(() => {
      ackAll();
      return publishes(back).length >= 2500;
    }, 10_000);
    const payloads = publishes(back).map((p) => Number(new TextDecoder().decode(p.payload)));
    expect(payloads.slice(0, 2500)).toEqual([...Array(2500).keys()]);
  });
});
