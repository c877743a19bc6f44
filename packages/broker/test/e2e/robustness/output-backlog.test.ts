import { encode, PacketType } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import { startBroker, until } from "../tcp.js";
import { RawClient } from "./raw-client.js";

const PAYLOAD = 1024;
const BATCHES = 48;
const PER_BATCH = 512;

describe("a QoS 0 subscriber whose output backs up (fan-in back-pressure)", () => {
  it("pauses the publisher instead of holding the backlog: the bytes held for the subscriber stay within maxBufferedBytes, and it gets every message once it reads", async () => {
    const { broker, port } = await startBroker({ max_message_rate: 0, max_byte_rate: 0 });
    const slow = await RawClient.connected(port, 4, "slow");
    slow.send(
      { type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: "ob/#", qos: 0 }] },
      4,
    );
    await slow.next(PacketType.SUBACK);
    // It stops reading: the kernel's buffers fill, then the broker's output for it.
    slow.socket.pause();
    const slowConn = broker.sessions.get("slow")!.connection!;
    const bound = slowConn.transport.maxBufferedBytes;
    const publisher = await RawClient.connected(port, 4, "publisher");
    const one = encode(
      {
        type: PacketType.PUBLISH,
        topic: "ob/q0",
        payload: new Uint8Array(PAYLOAD),
        qos: 0,
        retain: false,
        dup: false,
      },
      4,
    );
    let highest = 0;
    const sampler = setInterval(() => {
      highest = Math.max(highest, slowConn.outputHeldBytes);
    }, 2);
    try {
      // 24 MiB of QoS 0: three times the bound, far more than the loopback buffers take.
      for (let batch = 0; batch < BATCHES; batch++) {
        publisher.socket.write(Buffer.concat(Array.from({ length: PER_BATCH }, () => one)));
        await new Promise((r) => setTimeout(r, 10));
      }
      await until(() => broker.stats().publisherPauses > 0, 30_000);
      // On a loaded machine the kernel's buffers may still be filling when the
      // first pause comes (a write over the high-water mark pauses even when the
      // kernel takes it at once): wait until the broker really holds bytes for it.
      await until(() => {
        highest = Math.max(highest, slowConn.outputHeldBytes);
        return highest > 0;
      }, 20_000);
      await new Promise((r) => setTimeout(r, 100));
      highest = Math.max(highest, slowConn.outputHeldBytes);
      slow.socket.resume();
      // Nothing is lost at QoS 0 while the publisher waits: every message arrives, in order of publishing.
      await until(
        () => slow.packets.filter((p) => p.type === PacketType.PUBLISH).length === BATCHES * PER_BATCH,
        60_000,
      );
    } finally {
      clearInterval(sampler);
    }
    expect(highest).toBeGreaterThan(0);
    expect(highest).toBeLessThanOrEqual(bound);
    expect(slow.socket.destroyed).toBe(false);
    expect(broker.stats().messagesDropped).toBe(0);
    await until(() => !slowConn.outputBacklogged, 30_000);
  }, 150_000);
});
