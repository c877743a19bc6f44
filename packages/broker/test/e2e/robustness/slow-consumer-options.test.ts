import { PacketType, type PublishPacket, ReasonCode } from "@amqtt/codec";
import { describe, expect, it } from "vitest";
import { ManualClock } from "../../harness/manual-clock.js";
import { startBroker, until } from "../tcp.js";
import { RawClient } from "./raw-client.js";

/** A raw QoS 1 subscriber on `filter`; `stall` stops reading its socket once subscribed. */
async function subscriber(
  port: number,
  version: 4 | 5,
  clientId: string,
  filter: string,
  stall: boolean,
): Promise<RawClient> {
  const raw = await RawClient.connected(port, version, clientId);
  raw.send(
    { type: PacketType.SUBSCRIBE, packetId: 1, subscriptions: [{ topicFilter: filter, qos: 1 }] },
    version,
  );
  await raw.next(PacketType.SUBACK);
  if (stall) raw.socket.pause();
  return raw;
}

/** A raw 3.1.1 QoS 1 publisher: `send(i)` writes PUBLISH `i` (packet id i), `acked(i)` waits for its PUBACK. */
async function publisher(port: number, topic: string) {
  const raw = await RawClient.connected(port, 4, "pub");
  const hasAck = (i: number) => raw.packets.some((p) => p.type === PacketType.PUBACK && p.packetId === i);
  return {
    hasAck,
    send: (i: number) =>
      raw.send(
        {
          type: PacketType.PUBLISH,
          topic,
          payload: new TextEncoder().encode(`m${i}`),
          qos: 1,
          packetId: i,
          retain: false,
          dup: false,
        },
        4,
      ),
    acked: (i: number) => until(() => hasAck(i), 10_000),
  };
}

/** PUBLISH packets a raw client received so far. */
const publishes = (raw: RawClient) =>
  raw.packets.filter((p): p is PublishPacket => p.type === PacketType.PUBLISH);

const backpressure = (window: number) => ({
  max_inflight_messages: 5,
  max_queued_messages: 100,
  publisher_backpressure: {
    enabled: true,
    high_water: 10,
    low_water: 5,
    max_pause_ms: 1000,
    max_total_pause_ms: 3000,
    pause_window_ms: window,
  },
});

describe("opt-in publisher backpressure (publisher_backpressure)", () => {
  it("pauses the publisher while a subscriber holds high_water unacknowledged, and resumes it once the subscriber is down to low_water", async () => {
    const clock = new ManualClock();
    const { broker, port } = await startBroker(backpressure(0), { clock });
    const slow = await subscriber(port, 4, "slow", "bp/#", true);
    const pub = await publisher(port, "bp/t");
    for (let i = 1; i <= 10; i++) {
      pub.send(i);
      await pub.acked(i);
    }
    // The 10th copy made the subscriber congested: the publisher is paused (not a message dropped).
    expect(broker.stats().publisherPauses).toBe(1);
    expect(broker.sessions.get("pub")!.connection!.pausedUntil()).toBeDefined();
    pub.send(11);
    expect(pub.hasAck(11)).toBe(false);

    // The subscriber reads and acknowledges: at low_water the publisher reads again, with no clock time passing.
    slow.socket.on("data", () => {
      for (const p of slow.packets.splice(0))
        if (p.type === PacketType.PUBLISH) slow.send({ type: PacketType.PUBACK, packetId: p.packetId! }, 4);
    });
    slow.socket.resume();
    await pub.acked(11);
    expect(broker.stats().publisherPausedMs).toBe(0);
    expect(broker.stats().messagesDropped).toBe(0);
  }, 30_000);

  it("bounds the total pause of a publisher by max_total_pause_ms per pause_window_ms: past the budget it is never paused, the subscriber's queue bound applies", async () => {
    const clock = new ManualClock();
    const { broker, port } = await startBroker(backpressure(10_000), { clock });
    await subscriber(port, 4, "slow", "bp/#", true);
    const pub = await publisher(port, "bp/t");
    for (let i = 1; i <= 10; i++) {
      pub.send(i);
      await pub.acked(i);
    }
    // Each further message finds the subscriber congested: a pause of max_pause_ms each, until the budget is spent.
    for (let i = 11; i <= 13; i++) {
      expect(broker.stats().publisherPauses).toBe(i - 10);
      pub.send(i);
      expect(pub.hasAck(i)).toBe(false);
      clock.advance(1000);
      await pub.acked(i);
    }
    // 3000 ms used: no more pauses, however congested the subscriber; the clock does not move.
    for (let i = 14; i <= 60; i++) {
      pub.send(i);
      await pub.acked(i);
    }
    const stats = broker.stats();
    expect(stats.publisherPauses).toBe(3);
    expect(stats.publisherPausedMs).toBe(3000);
    expect(stats.publisherPausedMs).toBeLessThanOrEqual(3000);
    // A new window gives a new budget.
    clock.advance(7000);
    pub.send(61);
    await pub.acked(61);
    expect(broker.stats().publisherPauses).toBe(4);
    clock.advance(1000);
    pub.send(62);
    await pub.acked(62);
  }, 30_000);

  it("is refused with low_water at or above high_water (config error naming the key)", async () => {
    await expect(
      startBroker({ publisher_backpressure: { enabled: true, high_water: 10, low_water: 10 } }),
    ).rejects.toThrow(/publisher_backpressure\.low_water/);
  });
});

describe("ack_timeout", () => {
  it("disconnects a 5.0 subscriber that acknowledges nothing for ack_timeout with DISCONNECT 0x97 Quota exceeded; one that keeps acknowledging stays", async () => {
    const clock = new ManualClock();
    const { broker, port } = await startBroker({ ack_timeout: 30 }, { clock });
    const mute = await subscriber(port, 5, "mute", "at/#", false);
    const steady = await subscriber(port, 5, "steady", "at/#", false);
    broker.publish({ topic: "at/t", payload: "one", qos: 1 });
    broker.publish({ topic: "at/t", payload: "two", qos: 1 });
    await until(() => publishes(mute).length === 2 && publishes(steady).length === 2);
    const [first, second] = publishes(steady);

    // Both owe two acknowledgements. 20 s later, steady acknowledges one: progress.
    clock.advance(20_000);
    steady.send({ type: PacketType.PUBACK, packetId: first!.packetId! }, 5);
    await until(() => broker.sessions.get("steady")!.connection!.unacknowledged === 1);
    expect(broker.sessions.get("mute")?.online).toBe(true);

    // 31 s after the messages (and a wheel step): mute acknowledged nothing, it is disconnected.
    clock.advance(11_000);
    const disconnect = await mute.next(PacketType.DISCONNECT);
    expect(disconnect.reasonCode).toBe(ReasonCode.QUOTA_EXCEEDED);
    await mute.waitClosed();
    expect(broker.stats().ackTimeoutDisconnects).toBe(1);

    // steady made progress 11 s ago: it stays; its second acknowledgement ends what it owes.
    expect(broker.sessions.get("steady")?.online).toBe(true);
    steady.send({ type: PacketType.PUBACK, packetId: second!.packetId! }, 5);
    await until(() => broker.sessions.get("steady")!.connection!.unacknowledged === 0);
    clock.advance(120_000);
    expect(broker.sessions.get("steady")?.online).toBe(true);
    expect(steady.socket.destroyed).toBe(false);
    expect(broker.stats().ackTimeoutDisconnects).toBe(1);
  }, 30_000);

  it("is off by default: a subscriber that never acknowledges stays connected", async () => {
    const clock = new ManualClock();
    const { broker, port } = await startBroker({}, { clock });
    const mute = await subscriber(port, 5, "mute", "at/#", false);
    broker.publish({ topic: "at/t", payload: "one", qos: 1 });
    await until(() => publishes(mute).length === 1);
    clock.advance(3_600_000);
    expect(broker.sessions.get("mute")?.online).toBe(true);
    expect(broker.sessions.get("mute")!.connection!.unacknowledged).toBe(1);
  });
});
