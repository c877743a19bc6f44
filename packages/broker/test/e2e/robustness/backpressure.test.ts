import { connect as netConnect, type Socket } from "node:net";
import { Decoder, encode, PacketType, type PublishPacket } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import { mqttClient, startBroker, until } from "../tcp.js";

/** A raw 3.1.1 subscriber that acknowledges each QoS 1 message only after `ackDelayMs`. */
async function slowSubscriber(
  port: number,
  filter: string,
  ackDelayMs: number,
): Promise<{ socket: Socket; received: string[] }> {
  const socket = netConnect(port, "127.0.0.1");
  const decoder = new Decoder({ protocolVersion: 4 });
  const received: string[] = [];
  let subscribed!: () => void;
  const ready = new Promise<void>((r) => {
    subscribed = r;
  });
  socket.on("data", (chunk) => {
    for (const packet of decoder.decodeAll(chunk)) {
      if (packet.type === PacketType.SUBACK) subscribed();
      if (packet.type === PacketType.PUBLISH) {
        const p = packet as PublishPacket;
        received.push(new TextDecoder().decode(p.payload));
        setTimeout(
          () => socket.write(encode({ type: PacketType.PUBACK, packetId: p.packetId! }, 4)),
          ackDelayMs,
        );
      }
    }
  });
  socket.write(
    encode({ type: PacketType.CONNECT, protocolVersion: 4, clean: true, keepAlive: 0, clientId: "slow" }, 4),
  );
  socket.write(
    encode({ type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: filter, qos: 1 }] }, 4),
  );
  await ready;
  return { socket, received };
}

describe("opt-in publisher backpressure", () => {
  it("with publisher_backpressure enabled, pauses a fast QoS 1 publisher instead of dropping what a slow subscriber cannot take yet: nothing acknowledged is lost", async () => {
    const { broker, url, port } = await startBroker({
      max_inflight_messages: 4,
      max_queued_messages: 20,
      // A budget the test never reaches: within it nothing is dropped.
      publisher_backpressure: {
        enabled: true,
        high_water: 16,
        low_water: 8,
        max_pause_ms: 1000,
        max_total_pause_ms: 600_000,
      },
    });
    const dropped: string[] = [];
    broker.on("dropped", (_c, _t, reason) => dropped.push(reason));
    const sub = await slowSubscriber(port, "bp/#", 2);
    const pub = await mqttClient(url);
    const count = 300;
    await Promise.all(Array.from({ length: count }, (_, i) => pub.publishAsync("bp/t", `m${i}`, { qos: 1 })));
    await until(() => sub.received.length >= count, 15_000).catch((e) => {
      console.log(
        "received",
        sub.received.length,
        "distinct",
        new Set(sub.received).size,
        "dropped",
        dropped.length,
        dropped[0],
      );
      throw e;
    });
    expect(dropped).toEqual([]);
    expect(new Set(sub.received).size).toBe(count);
    sub.socket.destroy();
  }, 30_000);
});
