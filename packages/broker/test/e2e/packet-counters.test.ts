// aMQTT's `$SYS/broker/messages/received` and `$SYS/broker/load/bytes/received`
// count every packet and every byte a client sent (not only PUBLISH payloads),
// and its `on_mqtt_packet_received` hook (our `onPacketReceived`) gets every
// decoded packet. Checked over real TCP with hand-encoded packets.
import { encode, type Packet, PacketType } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import { RawClient } from "./robustness/raw-client.js";
import { startBroker, until } from "./tcp.js";

const packets: Packet[] = [
  { type: PacketType.CONNECT, protocolVersion: 4, clean: true, keepAlive: 0, clientId: "counted" },
  { type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: "c/#", qos: 1 }] },
  { type: PacketType.PINGREQ },
  {
    type: PacketType.PUBLISH,
    topic: "c/x",
    payload: new Uint8Array(7),
    qos: 1,
    retain: false,
    dup: false,
    packetId: 2,
  },
];

describe("received packets and bytes (aMQTT's $SYS counters and packet hook)", () => {
  it("counts every packet and every byte received, and hands each decoded packet to onPacketReceived", async () => {
    const seen: number[] = [];
    const { broker, port } = await startBroker(
      {},
      {
        plugins: [
          {
            name: "packets",
            onPacketReceived: (_client, packet) => {
              seen.push((packet as Packet).type);
            },
          },
        ],
      },
    );
    const before = broker.stats();
    const raw = await RawClient.open(port, 4);
    const encoded = packets.map((p) => encode(p, 4));
    for (const bytes of encoded) raw.write(bytes);
    // The QoS 1 delivery back to the same client, then its PUBACK.
    const delivery = await raw.next(PacketType.PUBLISH);
    const puback = encode(
      { type: PacketType.PUBACK, packetId: (delivery as { packetId: number }).packetId },
      4,
    );
    raw.write(puback);
    const total = encoded.reduce((n, b) => n + b.length, 0) + puback.length;
    await until(() => broker.stats().messagesReceived - before.messagesReceived === 5);
    const after = broker.stats();
    expect(after.bytesReceived - before.bytesReceived).toBe(total);
    expect(after.publishReceived - before.publishReceived).toBe(1);
    expect(seen).toEqual([
      PacketType.CONNECT,
      PacketType.SUBSCRIBE,
      PacketType.PINGREQ,
      PacketType.PUBLISH,
      PacketType.PUBACK,
    ]);
  });

  it("without a packet hook, the counters still count every packet", async () => {
    const { broker, port } = await startBroker();
    const before = broker.stats().messagesReceived;
    const raw = await RawClient.connected(port, 4, "plain");
    raw.send({ type: PacketType.PINGREQ }, 4);
    await raw.next(PacketType.PINGRESP);
    expect(broker.stats().messagesReceived - before).toBe(2);
  });
});
