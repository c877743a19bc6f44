import { encode, PacketType } from "@amqtt/codec";
import { SlowConsumerError } from "@amqtt/transport";
import { describe, expect, it } from "vitest";
import { mqttClient, startBroker, until } from "../tcp.js";
import { bystanders, RawClient } from "./raw-client.js";

const FLOOD_COUNT = 20_000;

/** Write `count` copies of `packet` as fast as the socket takes them (waiting for drain). */
async function flood(raw: RawClient, packet: Uint8Array, count: number): Promise<void> {
  // 200 packets per write keeps the syscalls few; drain keeps our own memory bounded.
  const batch = Buffer.concat(Array.from({ length: 200 }, () => packet));
  for (let sent = 0; sent < count; sent += 200) {
    if (!raw.socket.write(batch)) await new Promise((r) => raw.socket.once("drain", r));
  }
}

describe("a flood from one client", () => {
  it("of 20 000 QoS 0 PUBLISH packets as fast as the socket takes them does not stop another client's QoS 1 round trips, and every one of them is routed", async () => {
    const { port, url, broker } = await startBroker();
    const others = await bystanders(url);
    const counter = await mqttClient(url, { clientId: "flood-counter" });
    await counter.subscribeAsync("flood/t", { qos: 0 });
    let routed = 0;
    counter.on("message", () => routed++);
    const raw = await RawClient.connected(port, 4, "flooder");
    const packet = encode(
      {
        type: PacketType.PUBLISH,
        topic: "flood/t",
        payload: new Uint8Array(32),
        qos: 0,
        retain: false,
        dup: false,
      },
      4,
    );
    const flooding = flood(raw, packet, FLOOD_COUNT);
    // Round trips while the flood runs: each one must complete.
    for (let i = 0; i < 20; i++) await others.roundTrip(`during-${i}`);
    await flooding;
    await until(() => routed === FLOOD_COUNT, 15_000);
    expect(broker.stats().publishReceived).toBeGreaterThanOrEqual(FLOOD_COUNT);
    // The flooder broke no rule: it is still connected.
    expect(raw.socket.destroyed).toBe(false);
    await others.roundTrip("after");
  });
});

describe("a client that never reads", () => {
  it("is disconnected with SlowConsumerError once its write buffer passes maxBufferedBytes, its buffer never exceeds the bound, and the publisher and other subscribers keep working", async () => {
    const { port, url, broker } = await startBroker();
    const others = await bystanders(url, "busy/t");
    const slow = await RawClient.connected(port, 4, "slow");
    slow.send(
      { type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: "busy/#", qos: 0 }] },
      4,
    );
    await slow.next(PacketType.SUBACK);
    slow.socket.pause(); // from now on it never reads: the kernel buffers fill, then the broker's.
    const transport = broker.sessions.get("slow")!.connection!.transport;
    const bound = (transport as unknown as { maxBufferedBytes: number }).maxBufferedBytes;
    let closedWith: unknown;
    void transport.closed.then((info) => {
      closedWith = info.error;
    });
    let highest = 0;
    const payload = Buffer.alloc(64 * 1024, 1);
    // Enough to fill the kernel buffers of both ends and the bound several times over (bounded).
    const maxMessages = Math.ceil((3 * bound + 32 * 1024 * 1024) / payload.length);
    let sent = 0;
    let kept = 0;
    others.sub.on("message", (topic) => {
      if (topic === "busy/t") kept++;
    });
    while (closedWith === undefined && sent < maxMessages) {
      // QoS 1 paces the publisher; the slow subscriber gets QoS 0 copies.
      await others.pub.publishAsync("busy/t", payload, { qos: 1 });
      sent++;
      highest = Math.max(highest, transport.bufferedBytes);
    }
    await until(() => closedWith !== undefined, 5000);
    expect(closedWith).toBeInstanceOf(SlowConsumerError);
    expect(highest).toBeLessThanOrEqual(bound);
    await until(() => broker.sessions.get("slow")?.connection === undefined);
    // The other subscriber got every message the publisher had acknowledged.
    await until(() => kept === sent);
    await others.roundTrip("after");
  });
});
