import { encode, PacketType } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import { RawClient } from "../robustness/raw-client.js";
import { mqttClient, startBroker, until } from "../tcp.js";

const BUDGET = 256 * 1024;
const PAYLOAD = 1024;

describe("the message memory budget (max_message_memory)", () => {
  it("drops and counts new QoS 0 messages once a slow consumer holds the budget, while QoS 1 is still acknowledged and delivered", async () => {
    const { broker, port, url } = await startBroker({
      max_message_memory: BUDGET,
      max_message_rate: 0,
      max_byte_rate: 0,
    });
    // The slow consumer: subscribed, then never reads its socket again.
    const slow = await RawClient.connected(port, 4, "slow");
    slow.send(
      { type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: "fan/#", qos: 1 }] },
      4,
    );
    await slow.next(PacketType.SUBACK);
    slow.socket.pause();
    // A consumer that keeps up, at QoS 1.
    const fast = await mqttClient(url, { clientId: "fast" });
    await fast.subscribeAsync("fan/#", { qos: 1 });
    let fastGot = 0;
    fast.on("message", () => fastGot++);
    const publisher = await RawClient.connected(port, 4, "publisher");
    const one = encode(
      {
        type: PacketType.PUBLISH,
        topic: "fan/q0",
        payload: new Uint8Array(PAYLOAD),
        qos: 0,
        retain: false,
        dup: false,
      },
      4,
    );
    // 24 MiB of QoS 0, in batches; the kernel's loopback buffers take the first few MiB.
    let highest = 0;
    const sampler = setInterval(() => {
      highest = Math.max(highest, broker.stats().messageMemory);
    }, 5);
    // Output back-pressure pauses the publisher while the slow consumer's socket is full, so the
    // held bytes reach the budget in bursts: sampled at each drop too (held is then at the budget).
    broker.on("dropped", () => {
      highest = Math.max(highest, broker.stats().messageMemory);
    });
    try {
      for (let batch = 0; batch < 48; batch++) {
        publisher.socket.write(Buffer.concat(Array.from({ length: 512 }, () => one)));
        await new Promise((r) => setTimeout(r, 20));
        highest = Math.max(highest, broker.stats().messageMemory);
      }
      await until(() => broker.stats().memoryBudgetDrops > 0, 10_000);
      // The bound: checked when each message is routed, the budget is overshot by one message's
      // fan-out to the two subscribers at most.
      expect(highest).toBeGreaterThan(BUDGET / 2);
      expect(highest).toBeLessThanOrEqual(BUDGET + 2 * (PAYLOAD + 64));
      // Nothing acknowledged is touched: a QoS 1 message is acknowledged and reaches the fast consumer.
      const before = fastGot;
      publisher.send(
        {
          type: PacketType.PUBLISH,
          topic: "fan/q1",
          payload: new Uint8Array(4),
          qos: 1,
          retain: false,
          dup: false,
          packetId: 9,
        },
        4,
      );
      expect((await publisher.next(PacketType.PUBACK)).packetId).toBe(9);
      await until(() => fastGot > before);
    } finally {
      clearInterval(sampler);
    }
    const stats = broker.stats();
    expect(stats.messagesDropped).toBeGreaterThanOrEqual(stats.memoryBudgetDrops);
    // The slow consumer kept its connection: the budget dropped new messages, not it.
    expect(slow.socket.destroyed).toBe(false);
  });
});
