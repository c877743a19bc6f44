import { PacketType } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import { mqttClient, startBroker, until } from "../tcp.js";
import { RawClient } from "./raw-client.js";

const INFLIGHT = 10;
const QUEUED = 50;
const COUNT = 3000;
const BATCH = 20;

/** A raw 3.1.1 QoS 1 subscriber on `filter` that stops reading its socket once subscribed (it never acknowledges). */
async function stalledSubscriber(port: number, clientId: string, filter: string): Promise<RawClient> {
  const raw = await RawClient.connected(port, 4, clientId);
  raw.send({ type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: filter, qos: 1 }] }, 4);
  await raw.next(PacketType.SUBACK);
  raw.socket.pause();
  return raw;
}

describe("a QoS 1 subscriber that stops reading (slow consumer)", () => {
  it("costs only itself: the publisher gets every PUBACK and a healthy subscriber every message, while the slow one's queue stays within max_inflight_messages + max_queued_messages and every drop is counted (online_queue_overflow drop-new)", async () => {
    const { broker, port, url } = await startBroker({
      max_inflight_messages: INFLIGHT,
      max_queued_messages: QUEUED,
    });
    const drops: string[] = [];
    let highest = 0;
    const slow = await stalledSubscriber(port, "slow", "sc/#");
    const slowConn = broker.sessions.get("slow")!.connection!;
    broker.on("dropped", (clientId) => {
      drops.push(clientId);
      highest = Math.max(highest, slowConn.unacknowledged);
    });
    const healthy = await mqttClient(url, { clientId: "healthy" });
    await healthy.subscribeAsync("sc/#", { qos: 1 });
    const got = new Set<string>();
    healthy.on("message", (_t, payload) => {
      got.add(payload.toString());
      highest = Math.max(highest, slowConn.unacknowledged);
    });
    const pub = await mqttClient(url, { clientId: "publisher" });
    // Batches the healthy subscriber keeps up with (its own queue never fills): every
    // publish must be acknowledged, and a paused publisher would leave a batch waiting.
    for (let sent = 0; sent < COUNT; sent += BATCH) {
      await Promise.all(
        Array.from({ length: BATCH }, (_, i) => pub.publishAsync("sc/t", `m${sent + i}`, { qos: 1 })),
      );
      await until(() => got.size === sent + BATCH, 10_000);
    }

    // The bound: the slow subscriber holds its window and its queue, never more.
    const bound = INFLIGHT + QUEUED;
    expect(highest).toBeLessThanOrEqual(bound);
    expect(slowConn.unacknowledged).toBe(bound);
    // drop-new: the first `bound` copies were taken, every later one dropped for the slow client only.
    expect(drops).toHaveLength(COUNT - bound);
    expect(new Set(drops)).toEqual(new Set(["slow"]));
    const stats = broker.stats();
    expect(stats.messagesDropped).toBe(COUNT - bound);
    expect(stats.publisherPauses).toBe(0);
    // The slow client is still connected: only its copies were lost.
    expect(slow.socket.destroyed).toBe(false);
    expect(broker.sessions.get("slow")?.online).toBe(true);
  }, 60_000);

  it("with online_queue_overflow drop-oldest keeps the newest copies: when it reads again it gets its in-flight window, then the last max_queued_messages messages", async () => {
    const { broker, port, url } = await startBroker({
      max_inflight_messages: INFLIGHT,
      max_queued_messages: QUEUED,
      online_queue_overflow: "drop-oldest",
    });
    const slow = await stalledSubscriber(port, "slow", "sc/#");
    const pub = await mqttClient(url, { clientId: "publisher" });
    const count = 500;
    await Promise.all(Array.from({ length: count }, (_, i) => pub.publishAsync("sc/t", `m${i}`, { qos: 1 })));
    await until(() => broker.stats().messagesDropped === count - INFLIGHT - QUEUED);
    expect(broker.sessions.get("slow")!.connection!.unacknowledged).toBe(INFLIGHT + QUEUED);

    // It reads (and acknowledges) again: the window first, then the newest QUEUED.
    const payloads: string[] = [];
    slow.socket.on("data", () => {
      for (const p of slow.packets.splice(0)) {
        if (p.type !== PacketType.PUBLISH) continue;
        payloads.push(new TextDecoder().decode(p.payload));
        slow.send({ type: PacketType.PUBACK, packetId: p.packetId! }, 4);
      }
    });
    slow.socket.resume();
    await until(() => payloads.length === INFLIGHT + QUEUED);
    const expected = [
      ...Array.from({ length: INFLIGHT }, (_, i) => `m${i}`),
      ...Array.from({ length: QUEUED }, (_, i) => `m${count - QUEUED + i}`),
    ];
    expect(payloads).toEqual(expected);
  }, 60_000);

  it("with max_queued_messages 0 and max_queued_bytes 0 (no bound, as written) queues for a connected subscriber instead of dropping everything beyond its window", async () => {
    const { broker, port, url } = await startBroker({
      max_inflight_messages: 2,
      max_queued_messages: 0,
      max_queued_bytes: 0,
    });
    await stalledSubscriber(port, "slow", "sc/#");
    const pub = await mqttClient(url, { clientId: "publisher" });
    await Promise.all(Array.from({ length: 50 }, (_, i) => pub.publishAsync("sc/t", `m${i}`, { qos: 1 })));
    await until(() => broker.sessions.get("slow")!.connection!.unacknowledged === 50);
    expect(broker.stats().messagesDropped).toBe(0);
  });
});
